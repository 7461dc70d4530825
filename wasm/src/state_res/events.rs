//! The events a resolution may read, parsed once and found by id.
//!
//! An id the store lacks is an event the resolution cannot verify, and the spec's algorithm
//! leaves it out. The `resolve_state` operation instead asks its caller for such ids
//! (`ask_for_missing`), unless the caller said it cannot supply them (`mark_unavailable`).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use crate::pdu::Pdu;

pub struct StoredEvent {
    pub pdu: Pdu,
    /// Rejected on receipt: never admitted into the state, never read as an auth event.
    pub rejected: bool,
    /// The servers with an entry in the event's `signatures`. Signatures were verified when the
    /// event was received, so state resolution takes a listed signature as a valid one.
    signers: Vec<String>,
}

impl StoredEvent {
    pub fn signed_by(&self, server: &str) -> bool {
        self.signers.iter().any(|signer| signer == server)
    }
}

#[derive(Default)]
pub struct EventStore {
    events: Vec<StoredEvent>,
    by_id: HashMap<String, usize>,
    unavailable: HashSet<String>,
    ask_for_missing: bool,
    missing: RefCell<BTreeSet<String>>,
    /// Each event's auth events as indices, found once: the algorithm walks them many times.
    auth: RefCell<Vec<Option<Rc<[usize]>>>>,
    auth_cached: Cell<bool>,
    /// The create event a room id names (v12), for the last room id asked about.
    create: RefCell<Option<(String, Option<usize>)>>,
}

impl EventStore {
    pub fn new() -> EventStore {
        EventStore::default()
    }

    /// Adds an event from its federation JSON. `id` is the event's id when the JSON does not
    /// carry it (v3+). Adding the same id twice is fine if both parse to the same event.
    pub fn insert(&mut self, id: Option<&str>, json: &Value) -> Result<usize, String> {
        let pdu = Pdu::from_json(json, id)?;
        let signers = match json.get("signatures") {
            Some(Value::Object(servers)) => servers.keys().cloned().collect(),
            _ => Vec::new(),
        };
        if let Some(&existing) = self.by_id.get(&pdu.event_id) {
            if self.events[existing].pdu != pdu {
                return Err(format!("two different events have the id {}", pdu.event_id));
            }
            return Ok(existing);
        }
        let index = self.events.len();
        self.by_id.insert(pdu.event_id.clone(), index);
        self.events.push(StoredEvent { pdu, rejected: false, signers });
        // A new event may be the missing auth event of one looked at before.
        if self.auth_cached.replace(false) {
            self.auth.borrow_mut().iter_mut().for_each(|cached| *cached = None);
        }
        self.auth.borrow_mut().push(None);
        *self.create.borrow_mut() = None;
        Ok(index)
    }

    pub fn mark_rejected(&mut self, id: &str) {
        if let Some(&index) = self.by_id.get(id) {
            self.events[index].rejected = true;
        }
    }

    /// The caller cannot supply this event: treat it as missing without asking for it.
    pub fn mark_unavailable(&mut self, id: &str) {
        self.unavailable.insert(id.to_string());
    }

    /// Record ids the store lacks (unless marked unavailable), for `missing`.
    pub fn ask_for_missing(&mut self, ask: bool) {
        self.ask_for_missing = ask;
    }

    /// The ids looked up and not found since the store was built, in order.
    pub fn missing(&self) -> Vec<String> {
        self.missing.borrow().iter().cloned().collect()
    }

    /// The index of an event, or None when the store does not hold it.
    pub fn find(&self, id: &str) -> Option<usize> {
        let found = self.by_id.get(id).copied();
        if found.is_none() && self.ask_for_missing && !self.unavailable.contains(id) {
            self.missing.borrow_mut().insert(id.to_string());
        }
        found
    }

    /// The indices of the ids the store holds, sorted by event id and without duplicates.
    pub fn find_all<S: AsRef<str>>(&self, ids: &[S]) -> Vec<usize> {
        let mut found: Vec<usize> = ids.iter().filter_map(|id| self.find(id.as_ref())).collect();
        self.sort_by_id(&mut found);
        found.dedup();
        found
    }

    /// Sorts event indices by event id, the order every set is walked in.
    pub fn sort_by_id(&self, events: &mut [usize]) {
        events.sort_by(|&a, &b| self.id(a).cmp(self.id(b)));
    }

    pub fn event(&self, index: usize) -> &StoredEvent {
        &self.events[index]
    }

    pub fn pdu(&self, index: usize) -> &Pdu {
        &self.events[index].pdu
    }

    pub fn id(&self, index: usize) -> &str {
        &self.events[index].pdu.event_id
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The auth events of an event that the store holds, in the event's order.
    pub fn auth_events(&self, index: usize) -> Rc<[usize]> {
        if let Some(cached) = &self.auth.borrow()[index] {
            return cached.clone();
        }
        let found: Rc<[usize]> = self.events[index].pdu.auth_events.iter().filter_map(|id| self.find(id)).collect();
        self.auth.borrow_mut()[index] = Some(found.clone());
        self.auth_cached.set(true);
        found
    }

    /// v12 (MSC4291): the create event named by an event's room id (`!x` names `$x`).
    pub fn create_from_room_id(&self, index: usize) -> Option<usize> {
        let room_id = self.events[index].pdu.room_id.as_deref()?;
        if let Some((cached_room, create)) = &*self.create.borrow() {
            if cached_room == room_id {
                return *create;
            }
        }
        let create = room_id.strip_prefix('!').and_then(|opaque| self.find(&format!("${opaque}")));
        *self.create.borrow_mut() = Some((room_id.to_string(), create));
        create
    }
}

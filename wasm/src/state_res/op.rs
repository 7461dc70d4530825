//! The `resolve_state` operation: [`resolve_conflicts`](super::resolve_conflicts) over JSON.
//!
//! The caller (src/engine/state-res.ts) splits the state sets, computes the auth difference
//! (and, for v2.1, the conflicted state subgraph) with set arithmetic, and sends only what the
//! algorithm reads:
//!
//! ```text
//! {
//!   "room_version": "10",
//!   "conflicted": [event id, ...],        the conflicted state set
//!   "auth_difference": [event id, ...],   the rest of the full conflicted set ([] for v1)
//!   "unconflicted": [[type, state_key, event id or null], ...]
//!                                         keys of the unconflicted state map the caller looked
//!                                         up; null: the map does not hold the key
//!   "events": [[event id, PDU], ...],     every event the algorithm may read (below)
//!   "rejected": [event id, ...],          optional: rejected on receipt
//!   "unavailable": [event id, ...]        optional: ids the caller cannot supply
//! }
//! ```
//!
//! The algorithm reads the events of the full conflicted set, their auth events, the power
//! levels events of mainlines (the chain of power levels events each one lists among its auth
//! events) with their auth events, and the events of the unconflicted entries the checks read.
//!
//! The answer is either the resolution,
//!
//! ```text
//! {"resolved": [[type, state_key, event id], ...]}   sorted by type, then state_key
//! ```
//!
//! the entries the algorithm decided (the resolved state is the unconflicted state map plus
//! these for the keys the map does not hold: step 5 is the caller's, who knows the whole map),
//! or, when the caller left something out, what is missing, to send along on a second call:
//!
//! ```text
//! {"missing_events": [event id, ...], "missing_state": [[type, state_key], ...]}
//! ```
//!
//! The engine never calls back into the host: it asks, the host fetches, and calls again.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use super::{resolve_conflicts, EventStore, Known, StateKey, Unconflicted};
use crate::room_versions::rules_for;

/// The unconflicted entries the caller sent, recording the keys it did not send.
#[derive(Default)]
struct SentUnconflicted {
    entries: HashMap<String, HashMap<String, Option<String>>>,
    asked: RefCell<BTreeSet<StateKey>>,
}

impl Unconflicted for SentUnconflicted {
    fn entry(&self, kind: &str, state_key: &str) -> Known<'_> {
        match self.entries.get(kind).and_then(|keys| keys.get(state_key)) {
            Some(Some(id)) => Known::Present(id),
            Some(None) => Known::Absent,
            None => {
                self.asked.borrow_mut().insert((kind.to_string(), state_key.to_string()));
                Known::Unknown
            }
        }
    }
}

fn array<'a>(input: &'a Value, key: &str) -> Result<&'a [Value], String> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(list)) => Ok(list),
        Some(_) => Err(format!("`{key}` must be an array")),
    }
}

fn strings(input: &Value, key: &str) -> Result<Vec<String>, String> {
    array(input, key)?
        .iter()
        .map(|entry| entry.as_str().map(str::to_string).ok_or_else(|| format!("`{key}` must hold strings")))
        .collect()
}

fn str_at<'a>(entry: &'a [Value], index: usize, what: &str) -> Result<&'a str, String> {
    entry.get(index).and_then(Value::as_str).ok_or_else(|| format!("{what}: entry {index} must be a string"))
}

pub fn resolve_state_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let input: Value = serde_json::from_slice(input).map_err(|e| format!("input is not JSON: {e}"))?;
    let version = input.get("room_version").and_then(Value::as_str).ok_or("`room_version` must be a string")?;
    let rules = rules_for(version).ok_or_else(|| format!("unknown room version {version:?}"))?;

    let mut store = EventStore::new();
    for entry in array(&input, "events")? {
        let pair = entry.as_array().filter(|pair| pair.len() == 2).ok_or("`events` holds [event id, PDU] pairs")?;
        let id = str_at(pair, 0, "events")?;
        store.insert(Some(id), &pair[1]).map_err(|e| format!("event {id}: {e}"))?;
    }
    for id in strings(&input, "rejected")? {
        store.mark_rejected(&id);
    }
    for id in strings(&input, "unavailable")? {
        store.mark_unavailable(&id);
    }
    store.ask_for_missing(true);

    let mut unconflicted = SentUnconflicted::default();
    for entry in array(&input, "unconflicted")? {
        let entry = entry.as_array().filter(|e| e.len() == 3).ok_or("`unconflicted` holds [type, state_key, id] triples")?;
        let id = match &entry[2] {
            Value::Null => None,
            Value::String(id) => Some(id.clone()),
            _ => return Err("`unconflicted`: the event id must be a string or null".into()),
        };
        let (kind, state_key) = (str_at(entry, 0, "unconflicted")?, str_at(entry, 1, "unconflicted")?);
        let keys = unconflicted.entries.entry(kind.to_string()).or_default();
        if let Some(previous) = keys.insert(state_key.to_string(), id.clone()) {
            if previous != id {
                return Err(format!("`unconflicted` gives ({kind:?}, {state_key:?}) two values"));
            }
        }
    }

    let conflicted = strings(&input, "conflicted")?;
    let auth_difference = strings(&input, "auth_difference")?;
    let resolved =
        resolve_conflicts(rules, crate::event_auth::check, &store, &unconflicted, &conflicted, &auth_difference);

    let missing_events = store.missing();
    let missing_state = unconflicted.asked.into_inner();
    let answer = if missing_events.is_empty() && missing_state.is_empty() {
        let entries: Vec<Value> = resolved.into_iter().map(|((kind, key), id)| json!([kind, key, id])).collect();
        json!({ "resolved": entries })
    } else {
        let keys: Vec<Value> = missing_state.into_iter().map(|(kind, key)| json!([kind, key])).collect();
        json!({ "missing_events": missing_events, "missing_state": keys })
    };
    serde_json::to_vec(&answer).map_err(|e| e.to_string())
}

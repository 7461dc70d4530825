//! Shared by the state resolution tests: fixture files, auth chains, and the ways the fixtures'
//! README feeds a resolver (all at once, file by file, replay along the DAG, state sets).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use myelin_core::room_versions::RoomVersionRules;
use myelin_core::state_res::{resolve, EventStore, StateKey, StateMap};
use serde_json::Value;

/// The copied golden fixtures (their README says where they come from).
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state-res")
}

pub fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The events of a case: one list per file, in order, each event with its `event_id`.
pub struct Room {
    pub files: Vec<Vec<Value>>,
    pub by_id: HashMap<String, Value>,
}

impl Room {
    pub fn new(files: Vec<Vec<Value>>) -> Room {
        let mut by_id = HashMap::new();
        for event in files.iter().flatten() {
            by_id.insert(id_of(event).to_string(), event.clone());
        }
        Room { files, by_id }
    }

    pub fn all(&self) -> impl Iterator<Item = &Value> {
        self.files.iter().flatten()
    }

    pub fn event(&self, id: &str) -> &Value {
        self.by_id.get(id).unwrap_or_else(|| panic!("no event {id}"))
    }

    /// Every event reachable through `auth_events`, without the event itself (iterative).
    pub fn auth_chain(&self, id: &str) -> HashSet<String> {
        let mut chain = HashSet::new();
        let mut stack: Vec<String> = auth_events(self.event(id));
        while let Some(next) = stack.pop() {
            if chain.insert(next.clone()) {
                stack.extend(auth_events(self.event(&next)));
            }
        }
        chain
    }

    pub fn auth_chain_of_state(&self, state: &StateMap) -> HashSet<String> {
        let mut chain = HashSet::new();
        for id in state.values() {
            chain.extend(self.auth_chain(id));
        }
        chain
    }

    pub fn key_of(&self, id: &str) -> StateKey {
        key_of(self.event(id))
    }

    /// A state map from event ids.
    pub fn state_of(&self, ids: &[String]) -> StateMap {
        ids.iter().map(|id| (self.key_of(id), id.clone())).collect()
    }

    /// A store holding `events`.
    pub fn store_of<'a>(events: impl IntoIterator<Item = &'a Value>) -> EventStore {
        let mut store = EventStore::new();
        for event in events {
            store.insert(None, event).unwrap_or_else(|e| panic!("{}: {e}", id_of(event)));
        }
        store
    }

    pub fn store(&self) -> EventStore {
        Room::store_of(self.all())
    }
}

pub fn id_of(event: &Value) -> &str {
    event["event_id"].as_str().expect("every fixture event has an event_id")
}

pub fn key_of(event: &Value) -> StateKey {
    (event["type"].as_str().unwrap().to_string(), event["state_key"].as_str().expect("state event").to_string())
}

pub fn auth_events(event: &Value) -> Vec<String> {
    event["auth_events"].as_array().map(|list| list.iter().map(|id| id.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

pub fn prev_events(event: &Value) -> Vec<String> {
    event["prev_events"].as_array().map(|list| list.iter().map(|id| id.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

fn one_entry(event: &Value) -> StateMap {
    let mut state = StateMap::new();
    state.insert(key_of(event), id_of(event).to_string());
    state
}

/// Mode 1: every event its own state set, with its own auth chain; one resolution.
pub fn all_at_once(rules: &RoomVersionRules, room: &Room) -> StateMap {
    let sets: Vec<StateMap> = room.all().map(one_entry).collect();
    let chains: Vec<HashSet<String>> = room.all().map(|event| room.auth_chain(id_of(event))).collect();
    resolve(rules, &sets, &chains, &room.store())
}

/// Mode 2: per file, the previous result plus one set per event of the file; auth chains of
/// the file's events only.
pub fn file_by_file(rules: &RoomVersionRules, room: &Room) -> StateMap {
    let mut carried: Option<StateMap> = None;
    let mut seen: Vec<&Value> = Vec::new();
    for file in &room.files {
        seen.extend(file.iter());
        let mut sets: Vec<StateMap> = carried.take().into_iter().collect();
        sets.extend(file.iter().map(one_entry));
        let chains: Vec<HashSet<String>> = file.iter().map(|event| room.auth_chain(id_of(event))).collect();
        carried = Some(resolve(rules, &sets, &chains, &Room::store_of(seen.iter().copied())));
    }
    carried.unwrap_or_default()
}

/// Mode 3: replay along prev_events, the state after each event being the resolution of the
/// state before it and the state before it plus the event; the result resolves the leaves.
pub fn replay(rules: &RoomVersionRules, room: &Room) -> StateMap {
    let store = room.store();
    let events: Vec<&Value> = room.all().collect();
    let mut after: HashMap<String, StateMap> = HashMap::new();
    let mut referenced: HashSet<String> = HashSet::new();
    // Files list each event after the events it references, so one pass in file order is a
    // topological order; check it anyway.
    for event in &events {
        let id = id_of(event).to_string();
        let prevs = prev_events(event);
        referenced.extend(prevs.iter().cloned());
        let mut before_sets = Vec::new();
        for prev in &prevs {
            before_sets.push(after.get(prev).unwrap_or_else(|| panic!("{id} comes before its prev event {prev}")).clone());
        }
        let before_chains: Vec<HashSet<String>> = before_sets.iter().map(|s| room.auth_chain_of_state(s)).collect();
        let before = resolve(rules, &before_sets, &before_chains, &store);
        let before_chain = room.auth_chain_of_state(&before);
        let mut proposed = before.clone();
        proposed.insert(key_of(event), id.clone());
        let mut proposed_chain = before_chain.clone();
        proposed_chain.extend(room.auth_chain(&id));
        let state = resolve(rules, &[before, proposed], &[before_chain, proposed_chain], &store);
        after.insert(id, state);
    }
    let leaves: Vec<StateMap> =
        events.iter().filter(|e| !referenced.contains(id_of(e))).map(|e| after[id_of(e)].clone()).collect();
    let chains: Vec<HashSet<String>> = leaves.iter().map(|s| room.auth_chain_of_state(s)).collect();
    resolve(rules, &leaves, &chains, &store)
}

/// One resolution of the given state sets, each with the auth chain of its events.
pub fn state_sets(rules: &RoomVersionRules, room: &Room, sets: &[Vec<String>]) -> StateMap {
    let maps: Vec<StateMap> = sets.iter().map(|ids| room.state_of(ids)).collect();
    let chains: Vec<HashSet<String>> = maps.iter().map(|map| room.auth_chain_of_state(map)).collect();
    resolve(rules, &maps, &chains, &room.store())
}

/// A state map as the fixtures' expected files list it ({type or kind, state_key, event_id}).
pub fn expected_state(value: &Value, type_field: &str) -> StateMap {
    value
        .as_array()
        .expect("an expected file is an array")
        .iter()
        .map(|entry| {
            let key = (entry[type_field].as_str().unwrap().to_string(), entry["state_key"].as_str().unwrap().to_string());
            (key, entry["event_id"].as_str().unwrap().to_string())
        })
        .collect()
}

/// A readable difference between two states, for assertion messages.
pub fn difference(expected: &StateMap, actual: &StateMap) -> String {
    let mut lines = Vec::new();
    let keys: BTreeMap<&StateKey, ()> = expected.keys().chain(actual.keys()).map(|k| (k, ())).collect();
    for key in keys.keys() {
        let (want, got) = (expected.get(*key), actual.get(*key));
        if want != got {
            lines.push(format!("  {:?}: expected {:?}, got {:?}", key, want, got));
        }
    }
    lines.join("\n")
}

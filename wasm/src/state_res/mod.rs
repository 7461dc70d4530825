//! State resolution: what a room's state is where its history forks.
//!
//! - v1 (room v1): https://spec.matrix.org/v1.19/rooms/v1/#state-resolution (`v1.rs`)
//! - v2 (rooms v2-v11): https://spec.matrix.org/v1.19/rooms/v2/#state-resolution (`v2.rs`)
//! - v2.1 (room v12, MSC4297): https://spec.matrix.org/v1.19/rooms/v12/#state-resolution, v2 with
//!   the first iterative auth checks starting from an empty state and the conflicted state
//!   subgraph added to the full conflicted set.
//!
//! The version comes from the rules table (`RoomVersionRules::state_resolution`), never from a
//! version number.
//!
//! Everything here is pure and iterative (explicit stacks, no recursion), so a 100,000-event auth
//! chain cannot overflow the stack, and deterministic: sets are walked in event id order and
//! every ordering ends in an event id tie-break, so the answer does not depend on the order of
//! the inputs (tests/state_res/properties.rs shuffles them).
//!
//! Events rejected on receipt (`EventStore::mark_rejected`) are never admitted by the iterative
//! auth checks and never read as auth events, as Synapse does; room v1's algorithm ignores
//! rejection.
//!
//! Two entry points:
//!
//! - [`resolve`] is the spec's definition over plain inputs: the state sets, their auth chains and
//!   the events. The Rust tests run the golden fixtures through it.
//! - [`resolve_conflicts`] is the part that needs events: given the conflicted state set, the rest
//!   of the full conflicted set (auth difference, and the subgraph in v2.1) and a view of the
//!   unconflicted state map, it runs the algorithm's steps and returns the entries it decided. The
//!   `resolve_state` operation (`op.rs`) wraps it, so TypeScript computes the partition and the
//!   auth difference with set arithmetic and ships only the events the algorithm reads, not the
//!   whole room state (see src/engine/state-res.ts for that side of the contract).
//!
//! | file | spec part |
//! | --- | --- |
//! | `events.rs` | the events the algorithm may read, by id |
//! | `partition.rs` | unconflicted state map and conflicted state set, auth difference, conflicted state subgraph |
//! | `ordering.rs` | power events, reverse topological power ordering, mainline ordering |
//! | `iterative.rs` | iterative auth checks |
//! | `v2.rs` | the algorithm's five steps (v2 and v2.1) |
//! | `v1.rs` | the room v1 algorithm (and `sha1.rs` for its tie-break) |
//! | `op.rs` | the `resolve_state` operation's wire format |

mod events;
mod iterative;
pub mod op;
mod ordering;
mod partition;
mod sha1;
#[cfg(test)]
mod tests;
mod v1;
mod v2;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::event_auth::{Rejection, StateLookup};
use crate::pdu::Pdu;
use crate::room_versions::{RoomVersionRules, StateResolution};

pub use events::{EventStore, StoredEvent};
pub use partition::{auth_difference, conflicted_state_subgraph, split_v1, split_v2, Split};

/// A state key: (event type, state_key).
pub type StateKey = (String, String);

/// A room state: state key -> event id. Ordered, so anything built from it is deterministic.
pub type StateMap = BTreeMap<StateKey, String>;

/// The authorization check the iterative auth checks run: `event_auth::check` in production;
/// tests of the algorithm's mechanics may pass a scripted one.
pub type AuthCheck =
    fn(&RoomVersionRules, &Pdu, &dyn StateLookup, &dyn Fn(&str) -> bool) -> Result<(), Rejection>;

/// What the resolver knows about one key of the unconflicted state map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known<'a> {
    /// The key is in the unconflicted state map with this event id.
    Present(&'a str),
    /// The key is not in the unconflicted state map (it is conflicted, or in no state set).
    Absent,
    /// The caller did not say; the operation asks for it (see `op.rs`).
    Unknown,
}

/// A view of the unconflicted state map: the caller may hold only the keys the checks read.
pub trait Unconflicted {
    fn entry(&self, kind: &str, state_key: &str) -> Known<'_>;
}

/// A whole state map, nested by type so lookups by `&str` need no allocation.
#[derive(Default)]
pub struct NestedState(HashMap<String, HashMap<String, String>>);

impl NestedState {
    pub fn from_map(map: &StateMap) -> NestedState {
        let mut nested = NestedState::default();
        for ((kind, state_key), id) in map {
            nested.0.entry(kind.clone()).or_default().insert(state_key.clone(), id.clone());
        }
        nested
    }
}

impl Unconflicted for NestedState {
    fn entry(&self, kind: &str, state_key: &str) -> Known<'_> {
        match self.0.get(kind).and_then(|keys| keys.get(state_key)) {
            Some(id) => Known::Present(id),
            None => Known::Absent,
        }
    }
}

/// Runs the algorithm's steps for the version's state resolution and returns the entries it
/// decided: every event the iterative checks admitted (v1: every conflict's winner), by key.
/// The resolved state is the unconflicted state map plus these entries for the keys the map
/// does not hold (step 5: the unconflicted state map wins), which the caller applies, since
/// `unconflicted` may know only the keys the checks read.
///
/// - `conflicted`: the conflicted state set (event ids).
/// - `auth_difference`: the rest of the full conflicted set: the auth difference and, for v2.1,
///   the conflicted state subgraph. Empty for v1.
/// - Events the store does not hold are left out, as the spec leaves out events that cannot be
///   verified; in asking mode the store records them (see `EventStore::ask_for_missing`).
pub fn resolve_conflicts(
    rules: &RoomVersionRules,
    check: AuthCheck,
    store: &EventStore,
    unconflicted: &dyn Unconflicted,
    conflicted: &[String],
    auth_difference: &[String],
) -> StateMap {
    let changes = match rules.state_resolution {
        StateResolution::V1 => v1::resolve(rules, check, store, unconflicted, &store.find_all(conflicted)),
        StateResolution::V2 | StateResolution::V2_1 => {
            let mut full = store.find_all(conflicted);
            full.extend(store.find_all(auth_difference));
            v2::resolve(rules, check, store, unconflicted, full)
        }
    };
    let mut decided = StateMap::new();
    for (kind, keys) in changes.entries() {
        for (state_key, &event) in keys {
            decided.insert((kind.clone(), state_key.clone()), store.id(event).to_string());
        }
    }
    decided
}

/// The resolution of `state_sets` as the spec defines it, with `store` holding the events
/// (those it lacks are left out) and the room version's authorization rules. The auth difference
/// is ∪ − ∩ of `auth_chains`: normally the full auth chain of each state set (v2, v2.1; v1
/// ignores them).
pub fn resolve(
    rules: &RoomVersionRules,
    state_sets: &[StateMap],
    auth_chains: &[HashSet<String>],
    store: &EventStore,
) -> StateMap {
    resolve_with(rules, crate::event_auth::check, state_sets, auth_chains, store)
}

/// [`resolve`] with another authorization check (for tests of the algorithm's mechanics).
pub fn resolve_with(
    rules: &RoomVersionRules,
    check: AuthCheck,
    state_sets: &[StateMap],
    auth_chains: &[HashSet<String>],
    store: &EventStore,
) -> StateMap {
    let split = match rules.state_resolution {
        StateResolution::V1 => split_v1(state_sets),
        StateResolution::V2 | StateResolution::V2_1 => split_v2(state_sets),
    };
    if split.conflicted.is_empty() {
        return split.unconflicted;
    }
    let conflicted: Vec<String> = split.conflicted.values().flatten().cloned().collect();
    let mut extra: Vec<String> = Vec::new();
    if rules.state_resolution != StateResolution::V1 {
        extra.extend(auth_difference(auth_chains));
        if rules.state_resolution == StateResolution::V2_1 {
            let ids = store.find_all(&conflicted);
            extra.extend(conflicted_state_subgraph(store, &ids).into_iter().map(|i| store.id(i).to_string()));
        }
    }
    let unconflicted = NestedState::from_map(&split.unconflicted);
    let mut resolved = resolve_conflicts(rules, check, store, &unconflicted, &conflicted, &extra);
    resolved.extend(split.unconflicted);
    resolved
}

/// State keys as the algorithm keeps them while it runs: type -> state_key -> event index.
#[derive(Clone, Default)]
pub(crate) struct Changes(HashMap<String, HashMap<String, usize>>);

impl Changes {
    pub fn get(&self, kind: &str, state_key: &str) -> Option<usize> {
        self.0.get(kind).and_then(|keys| keys.get(state_key)).copied()
    }

    pub fn set(&mut self, kind: &str, state_key: &str, event: usize) {
        match self.0.get_mut(kind) {
            Some(keys) => {
                keys.insert(state_key.to_string(), event);
            }
            None => {
                let mut keys = HashMap::new();
                keys.insert(state_key.to_string(), event);
                self.0.insert(kind.to_string(), keys);
            }
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&String, &HashMap<String, usize>)> {
        self.0.iter()
    }
}

pub(crate) const CREATE: &str = "m.room.create";
pub(crate) const MEMBER: &str = "m.room.member";
pub(crate) const JOIN_RULES: &str = "m.room.join_rules";
pub(crate) const POWER_LEVELS: &str = "m.room.power_levels";

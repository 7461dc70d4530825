//! Room v1's state resolution: https://spec.matrix.org/v1.19/rooms/v1/#state-resolution
//!
//! The resolved state R starts as the union of the states without the conflicting events; then
//! the conflicts of power levels, join rules and members are resolved in that order, each
//! class against R as the previous classes left it, and last all other conflicts.
//!
//! Where the spec is silent this follows Synapse (synapse/state/v1.py), which defined the
//! algorithm in practice: keys of one class are resolved independently against the same R
//! (so their order does not matter), the checks read R only (not the event's auth events), and
//! when no event of an "other" conflict passes, the last one in the order is taken.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::iterative::Partial;
use super::sha1::sha1;
use super::{AuthCheck, Changes, EventStore, StateKey, Unconflicted, JOIN_RULES, MEMBER, POWER_LEVELS};
use crate::event_auth::StateLookup;
use crate::pdu::Pdu;
use crate::room_versions::RoomVersionRules;

/// R for one check: the resolved state so far, with `latest` (the last event accepted for the
/// key being resolved) in its place.
struct View<'a, 'b> {
    store: &'a EventStore,
    state: &'a Partial<'b>,
    latest: Option<usize>,
}

impl StateLookup for View<'_, '_> {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu> {
        if let Some(latest) = self.latest {
            if self.store.pdu(latest).state_pair() == Some((kind, state_key)) {
                return Some(self.store.pdu(latest));
            }
        }
        self.state.get(self.store, kind, state_key).map(|index| self.store.pdu(index))
    }
}

struct Resolver<'a> {
    rules: &'a RoomVersionRules,
    check: AuthCheck,
    store: &'a EventStore,
}

impl Resolver<'_> {
    fn allowed(&self, event: usize, state: &Partial<'_>, latest: Option<usize>) -> bool {
        let stored = self.store.event(event);
        let view = View { store: self.store, state, latest };
        let signed_by = |server: &str| stored.signed_by(server);
        (self.check)(self.rules, &stored.pdu, &view, &signed_by).is_ok()
    }

    /// Ascending depth, then descending sha1(event_id).
    fn ascending(&self, events: &[usize]) -> Vec<usize> {
        let mut keyed: Vec<(i64, Reverse<[u8; 20]>, usize)> = events
            .iter()
            .map(|&event| (self.store.pdu(event).depth, Reverse(sha1(self.store.id(event).as_bytes())), event))
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(_, _, event)| event).collect()
    }

    /// Power levels, join rules, members: the first event in ascending order, then each next
    /// one while the rules allow it.
    fn resolve_auth_events(&self, events: &[usize], state: &Partial<'_>) -> usize {
        let ordered = self.ascending(events);
        let mut latest = ordered[0];
        for &event in &ordered[1..] {
            if !self.allowed(event, state, Some(latest)) {
                break;
            }
            latest = event;
        }
        latest
    }

    /// Other events: the one with the highest depth and lowest sha1(event_id) that the rules
    /// allow in R; if none is allowed, the last in that order (Synapse).
    fn resolve_normal_events(&self, events: &[usize], state: &Partial<'_>) -> usize {
        let mut ordered = self.ascending(events);
        ordered.reverse();
        let last = ordered[ordered.len() - 1];
        ordered.iter().copied().find(|&event| self.allowed(event, state, None)).unwrap_or(last)
    }

    /// Resolves the conflicts of the keys `class` selects, each against `state` as it is now,
    /// then adds the winners to it.
    fn resolve_class(
        &self,
        conflicts: &BTreeMap<StateKey, Vec<usize>>,
        state: &mut Partial<'_>,
        class: impl Fn(&StateKey) -> bool,
        normal: bool,
    ) {
        let winners: Vec<usize> = conflicts
            .iter()
            .filter(|(key, events)| class(key) && events.len() > 1 && state.changes.get(&key.0, &key.1).is_none())
            .map(|(_, events)| {
                if normal {
                    self.resolve_normal_events(events, state)
                } else {
                    self.resolve_auth_events(events, state)
                }
            })
            .collect();
        for winner in winners {
            state.set(self.store, winner);
        }
    }
}

pub(crate) fn resolve(
    rules: &RoomVersionRules,
    check: AuthCheck,
    store: &EventStore,
    unconflicted: &dyn Unconflicted,
    conflicted: &[usize],
) -> Changes {
    let mut conflicts: BTreeMap<StateKey, Vec<usize>> = BTreeMap::new();
    for &event in conflicted {
        if let Some((kind, state_key)) = store.pdu(event).state_pair() {
            conflicts.entry((kind.to_string(), state_key.to_string())).or_default().push(event);
        }
    }
    let mut state = Partial::new(Some(unconflicted));
    // A key whose other events are missing is no longer a conflict.
    for events in conflicts.values() {
        if events.len() == 1 {
            state.set(store, events[0]);
        }
    }
    let resolver = Resolver { rules, check, store };
    resolver.resolve_class(&conflicts, &mut state, |key| key.0 == POWER_LEVELS && key.1.is_empty(), false);
    resolver.resolve_class(&conflicts, &mut state, |key| key.0 == JOIN_RULES, false);
    resolver.resolve_class(&conflicts, &mut state, |key| key.0 == MEMBER, false);
    resolver.resolve_class(&conflicts, &mut state, |_| true, true);
    state.changes
}

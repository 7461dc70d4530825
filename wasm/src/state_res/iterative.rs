//! The iterative auth checks: https://spec.matrix.org/v1.19/rooms/v2/#definitions
//!
//! "[...] constructs a new room state by iterating through the event list and applying the state
//! event to the room state if the state event is allowed by the authorization rules. [...] If a
//! (event_type, state_key) key that is required for checking the authorization rules is not
//! present in the state, then the appropriate state event from the event's auth_events is used
//! if the auth event is not rejected."

use super::{AuthCheck, Changes, EventStore, Known, Unconflicted, CREATE};
use crate::event_auth::StateLookup;
use crate::pdu::Pdu;
use crate::room_versions::RoomVersionRules;

/// A partially resolved state: what the checks admitted so far over a starting state (the
/// unconflicted state map, or nothing).
#[derive(Clone)]
pub(crate) struct Partial<'a> {
    base: Option<&'a dyn Unconflicted>,
    pub changes: Changes,
}

impl<'a> Partial<'a> {
    pub fn new(base: Option<&'a dyn Unconflicted>) -> Partial<'a> {
        Partial { base, changes: Changes::default() }
    }

    /// The event the state holds for a key, if the store has it.
    pub fn get(&self, store: &EventStore, kind: &str, state_key: &str) -> Option<usize> {
        if let Some(event) = self.changes.get(kind, state_key) {
            return Some(event);
        }
        match self.base?.entry(kind, state_key) {
            Known::Present(id) => store.find(id),
            Known::Absent | Known::Unknown => None,
        }
    }

    pub fn set(&mut self, store: &EventStore, event: usize) {
        if let Some((kind, state_key)) = store.pdu(event).state_pair() {
            self.changes.set(kind, state_key, event);
        }
    }
}

/// What the rules read while checking `event`: the partial state first, then the event's own
/// auth events (the last listed wins, as in a map built from the list), then in v12 the create
/// event its room id names, since no event lists it. Rejected events are skipped throughout.
struct AuthView<'a, 'b> {
    rules: &'a RoomVersionRules,
    store: &'a EventStore,
    partial: &'a Partial<'b>,
    event: usize,
}

impl StateLookup for AuthView<'_, '_> {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu> {
        let store = self.store;
        let usable = |index: usize| if store.event(index).rejected { None } else { Some(store.pdu(index)) };
        if let Some(found) = self.partial.get(store, kind, state_key).and_then(usable) {
            return Some(found);
        }
        for &index in store.auth_events(self.event).iter().rev() {
            let auth = store.pdu(index);
            if auth.kind == kind && auth.state_key.as_deref() == Some(state_key) {
                if let Some(found) = usable(index) {
                    return Some(found);
                }
            }
        }
        if self.rules.room_id_from_create_event && kind == CREATE && state_key.is_empty() {
            return store.create_from_room_id(self.event).and_then(usable);
        }
        None
    }
}

/// Applies each of `events`, in order, to `partial` if the rules allow it there. Rejected events
/// and events without a state_key are never admitted.
pub(crate) fn iterative_auth_checks(
    rules: &RoomVersionRules,
    check: AuthCheck,
    store: &EventStore,
    partial: &mut Partial<'_>,
    events: &[usize],
) {
    for &event in events {
        let stored = store.event(event);
        if stored.rejected || !stored.pdu.is_state() {
            continue;
        }
        let allowed = {
            let view = AuthView { rules, store, partial, event };
            let signed_by = |server: &str| stored.signed_by(server);
            check(rules, &stored.pdu, &view, &signed_by).is_ok()
        };
        if allowed {
            partial.set(store, event);
        }
    }
}

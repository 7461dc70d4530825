//! The algorithm of https://spec.matrix.org/v1.19/rooms/v2/#algorithm, and v2.1's change to
//! step 2 (https://spec.matrix.org/v1.19/rooms/v12/#algorithm). v2.1's other change, the
//! conflicted state subgraph in the full conflicted set, is the caller's: it is part of the
//! events handed in.

use std::collections::HashSet;

use super::iterative::{iterative_auth_checks, Partial};
use super::ordering::{is_power_event, mainline_order, reverse_topological_power_order};
use super::{AuthCheck, Changes, EventStore, Unconflicted, POWER_LEVELS};
use crate::room_versions::{RoomVersionRules, StateResolution};

/// Steps 1 to 4 over the full conflicted set `full`; returns what the iterative checks
/// admitted. Step 5 (the unconflicted state map wins) is the caller's.
pub(crate) fn resolve(
    rules: &RoomVersionRules,
    check: AuthCheck,
    store: &EventStore,
    unconflicted: &dyn Unconflicted,
    mut full: Vec<usize>,
) -> Changes {
    store.sort_by_id(&mut full);
    full.dedup();
    full.retain(|&event| store.pdu(event).is_state());
    let mut within = vec![false; store.len()];
    for &event in &full {
        within[event] = true;
    }

    // 1. The power events of the full conflicted set and the events of their auth chains in
    //    it, in reverse topological power ordering.
    let power_events: Vec<usize> = full.iter().copied().filter(|&event| is_power_event(store.pdu(event))).collect();
    let sorted_power_events = reverse_topological_power_order(rules, store, &power_events, &within);

    // 2. Iterative auth checks from the unconflicted state map; v2.1 starts from an empty one.
    let start = match rules.state_resolution {
        StateResolution::V2_1 => None,
        StateResolution::V1 | StateResolution::V2 => Some(unconflicted),
    };
    let mut partial = Partial::new(start);
    iterative_auth_checks(rules, check, store, &mut partial, &sorted_power_events);

    // 3. The other events, in mainline ordering based on the partial state's power levels.
    let picked: HashSet<usize> = sorted_power_events.iter().copied().collect();
    let remaining: Vec<usize> = full.iter().copied().filter(|event| !picked.contains(event)).collect();
    let power_levels = partial.get(store, POWER_LEVELS, "");
    let sorted_remaining = mainline_order(store, &remaining, power_levels);

    // 4. Iterative auth checks on the partial state.
    iterative_auth_checks(rules, check, store, &mut partial, &sorted_remaining);

    partial.changes
}

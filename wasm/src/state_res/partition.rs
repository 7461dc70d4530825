//! The sets the algorithms start from: https://spec.matrix.org/v1.19/rooms/v2/#definitions
//! (unconflicted state map and conflicted state set, auth difference) and
//! https://spec.matrix.org/v1.19/rooms/v12/#definitions (conflicted state subgraph).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{EventStore, StateKey, StateMap};

/// The unconflicted state map and the conflicted state set, grouped by key.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub unconflicted: StateMap,
    pub conflicted: BTreeMap<StateKey, BTreeSet<String>>,
}

/// v2: a key is unconflicted when every state set holds it with the same event; otherwise every
/// event the sets hold for it is conflicted (a key some sets lack is conflicted too).
pub fn split_v2(state_sets: &[StateMap]) -> Split {
    let mut split = Split::default();
    let (first, rest) = match state_sets.split_first() {
        Some(parts) => parts,
        None => return split,
    };
    for (key, id) in first {
        if rest.iter().all(|set| set.get(key) == Some(id)) {
            split.unconflicted.insert(key.clone(), id.clone());
        }
    }
    for set in state_sets {
        for (key, id) in set {
            if !split.unconflicted.contains_key(key) {
                split.conflicted.entry(key.clone()).or_default().insert(id.clone());
            }
        }
    }
    split
}

/// v1: "a conflict occurs between states where those states have different event_ids for the
/// same (event_type, state_key)"; the rest of the union of the states is unconflicted, so a key
/// only some states hold is not a conflict.
pub fn split_v1(state_sets: &[StateMap]) -> Split {
    let mut values: BTreeMap<&StateKey, BTreeSet<&String>> = BTreeMap::new();
    for set in state_sets {
        for (key, id) in set {
            values.entry(key).or_default().insert(id);
        }
    }
    let mut split = Split::default();
    for (key, ids) in values {
        if ids.len() == 1 {
            split.unconflicted.insert(key.clone(), ids.into_iter().next().cloned().unwrap_or_default());
        } else {
            split.conflicted.insert(key.clone(), ids.into_iter().cloned().collect());
        }
    }
    split
}

/// ∪ Cᵢ − ∩ Cᵢ: the events some auth chains hold and others do not, sorted.
pub fn auth_difference(auth_chains: &[HashSet<String>]) -> Vec<String> {
    let mut counts: HashMap<&String, usize> = HashMap::new();
    for chain in auth_chains {
        for id in chain {
            *counts.entry(id).or_default() += 1;
        }
    }
    let mut difference: Vec<String> =
        counts.into_iter().filter(|&(_, count)| count < auth_chains.len()).map(|(id, _)| id.clone()).collect();
    difference.sort();
    difference
}

/// The conflicted state subgraph: every event on an `auth_events` path from one conflicted
/// event to another (endpoints included), sorted by event id. One iterative depth-first walk
/// from the conflicted events; an event is on such a path when the walk reached it through an
/// edge (so a conflicted event is above it) and a conflicted event is at or below it.
/// A cycle (possible only with made-up v1/v2 event ids) is cut where the walk meets it.
pub fn conflicted_state_subgraph(store: &EventStore, conflicted: &[usize]) -> Vec<usize> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let is_conflicted: HashSet<usize> = conflicted.iter().copied().collect();
    let mut state: HashMap<usize, u8> = HashMap::new();
    // Whether a conflicted event is at or below the event (known once it is DONE).
    let mut reaches: HashMap<usize, bool> = HashMap::new();
    let mut below_conflicted: HashSet<usize> = HashSet::new();
    for &root in conflicted {
        if state.get(&root).copied().unwrap_or(NEW) != NEW {
            continue;
        }
        // (event, its auth events, how many of them were handled)
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(root, store.auth_events(root).to_vec(), 0)];
        state.insert(root, OPEN);
        while let Some(top) = stack.last_mut() {
            let (event, children, next) = (top.0, &top.1, top.2);
            if next < children.len() {
                let child = children[next];
                top.2 += 1;
                below_conflicted.insert(child);
                match state.get(&child).copied().unwrap_or(NEW) {
                    NEW => {
                        state.insert(child, OPEN);
                        let grandchildren = store.auth_events(child).to_vec();
                        stack.push((child, grandchildren, 0));
                    }
                    OPEN => {} // a cycle: leave the edge out
                    _ => {}
                }
            } else {
                let found = is_conflicted.contains(&event)
                    || children.iter().any(|child| reaches.get(child).copied().unwrap_or(false));
                reaches.insert(event, found);
                state.insert(event, DONE);
                stack.pop();
            }
        }
    }
    let mut subgraph: Vec<usize> = below_conflicted
        .into_iter()
        .filter(|event| reaches.get(event).copied().unwrap_or(false))
        .collect();
    store.sort_by_id(&mut subgraph);
    subgraph
}

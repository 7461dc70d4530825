//! The orderings of https://spec.matrix.org/v1.19/rooms/v2/#definitions: power events, the
//! reverse topological power ordering and the mainline ordering.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use serde_json::Value;

use super::{EventStore, CREATE, JOIN_RULES, MEMBER, POWER_LEVELS};
use crate::pdu::Pdu;
use crate::room_versions::RoomVersionRules;

/// A power level for ordering: v12's creators rank above every integer.
pub type Power = i128;
pub const INFINITE_POWER: Power = i128::MAX;

fn is_type_and_key(pdu: &Pdu, kind: &str, state_key: &str) -> bool {
    pdu.kind == kind && pdu.state_key.as_deref() == Some(state_key)
}

/// A power event: power levels, join rules, or a member event with membership `leave` or `ban`
/// whose sender is not its state_key (a kick or ban). Like Synapse and ruma, the create event
/// counts too: it comes first in the power ordering, having no auth events.
pub fn is_power_event(pdu: &Pdu) -> bool {
    if is_type_and_key(pdu, POWER_LEVELS, "") || is_type_and_key(pdu, JOIN_RULES, "") || is_type_and_key(pdu, CREATE, "") {
        return true;
    }
    if pdu.kind != MEMBER {
        return false;
    }
    let membership = pdu.content.get("membership").and_then(Value::as_str);
    matches!(membership, Some("leave") | Some("ban")) && pdu.state_key.as_deref() != Some(pdu.sender.as_str())
}

/// The power levels event among an event's auth events (the first one listed).
pub fn power_levels_auth_event(store: &EventStore, event: usize) -> Option<usize> {
    store.auth_events(event).iter().copied().find(|&auth| is_type_and_key(store.pdu(auth), POWER_LEVELS, ""))
}

/// A power level value: an integer; before v10 also a string holding an integer (leading and
/// trailing whitespace, one sign, leading zeros) or a float, truncated (the v1 fragments
/// "stringy" and "floaty" power levels). None for anything else.
pub fn power_value(rules: &RoomVersionRules, value: &Value) -> Option<i64> {
    if let Some(integer) = value.as_i64() {
        return Some(integer);
    }
    if rules.integer_power_levels {
        return None;
    }
    match value {
        Value::Number(number) => number.as_f64().filter(|f| f.is_finite()).map(|f| f.trunc() as i64),
        Value::String(text) => {
            let text = text.trim();
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.strip_prefix('+').unwrap_or(text).parse::<i64>().ok()
        }
        _ => None,
    }
}

/// Whether the create event names `user` as a creator: its `content.creator` (v1-v10), its
/// sender (v11+), or one of its `additional_creators` (v12).
fn is_creator(rules: &RoomVersionRules, create: &Pdu, user: &str) -> bool {
    let named = if rules.creator_is_create_sender {
        create.sender == user
    } else {
        create.content.get("creator").and_then(Value::as_str) == Some(user)
    };
    named
        || (rules.privileged_creators
            && match create.content.get("additional_creators") {
                Some(Value::Array(more)) => more.iter().any(|entry| entry.as_str() == Some(user)),
                _ => false,
            })
}

/// "x's sender has greater power level than y's sender, when looking at their respective
/// auth_events": the power levels event among the event's auth events (users, else
/// users_default, else 0); without one, 100 for the room's creator and 0 for anyone else; in
/// v12, infinite for a creator.
pub fn sender_power(rules: &RoomVersionRules, store: &EventStore, event: usize) -> Power {
    let pdu = store.pdu(event);
    let mut power_levels = None;
    let mut create = None;
    for &auth in store.auth_events(event).iter() {
        let auth_pdu = store.pdu(auth);
        if power_levels.is_none() && is_type_and_key(auth_pdu, POWER_LEVELS, "") {
            power_levels = Some(auth_pdu);
        } else if create.is_none() && is_type_and_key(auth_pdu, CREATE, "") {
            create = Some(auth_pdu);
        }
    }
    if rules.room_id_from_create_event {
        create = store.create_from_room_id(event).map(|index| store.pdu(index));
    }
    let is_creator = create.map_or(false, |create| is_creator(rules, create, &pdu.sender));
    if rules.privileged_creators && is_creator {
        return INFINITE_POWER;
    }
    match power_levels {
        Some(power_levels) => {
            let content = &power_levels.content;
            let user = content.get("users").and_then(|users| users.get(&pdu.sender)).and_then(|v| power_value(rules, v));
            let default = content.get("users_default").and_then(|v| power_value(rules, v));
            Power::from(user.or(default).unwrap_or(0))
        }
        None if is_creator => 100,
        None => 0,
    }
}

/// The reverse topological power ordering of `events` (step 1): Kahn's algorithm over their
/// auth events within `within` (indexed by event), taking at each step the smallest candidate by
/// (greater sender power, smaller origin_server_ts, smaller event_id). Events on a cycle are
/// left out.
pub fn reverse_topological_power_order(
    rules: &RoomVersionRules,
    store: &EventStore,
    events: &[usize],
    within: &[bool],
) -> Vec<usize> {
    // The graph: each event and its auth events in `within`, by an iterative walk from
    // `events`. Dense arrays by event index: the store numbers its events from 0.
    let mut in_graph = vec![false; store.len()];
    let mut waiting_for = vec![0usize; store.len()];
    let mut referenced_by: Vec<Vec<usize>> = vec![Vec::new(); store.len()];
    let mut nodes = Vec::new();
    let mut stack: Vec<usize> = events.to_vec();
    while let Some(event) = stack.pop() {
        if in_graph[event] {
            continue;
        }
        in_graph[event] = true;
        nodes.push(event);
        let mut edges: Vec<usize> = store.auth_events(event).iter().copied().filter(|&auth| within[auth]).collect();
        edges.sort_unstable();
        edges.dedup();
        waiting_for[event] = edges.len();
        for auth in edges {
            referenced_by[auth].push(event);
            if !in_graph[auth] {
                stack.push(auth);
            }
        }
    }
    let key = |event: usize| (Reverse(sender_power(rules, store, event)), store.pdu(event).origin_server_ts, store.id(event));
    let mut heap = BinaryHeap::new();
    for &event in &nodes {
        if waiting_for[event] == 0 {
            heap.push(Reverse((key(event), event)));
        }
    }
    let mut sorted = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, event))) = heap.pop() {
        sorted.push(event);
        for &parent in &referenced_by[event] {
            waiting_for[parent] -= 1;
            if waiting_for[parent] == 0 {
                heap.push(Reverse((key(parent), parent)));
            }
        }
    }
    sorted
}

/// The mainline ordering of `events` based on the power levels event `power_levels` (step 3):
/// by greater mainline position (an event whose power levels chain meets no mainline event
/// comes first), then smaller origin_server_ts, then smaller event_id.
pub fn mainline_order(store: &EventStore, events: &[usize], power_levels: Option<usize>) -> Vec<usize> {
    // The mainline: P0, P1 = the power levels event in P0's auth events, ... (positions 0, 1, ...).
    let mut mainline: HashMap<usize, usize> = HashMap::new();
    let mut next = power_levels;
    while let Some(event) = next {
        if mainline.contains_key(&event) {
            break; // a cycle
        }
        mainline.insert(event, mainline.len());
        next = power_levels_auth_event(store, event);
    }
    // position(x) for power levels events x met on the way: x's own position if x is on the
    // mainline, else the position of the power levels event in its auth events (None = ∞).
    let mut memo: HashMap<usize, Option<usize>> = HashMap::new();
    let mut position_of = |event: usize| -> Option<usize> {
        let mut path = Vec::new();
        let mut on_path = HashSet::new();
        let mut current = power_levels_auth_event(store, event);
        let found = loop {
            let at = match current {
                Some(at) => at,
                None => break None,
            };
            if let Some(&position) = mainline.get(&at) {
                break Some(position);
            }
            if let Some(&known) = memo.get(&at) {
                break known;
            }
            if !on_path.insert(at) {
                break None; // a cycle
            }
            path.push(at);
            current = power_levels_auth_event(store, at);
        };
        for at in path {
            memo.insert(at, found);
        }
        found
    };
    let mut keyed: Vec<(Reverse<usize>, i64, &str, usize)> = events
        .iter()
        .map(|&event| {
            let position = position_of(event).unwrap_or(usize::MAX);
            (Reverse(position), store.pdu(event).origin_server_ts, store.id(event), event)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, _, event)| event).collect()
}

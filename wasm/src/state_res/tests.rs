//! Unit tests of the pieces: the splits, the auth difference and subgraph, the orderings, the
//! iterative checks' view of the state, v1's orders, and the operation's protocol. The golden
//! fixtures, shuffles and deep chains are in tests/state_res/.

use std::cell::RefCell;
use std::collections::HashSet;

use serde_json::{json, Value};

use super::iterative::{iterative_auth_checks, Partial};
use super::op::resolve_state_op;
use super::ordering::{is_power_event, mainline_order, power_value, reverse_topological_power_order, sender_power, INFINITE_POWER};
use super::*;
use crate::room_versions::rules_for;

fn event(id: &str, kind: &str, state_key: &str, sender: &str, content: Value, auth: &[&str], ts: i64) -> Value {
    json!({"event_id": id, "room_id": "!r:x", "type": kind, "state_key": state_key, "sender": sender,
           "content": content, "auth_events": auth, "prev_events": [], "origin_server_ts": ts})
}

fn store_of(events: &[Value]) -> EventStore {
    let mut store = EventStore::new();
    for e in events {
        store.insert(None, e).unwrap();
    }
    store
}

fn key(kind: &str, state_key: &str) -> StateKey {
    (kind.to_string(), state_key.to_string())
}

fn map(entries: &[(&str, &str, &str)]) -> StateMap {
    entries.iter().map(|(k, s, id)| (key(k, s), id.to_string())).collect()
}

fn ids(store: &EventStore, events: &[usize]) -> Vec<String> {
    events.iter().map(|&e| store.id(e).to_string()).collect()
}

#[test]
fn v2_split_conflicts_keys_missing_from_a_set_and_v1_does_not() {
    let a = map(&[("t", "", "$1"), ("m", "@a", "$2"), ("only-a", "", "$3")]);
    let b = map(&[("t", "", "$1"), ("m", "@a", "$4")]);
    let v2 = split_v2(&[a.clone(), b.clone()]);
    assert_eq!(v2.unconflicted, map(&[("t", "", "$1")]));
    assert_eq!(v2.conflicted.len(), 2);
    assert_eq!(v2.conflicted[&key("m", "@a")].iter().collect::<Vec<_>>(), vec!["$2", "$4"]);
    let v1 = split_v1(&[a, b]);
    assert_eq!(v1.unconflicted, map(&[("t", "", "$1"), ("only-a", "", "$3")]));
    assert_eq!(v1.conflicted.keys().collect::<Vec<_>>(), vec![&key("m", "@a")]);
    assert_eq!(split_v2(&[]), Split::default());
}

#[test]
fn auth_difference_is_the_union_minus_the_intersection() {
    let chain = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
    let difference = auth_difference(&[chain(&["$a", "$b", "$c"]), chain(&["$a", "$c", "$d"]), chain(&["$a", "$e"])]);
    assert_eq!(difference, vec!["$b", "$c", "$d", "$e"]);
    assert!(auth_difference(&[chain(&["$a"])]).is_empty());
}

#[test]
fn conflicted_subgraph_holds_the_paths_between_conflicted_events() {
    // $top -> $mid -> $bottom (conflicted at both ends), $mid -> $side (leads nowhere),
    // $other (conflicted, unconnected), $bottom -> $root.
    let events = [
        event("$root", "x", "", "@a", json!({}), &[], 0),
        event("$bottom", "x", "1", "@a", json!({}), &["$root"], 0),
        event("$side", "x", "2", "@a", json!({}), &["$root"], 0),
        event("$mid", "x", "3", "@a", json!({}), &["$bottom", "$side"], 0),
        event("$top", "x", "4", "@a", json!({}), &["$mid"], 0),
        event("$other", "x", "5", "@a", json!({}), &["$root"], 0),
    ];
    let store = store_of(&events);
    let conflicted = store.find_all(&["$top", "$bottom", "$other"]);
    assert_eq!(ids(&store, &conflicted_state_subgraph(&store, &conflicted)), vec!["$bottom", "$mid"]);
}

#[test]
fn power_events_are_power_levels_join_rules_create_kicks_and_bans() {
    let pdu = |kind: &str, state_key: &str, sender: &str, membership: &str| {
        crate::pdu::Pdu::from_json(&event("$e", kind, state_key, sender, json!({ "membership": membership }), &[], 0), None).unwrap()
    };
    assert!(is_power_event(&pdu("m.room.power_levels", "", "@a", "")));
    assert!(is_power_event(&pdu("m.room.join_rules", "", "@a", "")));
    assert!(is_power_event(&pdu("m.room.create", "", "@a", "")));
    assert!(is_power_event(&pdu("m.room.member", "@b", "@a", "ban")));
    assert!(is_power_event(&pdu("m.room.member", "@b", "@a", "leave")));
    assert!(!is_power_event(&pdu("m.room.member", "@a", "@a", "leave")));
    assert!(!is_power_event(&pdu("m.room.member", "@b", "@a", "invite")));
    assert!(!is_power_event(&pdu("m.room.power_levels", "x", "@a", "")));
    assert!(!is_power_event(&pdu("m.room.topic", "", "@a", "")));
}

#[test]
fn power_values_read_strings_and_floats_only_before_v10() {
    let v9 = rules_for("9").unwrap();
    let v10 = rules_for("10").unwrap();
    assert_eq!(power_value(v9, &json!(" +0050 ")), Some(50));
    assert_eq!(power_value(v9, &json!("-7")), Some(-7));
    assert_eq!(power_value(v9, &json!(50.9)), Some(50));
    assert_eq!(power_value(v9, &json!("5e1")), None);
    assert_eq!(power_value(v9, &json!("")), None);
    assert_eq!(power_value(v10, &json!("50")), None);
    assert_eq!(power_value(v10, &json!(50)), Some(50));
}

#[test]
fn sender_power_reads_the_auth_events_and_creators() {
    let v10 = rules_for("10").unwrap();
    let v12 = rules_for("12").unwrap();
    let events = [
        event("$create", "m.room.create", "", "@a", json!({"creator": "@a"}), &[], 0),
        event("$pl", "m.room.power_levels", "", "@a", json!({"users": {"@b": 40}, "users_default": 5}), &["$create"], 0),
        event("$by-b", "x", "", "@b", json!({}), &["$create", "$pl"], 0),
        event("$by-c", "x", "", "@c", json!({}), &["$create", "$pl"], 0),
        event("$a-no-pl", "x", "", "@a", json!({}), &["$create"], 0),
        event("$c-no-pl", "x", "", "@c", json!({}), &["$create"], 0),
    ];
    let store = store_of(&events);
    let power = |id: &str| sender_power(v10, &store, store.find(id).unwrap());
    assert_eq!((power("$by-b"), power("$by-c"), power("$a-no-pl"), power("$c-no-pl")), (40, 5, 100, 0));
    // v12: the room id names the create event; its sender and additional creators are infinite.
    let mut v12_events = vec![
        json!({"event_id": "$c12", "type": "m.room.create", "state_key": "", "sender": "@a",
               "content": {"room_version": "12", "additional_creators": ["@d"]}}),
        json!({"event_id": "$pl12", "room_id": "!c12", "type": "m.room.power_levels", "state_key": "", "sender": "@a",
               "content": {"users": {"@b": 100}}, "auth_events": []}),
    ];
    for sender in ["@a", "@b", "@d"] {
        v12_events.push(json!({"event_id": format!("$by{sender}"), "room_id": "!c12", "type": "x", "state_key": "",
                               "sender": sender, "content": {}, "auth_events": ["$pl12"]}));
    }
    let store = store_of(&v12_events);
    let power = |id: &str| sender_power(v12, &store, store.find(id).unwrap());
    assert_eq!((power("$by@a"), power("$by@b"), power("$by@d")), (INFINITE_POWER, 100, INFINITE_POWER));
}

#[test]
fn reverse_topological_power_order_respects_edges_then_power_then_time_then_id() {
    let v10 = rules_for("10").unwrap();
    let events = [
        event("$create", "m.room.create", "", "@a", json!({"creator": "@a"}), &[], 0),
        event("$pl", "m.room.power_levels", "", "@a", json!({"users": {"@a": 100, "@b": 50, "@c": 50}}), &["$create"], 1),
        // Three events citing $pl: b and c tie on power (c earlier), a ranks first; $z and $y tie
        // on everything but the id.
        event("$from-b", "m.room.join_rules", "", "@b", json!({}), &["$create", "$pl"], 5),
        event("$from-c", "m.room.join_rules", "", "@c", json!({}), &["$create", "$pl"], 4),
        event("$from-a", "m.room.join_rules", "", "@a", json!({}), &["$create", "$pl"], 9),
        event("$z", "m.room.join_rules", "", "@b", json!({}), &["$create", "$pl"], 7),
        event("$y", "m.room.join_rules", "", "@b", json!({}), &["$create", "$pl"], 7),
        // Cites $from-c: after it, whatever its power.
        event("$after-c", "m.room.join_rules", "", "@a", json!({}), &["$create", "$pl", "$from-c"], 0),
    ];
    let store = store_of(&events);
    let all: Vec<usize> = (0..store.len()).collect();
    let within = vec![true; store.len()];
    let sorted = reverse_topological_power_order(v10, &store, &all, &within);
    // $create (no edges) first, $pl (only one ready), then a's, then among 50s by time;
    // $after-c becomes ready after $from-c and outranks the rest.
    assert_eq!(ids(&store, &sorted), vec!["$create", "$pl", "$from-a", "$from-c", "$after-c", "$from-b", "$y", "$z"]);
}

#[test]
fn mainline_order_puts_older_power_levels_first_and_unknown_ones_before_all() {
    let events = [
        event("$pl0", "m.room.power_levels", "", "@a", json!({}), &[], 0),
        event("$pl1", "m.room.power_levels", "", "@a", json!({}), &["$pl0"], 0),
        event("$pl2", "m.room.power_levels", "", "@a", json!({}), &["$pl1"], 0),
        event("$side", "m.room.power_levels", "", "@a", json!({}), &["$pl0"], 0),
        event("$on-2", "t", "", "@a", json!({}), &["$pl2"], 1),
        event("$on-1", "t", "", "@a", json!({}), &["$pl1"], 9),
        event("$via-side", "t", "", "@a", json!({}), &["$side"], 5),
        event("$none", "t", "", "@a", json!({}), &[], 99),
        event("$on-1-early", "t", "", "@a", json!({}), &["$pl1"], 3),
    ];
    let store = store_of(&events);
    let events: Vec<usize> = store.find_all(&["$on-2", "$on-1", "$via-side", "$none", "$on-1-early"]);
    let p = store.find("$pl2");
    // Positions: $none ∞; $via-side -> $side -> $pl0 (2); $on-1* -> $pl1 (1); $on-2 (0).
    assert_eq!(ids(&store, &mainline_order(&store, &events, p)), vec!["$none", "$via-side", "$on-1-early", "$on-1", "$on-2"]);
    // Without a power levels event every position is ∞: time, then id.
    assert_eq!(ids(&store, &mainline_order(&store, &events, None)), vec!["$on-2", "$on-1-early", "$via-side", "$on-1", "$none"]);
}

thread_local! {
    /// What the scripted check saw: (event, the m.room.member event of @b it was given).
    static SEEN: RefCell<Vec<(String, Option<String>)>> = RefCell::new(Vec::new());
}

/// Allows everything, recording the member event of @b the state shows.
fn recording_check(
    _: &crate::room_versions::RoomVersionRules,
    event: &crate::pdu::Pdu,
    state: &dyn crate::event_auth::StateLookup,
    _: &dyn Fn(&str) -> bool,
) -> Result<(), crate::event_auth::Rejection> {
    let member = state.get("m.room.member", "@b").map(|pdu| pdu.event_id.clone());
    SEEN.with(|seen| seen.borrow_mut().push((event.event_id.clone(), member)));
    Ok(())
}

#[test]
fn iterative_checks_read_the_state_then_unrejected_auth_events() {
    let v10 = rules_for("10").unwrap();
    let events = [
        event("$b-old", "m.room.member", "@b", "@b", json!({"membership": "join"}), &[], 0),
        event("$b-rejected", "m.room.member", "@b", "@b", json!({"membership": "join"}), &[], 0),
        event("$b-new", "m.room.member", "@b", "@b", json!({"membership": "join"}), &[], 0),
        event("$first", "t", "1", "@b", json!({}), &["$b-old", "$b-rejected"], 0),
        event("$second", "t", "2", "@b", json!({}), &["$b-old"], 0),
        event("$rejected-topic", "t", "3", "@b", json!({}), &["$b-old"], 0),
    ];
    let mut store = store_of(&events);
    store.mark_rejected("$b-rejected");
    store.mark_rejected("$rejected-topic");
    let order = store.find_all(&["$first", "$b-new", "$second", "$rejected-topic"]);
    let order: Vec<usize> = ["$first", "$b-new", "$second", "$rejected-topic"]
        .iter()
        .map(|id| order.iter().copied().find(|&e| store.id(e) == *id).unwrap())
        .collect();
    SEEN.with(|seen| seen.borrow_mut().clear());
    let mut partial = Partial::new(None);
    iterative_auth_checks(v10, recording_check, &store, &mut partial, &order);
    let seen = SEEN.with(|seen| seen.borrow().clone());
    let opt = |s: &str| Some(s.to_string());
    // $first: the state has no @b, the rejected auth event is skipped for the earlier one;
    // $b-new: auth events empty; $second: the state's $b-new beats its auth event;
    // the rejected topic is never checked.
    assert_eq!(
        seen,
        vec![("$first".to_string(), opt("$b-old")), ("$b-new".to_string(), None), ("$second".to_string(), opt("$b-new"))]
    );
    assert_eq!(partial.changes.get("t", "3"), None);
    assert_eq!(partial.changes.get("m.room.member", "@b"), store.find("$b-new"));
}

/// Rejects every event whose content says so.
fn scripted_check(
    _: &crate::room_versions::RoomVersionRules,
    event: &crate::pdu::Pdu,
    _: &dyn crate::event_auth::StateLookup,
    _: &dyn Fn(&str) -> bool,
) -> Result<(), crate::event_auth::Rejection> {
    if event.content.get("reject").is_some() {
        Err(crate::event_auth::Rejection { rule: "0".into(), reason: "scripted".into() })
    } else {
        Ok(())
    }
}

#[test]
fn v1_other_events_take_the_highest_depth_allowed() {
    let v1 = rules_for("1").unwrap();
    let topic = |id: &str, depth: i64, reject: bool| {
        let mut e = event(id, "m.room.topic", "", "@a", if reject { json!({"reject": true}) } else { json!({}) }, &[], 0);
        e["depth"] = json!(depth);
        e
    };
    let store = store_of(&[topic("$low", 1, false), topic("$high", 3, true), topic("$mid", 2, false)]);
    let sets: Vec<StateMap> = ["$low", "$high", "$mid"].iter().map(|id| map(&[("m.room.topic", "", id)])).collect();
    let resolved = resolve_with(v1, scripted_check, &sets, &[], &store);
    assert_eq!(resolved.get(&key("m.room.topic", "")).map(String::as_str), Some("$mid"));
}

fn op(input: Value) -> Result<Value, String> {
    resolve_state_op(input.to_string().as_bytes()).map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn the_operation_asks_for_what_it_was_not_sent_then_answers() {
    let create = event("$create", "m.room.create", "", "@a", json!({"creator": "@a", "room_version": "10"}), &[], 0);
    let join = event("$join", "m.room.member", "@a", "@a", json!({"membership": "join"}), &["$create"], 1);
    let topic_1 = event("$t1", "m.room.topic", "", "@a", json!({"topic": "1"}), &["$create", "$join"], 2);
    let topic_2 = event("$t2", "m.room.topic", "", "@a", json!({"topic": "2"}), &["$create", "$join"], 3);
    let pair = |e: &Value| json!([e["event_id"], e]);
    let mut request = json!({"room_version": "10", "conflicted": ["$t1", "$t2"], "auth_difference": [],
                             "events": [pair(&topic_1), pair(&topic_2)]});
    let asked = op(request.clone()).unwrap();
    assert_eq!(asked["missing_events"], json!(["$create", "$join"]));
    assert!(asked.get("resolved").is_none());
    request["events"].as_array_mut().unwrap().extend([pair(&create), pair(&join)]);
    let asked = op(request.clone()).unwrap();
    assert_eq!(asked["missing_state"], json!([["m.room.create", ""], ["m.room.member", "@a"], ["m.room.power_levels", ""]]));
    request["unconflicted"] = json!([["m.room.create", "", "$create"], ["m.room.member", "@a", "$join"], ["m.room.power_levels", "", null]]);
    // Later origin_server_ts wins among equals.
    assert_eq!(op(request.clone()).unwrap(), json!({"resolved": [["m.room.topic", "", "$t2"]]}));
    // An event the caller cannot supply is not asked for.
    request["events"] = json!([pair(&topic_1), pair(&topic_2), pair(&create)]);
    request["unavailable"] = json!(["$join"]);
    assert_eq!(op(request).unwrap(), json!({"resolved": []}));
}

#[test]
fn the_operation_refuses_malformed_input() {
    let e = event("$e", "t", "", "@a", json!({}), &[], 0);
    assert!(op(json!({"room_version": "99"})).unwrap_err().contains("unknown room version"));
    assert!(op(json!({})).is_err());
    assert!(resolve_state_op(b"{").is_err());
    assert!(op(json!({"room_version": "10", "events": [["$e"]]})).is_err());
    assert!(op(json!({"room_version": "10", "conflicted": [1]})).is_err());
    let mut other = e.clone();
    other["content"] = json!({"x": 1});
    assert!(op(json!({"room_version": "10", "events": [["$e", e], ["$e", other]]})).unwrap_err().contains("two different events"));
    assert!(op(json!({"room_version": "10", "unconflicted": [["t", "", "$a"], ["t", "", "$b"]]})).unwrap_err().contains("two values"));
}

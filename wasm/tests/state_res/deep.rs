//! A 100,000-event auth chain: every walk (auth difference, conflicted state subgraph, the
//! power ordering's graph, mainlines) must be iterative, or this overflows the test thread's
//! 2 MiB stack.

use std::collections::HashSet;

use myelin_core::room_versions::rules_for;
use myelin_core::state_res::{resolve, StateMap};
use serde_json::{json, Value};

use crate::support::{key_of, Room};

const LENGTH: usize = 100_000;

/// create, alice's join, then LENGTH + 1 power levels events each citing the previous one,
/// and two topics: one citing the first power levels event, one the last.
fn chain_events(version: &str) -> Vec<Value> {
    let v12 = version == "12";
    let alice = "@alice:example.com";
    let room_id = if v12 { "!create" } else { "!room:example.com" };
    let with_create = |mut auth: Vec<String>| {
        if !v12 {
            auth.insert(0, "$create".to_string());
        }
        auth
    };
    let event = |id: &str, kind: &str, state_key: &str, content: Value, auth: Vec<String>, ts: usize| {
        json!({"event_id": id, "room_id": room_id, "sender": alice, "type": kind, "state_key": state_key,
               "content": content, "origin_server_ts": ts, "prev_events": [], "auth_events": auth})
    };
    let mut create_content = json!({"room_version": version});
    if !v12 {
        create_content["creator"] = json!(alice);
    }
    let mut events = vec![
        event("$create", "m.room.create", "", create_content, vec![], 0),
        event("$join", "m.room.member", alice, json!({"membership": "join"}), with_create(vec![]), 1),
    ];
    for i in 0..=LENGTH {
        let mut auth = vec!["$join".to_string()];
        if i > 0 {
            auth.push(format!("$pl{}", i - 1));
        }
        let users = if v12 { json!({}) } else { json!({ alice: 100 }) };
        events.push(event(&format!("$pl{i}"), "m.room.power_levels", "", json!({"users": users, "events_default": i % 50}), with_create(auth), 2 + i));
    }
    let old = format!("$pl{}", 0);
    let new = format!("$pl{LENGTH}");
    // The topic under the oldest power levels has the later timestamp: only the mainline
    // (position LENGTH against 0) puts it first.
    events.push(event("$topic-old", "m.room.topic", "", json!({"topic": "old"}), with_create(vec!["$join".into(), old]), 9_000_000));
    events.push(event("$topic-new", "m.room.topic", "", json!({"topic": "new"}), with_create(vec!["$join".into(), new]), 1));
    events
}

fn resolve_chain(version: &str) -> StateMap {
    let events = chain_events(version);
    let store = Room::store_of(events.iter());
    let state = |ids: &[&str]| -> StateMap {
        ids.iter().map(|id| (key_of(events.iter().find(|e| e["event_id"] == *id).unwrap()), id.to_string())).collect()
    };
    let newest = format!("$pl{LENGTH}");
    let sets = vec![
        state(&["$create", "$join", "$pl0", "$topic-old"]),
        state(&["$create", "$join", newest.as_str(), "$topic-new"]),
    ];
    // The auth chains, by construction: every power levels event cites the one before it.
    let base: HashSet<String> = ["$create", "$join"].iter().map(|s| s.to_string()).collect();
    let mut old = base.clone();
    old.insert("$pl0".to_string());
    let mut new = base;
    new.extend((0..=LENGTH).map(|i| format!("$pl{i}")));
    resolve(rules_for(version).unwrap(), &sets, &[old, new], &store)
}

fn assert_newest_wins(version: &str) {
    let resolved = resolve_chain(version);
    let get = |kind: &str| resolved.get(&(kind.to_string(), String::new())).cloned();
    assert_eq!(get("m.room.power_levels"), Some(format!("$pl{LENGTH}")), "room version {version}");
    assert_eq!(get("m.room.topic"), Some("$topic-new".to_string()), "room version {version}");
}

#[test]
fn a_100k_auth_chain_resolves_in_v2() {
    assert_newest_wins("10");
}

#[test]
fn a_100k_auth_chain_resolves_in_v2_1() {
    // v2.1 also walks the conflicted state subgraph: every power levels event lies between
    // the two conflicted ones.
    assert_newest_wins("12");
}

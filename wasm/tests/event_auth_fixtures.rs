//! Runs the auth rule fixtures shared with the TypeScript tests (tests/fixtures/auth/*.json)
//! through the wasm operations, one check at a time and as one batch per file.
//!
//! A fixture file: `room_version`, `events` (PDUs with `event_id`), and `cases`, each with
//! `event` and `state` (event ids), `expected` ("allow" or "reject"), `rule` when rejected,
//! and optionally `check_auth_events` (also run the rule on the event's auth_events list),
//! `rejected` (auth event ids that were rejected) and `signed_by` (servers that signed).

use myelin_core::event_auth::op::{event_auth_check_batch_op, event_auth_check_op};
use serde_json::{json, Value};
use std::fs;
use std::path::PathBuf;

fn fixtures() -> Vec<(String, Value)> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth");
    let mut files: Vec<_> = fs::read_dir(&folder).expect("fixture folder").map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|path| path.extension().map_or(false, |ext| ext == "json"))
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            (path.file_name().unwrap().to_string_lossy().into_owned(), serde_json::from_str(&text).expect("fixture is JSON"))
        })
        .collect()
}

fn event<'a>(file: &'a Value, id: &str) -> &'a Value {
    file["events"].as_array().unwrap().iter().find(|e| e["event_id"] == id).unwrap_or_else(|| panic!("no event {id}"))
}

fn index(file: &Value, id: &str) -> usize {
    file["events"].as_array().unwrap().iter().position(|e| e["event_id"] == id).unwrap_or_else(|| panic!("no event {id}"))
}

/// The expected outcome as the operations write it.
fn expected(case: &Value) -> Value {
    match case["expected"].as_str() {
        Some("allow") => json!({"allowed": true}),
        Some("reject") => json!({"allowed": false, "rule": case["rule"].as_str().expect("a rejection names its rule")}),
        other => panic!("expected is {other:?}"),
    }
}

/// The operation's result without its reason (the sentence is for people, the rule is fixed).
fn without_reason(mut result: Value) -> Value {
    if let Some(object) = result.as_object_mut() {
        object.remove("reason");
    }
    result
}

fn ids(value: &Value) -> Vec<&str> {
    value.as_array().map(|list| list.iter().map(|id| id.as_str().unwrap()).collect()).unwrap_or_default()
}

#[test]
fn every_fixture_case_one_at_a_time() {
    let mut count = 0;
    for (name, file) in fixtures() {
        for case in file["cases"].as_array().unwrap() {
            let subject = event(&file, case["event"].as_str().unwrap());
            let mut input = json!({
                "room_version": file["room_version"],
                "event": subject,
                "state": ids(&case["state"]).into_iter().map(|id| event(&file, id)).collect::<Vec<_>>(),
                "signed_by": case.get("signed_by").cloned().unwrap_or(json!([])),
            });
            if case["check_auth_events"] == true {
                input["auth_events"] = json!(ids(&subject["auth_events"]).into_iter().map(|id| event(&file, id)).collect::<Vec<_>>());
                input["rejected"] = case.get("rejected").cloned().unwrap_or(json!([]));
            }
            let output = event_auth_check_op(input.to_string().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let result: Value = serde_json::from_slice(&output).unwrap();
            assert_eq!(without_reason(result.clone()), expected(case), "{name}: {} gave {result}", case["name"]);
            if result["allowed"] == false {
                assert!(!result["reason"].as_str().unwrap().is_empty());
            }
            count += 1;
        }
    }
    assert!(count >= 60, "only {count} fixture cases");
}

#[test]
fn every_fixture_file_as_one_batch() {
    for (name, file) in fixtures() {
        let cases = file["cases"].as_array().unwrap();
        let checks: Vec<Value> = cases
            .iter()
            .map(|case| {
                let subject = event(&file, case["event"].as_str().unwrap());
                let mut check = json!({
                    "event": index(&file, case["event"].as_str().unwrap()),
                    "state": ids(&case["state"]).into_iter().map(|id| index(&file, id)).collect::<Vec<_>>(),
                    "signed_by": case.get("signed_by").cloned().unwrap_or(json!([])),
                });
                if case["check_auth_events"] == true {
                    check["auth_events"] = json!(ids(&subject["auth_events"]).into_iter().map(|id| index(&file, id)).collect::<Vec<_>>());
                    check["rejected"] = json!(ids(case.get("rejected").unwrap_or(&json!([]))).into_iter().map(|id| index(&file, id)).collect::<Vec<_>>());
                }
                check
            })
            .collect();
        let input = json!({"room_version": file["room_version"], "events": file["events"], "checks": checks});
        let output = event_auth_check_batch_op(input.to_string().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let results: Vec<Value> = serde_json::from_slice(&output).unwrap();
        assert_eq!(results.len(), cases.len());
        for (case, result) in cases.iter().zip(results) {
            assert_eq!(without_reason(result), expected(case), "{name}: {}", case["name"]);
        }
    }
}

#[test]
fn malformed_inputs_are_errors_not_rejections() {
    let event = json!({"event_id": "$e", "room_id": "!r:x", "sender": "@a:x", "type": "m.room.message", "content": {},
        "auth_events": ["$missing"]});
    for input in [
        json!({"room_version": "99", "event": event, "state": []}),
        json!({"event": event, "state": []}),
        json!({"room_version": "10", "state": []}),
        json!({"room_version": "10", "event": event, "state": [{"type": "m.room.create"}]}),
        json!({"room_version": "10", "event": event, "state": [], "auth_events": []}),
        json!({"room_version": "10", "event": event, "state": "no"}),
    ] {
        assert!(event_auth_check_op(input.to_string().as_bytes()).is_err(), "{input}");
    }
    assert!(event_auth_check_op(b"not json").is_err());
    let batch = json!({"room_version": "10", "events": [event], "checks": [{"event": 1, "state": []}]});
    assert!(event_auth_check_batch_op(batch.to_string().as_bytes()).is_err());
}

#[test]
fn state_sent_once_is_kept_by_token() {
    let file = &fixtures().into_iter().find(|(name, _)| name == "soft_fail_tuwunel.json").unwrap().1;
    let leave = event(file, "$ghost_delayed_leave");
    let state = |ids: &[&str]| ids.iter().map(|id| event(file, id).clone()).collect::<Vec<_>>();
    let check = |input: Value| -> Result<Value, String> {
        event_auth_check_op(input.to_string().as_bytes()).map(|out| without_reason(serde_json::from_slice(&out).unwrap()))
    };
    // Tokens far from any other test's (tests share the thread-local cache only per thread).
    let joined = state(&["$create", "$alice_join", "$power", "$join_rules", "$ghost_join"]);
    let first = json!({"room_version": "10", "event": leave, "state": joined, "state_tokens": [900001, 900002, 900003, 900004, 900005]});
    assert_eq!(check(first).unwrap(), json!({"allowed": true}));
    let by_token = json!({"room_version": "10", "event": leave, "state": [900001, 900002, 900003, 900004, 900005]});
    assert_eq!(check(by_token).unwrap(), json!({"allowed": true}));
    // Mixed: four kept events and one sent, which changes the outcome.
    let left = event(file, "$ghost_current_leave");
    let mixed = json!({"room_version": "10", "event": leave, "state": [900001, 900002, 900003, 900004, left]});
    assert_eq!(check(mixed).unwrap(), json!({"allowed": false, "rule": "4.5.1"}));
    let unknown = json!({"room_version": "10", "event": leave, "state": [900001, 123456789]});
    assert!(check(unknown).unwrap_err().starts_with(myelin_core::event_auth::op::CACHE_MISS));
}

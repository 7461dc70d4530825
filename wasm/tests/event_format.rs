//! The event format against the golden cases shared with the TypeScript tests
//! (tests/fixtures/events.json, computed by an independent implementation: make_events.py),
//! through the functions and through the batch operations the host calls; then properties
//! over generated events: redaction is idempotent, ids ignore key order, `unsigned` and
//! `signatures`, and follow every key redaction keeps.

use myelin_core::event_format::hashes::{content_hash, hash_event, redacted_bytes};
use myelin_core::event_format::ops::{
    event_hashes_op, event_inspect_op, event_prepare_op, event_redact_op, event_validate_op,
};
use myelin_core::event_format::redaction::redact;
use myelin_core::event_format::validate::validate;
use myelin_core::base64;
use myelin_core::event_format::FormatIssue;
use myelin_core::room_versions::{rules_for, ROOM_VERSIONS};
use serde_json::{json, Map, Value};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/events.json")).expect("fixture is JSON")
}

fn cases(fixture: &Value) -> &Vec<Value> {
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() > 150);
    cases
}

fn issue_matches(issue: &FormatIssue, expected: &Value) -> bool {
    let json = issue.to_json();
    json["code"] == expected["code"] && (expected.get("key").is_none() || json["key"] == expected["key"])
}

#[test]
fn validation_gives_the_expected_issue() {
    let fixture = fixture();
    let mut invalid = 0;
    for case in cases(&fixture) {
        let name = case["name"].as_str().unwrap();
        let rules = rules_for(case["room_version"].as_str().unwrap()).unwrap();
        let result = validate(rules, &case["event"], &mut Vec::new());
        match &case["valid"] {
            Value::Bool(true) => assert_eq!(result, Ok(()), "{name}"),
            expected => {
                invalid += 1;
                let issue = result.expect_err(name);
                assert!(issue_matches(&issue, expected), "{name}: got {}, expected {expected}", issue.to_json());
            }
        }
    }
    assert!(invalid > 50);
}

#[test]
fn hashes_ids_and_redactions_match_the_reference() {
    let fixture = fixture();
    let mut scratch = Vec::new();
    let mut checked_versions = std::collections::BTreeSet::new();
    for case in cases(&fixture) {
        let name = case["name"].as_str().unwrap();
        let rules = rules_for(case["room_version"].as_str().unwrap()).unwrap();
        let event = case["event"].as_object().unwrap();
        let hashes = hash_event(rules, event, &mut scratch);
        let expected = match case.get("expected") {
            Some(expected) => expected,
            None => {
                assert!(hashes.is_err(), "{name}: hashing should fail");
                continue;
            }
        };
        let hashes = hashes.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(hashes.event_id, expected["event_id"].as_str().unwrap(), "{name}");
        assert_eq!(hashes.room_id.as_deref(), expected["room_id"].as_str(), "{name}");
        assert_eq!(base64::encode(&hashes.content_hash), expected["content_hash"].as_str().unwrap(), "{name}");
        assert_eq!(base64::encode(&hashes.reference_hash), expected["reference_hash"].as_str().unwrap(), "{name}");
        redacted_bytes(rules, event, &mut scratch).unwrap();
        assert_eq!(std::str::from_utf8(&scratch).unwrap(), expected["signing_bytes"].as_str().unwrap(), "{name}");
        assert_eq!(Value::Object(redact(rules, event).unwrap()), expected["redacted"], "{name}");
        checked_versions.insert(rules.id);
    }
    assert_eq!(checked_versions.len(), ROOM_VERSIONS.len());
}

fn batch(version: &str, events: &[&Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"room_version": version, "events": events})).unwrap()
}

fn answers(output: Result<Vec<u8>, String>) -> Vec<Value> {
    serde_json::from_slice::<Value>(&output.unwrap()).unwrap().as_array().unwrap().clone()
}

#[test]
fn the_batch_operations_agree_with_the_reference() {
    let fixture = fixture();
    for rules in ROOM_VERSIONS.iter() {
        let cases: Vec<&Value> = cases(&fixture).iter().filter(|c| c["room_version"] == rules.id).collect();
        let events: Vec<&Value> = cases.iter().map(|c| &c["event"]).collect();
        let input = batch(rules.id, &events);
        let hashes = answers(event_hashes_op(&input));
        let redacted = answers(event_redact_op(&input));
        let valid = answers(event_validate_op(&input));
        let inspected = answers(event_inspect_op(&input));
        assert_eq!(hashes.len(), cases.len());
        for (i, case) in cases.iter().enumerate() {
            let name = case["name"].as_str().unwrap();
            match case.get("expected") {
                Some(expected) => {
                    for key in ["event_id", "room_id", "content_hash", "reference_hash"] {
                        assert_eq!(hashes[i]["ok"][key], expected[key], "{name}: {key}");
                    }
                    assert_eq!(redacted[i]["ok"], expected["redacted"], "{name}");
                }
                None => assert!(hashes[i].get("error").is_some(), "{name}"),
            }
            if case["valid"] == true {
                assert_eq!(valid[i], json!({"ok": null}), "{name}");
                let expected = &case["expected"];
                let ok = &inspected[i]["ok"];
                assert_eq!(ok["event_id"], expected["event_id"], "{name}");
                assert_eq!(ok["signing_bytes"], expected["signing_bytes"], "{name}");
                // The fixture's hashes are placeholders: every valid case is to be redacted.
                assert_eq!(ok["content_hash_ok"], false, "{name}");
                assert_eq!(ok["redacted"], expected["redacted"], "{name}");
            } else {
                assert_eq!(valid[i]["error"]["code"], case["valid"]["code"], "{name}");
                assert_eq!(inspected[i]["error"]["code"], case["valid"]["code"], "{name}");
            }
        }
    }
}

#[test]
fn batch_operations_refuse_bad_batches_but_not_bad_events() {
    for input in [&b"[]"[..], b"{\"room_version\":\"99\",\"events\":[]}", b"{\"room_version\":\"1\"}", b"{", b""] {
        assert!(event_hashes_op(input).is_err(), "{}", String::from_utf8_lossy(input));
    }
    let output = answers(event_hashes_op(br#"{"room_version":"11","events":[1,{"type":"t","content":{}},[]]}"#));
    assert_eq!(output[0]["error"]["code"], "not_an_object");
    assert!(output[1]["ok"]["event_id"].as_str().unwrap().starts_with('$'));
    assert_eq!(output[2]["error"]["code"], "not_an_object");
    assert_eq!(answers(event_hashes_op(br#"{"room_version":"11","events":[]}"#)), Vec::<Value>::new());
}

#[test]
fn prepare_sets_the_content_hash_and_answers_what_to_sign() {
    let event = json!({"type": "m.room.message", "sender": "@a:x", "room_id": "!r:x", "content": {"body": "hi"},
        "hashes": {"sha512": "keep", "sha256": "replace"}, "signatures": {"y": {"ed25519:1": "other"}},
        "prev_events": [], "auth_events": [], "depth": 1, "origin_server_ts": 1});
    for rules in ROOM_VERSIONS.iter().filter(|r| r.id != "1" && r.id != "2") {
        let prepared = answers(event_prepare_op(&batch(rules.id, &[&event])));
        let ok = &prepared[0]["ok"];
        let hash = content_hash(rules, event.as_object().unwrap(), &mut Vec::new()).unwrap();
        assert_eq!(ok["hashes"], json!({"sha256": base64::encode(&hash), "sha512": "keep"}));
        let mut with_hash = event.clone();
        with_hash["hashes"] = ok["hashes"].clone();
        let hashes = hash_event(rules, with_hash.as_object().unwrap(), &mut Vec::new()).unwrap();
        assert_eq!(ok["event_id"], json!(hashes.event_id));
        let mut signing = Vec::new();
        redacted_bytes(rules, with_hash.as_object().unwrap(), &mut signing).unwrap();
        assert_eq!(ok["signing_bytes"], json!(String::from_utf8(signing).unwrap()));
    }
    let v1 = answers(event_prepare_op(&batch("1", &[&event])));
    assert_eq!(v1[0]["error"], json!({"code": "missing_key", "key": "event_id", "message": "`event_id` is missing"}));
}

// Properties over generated events.

/// xorshift64*: reproducible without a crate; a failure names its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TYPES: [&str; 10] = [
    "m.room.member",
    "m.room.create",
    "m.room.join_rules",
    "m.room.power_levels",
    "m.room.aliases",
    "m.room.history_visibility",
    "m.room.redaction",
    "m.room.message",
    "m.room.name",
    "org.example.custom",
];
const CONTENT_KEYS: [&str; 22] = [
    "membership",
    "join_authorised_via_users_server",
    "third_party_invite",
    "creator",
    "room_version",
    "additional_creators",
    "join_rule",
    "allow",
    "ban",
    "events",
    "events_default",
    "invite",
    "kick",
    "redact",
    "state_default",
    "users",
    "users_default",
    "notifications",
    "aliases",
    "history_visibility",
    "redacts",
    "body",
];
// Not `event_id`: v1/v2 ids are that string, so it stays one.
const TOP_KEYS: [&str; 10] =
    ["origin", "membership", "prev_state", "unsigned", "redacts", "state_key", "extra", "age", "outlier", "hashes"];

fn value(random: &mut Random, depth: usize) -> Value {
    match random.below(if depth > 2 { 4 } else { 7 }) {
        0 => json!(null),
        1 => json!(random.below(2) == 1),
        2 => json!(random.below(1000) as i64 - 500),
        3 => json!(random.pick(&["", "x", "@a:x", "é\u{2028}\"", "$e"])),
        4 => Value::Array((0..random.below(3)).map(|_| value(random, depth + 1)).collect()),
        5 if random.below(2) == 0 => json!({"signed": value(random, depth + 1), "display_name": "d"}),
        _ => {
            let mut map = Map::new();
            for _ in 0..random.below(4) {
                map.insert(random.pick(&CONTENT_KEYS).to_owned(), value(random, depth + 1));
            }
            Value::Object(map)
        }
    }
}

fn event(random: &mut Random) -> Value {
    let mut content = Map::new();
    for _ in 0..random.below(8) {
        content.insert(random.pick(&CONTENT_KEYS).to_owned(), value(random, 1));
    }
    let mut event = json!({"type": random.pick(&TYPES), "sender": "@a:example.org", "room_id": "!r:example.org",
        "event_id": "$e:example.org", "content": content, "depth": random.below(100), "origin_server_ts": 5,
        "prev_events": ["$p"], "auth_events": [], "hashes": {"sha256": "h"}, "signatures": {"example.org": {"ed25519:1": "s"}}});
    for _ in 0..random.below(5) {
        event[random.pick(&TOP_KEYS)] = value(random, 1);
    }
    event
}

/// JSON text with every object's keys in a random order.
fn shuffled_text(value: &Value, random: &mut Random, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, random.below(i + 1));
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(key).unwrap());
                out.push_str(" : ");
                shuffled_text(item, random, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                shuffled_text(item, random, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[test]
fn redaction_is_idempotent() {
    let mut redacted_something = 0;
    for seed in 1..=3000u64 {
        let mut random = Random(seed);
        let event = event(&mut random);
        let rules = &ROOM_VERSIONS[random.below(ROOM_VERSIONS.len())];
        let once = redact(rules, event.as_object().unwrap()).unwrap();
        let twice = redact(rules, &once).unwrap();
        assert_eq!(once, twice, "seed {seed}, v{}", rules.id);
        if Value::Object(once) != event {
            redacted_something += 1;
        }
        // A redacted event's id is the original's: the reference hash already redacts.
        let mut scratch = Vec::new();
        let original = hash_event(rules, event.as_object().unwrap(), &mut scratch).unwrap();
        let of_redacted = hash_event(rules, &redact(rules, event.as_object().unwrap()).unwrap(), &mut scratch).unwrap();
        assert_eq!(original.event_id, of_redacted.event_id, "seed {seed}");
        assert_eq!(original.reference_hash, of_redacted.reference_hash, "seed {seed}");
    }
    assert!(redacted_something > 2500, "the generator makes events redaction changes");
}

#[test]
fn ids_ignore_key_order_and_what_signatures_do_not_cover() {
    for seed in 1..=1000u64 {
        let mut random = Random(seed);
        let event = event(&mut random);
        let rules = &ROOM_VERSIONS[random.below(ROOM_VERSIONS.len())];
        let mut text = String::new();
        shuffled_text(&event, &mut random, &mut text);
        let input = format!(
            r#"{{"room_version":"{}","events":[{}, {}]}}"#,
            rules.id,
            serde_json::to_string(&event).unwrap(),
            text
        );
        let output = answers(event_hashes_op(input.as_bytes()));
        assert_eq!(output[0], output[1], "seed {seed}: {text}");
        assert!(output[0].get("ok").is_some(), "seed {seed}");

        let mut changed = event.clone();
        changed["unsigned"] = json!({"age": seed});
        changed["signatures"]["other.org"] = json!({"ed25519:x": "sig"});
        let mut scratch = Vec::new();
        let before = hash_event(rules, event.as_object().unwrap(), &mut scratch).unwrap();
        let after = hash_event(rules, changed.as_object().unwrap(), &mut scratch).unwrap();
        assert_eq!(before.event_id, after.event_id, "seed {seed}");
        assert_eq!(before.content_hash, after.content_hash, "seed {seed}");
    }
}

#[test]
fn ids_follow_every_key_redaction_keeps() {
    let event = json!({"type": "m.room.member", "sender": "@a:example.org", "room_id": "!r:example.org", "state_key": "@a:example.org",
        "content": {"membership": "join"}, "depth": 3, "origin_server_ts": 5, "prev_events": ["$p"], "auth_events": ["$a"],
        "hashes": {"sha256": "h"}, "origin": "example.org"});
    for rules in ROOM_VERSIONS.iter().filter(|r| r.id != "1" && r.id != "2") {
        let mut scratch = Vec::new();
        let base = hash_event(rules, event.as_object().unwrap(), &mut scratch).unwrap();
        for key in [
            "type",
            "sender",
            "room_id",
            "state_key",
            "content",
            "depth",
            "origin_server_ts",
            "prev_events",
            "auth_events",
            "hashes",
        ] {
            let mut changed = event.clone();
            changed[key] = match key {
                "content" => json!({"membership": "leave"}),
                "depth" | "origin_server_ts" => json!(99),
                "prev_events" | "auth_events" => json!(["$other"]),
                "hashes" => json!({"sha256": "other"}),
                _ => json!("other"),
            };
            let other = hash_event(rules, changed.as_object().unwrap(), &mut scratch).unwrap();
            assert_ne!(other.event_id, base.event_id, "v{}: {key}", rules.id);
        }
        let mut origin = event.clone();
        origin["origin"] = json!("elsewhere.org");
        let moved = hash_event(rules, origin.as_object().unwrap(), &mut scratch).unwrap().event_id != base.event_id;
        assert_eq!(moved, !rules.redaction_rules_v11, "v{}: origin is covered before v11 only", rules.id);
    }
}

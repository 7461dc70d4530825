//! Is a PDU a valid event of its room version? Step 1 of the checks on receipt:
//! <https://spec.matrix.org/v1.19/server-server-api/#checks-performed-on-receipt-of-a-pdu>.
//! An invalid event is dropped, so this says why in a typed `FormatIssue`.
//!
//! The formats: pdu_v1 (v1, v2: `event_id` carried, references as `[id, {sha256}]` pairs),
//! pdu_v3 and pdu_v4 (references as ids), pdu_v6 (canonical JSON enforced, so depth and every
//! integer within 2^53), pdu_v11 (no top-level `redacts`), pdu_v12 (room ids are hashes; the
//! create event has none). Size limits from
//! <https://spec.matrix.org/v1.19/client-server-api/#size-limits>: 65,536 bytes for the whole
//! event as canonical JSON (signatures and `unsigned` included), 255 bytes for `sender`,
//! `room_id`, `state_key`, `type` and `event_id`. `prev_events` holds at most 20 entries and
//! `auth_events` at most 10, as the format's descriptions require.
//!
//! What the auth rules judge is left to them: a v12 create event that carries a `room_id` is
//! well formed here and rejected by auth rule 1.2; whether a `room_id` names an accepted create
//! event is rule 2.

use super::canonical::Canon;
use super::hashes::is_create_event;
use super::identifiers::{event_id_server, is_room_id_hash, is_room_id_with_domain, user_id_server, MAX_ID_BYTES};
use super::FormatIssue;
use crate::canonical_json::MAX_SAFE_INTEGER;
use crate::room_versions::{EventIdFormat, RoomVersionRules};
use serde_json::{Map, Value};

pub const MAX_EVENT_BYTES: usize = 65_536;
pub const MAX_PREV_EVENTS: usize = 20;
pub const MAX_AUTH_EVENTS: usize = 10;

type Object = Map<String, Value>;

fn wrong_type(key: &str, expected: &'static str) -> FormatIssue {
    FormatIssue::WrongType { key: key.to_owned(), expected }
}

/// An integer as the version reads it: in strict versions any number canonical JSON accepts
/// as an integer (so `1e3` is 1000, as JavaScript reads it), else a JSON integer within i64.
fn integer(value: &Value, canon: Canon) -> Option<i64> {
    let n = match value {
        Value::Number(n) => n,
        _ => return None,
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    match (canon, n.as_f64()) {
        (Canon::Strict, Some(f)) if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 => Some(f as i64),
        _ => None,
    }
}

fn required<'a>(event: &'a Object, key: &'static str) -> Result<&'a Value, FormatIssue> {
    event.get(key).ok_or(FormatIssue::MissingKey(key))
}

fn required_string<'a>(event: &'a Object, key: &'static str) -> Result<&'a str, FormatIssue> {
    required(event, key)?.as_str().ok_or_else(|| wrong_type(key, "a string"))
}

fn optional_string<'a>(event: &'a Object, key: &'static str) -> Result<Option<&'a str>, FormatIssue> {
    match event.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(wrong_type(key, "a string")),
    }
}

fn check_length(key: &'static str, text: Option<&str>) -> Result<(), FormatIssue> {
    match text {
        Some(text) if text.len() > MAX_ID_BYTES => Err(FormatIssue::TooLong { key, bytes: text.len() }),
        _ => Ok(()),
    }
}

/// `hashes`: an object with a string `sha256` (the event_hash component).
fn check_event_hash(value: &Value, key: &str) -> Result<(), FormatIssue> {
    match value.as_object() {
        None => Err(wrong_type(key, "an object")),
        Some(hashes) => match hashes.get("sha256") {
            Some(Value::String(_)) => Ok(()),
            Some(_) => Err(wrong_type(&format!("{key}.sha256"), "a string")),
            None => Err(FormatIssue::WrongType { key: format!("{key}.sha256"), expected: "a string (it is missing)" }),
        },
    }
}

/// `signatures`: server name -> key id -> signature string.
fn check_signatures(value: &Value) -> Result<(), FormatIssue> {
    let servers = value.as_object().ok_or_else(|| wrong_type("signatures", "an object"))?;
    for (server, keys) in servers {
        let keys = keys.as_object().ok_or_else(|| wrong_type(&format!("signatures.{server}"), "an object"))?;
        if let Some((key_id, _)) = keys.iter().find(|(_, signature)| !signature.is_string()) {
            return Err(wrong_type(&format!("signatures.{server}.{key_id}"), "a string"));
        }
    }
    Ok(())
}

/// `prev_events` / `auth_events`: `[id, {sha256}]` pairs in the v1 format, ids from v3.
fn check_references(
    rules: &RoomVersionRules,
    event: &Object,
    key: &'static str,
    limit: usize,
) -> Result<(), FormatIssue> {
    let list = required(event, key)?.as_array().ok_or_else(|| wrong_type(key, "an array"))?;
    let pairs = rules.event_id_format == EventIdFormat::ServerLocal;
    for (i, entry) in list.iter().enumerate() {
        let id = if pairs {
            match entry.as_array().map(Vec::as_slice) {
                Some([id, hash]) => {
                    check_event_hash(hash, &format!("{key}[{i}][1]"))?;
                    id
                }
                _ => return Err(wrong_type(&format!("{key}[{i}]"), "an [event id, hashes] pair")),
            }
        } else {
            entry
        };
        let id = id.as_str().ok_or_else(|| wrong_type(&format!("{key}[{i}]"), "an event id string"))?;
        if id.len() > MAX_ID_BYTES {
            return Err(FormatIssue::TooLong { key, bytes: id.len() });
        }
    }
    if list.len() > limit {
        return Err(FormatIssue::TooManyReferences { key, count: list.len(), limit });
    }
    Ok(())
}

/// Checks `event` against the event format of `rules`; the first problem found.
pub fn validate(rules: &RoomVersionRules, event: &Value, scratch: &mut Vec<u8>) -> Result<(), FormatIssue> {
    let event = event.as_object().ok_or(FormatIssue::NotAnObject)?;
    let canon = Canon::for_rules(rules);

    // Canonical JSON (enforced from v6) and the size of the whole event.
    scratch.clear();
    canon.write_object_without(event, &[], scratch).map_err(FormatIssue::NotCanonical)?;
    if scratch.len() > MAX_EVENT_BYTES {
        return Err(FormatIssue::TooLarge { bytes: scratch.len() });
    }

    // Keys every format requires (pdu_base), then the version's own.
    let sender = required_string(event, "sender")?;
    integer(required(event, "origin_server_ts")?, canon).ok_or_else(|| wrong_type("origin_server_ts", "an integer"))?;
    let kind = required_string(event, "type")?;
    required(event, "content")?.as_object().ok_or_else(|| wrong_type("content", "an object"))?;
    // pdu_v1 to pdu_v4 bound depth by 2^63-1 (an i64); from v6 canonical JSON bounds it by 2^53-1.
    // It counts from the create event up, so it is never negative (Synapse drops such events too).
    match integer(required(event, "depth")?, canon) {
        Some(depth) if depth >= 0 => {}
        _ => return Err(wrong_type("depth", "a non-negative integer")),
    }
    check_event_hash(required(event, "hashes")?, "hashes")?;
    check_signatures(required(event, "signatures")?)?;
    let state_key = optional_string(event, "state_key")?;
    if let Some(unsigned) = event.get("unsigned") {
        unsigned.as_object().ok_or_else(|| wrong_type("unsigned", "an object"))?;
    }
    if !rules.redaction_rules_v11 {
        optional_string(event, "redacts")?;
    }
    let create_without_room = rules.room_id_from_create_event && is_create_event(event);
    let room_id =
        if create_without_room { optional_string(event, "room_id")? } else { Some(required_string(event, "room_id")?) };
    let event_id = match rules.event_id_format {
        EventIdFormat::ServerLocal => Some(required_string(event, "event_id")?),
        _ => optional_string(event, "event_id")?,
    };
    check_references(rules, event, "prev_events", MAX_PREV_EVENTS)?;
    check_references(rules, event, "auth_events", MAX_AUTH_EVENTS)?;
    // Sizes.
    check_length("sender", Some(sender))?;
    check_length("room_id", room_id)?;
    check_length("state_key", state_key)?;
    check_length("type", Some(kind))?;
    check_length("event_id", event_id)?;

    // Identifier grammar.
    if user_id_server(sender).is_none() {
        return Err(FormatIssue::BadIdentifier { key: "sender", expected: "a user id (@localpart:server)" });
    }
    if let Some(room_id) = room_id {
        let (ok, expected) = if rules.room_id_from_create_event {
            (
                is_room_id_hash(room_id),
                "a room id made from the create event's id (! and 43 URL-safe Base64 characters)",
            )
        } else {
            (is_room_id_with_domain(room_id), "a room id (!opaque:server)")
        };
        if !ok {
            return Err(FormatIssue::BadIdentifier { key: "room_id", expected });
        }
    }
    if rules.event_id_format == EventIdFormat::ServerLocal && event_id.and_then(event_id_server).is_none() {
        return Err(FormatIssue::BadIdentifier { key: "event_id", expected: "an event id ($opaque:server)" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_versions::{rules_for, ROOM_VERSIONS};
    use serde_json::json;

    const ROOM_V12: &str = "!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM";

    /// A well-formed message event in the format of `version`.
    fn message(version: &str) -> Value {
        let rules = rules_for(version).unwrap();
        let mut event = json!({"type": "m.room.message", "sender": "@alice:example.org", "origin_server_ts": 1,
            "depth": 5, "content": {"body": "hi"}, "hashes": {"sha256": "abc"}, "signatures": {"example.org": {"ed25519:1": "sig"}},
            "room_id": "!room:example.org", "unsigned": {"age": 1}});
        let object = event.as_object_mut().unwrap();
        if rules.event_id_format == EventIdFormat::ServerLocal {
            object.insert("event_id".into(), json!("$e:example.org"));
            object.insert("prev_events".into(), json!([["$p:example.org", {"sha256": "h"}]]));
            object.insert("auth_events".into(), json!([["$a:example.org", {"sha256": "h"}]]));
        } else {
            object.insert("prev_events".into(), json!(["$p"]));
            object.insert("auth_events".into(), json!(["$a"]));
        }
        if rules.room_id_from_create_event {
            object.insert("room_id".into(), json!(ROOM_V12));
        }
        event
    }

    fn check(version: &str, event: &Value) -> Result<(), FormatIssue> {
        validate(rules_for(version).unwrap(), event, &mut Vec::new())
    }

    fn with(version: &str, key: &str, value: Value) -> Value {
        let mut event = message(version);
        event.as_object_mut().unwrap().insert(key.into(), value);
        event
    }

    fn without(version: &str, key: &str) -> Value {
        let mut event = message(version);
        event.as_object_mut().unwrap().remove(key);
        event
    }

    #[test]
    fn the_base_events_are_valid_in_every_version() {
        for rules in ROOM_VERSIONS.iter() {
            assert_eq!(check(rules.id, &message(rules.id)), Ok(()), "v{}", rules.id);
        }
    }

    #[test]
    fn required_keys() {
        for rules in ROOM_VERSIONS.iter() {
            for key in [
                "sender",
                "origin_server_ts",
                "type",
                "content",
                "depth",
                "hashes",
                "signatures",
                "room_id",
                "prev_events",
                "auth_events",
            ] {
                assert_eq!(
                    check(rules.id, &without(rules.id, key)),
                    Err(FormatIssue::MissingKey(key)),
                    "v{} {key}",
                    rules.id
                );
            }
            let event_id = check(rules.id, &without(rules.id, "event_id"));
            if rules.event_id_format == EventIdFormat::ServerLocal {
                assert_eq!(event_id, Err(FormatIssue::MissingKey("event_id")));
            } else {
                assert_eq!(event_id, Ok(()));
            }
            assert_eq!(check(rules.id, &without(rules.id, "unsigned")), Ok(()));
        }
    }

    #[test]
    fn key_types() {
        let cases = [
            ("sender", json!(1), "sender"),
            ("type", json!(null), "type"),
            ("content", json!("x"), "content"),
            ("origin_server_ts", json!("1"), "origin_server_ts"),
            ("depth", json!("5"), "depth"),
            ("hashes", json!([]), "hashes"),
            ("hashes", json!({}), "hashes.sha256"),
            ("hashes", json!({"sha256": 1}), "hashes.sha256"),
            ("signatures", json!([]), "signatures"),
            ("signatures", json!({"x": "s"}), "signatures.x"),
            ("signatures", json!({"x": {"ed25519:1": 5}}), "signatures.x.ed25519:1"),
            ("state_key", json!(0), "state_key"),
            ("unsigned", json!([]), "unsigned"),
            ("room_id", json!(["!r:x"]), "room_id"),
            ("prev_events", json!({}), "prev_events"),
        ];
        for (key, value, path) in cases {
            match check("11", &with("11", key, value.clone())) {
                Err(FormatIssue::WrongType { key, .. }) => assert_eq!(key, path),
                other => panic!("{key} = {value}: {other:?}"),
            }
        }
        // `redacts` is a top-level string before v11, and content's business from v11.
        assert!(matches!(check("10", &with("10", "redacts", json!(5))), Err(FormatIssue::WrongType { .. })));
        assert_eq!(check("10", &with("10", "redacts", json!("$x"))), Ok(()));
        assert_eq!(check("11", &with("11", "redacts", json!(5))), Ok(()));
    }

    #[test]
    fn reference_shapes_per_format() {
        let pair = json!([["$p:x", {"sha256": "h"}]]);
        let id = json!(["$p"]);
        assert_eq!(check("1", &with("1", "prev_events", pair.clone())), Ok(()));
        assert!(matches!(check("1", &with("1", "prev_events", id.clone())), Err(FormatIssue::WrongType { .. })));
        assert!(matches!(check("3", &with("3", "auth_events", pair)), Err(FormatIssue::WrongType { .. })));
        assert_eq!(check("3", &with("3", "auth_events", id)), Ok(()));
        for bad in [
            json!([["$p:x"]]),
            json!([["$p:x", {"sha256": "h"}, 1]]),
            json!([[1, {"sha256": "h"}]]),
            json!([["$p:x", {}]]),
            json!([["$p:x", "h"]]),
        ] {
            assert!(
                matches!(check("2", &with("2", "prev_events", bad.clone())), Err(FormatIssue::WrongType { .. })),
                "{bad}"
            );
        }
        assert!(matches!(check("4", &with("4", "prev_events", json!([1]))), Err(FormatIssue::WrongType { .. })));
    }

    #[test]
    fn reference_counts() {
        let ids = |n: usize| Value::Array((0..n).map(|i| json!(format!("$e{i}"))).collect());
        assert_eq!(check("11", &with("11", "prev_events", ids(20))), Ok(()));
        assert_eq!(
            check("11", &with("11", "prev_events", ids(21))),
            Err(FormatIssue::TooManyReferences { key: "prev_events", count: 21, limit: 20 })
        );
        assert_eq!(check("11", &with("11", "auth_events", ids(10))), Ok(()));
        assert_eq!(
            check("11", &with("11", "auth_events", ids(11))),
            Err(FormatIssue::TooManyReferences { key: "auth_events", count: 11, limit: 10 })
        );
    }

    #[test]
    fn field_lengths() {
        let long_user = format!("@{}:example.org", "a".repeat(243)); // 256 bytes
        assert_eq!(long_user.len(), 256);
        assert_eq!(
            check("11", &with("11", "sender", json!(long_user))),
            Err(FormatIssue::TooLong { key: "sender", bytes: 256 })
        );
        let longest_user = format!("@{}:example.org", "a".repeat(242));
        assert_eq!(check("11", &with("11", "sender", json!(longest_user))), Ok(()));
        for key in ["state_key", "type"] {
            assert_eq!(
                check("11", &with("11", key, json!("é".repeat(128)))),
                Err(FormatIssue::TooLong { key, bytes: 256 })
            );
            assert_eq!(check("11", &with("11", key, json!("x".repeat(255)))), Ok(()));
        }
        let long_room = format!("!{}:example.org", "r".repeat(243));
        assert_eq!(
            check("11", &with("11", "room_id", json!(long_room))),
            Err(FormatIssue::TooLong { key: "room_id", bytes: 256 })
        );
        let long_event = format!("${}:example.org", "e".repeat(243));
        assert_eq!(
            check("1", &with("1", "event_id", json!(long_event))),
            Err(FormatIssue::TooLong { key: "event_id", bytes: 256 })
        );
        assert_eq!(
            check("1", &with("1", "prev_events", json!([[long_event, {"sha256": "h"}]]))),
            Err(FormatIssue::TooLong { key: "prev_events", bytes: 256 })
        );
    }

    #[test]
    fn whole_event_size_counts_signatures_and_unsigned() {
        let mut event = message("11");
        let base = Canon::Strict.to_vec(&event).unwrap().len();
        // Fill `unsigned` to exactly the limit, then one byte over.
        let filler = MAX_EVENT_BYTES - base - r#","pad":"""#.len();
        event["unsigned"]["pad"] = json!("x".repeat(filler));
        assert_eq!(Canon::Strict.to_vec(&event).unwrap().len(), MAX_EVENT_BYTES);
        assert_eq!(check("11", &event), Ok(()));
        event["unsigned"]["pad"] = json!("x".repeat(filler + 1));
        assert_eq!(check("11", &event), Err(FormatIssue::TooLarge { bytes: MAX_EVENT_BYTES + 1 }));
        // Measured as canonical JSON: escapes count as they are written.
        let mut escaped = message("11");
        escaped["content"]["body"] = json!("\u{1}".repeat(11_000)); // 6 bytes each as \u0001
        assert!(matches!(check("11", &escaped), Err(FormatIssue::TooLarge { .. })));
    }

    #[test]
    fn canonical_json_is_enforced_from_v6() {
        for (key, value) in [
            ("depth", json!(9007199254740992u64)),
            ("content", json!({"n": 1.5})),
            ("content", json!({"n": -9007199254740992i64})),
            ("origin_server_ts", json!(1e300)),
        ] {
            for rules in ROOM_VERSIONS.iter() {
                let result = check(rules.id, &with(rules.id, key, value.clone()));
                if rules.strict_canonical_json {
                    assert!(
                        matches!(result, Err(FormatIssue::NotCanonical(_))),
                        "v{} {key}={value}: {result:?}",
                        rules.id
                    );
                } else if key == "content" {
                    assert_eq!(result, Ok(()), "v{} {key}={value}", rules.id);
                }
            }
        }
        // Before v6 depth may reach 2^63-1 but must stay an integer.
        assert_eq!(check("5", &with("5", "depth", json!(i64::MAX))), Ok(()));
        assert!(matches!(check("5", &with("5", "depth", json!(u64::MAX))), Err(FormatIssue::WrongType { .. })));
        assert!(matches!(check("5", &with("5", "depth", json!(2.0))), Err(FormatIssue::WrongType { .. })));
        for version in ["1", "11"] {
            assert!(matches!(check(version, &with(version, "depth", json!(-1))), Err(FormatIssue::WrongType { .. })));
            assert_eq!(check(version, &with(version, "depth", json!(0))), Ok(()));
        }
        // From v6, an integer written as 1e3 is the integer 1000, as canonical_json reads it.
        let text = serde_json::to_string(&message("6")).unwrap().replace("\"depth\":5", "\"depth\":5e0");
        assert_eq!(check("6", &serde_json::from_str(&text).unwrap()), Ok(()));
    }

    #[test]
    fn identifier_grammar() {
        for bad in ["alice:example.org", "@alice", "@alice:bad_host!"] {
            assert!(
                matches!(
                    check("11", &with("11", "sender", json!(bad))),
                    Err(FormatIssue::BadIdentifier { key: "sender", .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(check("11", &with("11", "sender", json!("@Historical User:example.org"))), Ok(()));
        assert!(matches!(
            check("11", &with("11", "room_id", json!(ROOM_V12))),
            Err(FormatIssue::BadIdentifier { key: "room_id", .. })
        ));
        assert!(matches!(
            check("12", &with("12", "room_id", json!("!room:example.org"))),
            Err(FormatIssue::BadIdentifier { key: "room_id", .. })
        ));
        assert!(matches!(
            check("1", &with("1", "event_id", json!("$nodomain"))),
            Err(FormatIssue::BadIdentifier { key: "event_id", .. })
        ));
        // From v3 a stray event_id is not part of the format; only its length is bounded.
        assert_eq!(check("3", &with("3", "event_id", json!("$anything"))), Ok(()));
    }

    #[test]
    fn v12_create_events_have_no_room_id() {
        let mut create = without("12", "room_id");
        create["type"] = json!("m.room.create");
        create["state_key"] = json!("");
        create["prev_events"] = json!([]);
        create["auth_events"] = json!([]);
        assert_eq!(check("12", &create), Ok(()));
        // In v11 the create event still needs its room_id.
        let mut v11 = without("11", "room_id");
        v11["type"] = json!("m.room.create");
        assert_eq!(check("11", &v11), Err(FormatIssue::MissingKey("room_id")));
        // A v12 create event carrying a room_id is auth rule 1.2's to reject, but its type is checked.
        create["room_id"] = json!(ROOM_V12);
        assert_eq!(check("12", &create), Ok(()));
        create["room_id"] = json!(1);
        assert!(matches!(check("12", &create), Err(FormatIssue::WrongType { .. })));
        assert_eq!(check("12", &without("12", "room_id")), Err(FormatIssue::MissingKey("room_id")));
    }

    #[test]
    fn not_an_object() {
        for value in [json!([]), json!("event"), json!(null)] {
            assert_eq!(check("11", &value), Err(FormatIssue::NotAnObject));
        }
    }
}

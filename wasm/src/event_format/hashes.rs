//! Content hash, reference hash, event ids and v12 room ids:
//! <https://spec.matrix.org/v1.19/server-server-api/#calculating-the-content-hash-for-an-event>,
//! <https://spec.matrix.org/v1.19/server-server-api/#calculating-the-reference-hash-for-an-event>,
//! event ids per version (/rooms/v1/#event-ids, /rooms/v3/#event-ids, /rooms/v4/#event-ids), and
//! room ids from the create event (/rooms/v12/#event-format, MSC4291).

use crate::base64;
use super::canonical::Canon;
use super::redaction::{redact, redact_in_place};
use super::FormatIssue;
use crate::room_versions::{EventIdFormat, RoomVersionRules};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// SHA-256 of the event without `unsigned`, `signatures` and `hashes`, as canonical JSON.
pub fn content_hash(
    rules: &RoomVersionRules,
    event: &Map<String, Value>,
    scratch: &mut Vec<u8>,
) -> Result<[u8; 32], FormatIssue> {
    scratch.clear();
    Canon::for_rules(rules)
        .write_object_without(event, &["unsigned", "signatures", "hashes"], scratch)
        .map_err(FormatIssue::NotCanonical)?;
    Ok(sha256(scratch))
}

/// The bytes signatures cover and the reference hash hashes: the redacted event without
/// `signatures` and `unsigned`, as canonical JSON.
/// <https://spec.matrix.org/v1.19/server-server-api/#signing-events>
pub fn redacted_bytes(
    rules: &RoomVersionRules,
    event: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), FormatIssue> {
    let redacted = redact(rules, event)?;
    out.clear();
    Canon::for_rules(rules)
        .write_object_without(&redacted, &["signatures", "unsigned"], out)
        .map_err(FormatIssue::NotCanonical)
}

/// The event id: carried in the PDU (v1, v2), else `$` + the reference hash in Base64 (v3) or
/// URL-safe Base64 (v4+). `reference_hash` is SHA-256 of `redacted_bytes`.
pub fn event_id(
    rules: &RoomVersionRules,
    event: &Map<String, Value>,
    reference_hash: &[u8; 32],
) -> Result<String, FormatIssue> {
    match rules.event_id_format {
        EventIdFormat::ServerLocal => match event.get("event_id") {
            Some(Value::String(id)) => Ok(id.clone()),
            Some(_) => Err(FormatIssue::WrongType { key: "event_id".into(), expected: "a string" }),
            None => Err(FormatIssue::MissingKey("event_id")),
        },
        EventIdFormat::Base64 => Ok(format!("${}", base64::encode(reference_hash))),
        EventIdFormat::UrlSafeBase64 => Ok(format!("${}", base64::encode_url_safe(reference_hash))),
    }
}

/// Whether the event is a room's create event (auth rule 1 reads the type alone).
pub fn is_create_event(event: &Map<String, Value>) -> bool {
    matches!(event.get("type"), Some(Value::String(kind)) if kind == "m.room.create")
}

/// The room the event belongs to: from v12 a create event's room id is its event id with `!`
/// (MSC4291); every other event carries `room_id`. None when it carries none.
pub fn room_id(rules: &RoomVersionRules, event: &Map<String, Value>, event_id: &str) -> Option<String> {
    if rules.room_id_from_create_event && is_create_event(event) {
        return Some(format!("!{}", event_id.strip_prefix('$').unwrap_or(event_id)));
    }
    match event.get("room_id") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    }
}

/// Everything hashing gives for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventHashes {
    pub event_id: String,
    pub room_id: Option<String>,
    pub content_hash: [u8; 32],
    pub reference_hash: [u8; 32],
}

/// Content hash, reference hash, event id and room id of one event. `scratch` is reused
/// between events of a batch and holds the redacted bytes (`redacted_bytes`) afterwards.
pub fn hash_event(
    rules: &RoomVersionRules,
    event: &Map<String, Value>,
    scratch: &mut Vec<u8>,
) -> Result<EventHashes, FormatIssue> {
    let content_hash = content_hash(rules, event, scratch)?;
    redacted_bytes(rules, event, scratch)?;
    let reference_hash = sha256(scratch);
    let event_id = event_id(rules, event, &reference_hash)?;
    let room_id = room_id(rules, event, &event_id);
    Ok(EventHashes { event_id, room_id, content_hash, reference_hash })
}

/// `hash_event` for an event the caller gives up: redacts it in place rather than copying
/// what redaction keeps (the batch operation's path).
pub fn hash_owned_event(
    rules: &RoomVersionRules,
    mut event: Map<String, Value>,
    scratch: &mut Vec<u8>,
) -> Result<EventHashes, FormatIssue> {
    let content_hash = content_hash(rules, &event, scratch)?;
    // Taken before redaction: a v12 create event's room id needs its type, which stays anyway,
    // and v1/v2 ids come from `event_id`, which stays too; only `room_id` is read after.
    redact_in_place(rules, &mut event)?;
    scratch.clear();
    Canon::for_rules(rules)
        .write_object_without(&event, &["signatures", "unsigned"], scratch)
        .map_err(FormatIssue::NotCanonical)?;
    let reference_hash = sha256(scratch);
    let event_id = event_id(rules, &event, &reference_hash)?;
    let room_id = room_id(rules, &event, &event_id);
    Ok(EventHashes { event_id, room_id, content_hash, reference_hash })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_versions::rules_for;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// The spec's event signing test vectors: https://spec.matrix.org/v1.19/appendices/#event-signing
    #[test]
    fn spec_content_hashes() {
        let minimal = object(json!({"room_id": "!x:domain", "sender": "@a:domain", "origin": "domain",
            "origin_server_ts": 1000000, "signatures": {}, "hashes": {}, "type": "X", "content": {}, "prev_events": [],
            "auth_events": [], "depth": 3, "unsigned": {"age_ts": 1000000}}));
        let message = object(json!({"content": {"body": "Here is the message content"}, "event_id": "$0:domain",
            "origin": "domain", "origin_server_ts": 1000000, "type": "m.room.message", "room_id": "!r:domain",
            "sender": "@u:domain", "signatures": {}, "unsigned": {"age_ts": 1000000}}));
        let mut scratch = Vec::new();
        for version in ["1", "6", "11", "12"] {
            let rules = rules_for(version).unwrap();
            assert_eq!(
                base64::encode(&content_hash(rules, &minimal, &mut scratch).unwrap()),
                "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"
            );
            assert_eq!(
                base64::encode(&content_hash(rules, &message, &mut scratch).unwrap()),
                "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
            );
        }
    }

    #[test]
    fn signing_bytes_leave_out_signatures_unsigned_and_redacted_content() {
        let event = object(json!({"type": "m.room.message", "content": {"body": "x"}, "sender": "@a:x",
            "signatures": {"x": {}}, "unsigned": {"age": 1}, "hashes": {"sha256": "h"}, "origin": "x"}));
        let mut out = Vec::new();
        redacted_bytes(rules_for("10").unwrap(), &event, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            r#"{"content":{},"hashes":{"sha256":"h"},"origin":"x","sender":"@a:x","type":"m.room.message"}"#
        );
        redacted_bytes(rules_for("11").unwrap(), &event, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"content":{},"hashes":{"sha256":"h"},"sender":"@a:x","type":"m.room.message"}"#
        );
    }

    #[test]
    fn event_id_formats() {
        let event = object(json!({"type": "m.room.message", "content": {}, "sender": "@a:x", "event_id": "$local:x"}));
        let hash = [0xfbu8; 32];
        assert_eq!(event_id(rules_for("1").unwrap(), &event, &hash).unwrap(), "$local:x");
        assert_eq!(event_id(rules_for("2").unwrap(), &event, &hash).unwrap(), "$local:x");
        let standard = event_id(rules_for("3").unwrap(), &event, &hash).unwrap();
        assert!(standard.starts_with("$+/v7") && standard.len() == 44, "{standard}");
        let url_safe = event_id(rules_for("4").unwrap(), &event, &hash).unwrap();
        assert_eq!(url_safe, standard.replace('+', "-").replace('/', "_"));
        let no_id = object(json!({"type": "m.room.message"}));
        assert_eq!(event_id(rules_for("1").unwrap(), &no_id, &hash), Err(FormatIssue::MissingKey("event_id")));
        assert!(event_id(rules_for("12").unwrap(), &no_id, &hash).is_ok());
    }

    #[test]
    fn v12_room_id_is_the_create_event_id() {
        let create = object(
            json!({"type": "m.room.create", "state_key": "", "sender": "@a:x", "content": {"room_version": "12"},
            "auth_events": [], "prev_events": [], "depth": 1, "origin_server_ts": 1, "hashes": {"sha256": "h"}, "signatures": {}}),
        );
        let mut scratch = Vec::new();
        let v12 = hash_event(rules_for("12").unwrap(), &create, &mut scratch).unwrap();
        assert_eq!(v12.room_id.unwrap(), format!("!{}", &v12.event_id[1..]));
        assert!(super::super::identifiers::is_room_id_hash(&format!("!{}", &v12.event_id[1..])));
        // Before v12 the create event's room_id is its own field.
        let mut v11_create = create.clone();
        v11_create.insert("room_id".into(), json!("!r:x"));
        let v11 = hash_event(rules_for("11").unwrap(), &v11_create, &mut scratch).unwrap();
        assert_eq!(v11.room_id.as_deref(), Some("!r:x"));
        assert_eq!(hash_event(rules_for("11").unwrap(), &create, &mut scratch).unwrap().room_id, None);
    }

    #[test]
    fn owned_and_borrowed_hashing_agree() {
        let mut scratch = Vec::new();
        let mut owned_scratch = Vec::new();
        for version in ["1", "3", "6", "11", "12"] {
            let rules = rules_for(version).unwrap();
            for event in [
                json!({"type": "m.room.create", "state_key": "", "sender": "@a:x", "content": {"creator": "@a:x", "x": 1},
                    "event_id": "$c:x", "origin": "x", "unsigned": {"a": 1}, "signatures": {"x": {"k": "s"}}}),
                json!({"type": "m.room.member", "state_key": "@a:x", "room_id": "!r:x", "event_id": "$m:x", "sender": "@a:x",
                    "content": {"membership": "join", "third_party_invite": {"signed": {"a": 1}, "b": 2}, "displayname": "A"}}),
            ] {
                let event = object(event);
                let borrowed = hash_event(rules, &event, &mut scratch).unwrap();
                assert_eq!(hash_owned_event(rules, event, &mut owned_scratch).unwrap(), borrowed, "v{version}");
                assert_eq!(scratch, owned_scratch, "v{version}: the redacted bytes");
            }
        }
    }

    #[test]
    fn hashes_change_with_what_they_cover() {
        let rules = rules_for("11").unwrap();
        let mut scratch = Vec::new();
        let base =
            object(json!({"type": "m.room.message", "content": {"body": "a"}, "sender": "@a:x", "room_id": "!r:x"}));
        let first = hash_event(rules, &base, &mut scratch).unwrap();
        let mut changed_body = base.clone();
        changed_body.insert("content".into(), json!({"body": "b"}));
        let second = hash_event(rules, &changed_body, &mut scratch).unwrap();
        // The body is redacted away: the id stays, the content hash moves.
        assert_eq!(first.event_id, second.event_id);
        assert_ne!(first.content_hash, second.content_hash);
        let mut with_unsigned = base.clone();
        with_unsigned.insert("unsigned".into(), json!({"age": 5}));
        with_unsigned.insert("signatures".into(), json!({"x": {"ed25519:1": "s"}}));
        assert_eq!(hash_event(rules, &with_unsigned, &mut scratch).unwrap(), first);
        let mut with_hashes = base;
        with_hashes.insert("hashes".into(), json!({"sha256": "abc"}));
        let third = hash_event(rules, &with_hashes, &mut scratch).unwrap();
        assert_eq!(third.content_hash, first.content_hash);
        assert_ne!(third.event_id, first.event_id); // the reference hash covers `hashes`
    }
}

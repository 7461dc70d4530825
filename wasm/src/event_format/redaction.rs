//! The redaction algorithm, per room version:
//! v1 <https://spec.matrix.org/v1.19/rooms/v1/#redactions>, v6 (no `aliases`),
//! v8 (`allow` of join rules), v9 (`join_authorised_via_users_server`),
//! v11 <https://spec.matrix.org/v1.19/rooms/v11/#redactions> (create content kept whole, `invite`
//! in power levels, `signed` of `third_party_invite`, `redacts` of redactions; top-level
//! `origin`, `membership`, `prev_state` no longer kept). v12 keeps v11's algorithm; its
//! `additional_creators` survive because v11 keeps the whole create content.
//!
//! The top-level keep list and the per-type content lists are read by type only, as the spec
//! words them (a message event of type `m.room.member` keeps `membership` too). Redacting is
//! idempotent: every rule only removes keys, and what it keeps passes it again unchanged.

use super::FormatIssue;
use crate::room_versions::RoomVersionRules;
use serde_json::{Map, Value};

/// Top-level keys every version keeps.
const KEPT: [&str; 12] = [
    "event_id",
    "type",
    "room_id",
    "sender",
    "state_key",
    "content",
    "hashes",
    "signatures",
    "depth",
    "prev_events",
    "auth_events",
    "origin_server_ts",
];
/// Top-level keys kept before v11.
const KEPT_BEFORE_V11: [&str; 3] = ["prev_state", "origin", "membership"];

fn keeps_top_level(rules: &RoomVersionRules, key: &str) -> bool {
    KEPT.contains(&key) || (!rules.redaction_rules_v11 && KEPT_BEFORE_V11.contains(&key))
}

/// What the content of an event of `kind` keeps.
enum ContentRule {
    All,
    Keys(Vec<&'static str>),
}

fn content_rule(rules: &RoomVersionRules, kind: &str) -> ContentRule {
    let mut keys: Vec<&'static str> = Vec::new();
    match kind {
        "m.room.member" => {
            keys.push("membership");
            if rules.redaction_keeps_join_authorised_via {
                keys.push("join_authorised_via_users_server");
            }
            // v11's `third_party_invite.signed` is handled in `redact_content`.
        }
        "m.room.create" if rules.redaction_rules_v11 => return ContentRule::All,
        "m.room.create" => keys.push("creator"),
        "m.room.join_rules" => {
            keys.push("join_rule");
            if rules.redaction_keeps_join_rules_allow {
                keys.push("allow");
            }
        }
        "m.room.power_levels" => {
            keys.extend([
                "ban",
                "events",
                "events_default",
                "kick",
                "redact",
                "state_default",
                "users",
                "users_default",
            ]);
            if rules.redaction_rules_v11 {
                keys.push("invite");
            }
        }
        "m.room.aliases" if rules.redaction_keeps_aliases => keys.push("aliases"),
        "m.room.history_visibility" => keys.push("history_visibility"),
        "m.room.redaction" if rules.redaction_rules_v11 => keys.push("redacts"),
        _ => {}
    }
    ContentRule::Keys(keys)
}

fn redact_content(rules: &RoomVersionRules, kind: &str, content: &mut Map<String, Value>) {
    let keys = match content_rule(rules, kind) {
        ContentRule::All => return,
        ContentRule::Keys(keys) => keys,
    };
    // v11: `third_party_invite` keeps only its `signed`. As Synapse and ruma do, an object
    // without `signed` stays as `{}`, and a value that is not an object is dropped.
    let third_party_invite = if rules.redaction_rules_v11 && kind == "m.room.member" {
        match content.remove("third_party_invite") {
            Some(Value::Object(mut invite)) => {
                invite.retain(|key, _| key == "signed");
                Some(Value::Object(invite))
            }
            _ => None,
        }
    } else {
        None
    };
    content.retain(|key, _| keys.contains(&key.as_str()));
    if let Some(invite) = third_party_invite {
        content.insert("third_party_invite".to_owned(), invite);
    }
}

/// Redacts `event` in place. `content`, when present, must be an object.
pub fn redact_in_place(rules: &RoomVersionRules, event: &mut Map<String, Value>) -> Result<(), FormatIssue> {
    event.retain(|key, _| keeps_top_level(rules, key));
    let kind = match event.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return Err(FormatIssue::WrongType { key: "type".into(), expected: "a string" }),
        None => String::new(),
    };
    match event.get_mut("content") {
        Some(Value::Object(content)) => redact_content(rules, &kind, content),
        Some(_) => return Err(FormatIssue::WrongType { key: "content".into(), expected: "an object" }),
        None => {}
    }
    Ok(())
}

/// A redacted copy of `event`, cloning only what is kept.
pub fn redact(rules: &RoomVersionRules, event: &Map<String, Value>) -> Result<Map<String, Value>, FormatIssue> {
    let mut kept: Map<String, Value> = Map::new();
    for (key, value) in event.iter().filter(|(key, _)| keeps_top_level(rules, key)) {
        let value = match (key.as_str(), value) {
            // Copy only the content keys that survive: a large message body is never cloned.
            ("content", Value::Object(content)) => {
                let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
                let mut copy: Map<String, Value> = Map::new();
                match content_rule(rules, kind) {
                    ContentRule::All => copy = content.clone(),
                    ContentRule::Keys(keys) => {
                        for (k, v) in content.iter() {
                            if keys.contains(&k.as_str()) || k == "third_party_invite" {
                                copy.insert(k.clone(), v.clone());
                            }
                        }
                        redact_content(rules, kind, &mut copy);
                    }
                }
                Value::Object(copy)
            }
            _ => value.clone(),
        };
        kept.insert(key.clone(), value);
    }
    redact_in_place(rules, &mut kept)?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_versions::rules_for;
    use serde_json::json;

    fn redacted(version: &str, event: Value) -> Value {
        let rules = rules_for(version).unwrap();
        let object = event.as_object().unwrap();
        let copy = redact(rules, object).unwrap();
        let mut in_place = object.clone();
        redact_in_place(rules, &mut in_place).unwrap();
        assert_eq!(copy, in_place, "redact and redact_in_place agree");
        Value::Object(copy)
    }

    fn content_after(version: &str, kind: &str, content: Value) -> Value {
        redacted(version, json!({"type": kind, "state_key": "", "content": content}))["content"].clone()
    }

    #[test]
    fn top_level_keys_before_and_from_v11() {
        let event = json!({"event_id": "$e:x", "type": "m.room.message", "room_id": "!r:x", "sender": "@u:x",
            "content": {"body": "hi"}, "hashes": {"sha256": "h"}, "signatures": {"x": {"ed25519:1": "s"}}, "depth": 1,
            "prev_events": [], "auth_events": [], "origin_server_ts": 5, "origin": "x", "membership": "join",
            "prev_state": [], "unsigned": {"age": 1}, "redacts": "$r", "extra": 1});
        let v10 = redacted("10", event.clone());
        let mut keys: Vec<&str> = v10.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "auth_events",
                "content",
                "depth",
                "event_id",
                "hashes",
                "membership",
                "origin",
                "origin_server_ts",
                "prev_events",
                "prev_state",
                "room_id",
                "sender",
                "signatures",
                "type"
            ]
        );
        assert_eq!(v10["content"], json!({}));
        let v11 = redacted("11", event);
        for gone in ["origin", "membership", "prev_state", "unsigned", "redacts", "extra"] {
            assert!(v11.get(gone).is_none(), "{gone}");
        }
        assert_eq!(v11["signatures"], json!({"x": {"ed25519:1": "s"}}));
    }

    #[test]
    fn member_content() {
        let content = json!({"membership": "join", "displayname": "A", "join_authorised_via_users_server": "@a:x",
            "third_party_invite": {"signed": {"mxid": "@u:x"}, "display_name": "d"}});
        assert_eq!(content_after("8", "m.room.member", content.clone()), json!({"membership": "join"}));
        assert_eq!(
            content_after("9", "m.room.member", content.clone()),
            json!({"membership": "join", "join_authorised_via_users_server": "@a:x"})
        );
        assert_eq!(
            content_after("11", "m.room.member", content),
            json!({"membership": "join",
            "join_authorised_via_users_server": "@a:x", "third_party_invite": {"signed": {"mxid": "@u:x"}}})
        );
        assert_eq!(
            content_after("11", "m.room.member", json!({"membership": "invite", "third_party_invite": {"x": 1}})),
            json!({"membership": "invite", "third_party_invite": {}})
        );
        assert_eq!(
            content_after("11", "m.room.member", json!({"membership": "invite", "third_party_invite": "s"})),
            json!({"membership": "invite"})
        );
        assert_eq!(
            content_after("10", "m.room.member", json!({"membership": "invite", "third_party_invite": {"signed": 1}})),
            json!({"membership": "invite"})
        );
    }

    #[test]
    fn create_content() {
        let content = json!({"creator": "@a:x", "room_version": "11", "m.federate": false,
            "additional_creators": ["@b:x"], "predecessor": {"room_id": "!old:x"}});
        assert_eq!(content_after("10", "m.room.create", content.clone()), json!({"creator": "@a:x"}));
        assert_eq!(content_after("11", "m.room.create", content.clone()), content);
        assert_eq!(content_after("12", "m.room.create", content.clone()), content);
    }

    #[test]
    fn join_rules_power_levels_aliases_history_redaction() {
        let join_rules = json!({"join_rule": "restricted", "allow": [{"type": "m.room_membership"}], "x": 1});
        assert_eq!(content_after("7", "m.room.join_rules", join_rules.clone()), json!({"join_rule": "restricted"}));
        assert_eq!(
            content_after("8", "m.room.join_rules", join_rules),
            json!({"join_rule": "restricted", "allow": [{"type": "m.room_membership"}]})
        );

        let power_levels = json!({"ban": 1, "events": {"a": 1}, "events_default": 2, "kick": 3, "redact": 4,
            "state_default": 5, "users": {"@a:x": 6}, "users_default": 7, "invite": 8, "notifications": {"room": 9}});
        let mut before_v11 = power_levels.clone();
        before_v11.as_object_mut().unwrap().remove("invite");
        before_v11.as_object_mut().unwrap().remove("notifications");
        assert_eq!(content_after("10", "m.room.power_levels", power_levels.clone()), before_v11);
        before_v11.as_object_mut().unwrap().insert("invite".into(), json!(8));
        assert_eq!(content_after("11", "m.room.power_levels", power_levels), before_v11);

        let aliases = json!({"aliases": ["#a:x"], "other": 1});
        assert_eq!(content_after("5", "m.room.aliases", aliases.clone()), json!({"aliases": ["#a:x"]}));
        assert_eq!(content_after("6", "m.room.aliases", aliases), json!({}));

        assert_eq!(
            content_after("1", "m.room.history_visibility", json!({"history_visibility": "shared", "a": 1})),
            json!({"history_visibility": "shared"})
        );

        let redaction = json!({"redacts": "$e", "reason": "spam"});
        assert_eq!(content_after("10", "m.room.redaction", redaction.clone()), json!({}));
        assert_eq!(content_after("11", "m.room.redaction", redaction), json!({"redacts": "$e"}));
    }

    #[test]
    fn refuses_content_that_is_not_an_object() {
        let rules = rules_for("11").unwrap();
        let event = json!({"type": "m.room.message", "content": [1]});
        assert!(redact(rules, event.as_object().unwrap()).is_err());
        let no_content = json!({"type": "m.room.message", "sender": "@a:x"});
        assert_eq!(Value::Object(redact(rules, no_content.as_object().unwrap()).unwrap()), no_content);
    }
}

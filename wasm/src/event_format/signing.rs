//! Which servers' signatures an event needs:
//! <https://spec.matrix.org/v1.19/server-server-api/#validating-hashes-and-signatures-on-received-events>
//!
//! The sender's server must sign, except for an invite made from a third-party invite (its
//! sender matches the `m.room.third_party_invite`, but another server may have sent it; the auth
//! rules check its `signed` block instead). Room versions 1 and 2 also need the server named in
//! the event id. The server of `join_authorised_via_users_server` (restricted joins) is worth
//! checking too, but its absence is for auth rule 4.2.1 to reject, not a reason to drop the
//! event, so it is listed as optional.

use super::identifiers::{event_id_server, user_id_server};
use crate::room_versions::{EventIdFormat, RoomVersionRules};
use serde_json::{Map, Value};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureServers {
    /// Every one of these must have signed with all its known, unexpired keys.
    pub required: Vec<String>,
    /// Checked when present; the outcome is reported, not enforced.
    pub optional: Vec<String>,
}

fn member_content<'a>(event: &'a Map<String, Value>) -> Option<&'a Map<String, Value>> {
    match (event.get("type"), event.get("content")) {
        (Some(Value::String(kind)), Some(Value::Object(content))) if kind == "m.room.member" => Some(content),
        _ => None,
    }
}

/// An `m.room.member` invite carrying `third_party_invite`.
pub fn is_third_party_invite(event: &Map<String, Value>) -> bool {
    member_content(event).map_or(false, |content| {
        content.get("membership").and_then(Value::as_str) == Some("invite")
            && content.contains_key("third_party_invite")
    })
}

pub fn signature_servers(rules: &RoomVersionRules, event: &Map<String, Value>) -> SignatureServers {
    let mut servers = SignatureServers::default();
    let sender_server = event.get("sender").and_then(Value::as_str).and_then(user_id_server);
    if !is_third_party_invite(event) {
        if let Some(server) = sender_server {
            servers.required.push(server.to_owned());
        }
    }
    if rules.event_id_format == EventIdFormat::ServerLocal {
        if let Some(server) = event.get("event_id").and_then(Value::as_str).and_then(event_id_server) {
            if !servers.required.iter().any(|s| s == server) {
                servers.required.push(server.to_owned());
            }
        }
    }
    if rules.restricted_join_rule {
        let authoriser = member_content(event)
            .and_then(|content| content.get("join_authorised_via_users_server"))
            .and_then(Value::as_str)
            .and_then(user_id_server);
        if let Some(server) = authoriser {
            if !servers.required.iter().any(|s| s == server) {
                servers.optional.push(server.to_owned());
            }
        }
    }
    servers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_versions::rules_for;
    use serde_json::json;

    fn servers(version: &str, event: Value) -> (Vec<String>, Vec<String>) {
        let s = signature_servers(rules_for(version).unwrap(), event.as_object().unwrap());
        (s.required, s.optional)
    }

    #[test]
    fn sender_server_and_v1_event_id_server() {
        let event = json!({"sender": "@a:one.org", "event_id": "$e:two.org", "type": "m.room.message", "content": {}});
        assert_eq!(servers("1", event.clone()).0, ["one.org", "two.org"]);
        assert_eq!(servers("2", event.clone()).0, ["one.org", "two.org"]);
        assert_eq!(servers("3", event).0, ["one.org"]);
        let same = json!({"sender": "@a:one.org", "event_id": "$e:one.org"});
        assert_eq!(servers("1", same).0, ["one.org"]);
    }

    #[test]
    fn third_party_invites_need_no_sender_signature() {
        let invite = json!({"sender": "@a:one.org", "type": "m.room.member", "state_key": "@b:x",
            "content": {"membership": "invite", "third_party_invite": {"signed": {}}}});
        assert!(servers("11", invite.clone()).0.is_empty());
        let mut plain = invite;
        plain["content"].as_object_mut().unwrap().remove("third_party_invite");
        assert_eq!(servers("11", plain).0, ["one.org"]);
    }

    #[test]
    fn restricted_join_authoriser_is_optional_from_v8() {
        let join = json!({"sender": "@a:one.org", "type": "m.room.member", "state_key": "@a:one.org",
            "content": {"membership": "join", "join_authorised_via_users_server": "@r:resident.org"}});
        assert_eq!(servers("8", join.clone()), (vec!["one.org".to_owned()], vec!["resident.org".to_owned()]));
        assert_eq!(servers("7", join.clone()).1, Vec::<String>::new());
        let mut local = join;
        local["content"]["join_authorised_via_users_server"] = json!("@r:one.org");
        assert_eq!(servers("9", local).1, Vec::<String>::new());
    }
}

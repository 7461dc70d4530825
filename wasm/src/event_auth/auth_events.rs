//! The auth events: which state an event's authorization reads (the auth events selection,
//! https://spec.matrix.org/v1.19/server-server-api/#auth-events-selection), and rule 2 (v12: 3),
//! "Considering the event's auth_events", on the list an event actually carries.

use super::{reject, Numbers, Rejection, CREATE, JOIN_RULES, MEMBER, POWER_LEVELS, THIRD_PARTY_INVITE};
use crate::pdu::Pdu;
use crate::room_versions::RoomVersionRules;
use serde_json::Value;

/// The state keys an event's authorization reads (the spec's auth events selection):
/// https://spec.matrix.org/v1.19/server-server-api/#auth-events-selection
pub fn auth_types_for_event(rules: &RoomVersionRules, event: &Pdu) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::with_capacity(6);
    if event.kind == CREATE {
        return keys;
    }
    let mut push = |kind: &str, state_key: &str| {
        if !keys.iter().any(|(k, s)| k == kind && s == state_key) {
            keys.push((kind.to_string(), state_key.to_string()));
        }
    };
    // v12: the room id stands for the create event, which is never selected.
    if !rules.room_id_from_create_event {
        push(CREATE, "");
    }
    push(POWER_LEVELS, "");
    push(MEMBER, &event.sender);
    if event.kind == MEMBER {
        if let Some(target) = event.state_key.as_deref() {
            push(MEMBER, target);
        }
        let membership = event.content.get("membership").and_then(Value::as_str);
        if matches!(membership, Some("join") | Some("invite") | Some("knock")) {
            push(JOIN_RULES, "");
        }
        if membership == Some("invite") {
            let token = event.content.get("third_party_invite").and_then(|invite| invite.get("signed")?.get("token"));
            if let Some(token) = token.and_then(Value::as_str) {
                push(THIRD_PARTY_INVITE, token);
            }
        }
        if membership == Some("join") && rules.restricted_join_rule {
            if let Some(user) = event.content.get("join_authorised_via_users_server").and_then(Value::as_str) {
                push(MEMBER, user);
            }
        }
    }
    keys
}

/// One of the events an event lists in `auth_events`, with whether it was itself rejected.
#[derive(Clone, Copy, Debug)]
pub struct AuthEvent<'a> {
    pub pdu: &'a Pdu,
    pub rejected: bool,
}

/// Rule 2 (v12: rule 3), on the events of `event.auth_events` (one entry per listed id, in
/// order; the caller resolves the ids). The create event is exempt (rule 1 allows or rejects
/// it before this rule).
pub fn check_auth_events(rules: &RoomVersionRules, event: &Pdu, auth_events: &[AuthEvent]) -> Result<(), Rejection> {
    if event.kind == CREATE {
        return Ok(());
    }
    let rule = Numbers::of(rules).auth_events;
    // .1
    for (i, entry) in auth_events.iter().enumerate() {
        let key = (entry.pdu.kind.as_str(), entry.pdu.state_key.as_deref());
        if auth_events[..i].iter().any(|other| (other.pdu.kind.as_str(), other.pdu.state_key.as_deref()) == key) {
            let reason = format!("auth_events holds two {} events for the same state key", entry.pdu.kind);
            return reject(&[rule, 1], reason);
        }
    }
    // .2
    let expected = auth_types_for_event(rules, event);
    for entry in auth_events {
        let allowed = match entry.pdu.state_key.as_deref() {
            Some(state_key) => expected.iter().any(|(kind, key)| *kind == entry.pdu.kind && key == state_key),
            None => false,
        };
        if !allowed {
            let reason = format!("auth_events holds {} ({}), which the auth events selection does not select", entry.pdu.event_id, entry.pdu.kind);
            return reject(&[rule, 2], reason);
        }
    }
    // .3
    if let Some(entry) = auth_events.iter().find(|entry| entry.rejected) {
        return reject(&[rule, 3], format!("auth event {} was rejected", entry.pdu.event_id));
    }
    // .4 (before v12; the create event is selected there)
    let mut next = 4;
    if !rules.room_id_from_create_event {
        if !auth_events.iter().any(|entry| entry.pdu.kind == CREATE) {
            return reject(&[rule, 4], "auth_events holds no m.room.create event");
        }
        next = 5;
    }
    // .5 (v12: .4, the spec's source numbers it 5 but renders it 4)
    if let Some(entry) = auth_events.iter().find(|entry| entry.pdu.room_id != event.room_id) {
        return reject(&[rule, next], format!("auth event {} is from another room", entry.pdu.event_id));
    }
    Ok(())
}

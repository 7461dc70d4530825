//! Rule 1, `m.room.create`, and v12's rule 2, the room id names the create event.
//! https://spec.matrix.org/v1.19/rooms/v11/#authorization-rules (1.1-1.5),
//! https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules (1.2, 1.4, 2; MSC4289, MSC4291).

use super::numbers::Numbers;
use super::user_id::is_valid_user_id;
use super::{domain, reject, Context, Rejection};
use crate::pdu::Pdu;
use crate::room_versions::{rules_for, RoomVersionRules};
use serde_json::Value;

pub fn check_create(rules: &RoomVersionRules, n: &Numbers, event: &Pdu) -> Result<(), Rejection> {
    let rule = n.create;
    // 1.1
    if !event.prev_events.is_empty() {
        return reject(&[rule, 1], "a create event has no prev_events");
    }
    // 1.2
    if rules.room_id_from_create_event {
        if event.room_id.is_some() {
            return reject(&[rule, 2], "a create event has no room_id in this room version");
        }
    } else {
        let room_domain = event.room_id.as_deref().and_then(domain);
        if room_domain.is_none() || room_domain != domain(&event.sender) {
            return reject(&[rule, 2], "the room id's domain is not the sender's");
        }
    }
    // 1.3: absent means version 1.
    match event.content.get("room_version") {
        None => {}
        Some(Value::String(version)) if rules_for(version).is_some() => {}
        Some(_) => return reject(&[rule, 3], "content.room_version is not a recognised room version"),
    }
    // 1.4: v1-v10 need `creator`; v11 dropped the rule; v12 checks `additional_creators`.
    if !rules.creator_is_create_sender && !event.content.contains_key("creator") {
        return reject(&[rule, 4], "content has no creator");
    }
    if rules.privileged_creators {
        let valid = match event.content.get("additional_creators") {
            None => true,
            Some(Value::Array(list)) => list.iter().all(|entry| entry.as_str().map_or(false, is_valid_user_id)),
            Some(_) => false,
        };
        if !valid {
            return reject(&[rule, 4], "additional_creators is not an array of valid user ids");
        }
    }
    Ok(())
}

/// v12 rule 2: "If the event's room_id is not an event ID for an accepted (not rejected)
/// m.room.create event, with the sigil `!` instead of `$`, reject." The create event in the
/// state is the accepted one (a rejected event never enters the state).
pub fn check_room_id(context: &Context, rule: u8) -> Result<(), Rejection> {
    let create_id = context.create.event_id.strip_prefix('$');
    let room_id = context.event.room_id.as_deref().and_then(|id| id.strip_prefix('!'));
    if create_id.is_none() || create_id != room_id {
        return reject(&[rule], "the room id is not the create event's id");
    }
    Ok(())
}

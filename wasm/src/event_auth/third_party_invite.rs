//! Third-party invites: the invite membership's sub-rule for `content.third_party_invite`
//! (5.3.1 in v1-v5, 4.3.1 in v6-v7, 4.4.1 in v8-v11, 5.4.1 in v12) and the rule for
//! `m.room.third_party_invite` events themselves (7, v6-v11: 6).
//! https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules,
//! https://spec.matrix.org/v1.19/client-server-api/#mroomthird_party_invite (public keys).

use super::ed25519::verify;
use crate::base64::decode_lenient as decode_base64;
use super::power_levels::{named_level, user_level};
use super::{reject, Context, Rejection, THIRD_PARTY_INVITE};
use crate::canonical_json::write_value;
use serde_json::{Map, Value};

/// "Allow if and only if sender's current power level is greater than or equal to the invite
/// level."
pub fn check_third_party_invite_event(context: &Context) -> Result<(), Rejection> {
    if user_level(context, &context.event.sender) >= named_level(context, "invite") {
        return Ok(());
    }
    reject(&[context.n.third_party_invite, 1], "the sender's power level is below the invite level")
}

/// An invite membership with `content.third_party_invite` (`invite`, its value).
pub fn check_third_party_invite_membership(context: &Context, target: &str, invite: &Value) -> Result<(), Rejection> {
    let rule = [context.n.member, context.n.member_invite, 1];
    let at = |sub: u8| [rule[0], rule[1], rule[2], sub];
    // .1
    if context.membership(target) == Some("ban") {
        return reject(&at(1), "the invited user is banned");
    }
    // .2
    let signed = match invite.get("signed") {
        Some(Value::Object(signed)) => signed,
        _ => return reject(&at(2), "third_party_invite has no signed object"),
    };
    // .3
    let (mxid, token) = match (signed.get("mxid").and_then(Value::as_str), signed.get("token").and_then(Value::as_str)) {
        (Some(mxid), Some(token)) => (mxid, token),
        _ => return reject(&at(3), "signed has no mxid and token"),
    };
    // .4
    if mxid != target {
        return reject(&at(4), "signed.mxid is not the invited user");
    }
    // .5
    let invite_event = match context.state.get(THIRD_PARTY_INVITE, token) {
        Some(event) => event,
        None => return reject(&at(5), "no m.room.third_party_invite event has the token"),
    };
    // .6
    if invite_event.sender != context.event.sender {
        return reject(&at(6), "the sender did not send the m.room.third_party_invite event");
    }
    // .7, .8
    if signature_matches(signed, &invite_event.content) {
        return Ok(());
    }
    reject(&at(8), "no signature in signed matches a public key of the m.room.third_party_invite event")
}

/// The public keys of an `m.room.third_party_invite` event: `public_key` and each
/// `public_keys[].public_key`.
fn public_keys(content: &Map<String, Value>) -> Vec<Vec<u8>> {
    let single = content.get("public_key").and_then(Value::as_str);
    let listed = match content.get("public_keys") {
        Some(Value::Array(list)) => list.iter().filter_map(|entry| entry.get("public_key")?.as_str()).collect(),
        _ => Vec::new(),
    };
    single.into_iter().chain(listed).filter_map(decode_base64).collect()
}

/// "If any signature in signed matches any public key in the m.room.third_party_invite event":
/// the signed JSON (https://spec.matrix.org/v1.19/appendices/#signing-json) is `signed`
/// without `signatures` and `unsigned`; only `ed25519:` signatures can match these keys.
fn signature_matches(signed: &Map<String, Value>, invite_content: &Map<String, Value>) -> bool {
    let signatures = match signed.get("signatures") {
        Some(Value::Object(signatures)) => signatures,
        _ => return false,
    };
    let keys = public_keys(invite_content);
    if keys.is_empty() {
        return false;
    }
    let mut unsigned = signed.clone();
    unsigned.remove("signatures");
    unsigned.remove("unsigned");
    let mut message = Vec::new();
    if write_value(&Value::Object(unsigned), &mut message).is_err() {
        return false;
    }
    let candidates = signatures.values().filter_map(Value::as_object).flat_map(|by_key| by_key.iter());
    for (key_id, signature) in candidates {
        if !key_id.starts_with("ed25519:") {
            continue;
        }
        let signature = match signature.as_str().and_then(decode_base64) {
            Some(signature) => signature,
            None => continue,
        };
        if keys.iter().any(|key| verify(key, &message, &signature)) {
            return true;
        }
    }
    false
}

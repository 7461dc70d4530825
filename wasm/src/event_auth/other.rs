//! The rules for every event that are not about one event type: `m.federate` (3, v12: 4), the
//! v1-v5 `m.room.aliases` special case (4), the sender is joined (6 / 5 / 6), the required
//! power level (8 / 7 / 8) and `@` state keys (9 / 8 / 9).
//! https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules

use super::power_levels::{required_level, user_level};
use super::{domain, reject, Context, Rejection};
use serde_json::Value;

/// "If the content of the m.room.create event in the room state has the property m.federate
/// set to false, and the sender domain of the event does not match the sender domain of the
/// create event, reject."
pub fn check_federate(context: &Context) -> Result<(), Rejection> {
    if context.create.content.get("m.federate") == Some(&Value::Bool(false))
        && domain(&context.event.sender) != domain(&context.create.sender)
    {
        return reject(&[context.n.federate], "the room does not federate and the sender is on another server");
    }
    Ok(())
}

/// v1-v5 rule 4: m.room.aliases needs a state key that is the sender's domain, nothing else.
pub fn check_aliases(context: &Context, rule: u8) -> Result<(), Rejection> {
    match context.event.state_key.as_deref() {
        None => reject(&[rule, 1], "m.room.aliases has no state_key"),
        Some(key) if domain(&context.event.sender) != Some(key) => {
            reject(&[rule, 2], "m.room.aliases state_key is not the sender's domain")
        }
        Some(_) => Ok(()),
    }
}

pub fn check_sender_joined(context: &Context) -> Result<(), Rejection> {
    if context.membership(&context.event.sender) != Some("join") {
        return reject(&[context.n.sender_joined], "the sender is not joined to the room");
    }
    Ok(())
}

pub fn check_required_level(context: &Context) -> Result<(), Rejection> {
    let required = required_level(context, &context.event.kind, context.event.is_state());
    if required > user_level(context, &context.event.sender) {
        return reject(
            &[context.n.required_level],
            format!("the sender's power level is below the {required} that {} needs", context.event.kind),
        );
    }
    Ok(())
}

pub fn check_user_state_key(context: &Context) -> Result<(), Rejection> {
    if let Some(key) = context.event.state_key.as_deref() {
        if key.starts_with('@') && key != context.event.sender {
            return reject(&[context.n.user_state_key], "a state_key starting with @ must be the sender");
        }
    }
    Ok(())
}

//! Authorization rules: https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules and the
//! later versions' lists (v3, v6, v7, v8, v10, v11, v12), one file per section of the rules:
//!
//! | file | rules (numbered for v1-v5 / v6-v11 / v12) |
//! | --- | --- |
//! | `create.rs` | 1 (create); v12's 2 (the room id is the create event's id) |
//! | `auth_events.rs` | the auth events selection; 2 / 2 / 3 (the event's `auth_events` list) |
//! | `member.rs` | 5 / 4 / 5 (`m.room.member`) |
//! | `third_party_invite.rs` | 5.3.1 / 4.3.1 (v8+: 4.4.1) / 5.4.1, and 7 / 6 / 7 (`m.room.third_party_invite`) |
//! | `power_levels.rs` | reading levels; 10 / 9 / 10 (`m.room.power_levels`) |
//! | `redaction.rs` | 11 (v1, v2 only) |
//! | `other.rs` | 3 / 3 / 4 (`m.federate`), 4 (v1-v5, `m.room.aliases`), sender joined 6 / 5 / 6, required level 8 / 7 / 8, `@` state keys 9 / 8 / 9 |
//! | `ed25519.rs`, `user_id.rs` | what the rules need: signature checks, user id grammar |
//! | `op.rs` | the wasm operations (src/engine/auth.ts is their typed side) |
//!
//! `check` runs every rule except the ones about the event's own `auth_events` list (rule 2 in
//! v1-v11, 3 in v12): those need the auth events as a list, with their rejection status, and
//! state resolution's iterative checks do not run them. `check_auth_events` runs them; a
//! receiving server calls both (the `event_auth_check` operation does, when given the list).
//!
//! Rule numbers are the ones the spec's rendered lists show for the version (`numbers.rs`).
//! One quirk: v12's source numbers its rule 3 entries 1, 2, 3, 5 and its power level list
//! ends "10. Otherwise, allow"; rendered (and here) those are 3.4 and 10.11.

mod auth_events;
mod create;
pub mod ed25519;
mod member;
mod numbers;
pub mod op;
mod other;
mod power_levels;
mod redaction;
mod third_party_invite;
mod user_id;

#[cfg(test)]
mod tests;

use crate::pdu::Pdu;
use crate::room_versions::RoomVersionRules;
use serde_json::Value;

pub use auth_events::{auth_types_for_event, check_auth_events, AuthEvent};
pub use numbers::Numbers;

/// The current state the rules may read: (type, state_key) -> event.
pub trait StateLookup {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu>;
}

/// A plain list of state events is a lookup (linear: auth state is a handful of events).
impl StateLookup for Vec<Pdu> {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu> {
        self.iter().find(|pdu| pdu.kind == kind && pdu.state_key.as_deref() == Some(state_key))
    }
}

impl StateLookup for Vec<&Pdu> {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu> {
        self.iter().copied().find(|pdu| pdu.kind == kind && pdu.state_key.as_deref() == Some(state_key))
    }
}

/// Why an event was rejected: the spec's rule number and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The rule as the spec numbers it for this room version, e.g. "4.3.3".
    pub rule: String,
    pub reason: String,
}

/// A rejection under `rule` (its numbers, outermost first).
pub(crate) fn reject<T>(rule: &[u8], reason: impl Into<String>) -> Result<T, Rejection> {
    let mut text = String::with_capacity(rule.len() * 3);
    for (i, part) in rule.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        text.push_str(&part.to_string());
    }
    Err(Rejection { rule: text, reason: reason.into() })
}

pub(crate) const CREATE: &str = "m.room.create";
pub(crate) const MEMBER: &str = "m.room.member";
pub(crate) const JOIN_RULES: &str = "m.room.join_rules";
pub(crate) const POWER_LEVELS: &str = "m.room.power_levels";
pub(crate) const THIRD_PARTY_INVITE: &str = "m.room.third_party_invite";
pub(crate) const ALIASES: &str = "m.room.aliases";
pub(crate) const REDACTION: &str = "m.room.redaction";

/// What every rule after the create rule reads: the event, its version's rules, the state,
/// and the state's create and power levels events, looked up once.
pub struct Context<'a> {
    pub rules: &'a RoomVersionRules,
    pub n: Numbers,
    pub event: &'a Pdu,
    pub state: &'a dyn StateLookup,
    pub create: &'a Pdu,
    pub power_levels: Option<&'a Pdu>,
}

impl<'a> Context<'a> {
    /// A user's membership in the state (`None` when they have no member event or it has no
    /// string `membership`: for the rules that is the same as `leave`).
    pub fn membership(&self, user: &str) -> Option<&'a str> {
        self.state.get(MEMBER, user).and_then(|event| event.content.get("membership")).and_then(Value::as_str)
    }

    /// The room's join rule; `invite` when the room has no join rules event.
    pub fn join_rule(&self) -> &'a str {
        self.state
            .get(JOIN_RULES, "")
            .and_then(|event| event.content.get("join_rule"))
            .and_then(Value::as_str)
            .unwrap_or("invite")
    }

    /// "the creator": `content.creator` of the create event, or from v11 its sender.
    pub fn creator(&self) -> Option<&'a str> {
        if self.rules.creator_is_create_sender {
            Some(self.create.sender.as_str())
        } else {
            self.create.content.get("creator").and_then(Value::as_str)
        }
    }

    /// v12's room creators: the create event's sender and its `additional_creators`.
    pub fn is_creator(&self, user: &str) -> bool {
        self.create.sender == user
            || match self.create.content.get("additional_creators") {
                Some(Value::Array(list)) => list.iter().any(|entry| entry.as_str() == Some(user)),
                _ => false,
            }
    }
}

/// The server name of a user id, event id (v1, v2) or room id (before v12): what follows the
/// first `:`.
pub(crate) fn domain(id: &str) -> Option<&str> {
    id.split_once(':').map(|(_, domain)| domain)
}

/// Whether `event` is allowed against `state` (its auth events, or the state before it).
/// `signed_by(server)` says whether the event carries a valid signature of that server, for
/// the rules that need one (join_authorised_via_users_server); the caller verified signatures.
///
/// Runs every rule of the version but the ones on the event's `auth_events` list itself (see
/// `check_auth_events`). In v12 the state must hold the create event, since no event lists it.
pub fn check(
    rules: &RoomVersionRules,
    event: &Pdu,
    state: &dyn StateLookup,
    signed_by: &dyn Fn(&str) -> bool,
) -> Result<(), Rejection> {
    let n = Numbers::of(rules);
    // Rule 1: the create event depends on nothing else.
    if event.kind == CREATE {
        return create::check_create(rules, &n, event);
    }
    let create = match state.get(CREATE, "") {
        Some(create) => create,
        None => {
            // v12 rule 2 (the room id names an accepted create event) or, before, rule 2.4
            // (no create event among the auth events): either way there is none to go by.
            return match n.room_id {
                Some(rule) => reject(&[rule], "the room's create event is not in the state"),
                None => reject(&[n.auth_events, 4], "there is no m.room.create event in the state"),
            };
        }
    };
    let context = Context { rules, n, event, state, create, power_levels: state.get(POWER_LEVELS, "") };
    if let Some(rule) = context.n.room_id {
        create::check_room_id(&context, rule)?;
    }
    other::check_federate(&context)?;
    if let (Some(rule), ALIASES) = (context.n.aliases, event.kind.as_str()) {
        return other::check_aliases(&context, rule);
    }
    if event.kind == MEMBER {
        return member::check_member(&context, signed_by);
    }
    other::check_sender_joined(&context)?;
    if event.kind == THIRD_PARTY_INVITE {
        return third_party_invite::check_third_party_invite_event(&context);
    }
    other::check_required_level(&context)?;
    other::check_user_state_key(&context)?;
    if event.kind == POWER_LEVELS {
        return power_levels::check_power_levels(&context);
    }
    if let (Some(rule), REDACTION) = (context.n.redaction, event.kind.as_str()) {
        return redaction::check_redaction(&context, rule);
    }
    // "Otherwise, allow."
    Ok(())
}

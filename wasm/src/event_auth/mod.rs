//! Authorization rules: https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules and the
//! later versions' fragments (v3, v6, v7, v8, v10, v11, v12).
//!
//! The API below is what state resolution calls; its bodies are being written (issue 3).

use crate::pdu::Pdu;
use crate::room_versions::RoomVersionRules;

/// The current state the rules may read: (type, state_key) -> event.
pub trait StateLookup {
    fn get(&self, kind: &str, state_key: &str) -> Option<&Pdu>;
}

/// Why an event was rejected: the spec's rule number and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The rule as the spec numbers it for this room version, e.g. "4.3.3".
    pub rule: String,
    pub reason: String,
}

/// The state keys an event's authorization reads (the spec's auth events selection):
/// https://spec.matrix.org/v1.19/server-server-api/#auth-events-selection
pub fn auth_types_for_event(_rules: &RoomVersionRules, _event: &Pdu) -> Vec<(String, String)> {
    Vec::new()
}

/// Whether `event` is allowed against `state` (its auth events, or the state before it).
/// `signed_by(server)` says whether the event carries a valid signature of that server, for
/// the rules that need one (join_authorised_via_users_server); the caller verified signatures.
pub fn check(
    _rules: &RoomVersionRules,
    _event: &Pdu,
    _state: &dyn StateLookup,
    _signed_by: &dyn Fn(&str) -> bool,
) -> Result<(), Rejection> {
    Err(Rejection { rule: "0".into(), reason: "not written yet".into() })
}

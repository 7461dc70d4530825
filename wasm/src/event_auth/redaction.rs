//! Rule 11 of room versions 1 and 2, `m.room.redaction`:
//! https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules
//! From v3 a redaction passes the rules like any other event and the redaction itself is
//! checked on receipt (https://spec.matrix.org/v1.19/rooms/v3/#handling-redactions).

use super::power_levels::{named_level, user_level};
use super::{domain, reject, Context, Rejection};

pub fn check_redaction(context: &Context, rule: u8) -> Result<(), Rejection> {
    // 11.1
    if user_level(context, &context.event.sender) >= named_level(context, "redact") {
        return Ok(());
    }
    // 11.2: event ids of these versions are `$local:server`.
    let redacted_domain = context.event.redacts.as_deref().and_then(domain);
    if redacted_domain.is_some() && redacted_domain == domain(&context.event.event_id) {
        return Ok(());
    }
    // 11.3
    reject(&[rule, 3], "the sender is below the redact level and the redacted event is from another server")
}

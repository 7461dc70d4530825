//! Power levels: reading them from the state (with the spec's defaults and each version's
//! value formats) and rule 10 / 9 (v6-v11) / 10 (v12), `m.room.power_levels`.
//! https://spec.matrix.org/v1.19/rooms/v12/#authorization-rules,
//! https://spec.matrix.org/v1.19/server-server-api/#definitions (defaults),
//! https://spec.matrix.org/v1.19/rooms/v1/#mroompower_levels-events-accept-values-as-strings
//! and /rooms/v1/#mroompower_levels-events-accept-values-as-floats.

use super::user_id::is_valid_user_id;
use super::{reject, Context, Rejection};
use crate::room_versions::RoomVersionRules;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A power level. Wider than any JSON integer so that v12 creators' infinite level
/// (`INFINITE`) is above every value an event can hold.
pub type Level = i128;
pub const INFINITE: Level = i128::MAX;

const NAMED: [&str; 7] = ["users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"];

/// A power level value as the version reads it: an integer; before v10 also a string holding
/// one (optional whitespace, one optional sign, base-10 digits); before v6, where canonical
/// JSON is not enforced, also a float, truncated. Anything else (and values beyond 64 bits)
/// is None.
pub fn parse_level(rules: &RoomVersionRules, value: &Value) -> Option<Level> {
    match value {
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                return Some(integer as Level);
            }
            if rules.strict_canonical_json || rules.integer_power_levels {
                return None;
            }
            let float = number.as_f64()?;
            // Finite (JSON has no others) and within i64 after truncation.
            let truncated = float.trunc();
            if truncated.is_finite() && truncated.abs() < 9.2e18 {
                Some(truncated as i64 as Level)
            } else {
                None
            }
        }
        Value::String(text) if !rules.integer_power_levels => parse_stringy(text),
        _ => None,
    }
}

fn parse_stringy(text: &str) -> Option<Level> {
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 19 {
        return None;
    }
    let magnitude: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let value = if negative { -magnitude } else { magnitude };
    if value < i64::MIN as i128 || value > i64::MAX as i128 {
        return None;
    }
    Some(value)
}

fn content_of<'a>(context: &Context<'a>) -> Option<&'a Map<String, Value>> {
    context.power_levels.map(|event| &event.content)
}

/// A top-level level (`ban`, `kick`, `invite`, `state_default`, ...) with its default.
pub fn named_level(context: &Context, name: &str) -> Level {
    let value = content_of(context).and_then(|content| content.get(name)).and_then(|v| parse_level(context.rules, v));
    value.unwrap_or_else(|| match name {
        "ban" | "kick" | "redact" => 50,
        // 50 in a power levels event without it, 0 when the room has none.
        "state_default" if context.power_levels.is_some() => 50,
        _ => 0,
    })
}

/// A user's level: v12 creators are infinite; then `users`, then `users_default`; without a
/// power levels event the creator has 100 and everyone else 0.
pub fn user_level(context: &Context, user: &str) -> Level {
    if context.rules.privileged_creators && context.is_creator(user) {
        return INFINITE;
    }
    match content_of(context) {
        Some(content) => content
            .get("users")
            .and_then(|users| users.get(user))
            .and_then(|value| parse_level(context.rules, value))
            .unwrap_or_else(|| named_level(context, "users_default")),
        None if !context.rules.privileged_creators && context.creator() == Some(user) => 100,
        None => 0,
    }
}

/// The event type's required power level: `events[type]`, else `state_default` for state
/// events and `events_default` for others.
pub fn required_level(context: &Context, kind: &str, is_state: bool) -> Level {
    content_of(context)
        .and_then(|content| content.get("events"))
        .and_then(|events| events.get(kind))
        .and_then(|value| parse_level(context.rules, value))
        .unwrap_or_else(|| named_level(context, if is_state { "state_default" } else { "events_default" }))
}

/// The rule for `m.room.power_levels` events (10 in v1-v5 and v12, 9 in v6-v11).
pub fn check_power_levels(context: &Context) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = n.power_levels;
    let rules = context.rules;
    let new = &context.event.content;

    // v10+ 1 and 2: every level is an integer. Before v10, where the spec only states the
    // check for `users` (1), a value that is no level at all (say "fifty") is refused under
    // that same rule: the levels could not be compared otherwise.
    for name in NAMED {
        if let Some(value) = new.get(name) {
            if parse_level(rules, value).is_none() {
                return reject(&[rule, n.pl_named_integers.unwrap_or(n.pl_users)], format!("`{name}` is not an integer"));
            }
        }
    }
    let maps: &[&str] = if rules.limit_notifications_power_levels { &["events", "notifications"] } else { &["events"] };
    for map in maps {
        let valid = match new.get(*map) {
            None => true,
            Some(Value::Object(entries)) => entries.values().all(|value| parse_level(rules, value).is_some()),
            Some(_) => false,
        };
        if !valid {
            let reason = format!("`{map}` is not an object of integers");
            return reject(&[rule, n.pl_maps_integers.unwrap_or(n.pl_users)], reason);
        }
    }
    let new_users = match new.get("users") {
        None => None,
        Some(Value::Object(users)) => Some(users),
        Some(_) => return reject(&[rule, n.pl_users], "`users` is not an object"),
    };
    if let Some(users) = new_users {
        for (user, value) in users {
            if !is_valid_user_id(user) {
                return reject(&[rule, n.pl_users], format!("`users` has a key that is not a user id: {user}"));
            }
            if parse_level(rules, value).is_none() {
                return reject(&[rule, n.pl_users], format!("the level of {user} is not an integer"));
            }
        }
        // v12: creators are not listed.
        if let Some(creators_rule) = n.pl_creators {
            if let Some(creator) = users.keys().find(|user| context.is_creator(user)) {
                return reject(&[rule, creators_rule], format!("`users` lists the room creator {creator}"));
            }
        }
    }

    let old = match content_of(context) {
        Some(old) => old,
        None => return Ok(()), // "no previous m.room.power_levels event in the room, allow"
    };
    let sender = context.event.sender.as_str();
    let sender_level = user_level(context, sender);
    let level = |content: &Map<String, Value>, map: Option<&str>, key: &str| -> Option<Level> {
        let holder = match map {
            Some(map) => content.get(map)?,
            None => return content.get(key).and_then(|value| parse_level(rules, value)),
        };
        holder.get(key).and_then(|value| parse_level(rules, value))
    };

    for name in NAMED {
        let (before, after) = (level(old, None, name), level(new, None, name));
        if before == after {
            continue;
        }
        if before.map_or(false, |before| before > sender_level) {
            return reject(&[rule, n.pl_named, 1], format!("the current `{name}` is above the sender's level"));
        }
        if after.map_or(false, |after| after > sender_level) {
            return reject(&[rule, n.pl_named, 2], format!("the new `{name}` is above the sender's level"));
        }
    }

    let keys = |map: &str| -> BTreeSet<&str> {
        let mut keys = BTreeSet::new();
        for content in [old, new] {
            if let Some(Value::Object(entries)) = content.get(map) {
                keys.extend(entries.keys().map(String::as_str));
            }
        }
        keys
    };
    for map in maps {
        for key in keys(map) {
            let (before, after) = (level(old, Some(map), key), level(new, Some(map), key));
            if before != after && before.map_or(false, |before| before > sender_level) {
                let reason = format!("the current level of `{key}` in `{map}` is above the sender's level");
                return reject(&[rule, n.pl_maps_current, 1], reason);
            }
        }
    }
    for map in maps {
        for key in keys(map) {
            let (before, after) = (level(old, Some(map), key), level(new, Some(map), key));
            if before != after && after.map_or(false, |after| after > sender_level) {
                let reason = format!("the new level of `{key}` in `{map}` is above the sender's level");
                return reject(&[rule, n.pl_maps_new, 1], reason);
            }
        }
    }

    let users = keys("users");
    for user in &users {
        let (before, after) = (level(old, Some("users"), user), level(new, Some("users"), user));
        if *user != sender && before != after && before.map_or(false, |before| before >= sender_level) {
            let reason = format!("{user}'s current level is not below the sender's");
            return reject(&[rule, n.pl_users_current, 1], reason);
        }
    }
    for user in &users {
        let (before, after) = (level(old, Some("users"), user), level(new, Some("users"), user));
        if before != after && after.map_or(false, |after| after > sender_level) {
            return reject(&[rule, n.pl_users_new, 1], format!("{user}'s new level is above the sender's"));
        }
    }
    Ok(())
}

//! The push operations: JSON in, JSON out (over the byte-buffer ABI of src/abi.rs).
//!
//! - `push_default_rules` `{user_id, legacy_mention_rules?}` -> the default ruleset for the user.
//! - `push_effective_rules` `{user_id, rules, legacy_mention_rules?}` -> the user's stored
//!   rules merged with the defaults, as `GET /pushrules/global/` shows them.
//! - `push_prepare`, `push_release`: see `prepare_op`, `release_op` (and registry.rs).
//! - `push_evaluate`: see `evaluate_op`.

use super::condition::{Power, Room};
use super::evaluate::{self, Recipient, RuleRef, Verdict};
use super::registry;
use super::rules::{Defaults, UserRules};
use serde_json::{json, Value};
use std::collections::HashMap;

fn parse_input(input: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(input).map_err(|e| format!("push: the input is not JSON: {e}"))
}

fn user_id_of(input: &Value) -> Result<&str, String> {
    input.get("user_id").and_then(Value::as_str).ok_or_else(|| "push: user_id must be a string".to_owned())
}

fn legacy_of(input: &Value) -> Result<bool, String> {
    match input.get("legacy_mention_rules") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(legacy)) => Ok(*legacy),
        Some(_) => Err("push: legacy_mention_rules must be a boolean".into()),
    }
}

fn to_bytes(value: &Value) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| format!("push: {e}"))
}

/// `{user_id, legacy_mention_rules?}` -> the server-default ruleset for that user.
pub fn default_rules_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let input = parse_input(input)?;
    let defaults = Defaults::get();
    to_bytes(&UserRules::defaults_only().to_json(&defaults, legacy_of(&input)?, user_id_of(&input)?, &Value::Null))
}

/// `{user_id, rules, legacy_mention_rules?}` -> the stored rules merged with the defaults.
pub fn effective_rules_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let input = parse_input(input)?;
    let defaults = Defaults::get();
    let stored = input.get("rules").unwrap_or(&Value::Null);
    let rules = UserRules::parse(stored, &defaults, &mut defaults.interner());
    to_bytes(&rules.to_json(&defaults, legacy_of(&input)?, user_id_of(&input)?, stored))
}

fn registry_of(input: &Value) -> Result<&str, String> {
    input.get("registry").and_then(Value::as_str).ok_or_else(|| "push: registry must be a string".to_owned())
}

const UNKNOWN_REGISTRY: &str = r#"{"unknown_registry":true}"#;

/// `{registry, create, rule_sets: [stored, ...]}` -> `{ids: [...], reads_display_name: [...]}`:
/// compiles each stored rule set and keeps it under a new id. `create` makes the registry
/// if it does not exist; without it, a missing registry answers `{"unknown_registry": true}`.
pub fn prepare_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let input = parse_input(input)?;
    let create = input.get("create").and_then(Value::as_bool).unwrap_or(false);
    let sets = input.get("rule_sets").and_then(Value::as_array).ok_or("push: rule_sets must be an array")?;
    let defaults = Defaults::get();
    let prepared = registry::with_registry(registry_of(&input)?, create, |registry| {
        let (mut ids, mut reads_display_name) = (Vec::with_capacity(sets.len()), Vec::with_capacity(sets.len()));
        for stored in sets {
            let rules = UserRules::parse(stored, &defaults, &mut registry.interner);
            reads_display_name.push(Value::Bool(rules.reads_display_name()));
            ids.push(Value::from(registry.insert(rules)));
        }
        json!({"ids": ids, "reads_display_name": reads_display_name})
    });
    match prepared {
        Some(prepared) => to_bytes(&prepared),
        None => Ok(UNKNOWN_REGISTRY.as_bytes().to_vec()),
    }
}

/// `{registry, ids: [...]}` -> `{}`: forgets prepared rule sets (unknown ids are ignored).
pub fn release_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let input = parse_input(input)?;
    let ids = input.get("ids").and_then(Value::as_array).ok_or("push: ids must be an array")?;
    registry::with_registry(registry_of(&input)?, false, |registry| {
        for id in ids.iter().filter_map(Value::as_u64) {
            registry.remove(id as usize);
        }
        registry.interner.purge();
    });
    Ok(b"{}".to_vec())
}

/// Evaluates one event for many recipients.
///
/// Input:
/// ```text
/// { "event": {...},                       the event (client or federation format)
///   "member_count": 12,                   joined members, for room_member_count
///   "sender_power_level": 0 | "infinite", for sender_notification_permission
///   "notification_levels": {"room": 50},  `notifications` of the power levels (optional)
///   "legacy_mention_rules": false,        optional
///   "rule_sets": [stored, ...],           distinct stored rule sets for this call (optional)
///   "registry": "key",                    where prepared rule sets live (optional)
///   "user_count": 2,                      how many recipients follow the JSON
///   "user_rules": [n, ...] | null,        per recipient: -1 the defaults alone, n >= 0 the
///                                         prepared rule set n, n <= -2 rule_sets[-2 - n];
///                                         null: everyone has the defaults alone
///   "display_names": ["A", null] | null } per recipient, when some rule reads them
/// ```
/// then a NUL byte (which JSON text cannot contain) and the recipients' user ids as UTF-8,
/// separated by `\n` (no user id has one): `...}\0@a:x\n@b:y`. Sending the ids raw spares
/// escaping thousands of strings on one side and unescaping them on the other.
/// Output: `{"actions": [{actions, notify, highlight, sound, tweaks}, ...], "outcomes":
/// [[kind, rule_id, actions index], ...], "results": [n, ...]}` with one number per recipient:
/// an index into `outcomes`, -1 if no rule matched, -2 if they sent the event. Or
/// `{"unknown_registry": true}` if prepared rule sets are named but their registry is gone.
pub fn evaluate_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let split = input.iter().position(|&b| b == 0).ok_or("push: the input has no NUL before the user ids")?;
    let ids = std::str::from_utf8(&input[split + 1..]).map_err(|_| "push: the user ids are not UTF-8".to_owned())?;
    let input = parse_input(&input[..split])?;
    let event = input.get("event").filter(|event| event.is_object()).ok_or("push: event must be an object")?;
    let member_count = input.get("member_count").and_then(Value::as_u64).ok_or("push: member_count must be a non-negative integer")?;
    let sender_power = match input.get("sender_power_level") {
        Some(Value::String(text)) if text == "infinite" => Power::Infinite,
        Some(level) => Power::Level(level.as_i64().ok_or("push: sender_power_level must be an integer or \"infinite\"")?),
        None => return Err("push: sender_power_level is required".into()),
    };
    let mut notification_levels = HashMap::new();
    match input.get("notification_levels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(levels)) => {
            for (key, level) in levels {
                // Rooms before v10 may hold levels as strings of digits.
                let level = level.as_i64().or_else(|| level.as_str().and_then(|text| text.trim().parse().ok()));
                if let Some(level) = level {
                    notification_levels.insert(key.clone(), level);
                }
            }
        }
        Some(_) => return Err("push: notification_levels must be an object".into()),
    }
    let legacy = legacy_of(&input)?;
    let defaults = Defaults::get();
    let inline: Vec<UserRules> = match input.get("rule_sets") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(sets)) if sets.is_empty() => Vec::new(),
        Some(Value::Array(sets)) => {
            let mut interner = defaults.interner();
            sets.iter().map(|stored| UserRules::parse(stored, &defaults, &mut interner)).collect()
        }
        Some(_) => return Err("push: rule_sets must be an array".into()),
    };
    let recipients = recipients(&input, ids)?;
    let room = Room::new(event, member_count, sender_power, notification_levels);

    let uses_registry = recipients.iter().any(|recipient| matches!(recipient.rules, RuleRef::Prepared(_)));
    if uses_registry {
        let key = registry_of(&input)?;
        let output = registry::with_registry(key, false, |registry| {
            evaluate::evaluate(&room, &defaults, &inline, Some(registry), legacy, &recipients).and_then(|evaluation| evaluation_json(&evaluation))
        });
        output.unwrap_or_else(|| Ok(UNKNOWN_REGISTRY.as_bytes().to_vec()))
    } else {
        evaluation_json(&evaluate::evaluate(&room, &defaults, &inline, None, legacy, &recipients)?)
    }
}

/// `{actions, outcomes, results}` (see `evaluate_op`), written directly: for a large room
/// this is thousands of entries, and building a `Value` tree first would double the work.
fn evaluation_json(evaluation: &evaluate::Evaluation) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let error = |e: std::io::Error| format!("push: {e}");
    let mut out: Vec<u8> = Vec::with_capacity(64 + evaluation.outcomes.len() * 32 + evaluation.verdicts.len() * 6);
    out.extend_from_slice(b"{\"actions\":[");
    for (i, actions) in evaluation.actions.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &actions.to_json()).map_err(|e| format!("push: {e}"))?;
    }
    out.extend_from_slice(b"],\"outcomes\":[");
    for (i, outcome) in evaluation.outcomes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write!(out, "[\"{}\",", outcome.rule.kind.name()).map_err(error)?;
        serde_json::to_writer(&mut out, &*outcome.rule.rule_id).map_err(|e| format!("push: {e}"))?;
        write!(out, ",{}]", outcome.actions).map_err(error)?;
    }
    out.extend_from_slice(b"],\"results\":[");
    for (i, verdict) in evaluation.verdicts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match verdict {
            Verdict::Matched(index) => write!(out, "{index}").map_err(error)?,
            Verdict::NoMatch => out.extend_from_slice(b"-1"),
            Verdict::OwnEvent => out.extend_from_slice(b"-2"),
        }
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// The recipients of `evaluate_op`'s input.
fn recipients<'a>(input: &'a Value, ids: &'a str) -> Result<Vec<Recipient<'a>>, String> {
    let count = input.get("user_count").and_then(Value::as_u64).ok_or("push: user_count must be a non-negative integer")? as usize;
    let mut recipients: Vec<Recipient> = if count == 0 {
        Vec::new()
    } else {
        ids.split('\n').map(|user_id| Recipient { user_id, display_name: None, rules: RuleRef::Defaults }).collect()
    };
    if recipients.len() != count {
        return Err(format!("push: {} user ids for {count} users (a user id with a newline?)", recipients.len()));
    }
    match input.get("user_rules") {
        None | Some(Value::Null) => {}
        Some(Value::Array(refs)) if refs.len() == count => {
            for (recipient, reference) in recipients.iter_mut().zip(refs) {
                recipient.rules = match reference.as_i64() {
                    Some(-1) => RuleRef::Defaults,
                    Some(id) if id >= 0 => RuleRef::Prepared(id as usize),
                    Some(inline) => RuleRef::Inline((-2 - inline) as usize),
                    None => return Err(format!("push: user_rules holds {reference}, not an integer")),
                };
            }
        }
        Some(_) => return Err("push: user_rules must be an array with one entry per user".into()),
    }
    match input.get("display_names") {
        None | Some(Value::Null) => {}
        Some(Value::Array(names)) if names.len() == count => {
            for (recipient, name) in recipients.iter_mut().zip(names) {
                recipient.display_name = match name {
                    Value::Null => None,
                    Value::String(name) => Some(name),
                    other => return Err(format!("push: a display name must be a string or null, not {other}")),
                };
            }
        }
        Some(_) => return Err("push: display_names must be an array with one entry per user".into()),
    }
    Ok(recipients)
}


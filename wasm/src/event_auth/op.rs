//! The wasm operations over the auth rules (JSON in, JSON out; src/engine/auth.ts is the
//! typed side). Inputs carry the event and only the state its authorization reads.
//!
//! `event_auth_types`: `{"room_version", "event"}` -> `[[type, state_key], ...]`.
//!
//! `event_auth_check`: one check,
//! `{"room_version", "event", "event_id"?, "state": [pdu], "auth_events"?: [pdu],
//!   "rejected"?: [event id], "signed_by"?: [server]}` -> a result,
//! where a result is `{"allowed": true}` or `{"allowed": false, "rule", "reason"}`.
//! With `auth_events` (the events the event lists, in any order) rule 2 (v12: 3) runs on
//! them first; `rejected` names those that were themselves rejected.
//!
//! `event_auth_check_batch`: many checks over one pool of events, each parsed once,
//! `{"room_version", "events": [pdu], "event_tokens"?, "checks": [{"event": i, "event_id"?, "state": [i],
//!   "auth_events"?: [i], "rejected"?: [i], "signed_by"?: [server]}]}` -> `[result]`.
//!
//! In `event_auth_check` (and `events` of the batch), an entry of `state` or `auth_events` may instead be a token (a
//! number) of an event sent before with that token in `state_tokens` / `auth_event_tokens`
//! (lists parallel to `state` / `auth_events`, a number or null per entry): the module keeps
//! those events parsed. A token it does not hold is an error starting "auth cache miss"; the
//! host then sends the events themselves.
//!
//! Every event in `state`, `auth_events` and `events` needs its `event_id`; the checked event
//! only in room versions 1 and 2 (its redaction rule reads it) — pass `event_id` for others.
//! A malformed input is an error (status 1), never a rejection.

use super::{auth_types_for_event, check, check_auth_events, AuthEvent, Rejection};
use crate::pdu::Pdu;
use crate::room_versions::{rules_for, RoomVersionRules};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

fn parse_input(input: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(input).map_err(|e| format!("invalid JSON: {e}"))? {
        Value::Object(object) => Ok(object),
        _ => Err("the input must be a JSON object".into()),
    }
}

fn room_version(input: &Map<String, Value>) -> Result<&'static RoomVersionRules, String> {
    let id = input.get("room_version").and_then(Value::as_str).ok_or("`room_version` must be a string")?;
    rules_for(id).ok_or_else(|| format!("unknown room version {id}"))
}

/// `Pdu::from_json` on an owned value, moving `content` instead of copying it (the copy was
/// half the cost of a check).
fn pdu_from_owned(mut value: Value, event_id: Option<&str>) -> Result<Pdu, String> {
    let content = match value.as_object_mut().and_then(|object| object.remove("content")) {
        None => Map::new(),
        Some(Value::Object(content)) => content,
        Some(_) => return Err("`content` must be an object".into()),
    };
    let mut pdu = Pdu::from_json(&value, event_id)?;
    if let Some(Value::String(redacts)) = content.get("redacts") {
        pdu.redacts = Some(redacts.clone());
    }
    pdu.content = content;
    Ok(pdu)
}

/// The checked event: its id from `event_id` beside it, else its own field, else empty.
fn parse_event(value: Value, event_id: Option<&Value>) -> Result<Pdu, String> {
    let id = match event_id {
        Some(Value::String(id)) => id.clone(),
        Some(_) => return Err("`event_id` must be a string".into()),
        None => value.get("event_id").and_then(Value::as_str).unwrap_or("").to_string(),
    };
    pdu_from_owned(value, Some(&id)).map_err(|e| format!("event: {e}"))
}

fn parse_known_event(value: Value) -> Result<Pdu, String> {
    pdu_from_owned(value, None).map_err(|e| format!("state or auth event: {e}"))
}

/// Takes the array `key` out of `object` (absent: empty).
fn take_list(object: &mut Map<String, Value>, key: &str) -> Result<Vec<Value>, String> {
    match object.remove(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` must be an array")),
    }
}

fn list<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match object.get(key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` must be an array")),
    }
}

fn strings<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a str>, String> {
    list(object, key)?.iter().map(|v| v.as_str().ok_or_else(|| format!("`{key}` holds a non-string"))).collect()
}

fn outcome(result: Result<(), Rejection>) -> Value {
    match result {
        Ok(()) => json!({"allowed": true}),
        Err(rejection) => json!({"allowed": false, "rule": rejection.rule, "reason": rejection.reason}),
    }
}

/// Rule 2 on the listed auth events (when given), then the rules against `state`.
fn run(
    rules: &RoomVersionRules,
    event: &Pdu,
    state: &Vec<&Pdu>,
    auth_events: Option<Vec<AuthEvent>>,
    signed_by: &[&str],
) -> Result<(), Rejection> {
    if let Some(auth_events) = auth_events {
        check_auth_events(rules, event, &auth_events)?;
    }
    check(rules, event, state, &|server| signed_by.contains(&server))
}

/// Matches the events an event lists to the given ones, in the listed order; a listed id
/// without its event is the caller's mistake (fetch it first), not a rejection.
fn listed_auth_events<'a>(event: &Pdu, given: &[&'a Pdu], rejected: &[&str]) -> Result<Vec<AuthEvent<'a>>, String> {
    event
        .auth_events
        .iter()
        .map(|id| {
            let pdu = given.iter().find(|pdu| pdu.event_id == *id).ok_or_else(|| format!("auth event {id} was not given"))?;
            Ok(AuthEvent { pdu, rejected: rejected.contains(&id.as_str()) })
        })
        .collect()
}

pub fn event_auth_types_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut input = parse_input(input)?;
    let rules = room_version(&input)?;
    let event = parse_event(input.remove("event").ok_or("`event` is missing")?, input.get("event_id"))?;
    serde_json::to_vec(&auth_types_for_event(rules, &event)).map_err(|e| e.to_string())
}

/// State events kept between calls, by a token the host chose for one event object (not by
/// event id: a redacted and an unredacted copy share an id). Purely a cache: a token the
/// module does not hold is a "cache miss" error and the host sends the events again. A room's
/// power levels event, sent with nearly every check, is then parsed once instead of per call.
const CACHE_LIMIT: usize = 1024;
thread_local! {
    static STATE_CACHE: RefCell<HashMap<u64, Rc<Pdu>>> = RefCell::new(HashMap::new());
}

/// The prefix of the error for a token the cache does not hold.
pub const CACHE_MISS: &str = "auth cache miss";

/// A list of state or auth events where each entry is an event, or a token (a number) of an
/// event sent before; `tokens` (same length, numbers or null) names the sent events to keep.
fn take_cached_list(input: &mut Map<String, Value>, key: &str, tokens_key: &str) -> Result<Vec<Rc<Pdu>>, String> {
    let items = take_list(input, key)?;
    let tokens = take_list(input, tokens_key)?;
    STATE_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if let Value::Number(token) = &item {
                let token = token.as_u64().ok_or_else(|| format!("`{key}` holds a bad token"))?;
                let pdu = cache.get(&token).ok_or_else(|| format!("{CACHE_MISS}: {token}"))?;
                out.push(Rc::clone(pdu));
                continue;
            }
            let pdu = Rc::new(parse_known_event(item)?);
            if let Some(token) = tokens.get(i).and_then(Value::as_u64) {
                if cache.len() >= CACHE_LIMIT {
                    cache.clear();
                }
                cache.insert(token, Rc::clone(&pdu));
            }
            out.push(pdu);
        }
        Ok(out)
    })
}

pub fn event_auth_check_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut input = parse_input(input)?;
    let rules = room_version(&input)?;
    let event = parse_event(input.remove("event").ok_or("`event` is missing")?, input.get("event_id"))?;
    let state = take_cached_list(&mut input, "state", "state_tokens")?;
    let state: Vec<&Pdu> = state.iter().map(|pdu| pdu.as_ref()).collect();
    let has_auth_events = input.contains_key("auth_events");
    let auth_pdus = take_cached_list(&mut input, "auth_events", "auth_event_tokens")?;
    let auth_refs: Vec<&Pdu> = auth_pdus.iter().map(|pdu| pdu.as_ref()).collect();
    let auth_events = match has_auth_events {
        true => Some(listed_auth_events(&event, &auth_refs, &strings(&input, "rejected")?)?),
        false => None,
    };
    let result = run(rules, &event, &state, auth_events, &strings(&input, "signed_by")?);
    serde_json::to_vec(&outcome(result)).map_err(|e| e.to_string())
}

pub fn event_auth_check_batch_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut input = parse_input(input)?;
    let rules = room_version(&input)?;
    let pool = take_cached_list(&mut input, "events", "event_tokens")?;
    let pick = |value: &Value| -> Result<&Pdu, String> {
        let index = value.as_u64().ok_or("an event index must be a non-negative integer")?;
        pool.get(index as usize).map(|pdu| pdu.as_ref()).ok_or_else(|| format!("event index {index} is out of range"))
    };
    let mut results = Vec::new();
    for (i, item) in list(&input, "checks")?.iter().enumerate() {
        let item = item.as_object().ok_or_else(|| format!("checks[{i}] must be an object"))?;
        let picked = pick(item.get("event").ok_or_else(|| format!("checks[{i}].event is missing"))?)?;
        let with_id;
        let event = match item.get("event_id") {
            Some(Value::String(id)) => {
                with_id = Pdu { event_id: id.clone(), ..picked.clone() };
                &with_id
            }
            Some(_) => return Err(format!("checks[{i}].event_id must be a string")),
            None => picked,
        };
        let state: Vec<&Pdu> = list(item, "state")?.iter().map(pick).collect::<Result<_, _>>()?;
        let auth_events = match item.get("auth_events") {
            None => None,
            Some(_) => {
                let given: Vec<&Pdu> = list(item, "auth_events")?.iter().map(pick).collect::<Result<_, _>>()?;
                let rejected: Vec<&str> = list(item, "rejected")?
                    .iter()
                    .map(|value| pick(value).map(|pdu| pdu.event_id.as_str()))
                    .collect::<Result<_, _>>()?;
                Some(listed_auth_events(event, &given, &rejected)?)
            }
        };
        results.push(outcome(run(rules, event, &state, auth_events, &strings(item, "signed_by")?)));
    }
    serde_json::to_vec(&results).map_err(|e| e.to_string())
}

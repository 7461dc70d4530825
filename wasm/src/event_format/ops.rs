//! The event format's operations, batched so that many events cross the wasm boundary in one
//! call. Every operation takes `{"room_version": "11", "events": [...]}` as JSON and answers a
//! JSON array with one entry per event, in order: `{"ok": ...}` or `{"error": issue}` (see
//! `FormatIssue::to_json`). A bad event fails its own entry, never the batch; the call itself
//! fails (status 1) only for input that is not such a batch, or an unknown room version.

use super::hashes::{content_hash, hash_owned_event, redacted_bytes, room_id, sha256};
use super::redaction::redact;
use super::signing::signature_servers;
use super::validate::validate;
use super::FormatIssue;
use crate::base64;
use crate::room_versions::{rules_for, RoomVersionRules};
use serde_json::{Map, Value};

struct Batch {
    rules: &'static RoomVersionRules,
    events: Vec<Value>,
    /// `"signing_bytes": true` asks `event_hashes` for the bytes signatures cover too.
    signing_bytes: bool,
}

fn parse_batch(input: &[u8]) -> Result<Batch, String> {
    let mut value = crate::canonical_json::parse(input)?;
    let object = value.as_object_mut().ok_or("the input must be {\"room_version\", \"events\"}")?;
    let version = object.get("room_version").and_then(Value::as_str).ok_or("`room_version` must be a string")?;
    let rules = rules_for(version).ok_or_else(|| format!("unknown room version {version:?}"))?;
    let signing_bytes = object.get("signing_bytes") == Some(&Value::Bool(true));
    match object.remove("events") {
        Some(Value::Array(events)) => Ok(Batch { rules, events, signing_bytes }),
        _ => Err("`events` must be an array".into()),
    }
}

/// Appends `value` as JSON (serde_json's writer; no serde import needed for the bound).
macro_rules! json {
    ($out:expr, $value:expr) => {
        serde_json::to_writer(&mut *$out, $value).map_err(|e| e.to_string())
    };
}

/// Appends `"key":value`, after a comma unless `first`.
macro_rules! field {
    ($out:expr, $first:expr, $key:literal, $value:expr) => {{
        if !$first {
            $out.push(b',');
        }
        $out.extend_from_slice(concat!("\"", $key, "\":").as_bytes());
        json!($out, $value)
    }};
}

/// Writes the answer array entry by entry.
struct Answer {
    out: Vec<u8>,
    entries: usize,
}

impl Answer {
    fn new(capacity: usize) -> Answer {
        let mut out = Vec::with_capacity(capacity);
        out.push(b'[');
        Answer { out, entries: 0 }
    }

    fn separator(&mut self) {
        if self.entries > 0 {
            self.out.push(b',');
        }
        self.entries += 1;
    }

    /// `{"ok":` + whatever `write` appends + `}`.
    fn ok(&mut self, write: impl FnOnce(&mut Vec<u8>) -> Result<(), String>) -> Result<(), String> {
        self.separator();
        self.out.extend_from_slice(b"{\"ok\":");
        write(&mut self.out)?;
        self.out.push(b'}');
        Ok(())
    }

    fn error(&mut self, issue: &FormatIssue) -> Result<(), String> {
        self.separator();
        self.out.extend_from_slice(b"{\"error\":");
        json!(&mut self.out, &issue.to_json())?;
        self.out.push(b'}');
        Ok(())
    }

    fn entry<T>(
        &mut self,
        result: Result<T, FormatIssue>,
        write: impl FnOnce(&mut Vec<u8>, T) -> Result<(), String>,
    ) -> Result<(), String> {
        match result {
            Ok(value) => self.ok(|out| write(out, value)),
            Err(issue) => self.error(&issue),
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.out.push(b']');
        self.out
    }
}

fn as_object(event: &Value) -> Result<&Map<String, Value>, FormatIssue> {
    event.as_object().ok_or(FormatIssue::NotAnObject)
}

/// `event_validate`: `{"ok": null}` for a valid event, else the first problem.
pub fn event_validate_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let batch = parse_batch(input)?;
    let mut answer = Answer::new(16 * batch.events.len() + 2);
    let mut scratch = Vec::new();
    for event in &batch.events {
        answer.entry(validate(batch.rules, event, &mut scratch), |out, ()| {
            out.extend_from_slice(b"null");
            Ok(())
        })?;
    }
    Ok(answer.finish())
}

/// `event_hashes`: `{"event_id", "room_id" (null if none), "content_hash", "reference_hash"}`,
/// hashes in unpadded standard Base64, and `"signing_bytes"` (the canonical JSON text
/// signatures cover) if the batch asks. No format check: hashing needs only canonical JSON
/// (and `event_id` in v1/v2); validate received events first.
pub fn event_hashes_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let batch = parse_batch(input)?;
    let mut answer = Answer::new(200 * batch.events.len() + 2);
    let mut scratch = Vec::with_capacity(1024);
    for event in batch.events {
        // Leaves the redacted bytes in `scratch`.
        let hashes = match event {
            Value::Object(event) => hash_owned_event(batch.rules, event, &mut scratch),
            _ => Err(FormatIssue::NotAnObject),
        };
        answer.entry(hashes, |out, hashes| {
            out.push(b'{');
            field!(out, true, "event_id", &hashes.event_id)?;
            field!(out, false, "room_id", &hashes.room_id)?;
            field!(out, false, "content_hash", &base64::encode(&hashes.content_hash))?;
            field!(out, false, "reference_hash", &base64::encode(&hashes.reference_hash))?;
            if batch.signing_bytes {
                field!(out, false, "signing_bytes", std::str::from_utf8(&scratch).map_err(|e| e.to_string())?)?;
            }
            out.push(b'}');
            Ok(())
        })?;
    }
    Ok(answer.finish())
}

/// `event_redact`: the redacted event (`unsigned` goes too, as the algorithm strips every key
/// it does not list).
pub fn event_redact_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let batch = parse_batch(input)?;
    let mut answer = Answer::new(input.len() / 2 + 2);
    for event in &batch.events {
        answer.entry(as_object(event).and_then(|event| redact(batch.rules, event)), |out, redacted| {
            json!(out, &redacted)
        })?;
    }
    Ok(answer.finish())
}

/// `event_prepare`, for an event this server builds: sets `hashes.sha256` to the content hash
/// (other algorithms in `hashes` stay) and answers `{"hashes", "signing_bytes", "event_id",
/// "room_id"}`: the host signs `signing_bytes` (UTF-8 of the text) and adds the signature.
/// v1/v2 events must already carry their `event_id`.
pub fn event_prepare_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let batch = parse_batch(input)?;
    let mut answer = Answer::new(input.len() + 200 * batch.events.len() + 2);
    let mut scratch = Vec::with_capacity(1024);
    for mut event in batch.events {
        let prepared = match event.as_object_mut() {
            None => Err(FormatIssue::NotAnObject),
            Some(event) => prepare(batch.rules, event, &mut scratch),
        };
        answer.entry(prepared, |out, (hashes, event_id, room_id)| {
            out.push(b'{');
            field!(out, true, "hashes", &hashes)?;
            field!(out, false, "signing_bytes", std::str::from_utf8(&scratch).map_err(|e| e.to_string())?)?;
            field!(out, false, "event_id", &event_id)?;
            field!(out, false, "room_id", &room_id)?;
            out.push(b'}');
            Ok(())
        })?;
    }
    Ok(answer.finish())
}

type Prepared = (Value, String, Option<String>);

fn prepare(
    rules: &RoomVersionRules,
    event: &mut Map<String, Value>,
    scratch: &mut Vec<u8>,
) -> Result<Prepared, FormatIssue> {
    let hash = base64::encode(&content_hash(rules, event, scratch)?);
    let mut hashes = match event.remove("hashes") {
        Some(Value::Object(hashes)) => hashes,
        _ => Map::new(),
    };
    hashes.insert("sha256".into(), Value::String(hash));
    event.insert("hashes".into(), Value::Object(hashes.clone()));
    redacted_bytes(rules, event, scratch)?;
    let event_id = super::hashes::event_id(rules, event, &sha256(scratch))?;
    let room_id = room_id(rules, event, &event_id);
    Ok((Value::Object(hashes), event_id, room_id))
}

/// `event_inspect`, for a received event: the format check, then `{"event_id", "room_id",
/// "signing_bytes", "required_servers", "optional_servers", "content_hash_ok"}`, plus
/// `"redacted"` (the event as the spec says to keep it) when the content hash does not match.
pub fn event_inspect_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let batch = parse_batch(input)?;
    let mut answer = Answer::new(input.len() + 300 * batch.events.len() + 2);
    let mut scratch = Vec::with_capacity(1024);
    let mut signing = Vec::with_capacity(1024);
    for event in &batch.events {
        let inspected = validate(batch.rules, event, &mut scratch).and_then(|()| {
            let event = as_object(event)?;
            let claimed =
                event.get("hashes").and_then(|h| h.get("sha256")).and_then(Value::as_str).and_then(base64::decode);
            let content_hash_ok = claimed.as_deref() == Some(&content_hash(batch.rules, event, &mut scratch)?[..]);
            redacted_bytes(batch.rules, event, &mut signing)?;
            let event_id = super::hashes::event_id(batch.rules, event, &sha256(&signing))?;
            let redacted = if content_hash_ok { None } else { Some(redact(batch.rules, event)?) };
            Ok((event, event_id, content_hash_ok, redacted))
        });
        answer.entry(inspected, |out, (event, event_id, content_hash_ok, redacted)| {
            let servers = signature_servers(batch.rules, event);
            out.push(b'{');
            field!(out, true, "event_id", &event_id)?;
            field!(out, false, "room_id", &room_id(batch.rules, event, &event_id))?;
            field!(out, false, "signing_bytes", std::str::from_utf8(&signing).map_err(|e| e.to_string())?)?;
            field!(out, false, "required_servers", &servers.required)?;
            field!(out, false, "optional_servers", &servers.optional)?;
            field!(out, false, "content_hash_ok", &content_hash_ok)?;
            if let Some(redacted) = redacted {
                field!(out, false, "redacted", &redacted)?;
            }
            out.push(b'}');
            Ok(())
        })?;
    }
    Ok(answer.finish())
}

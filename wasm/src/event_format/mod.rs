//! The event format of each room version: shape validation, canonical JSON (strict from v6,
//! lenient before), content and reference hashes, event ids, v12 room ids, redaction, and
//! what signing and verifying need (the bytes signatures cover, which servers must sign).
//! Ed25519 itself stays in TypeScript (src/protocol/ed25519.ts); src/engine/events.ts drives
//! these operations.
//!
//! Every rule reads a flag of `RoomVersionRules`, never a version number. The files follow
//! the spec's sections: `validate` (checks on receipt, step 1), `hashes` (content hash,
//! reference hash, ids), `redaction`, `signing` (validating signatures), `canonical`,
//! `identifiers` (Base64 is crate::base64); `ops` holds the batch operations the host calls.

pub mod canonical;
pub mod hashes;
pub mod identifiers;
pub mod ops;
pub mod redaction;
pub mod signing;
pub mod validate;

use serde_json::{json, Value};

/// Why an event does not fit its room version's format, or cannot be hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatIssue {
    /// The event is not a JSON object.
    NotAnObject,
    /// Not encodable as the version's canonical JSON: a float or an integer beyond 2^53 where
    /// the format is enforced (v6+), or a value no JSON encoder can write.
    NotCanonical(String),
    /// Larger than 65,536 bytes as canonical JSON.
    TooLarge {
        bytes: usize,
    },
    MissingKey(&'static str),
    /// `key` is a path such as `prev_events[2][1].sha256`.
    WrongType {
        key: String,
        expected: &'static str,
    },
    /// Longer than 255 bytes.
    TooLong {
        key: &'static str,
        bytes: usize,
    },
    TooManyReferences {
        key: &'static str,
        count: usize,
        limit: usize,
    },
    /// Does not follow the identifier grammar the version uses for `key`.
    BadIdentifier {
        key: &'static str,
        expected: &'static str,
    },
}

impl FormatIssue {
    pub fn code(&self) -> &'static str {
        match self {
            FormatIssue::NotAnObject => "not_an_object",
            FormatIssue::NotCanonical(_) => "not_canonical",
            FormatIssue::TooLarge { .. } => "too_large",
            FormatIssue::MissingKey(_) => "missing_key",
            FormatIssue::WrongType { .. } => "wrong_type",
            FormatIssue::TooLong { .. } => "too_long",
            FormatIssue::TooManyReferences { .. } => "too_many_references",
            FormatIssue::BadIdentifier { .. } => "bad_identifier",
        }
    }

    pub fn message(&self) -> String {
        match self {
            FormatIssue::NotAnObject => "an event must be a JSON object".into(),
            FormatIssue::NotCanonical(reason) => format!("not canonical JSON: {reason}"),
            FormatIssue::TooLarge { bytes } => {
                format!("the event is {bytes} bytes as canonical JSON, more than {}", validate::MAX_EVENT_BYTES)
            }
            FormatIssue::MissingKey(key) => format!("`{key}` is missing"),
            FormatIssue::WrongType { key, expected } => format!("`{key}` must be {expected}"),
            FormatIssue::TooLong { key, bytes } => {
                format!("`{key}` is {bytes} bytes, more than {}", identifiers::MAX_ID_BYTES)
            }
            FormatIssue::TooManyReferences { key, count, limit } => {
                format!("`{key}` lists {count} events, more than {limit}")
            }
            FormatIssue::BadIdentifier { key, expected } => format!("`{key}` must be {expected}"),
        }
    }

    /// `{"code", "message", "key"?, ...}` for the host (src/engine/events.ts `EventFormatIssue`).
    pub fn to_json(&self) -> Value {
        let mut value = json!({"code": self.code(), "message": self.message()});
        let object = value.as_object_mut().expect("an object literal");
        match self {
            FormatIssue::MissingKey(key) | FormatIssue::BadIdentifier { key, .. } => {
                object.insert("key".into(), json!(key));
            }
            FormatIssue::WrongType { key, .. } => {
                object.insert("key".into(), json!(key));
            }
            FormatIssue::TooLong { key, bytes } => {
                object.insert("key".into(), json!(key));
                object.insert("bytes".into(), json!(bytes));
                object.insert("limit".into(), json!(identifiers::MAX_ID_BYTES));
            }
            FormatIssue::TooLarge { bytes } => {
                object.insert("bytes".into(), json!(bytes));
                object.insert("limit".into(), json!(validate::MAX_EVENT_BYTES));
            }
            FormatIssue::TooManyReferences { key, count, limit } => {
                object.insert("key".into(), json!(key));
                object.insert("count".into(), json!(count));
                object.insert("limit".into(), json!(limit));
            }
            FormatIssue::NotAnObject | FormatIssue::NotCanonical(_) => {}
        }
        value
    }
}

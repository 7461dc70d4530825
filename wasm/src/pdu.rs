//! A PDU as the rules see it: the fields auth rules and state resolution read, parsed once
//! from the federation JSON. Shape checks per version (sizes, field types, hashes) are the
//! event format's job (`event_format`); this parse is lenient where the rules do not care.
//! https://spec.matrix.org/v1.19/server-server-api/#pdus

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct Pdu {
    pub event_id: String,
    /// None only for a v12 create event (its room id is derived from its event id).
    pub room_id: Option<String>,
    pub sender: String,
    /// The event `type`.
    pub kind: String,
    pub state_key: Option<String>,
    pub content: Map<String, Value>,
    pub prev_events: Vec<String>,
    pub auth_events: Vec<String>,
    pub depth: i64,
    pub origin_server_ts: i64,
    /// The event a redaction redacts: top-level `redacts` before v11, `content.redacts` from v11
    /// (either is read, the content one first).
    pub redacts: Option<String>,
}

fn string_field(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn required_string(object: &Map<String, Value>, key: &str) -> Result<String, String> {
    string_field(object, key)?.ok_or_else(|| format!("`{key}` is missing"))
}

fn integer_field(object: &Map<String, Value>, key: &str) -> Result<i64, String> {
    match object.get(key) {
        None => Ok(0),
        Some(value) => value.as_i64().ok_or_else(|| format!("`{key}` must be an integer")),
    }
}

/// `prev_events`/`auth_events`: ids (v3+) or `[id, {hashes}]` pairs (v1, v2).
fn event_references(object: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    let list = match object.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(format!("`{key}` must be an array")),
    };
    list.iter()
        .map(|entry| match entry {
            Value::String(id) => Ok(id.clone()),
            Value::Array(pair) => match pair.first() {
                Some(Value::String(id)) => Ok(id.clone()),
                _ => Err(format!("`{key}` holds a malformed reference")),
            },
            _ => Err(format!("`{key}` holds a malformed reference")),
        })
        .collect()
}

impl Pdu {
    /// Parses a PDU. `event_id` is the id computed by the caller (reference hash, v3+); when
    /// None, the PDU's own `event_id` field is used (v1/v2, and test fixtures).
    pub fn from_json(value: &Value, event_id: Option<&str>) -> Result<Pdu, String> {
        let object = value.as_object().ok_or("a PDU must be a JSON object")?;
        let event_id = match event_id {
            Some(id) => id.to_string(),
            None => required_string(object, "event_id")?,
        };
        let content = match object.get("content") {
            Some(Value::Object(content)) => content.clone(),
            None => Map::new(),
            Some(_) => return Err("`content` must be an object".into()),
        };
        let redacts = match content.get("redacts") {
            Some(Value::String(id)) => Some(id.clone()),
            _ => string_field(object, "redacts")?,
        };
        Ok(Pdu {
            event_id,
            room_id: string_field(object, "room_id")?,
            sender: required_string(object, "sender")?,
            kind: required_string(object, "type")?,
            state_key: string_field(object, "state_key")?,
            content,
            prev_events: event_references(object, "prev_events")?,
            auth_events: event_references(object, "auth_events")?,
            depth: integer_field(object, "depth")?,
            origin_server_ts: integer_field(object, "origin_server_ts")?,
            redacts,
        })
    }

    pub fn is_state(&self) -> bool {
        self.state_key.is_some()
    }

    /// The (type, state_key) this event sets, for state events.
    pub fn state_pair(&self) -> Option<(&str, &str)> {
        self.state_key.as_deref().map(|key| (self.kind.as_str(), key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_both_reference_shapes_and_redacts() {
        let v1 = json!({"event_id": "$a:x", "room_id": "!r:x", "sender": "@u:x", "type": "m.room.redaction",
            "redacts": "$b:x", "content": {}, "prev_events": [["$p:x", {"sha256": "h"}]], "auth_events": [], "depth": 3,
            "origin_server_ts": 5});
        let pdu = Pdu::from_json(&v1, None).unwrap();
        assert_eq!(pdu.prev_events, vec!["$p:x"]);
        assert_eq!(pdu.redacts.as_deref(), Some("$b:x"));
        assert!(!pdu.is_state());
        let v11 = json!({"room_id": "!r:x", "sender": "@u:x", "type": "m.room.redaction", "content": {"redacts": "$c"},
            "prev_events": ["$p"], "auth_events": ["$a"], "depth": 1});
        let pdu = Pdu::from_json(&v11, Some("$computed")).unwrap();
        assert_eq!((pdu.event_id.as_str(), pdu.redacts.as_deref()), ("$computed", Some("$c")));
    }

    #[test]
    fn refuses_wrong_types() {
        assert!(Pdu::from_json(&json!({"event_id": "$a", "sender": 1, "type": "t"}), None).is_err());
        assert!(Pdu::from_json(&json!({"event_id": "$a", "sender": "@u:x"}), None).is_err());
        assert!(Pdu::from_json(&json!({"event_id": "$a", "sender": "@u:x", "type": "t", "content": []}), None).is_err());
        assert!(Pdu::from_json(&json!([1]), None).is_err());
    }
}

//! The event as push conditions see it: flattened once into dotted keys.
//!
//! Keys follow https://spec.matrix.org/v1.19/appendices/#dot-separated-property-paths:
//! properties joined with `.`, a literal `.` or `\` inside a name escaped with `\`, and any
//! other `\x` read as a backslash followed by `x`. A condition's key is parsed into names
//! and written back in the one canonical escaping (`canonical_key`), which is also how the
//! event's keys are written, so a lookup is one hash-map probe.

use super::glob::fold;
use serde_json::Value;
use std::collections::HashMap;

/// A property of the event at a dotted key.
#[derive(Debug)]
pub enum Field<'a> {
    /// A string, with its folded form for globs.
    String { raw: &'a str, folded: Vec<char> },
    /// A number, boolean or null; `event_property_is` compares these exactly.
    Scalar(&'a Value),
    /// An array, for `event_property_contains`.
    Array(&'a [Value]),
    /// An object: present, but no condition matches it.
    Object,
}

/// Every property of an event by canonical dotted key.
#[derive(Debug, Default)]
pub struct FlatEvent<'a> {
    fields: HashMap<String, Field<'a>>,
}

impl<'a> FlatEvent<'a> {
    /// Flattens `event` (any JSON value; only objects have properties). Iterative, so a deep
    /// event cannot exhaust the stack.
    pub fn new(event: &'a Value) -> FlatEvent<'a> {
        let mut fields = HashMap::new();
        let mut pending: Vec<(String, &'a Value)> = Vec::new();
        if let Value::Object(map) = event {
            for (name, value) in map {
                pending.push((escape_name(name), value));
            }
        }
        while let Some((key, value)) = pending.pop() {
            let field = match value {
                Value::String(raw) => Field::String { raw, folded: fold(raw) },
                Value::Array(items) => Field::Array(items),
                Value::Object(map) => {
                    for (name, child) in map {
                        let mut child_key = String::with_capacity(key.len() + 1 + name.len());
                        child_key.push_str(&key);
                        child_key.push('.');
                        child_key.push_str(&escape_name(name));
                        pending.push((child_key, child));
                    }
                    Field::Object
                }
                scalar => Field::Scalar(scalar),
            };
            fields.insert(key, field);
        }
        FlatEvent { fields }
    }

    /// The property at a canonical key (see `canonical_key`).
    pub fn get(&self, key: &str) -> Option<&Field<'a>> {
        self.fields.get(key)
    }

    /// The string at a canonical key, if the property is a string.
    pub fn string(&self, key: &str) -> Option<&'a str> {
        match self.fields.get(key) {
            Some(Field::String { raw, .. }) => Some(raw),
            _ => None,
        }
    }
}

/// Escapes one property name: `\` as `\\` and `.` as `\.`.
pub fn escape_name(name: &str) -> String {
    if !name.contains(|c| c == '.' || c == '\\') {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len() + 2);
    for c in name.chars() {
        if c == '.' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits a dotted key into property names, undoing `\.` and `\\`; other escapes are kept
/// as written (a `\x` is a backslash and an `x`).
pub fn split_key(key: &str) -> Vec<String> {
    let mut names = vec![String::new()];
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        let current = names.last_mut().expect("never empty");
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('.' | '\\')) => {
                    current.push(next);
                    chars.next();
                }
                _ => current.push('\\'),
            },
            '.' => names.push(String::new()),
            c => current.push(c),
        }
    }
    names
}

/// The one escaping of `key` that `FlatEvent` uses, so equivalent spellings find the same field.
pub fn canonical_key(key: &str) -> String {
    split_key(key).iter().map(|name| escape_name(name)).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_on_unescaped_dots_only() {
        assert_eq!(split_key("content.body"), ["content", "body"]);
        assert_eq!(split_key("content.m\\.relates_to.rel_type"), ["content", "m.relates_to", "rel_type"]);
        assert_eq!(split_key("content.m\\\\foo"), ["content", "m\\foo"]);
        assert_eq!(split_key("content.m\\\\.foo"), ["content", "m\\", "foo"], "an escaped backslash, then a separator");
        assert_eq!(split_key("content.m\\x"), ["content", "m\\x"], "other escapes stay as written");
        assert_eq!(split_key("content.trailing\\"), ["content", "trailing\\"]);
        assert_eq!(split_key("a..b"), ["a", "", "b"]);
        assert_eq!(split_key(""), [""]);
    }

    #[test]
    fn canonical_keys_agree_with_flattening() {
        assert_eq!(canonical_key("content.m\\x"), "content.m\\\\x");
        assert_eq!(canonical_key("content.m\\\\x"), "content.m\\\\x");
        let event = json!({"content": {"m.mentions": {"user_ids": ["@a:b"]}, "m\\x": "backslash", "a.b": {"c": 1}}});
        let flat = FlatEvent::new(&event);
        assert!(matches!(flat.get(&canonical_key("content.m\\.mentions.user_ids")), Some(Field::Array(items)) if items.len() == 1));
        assert_eq!(flat.string(&canonical_key("content.m\\x")), Some("backslash"));
        assert_eq!(flat.string(&canonical_key("content.m\\\\x")), Some("backslash"));
        assert!(matches!(flat.get(&canonical_key("content.a\\.b.c")), Some(Field::Scalar(v)) if **v == json!(1)));
        assert!(flat.get(&canonical_key("content.a.b.c")).is_none(), "an unescaped dot is a separator");
        assert!(matches!(flat.get("content"), Some(Field::Object)));
    }

    #[test]
    fn strings_are_folded_once() {
        let event = json!({"type": "M.Room.Message", "content": {"body": null}});
        let flat = FlatEvent::new(&event);
        match flat.get("type") {
            Some(Field::String { raw, folded }) => {
                assert_eq!(*raw, "M.Room.Message");
                assert_eq!(folded.iter().collect::<String>(), "m.room.message");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(flat.get("content.body"), Some(Field::Scalar(Value::Null))));
        assert!(flat.string("content.body").is_none());
    }
}

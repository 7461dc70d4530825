//! Push conditions: https://spec.matrix.org/v1.19/client-server-api/#conditions-1
//!
//! A condition is compiled once per rule set and then asked twice: `for_everyone` answers
//! from the event and the room alone (most conditions), so a bulk evaluation asks it once per
//! event; `for_user` also reads the recipient (their id in a default rule, their display name).
//! "Unrecognised conditions MUST NOT match any events": an unknown kind, or a known kind
//! missing its parameters, compiles to `Never`.

use super::event::{canonical_key, Field, FlatEvent};
use super::glob::{fold_chars, word_hash, words, Glob};
use super::pointer_map::PointerMap;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// What the default rules write where the recipient's Matrix ID goes.
pub const USER_ID_PLACEHOLDER: &str = "[the user's Matrix ID]";
/// What the default rules write where the recipient's localpart goes.
pub const LOCALPART_PLACEHOLDER: &str = "[the local part of the user's Matrix ID]";

/// The key whose `event_match` is a word-boundary search rather than a whole-value match.
const BODY: &str = "content.body";
/// Integers `event_property_*` compare: [-(2**53)+1, (2**53)-1].
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `event_match`; `key` is canonical (see event.rs).
    EventMatch { key: String, pattern: Pattern },
    /// `event_property_is`.
    PropertyIs { key: String, value: Expected },
    /// `event_property_contains`.
    PropertyContains { key: String, value: Expected },
    /// `contains_display_name` (deprecated since v1.17, still defined).
    ContainsDisplayName,
    /// `room_member_count` with its `is` parsed.
    RoomMemberCount { comparison: Comparison, count: u64 },
    /// `sender_notification_permission`: the sender holds `notifications[key]` (default 50).
    SenderNotificationPermission { key: String },
    /// A `room` rule: the event is in the room that is the rule's id.
    RoomIs(String),
    /// A `sender` rule: the event is from the user who is the rule's id.
    SenderIs(String),
    /// Unknown or malformed: never matches, which disables the rule.
    Never,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// A glob; matched by word boundaries when the key is `content.body`. `word` is the
    /// glob when it is one plain word, which is looked up in the body's words instead.
    Glob { glob: Rc<Glob>, words: bool, word: Option<Word> },
    /// A default rule's `[the user's Matrix ID]`, compared as the literal id.
    UserId { words: bool },
    /// A default rule's `[the local part of the user's Matrix ID]`, as a literal.
    Localpart { words: bool },
}

impl Pattern {
    pub fn glob(glob: Rc<Glob>, words: bool) -> Pattern {
        let word = match words {
            true => glob.word_literal().map(|text| Word { hash: word_hash(&text), text: text.into_boxed_str() }),
            false => None,
        };
        Pattern::Glob { glob, words, word }
    }

    /// The plain word a body pattern is, if it is one.
    pub fn word(&self) -> Option<&Word> {
        match self {
            Pattern::Glob { word, .. } => word.as_ref(),
            _ => None,
        }
    }
}

/// A pattern that is one plain word (see `Glob::word_literal`), with its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub hash: u64,
    pub text: Box<str>,
}

/// A non-compound value compared exactly (`event_property_is` and `_contains`).
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    Value(Value),
    UserId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Equal,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
}

/// A power level; v12 room creators have infinite power (MSC4289).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Power {
    Level(i64),
    Infinite,
}

/// What every recipient of one event shares: the event and its room.
pub struct Room<'a> {
    pub event: FlatEvent<'a>,
    /// `content.body`, folded, when it is a string.
    body: Option<Vec<char>>,
    /// The words of the folded body (see `glob::words`) with their hashes, sorted by hash.
    body_words: Vec<(u64, String)>,
    /// Body patterns already matched, by address: users' content rules share patterns.
    body_matches: RefCell<PointerMap<usize, bool>>,
    pub room_id: Option<&'a str>,
    pub sender: Option<&'a str>,
    /// The content has `m.mentions`, which turns the legacy mention rules off.
    pub has_mentions: bool,
    pub member_count: u64,
    pub sender_power: Power,
    /// The `notifications` object of the room's power levels.
    pub notification_levels: HashMap<String, i64>,
}

impl<'a> Room<'a> {
    pub fn new(event: &'a Value, member_count: u64, sender_power: Power, notification_levels: HashMap<String, i64>) -> Room<'a> {
        let flat = FlatEvent::new(event);
        let body = match flat.get(BODY) {
            Some(Field::String { folded, .. }) => Some(folded.clone()),
            _ => None,
        };
        let mut body_words: Vec<(u64, String)> = match &body {
            Some(body) => words(body).map(|word| (word_hash(&word), word)).collect(),
            None => Vec::new(),
        };
        body_words.sort_unstable();
        body_words.dedup();
        let has_mentions = flat.get("content.m\\.mentions").is_some();
        Room {
            room_id: flat.string("room_id"),
            sender: flat.string("sender"),
            event: flat,
            body,
            body_words,
            body_matches: RefCell::default(),
            has_mentions,
            member_count,
            sender_power,
            notification_levels,
        }
    }
}

impl Room<'_> {
    /// Whether some word of the body has this hash (a cheap first test for `has_word`).
    pub fn has_word_hash(&self, hash: u64) -> bool {
        self.body_words.binary_search_by_key(&hash, |(h, _)| *h).is_ok()
    }

    /// Whether `glob` matches the body between word boundaries; remembered per glob.
    pub fn matches_words(&self, glob: &Rc<Glob>) -> bool {
        let body = match &self.body {
            Some(body) => body,
            None => return false,
        };
        let key = Rc::as_ptr(glob) as usize;
        if let Some(&known) = self.body_matches.borrow().get(&key) {
            return known;
        }
        let matched = glob.matches_words(body);
        self.body_matches.borrow_mut().insert(key, matched);
        matched
    }

    /// Whether `word` is one of the body's words.
    pub fn has_word(&self, word: &Word) -> bool {
        let from = self.body_words.partition_point(|(hash, _)| *hash < word.hash);
        self.body_words[from..].iter().take_while(|(hash, _)| *hash == word.hash).any(|(_, text)| **text == *word.text)
    }
}

/// One recipient.
pub struct User<'a> {
    pub user_id: &'a str,
    pub display_name: Option<&'a str>,
}

impl<'a> User<'a> {
    /// The localpart: between the sigil and the first `:`.
    pub fn localpart(&self) -> &'a str {
        let id = self.user_id.strip_prefix('@').unwrap_or(self.user_id);
        id.split(':').next().unwrap_or(id)
    }
}

impl Condition {
    /// Compiles a condition; `defaults` turns the default rules' placeholders into the user.
    pub fn parse(condition: &Value, defaults: bool) -> Condition {
        let text = |name: &str| condition.get(name).and_then(Value::as_str);
        let key = text("key").map(canonical_key);
        match (text("kind"), key) {
            (Some("event_match"), Some(key)) => match text("pattern") {
                Some(pattern) => {
                    let words = key == BODY;
                    let pattern = match pattern {
                        USER_ID_PLACEHOLDER if defaults => Pattern::UserId { words },
                        LOCALPART_PLACEHOLDER if defaults => Pattern::Localpart { words },
                        pattern => Pattern::glob(Rc::new(Glob::new(pattern)), words),
                    };
                    Condition::EventMatch { key, pattern }
                }
                None => Condition::Never,
            },
            (Some(kind @ ("event_property_is" | "event_property_contains")), Some(key)) => {
                let value = match condition.get("value") {
                    Some(Value::String(id)) if defaults && id == USER_ID_PLACEHOLDER => Expected::UserId,
                    Some(value) if is_comparable(value) => Expected::Value(value.clone()),
                    _ => return Condition::Never,
                };
                if kind == "event_property_is" {
                    Condition::PropertyIs { key, value }
                } else {
                    Condition::PropertyContains { key, value }
                }
            }
            (Some("contains_display_name"), _) => Condition::ContainsDisplayName,
            (Some("room_member_count"), _) => match text("is").and_then(parse_member_count) {
                Some((comparison, count)) => Condition::RoomMemberCount { comparison, count },
                None => Condition::Never,
            },
            (Some("sender_notification_permission"), _) => match text("key") {
                Some(key) => Condition::SenderNotificationPermission { key: key.to_owned() },
                None => Condition::Never,
            },
            _ => Condition::Never,
        }
    }

    /// Whether the condition holds, when that is the same for every recipient.
    pub fn for_everyone(&self, room: &Room) -> Option<bool> {
        Some(match self {
            Condition::EventMatch { key, pattern: Pattern::Glob { glob, words, word } } => {
                if let Some(word) = word {
                    room.has_word(word)
                } else if *words {
                    room.matches_words(glob)
                } else {
                    match room.event.get(key) {
                        Some(Field::String { folded, .. }) => glob.matches_whole(folded),
                        _ => false,
                    }
                }
            }
            Condition::PropertyIs { key, value: Expected::Value(expected) } => match room.event.get(key) {
                Some(Field::String { raw, .. }) => expected.as_str() == Some(*raw),
                Some(Field::Scalar(actual)) => same_value(actual, expected),
                _ => false,
            },
            Condition::PropertyContains { key, value: Expected::Value(expected) } => match room.event.get(key) {
                Some(Field::Array(items)) => items.iter().any(|item| same_value(item, expected)),
                _ => false,
            },
            Condition::RoomMemberCount { comparison, count } => match comparison {
                Comparison::Equal => room.member_count == *count,
                Comparison::Less => room.member_count < *count,
                Comparison::Greater => room.member_count > *count,
                Comparison::LessOrEqual => room.member_count <= *count,
                Comparison::GreaterOrEqual => room.member_count >= *count,
            },
            Condition::SenderNotificationPermission { key } => {
                let required = room.notification_levels.get(key).copied().unwrap_or(50);
                room.sender_power >= Power::Level(required)
            }
            Condition::RoomIs(room_id) => room.room_id == Some(room_id.as_str()),
            Condition::SenderIs(sender) => room.sender == Some(sender.as_str()),
            Condition::Never => false,
            Condition::EventMatch { .. } | Condition::PropertyIs { .. } | Condition::PropertyContains { .. } | Condition::ContainsDisplayName => {
                return None
            }
        })
    }

    /// Whether the condition holds for `user`.
    pub fn for_user(&self, room: &Room, user: &User) -> bool {
        self.user_check(room).holds(room, user)
    }

    /// The condition with the event's side looked up, leaving only the recipient to read.
    pub fn user_check<'e>(&self, room: &'e Room) -> UserCheck<'e> {
        if let Some(answer) = self.for_everyone(room) {
            return UserCheck::Known(answer);
        }
        let text = |pattern: &Pattern| match pattern {
            Pattern::UserId { .. } => UserText::UserId,
            _ => UserText::Localpart,
        };
        match self {
            Condition::EventMatch { pattern: pattern @ (Pattern::UserId { words: true } | Pattern::Localpart { words: true }), .. } => {
                UserCheck::InBody(text(pattern))
            }
            Condition::EventMatch { key, pattern } => UserCheck::Equals(
                match room.event.get(key) {
                    Some(Field::String { folded, .. }) => Some(folded),
                    _ => None,
                },
                text(pattern),
            ),
            Condition::PropertyIs { key, .. } => UserCheck::Is(room.event.string(key)),
            Condition::PropertyContains { key, .. } => UserCheck::Contains(match room.event.get(key) {
                Some(Field::Array(items)) => Some(items),
                _ => None,
            }),
            Condition::ContainsDisplayName => UserCheck::InBody(UserText::DisplayName),
            _ => UserCheck::Known(false),
        }
    }
}

/// What of the recipient a `UserCheck` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserText {
    UserId,
    Localpart,
    DisplayName,
}

/// The part of a condition that reads the recipient, with the event's side already looked up
/// (once per event, not once per recipient).
#[derive(Debug)]
pub enum UserCheck<'e> {
    /// The event alone decides.
    Known(bool),
    /// `event_match` on a key other than the body: the folded string there equals the text.
    Equals(Option<&'e [char]>, UserText),
    /// `event_match` on the body, and `contains_display_name`: the text occurs as a literal
    /// between word boundaries.
    InBody(UserText),
    /// `event_property_is`: the string there is the user id.
    Is(Option<&'e str>),
    /// `event_property_contains`: the array there holds the user id.
    Contains(Option<&'e [Value]>),
}

impl UserCheck<'_> {
    pub fn holds(&self, room: &Room, user: &User) -> bool {
        let text = |which: UserText| match which {
            UserText::UserId => Some(user.user_id),
            UserText::Localpart => Some(user.localpart()),
            // A blank name would match every space; it cannot be a mention.
            UserText::DisplayName => user.display_name.filter(|name| !name.trim().is_empty()),
        };
        match *self {
            UserCheck::Known(answer) => answer,
            UserCheck::Equals(folded, which) => match (folded, text(which)) {
                (Some(folded), Some(text)) => fold_chars(text).eq(folded.iter().copied()),
                _ => false,
            },
            UserCheck::InBody(which) => match (&room.body, text(which)) {
                (Some(body), Some(text)) => Glob::literal(text).matches_words(body),
                _ => false,
            },
            UserCheck::Is(value) => value == Some(user.user_id),
            UserCheck::Contains(items) => items.map_or(false, |items| items.iter().any(|item| item.as_str() == Some(user.user_id))),
        }
    }
}

/// Strings, integers in [-(2**53)+1, (2**53)-1], booleans and null.
fn is_comparable(value: &Value) -> bool {
    match value {
        Value::String(_) | Value::Bool(_) | Value::Null => true,
        Value::Number(number) => number.as_i64().map_or(false, |n| (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n)),
        _ => false,
    }
}

/// Exact equality of comparable values: no casts (`"true"` is not `true`, `1.0` not `1`).
fn same_value(actual: &Value, expected: &Value) -> bool {
    is_comparable(actual) && actual == expected
}

/// `is`: a decimal integer optionally prefixed by `==`, `<`, `>`, `>=` or `<=`.
fn parse_member_count(is: &str) -> Option<(Comparison, u64)> {
    let digits_from = is.find(|c: char| c.is_ascii_digit())?;
    let comparison = match &is[..digits_from] {
        "" | "==" => Comparison::Equal,
        "<" => Comparison::Less,
        ">" => Comparison::Greater,
        "<=" => Comparison::LessOrEqual,
        ">=" => Comparison::GreaterOrEqual,
        _ => return None,
    };
    let digits = &is[digits_from..];
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((comparison, digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn room(event: &Value) -> Room<'_> {
        Room::new(event, 5, Power::Level(0), HashMap::new())
    }

    fn holds(condition: Value, room: &Room) -> bool {
        let user = User { user_id: "@alice:example.org", display_name: Some("Alice Liddell") };
        Condition::parse(&condition, true).for_user(room, &user)
    }

    fn message(body: &str) -> Value {
        json!({"type": "m.room.message", "sender": "@bob:example.org", "room_id": "!r:example.org", "content": {"msgtype": "m.text", "body": body}})
    }

    #[test]
    fn event_match_whole_value_and_body_words() {
        let event = message("Lunch at noon?");
        let room = room(&event);
        assert!(holds(json!({"kind": "event_match", "key": "type", "pattern": "m.room.*"}), &room));
        assert!(!holds(json!({"kind": "event_match", "key": "type", "pattern": "m.room"}), &room));
        assert!(holds(json!({"kind": "event_match", "key": "content.body", "pattern": "lunch"}), &room));
        assert!(holds(json!({"kind": "event_match", "key": "content.body", "pattern": "noon"}), &room));
        assert!(!holds(json!({"kind": "event_match", "key": "content.body", "pattern": "lun"}), &room));
        assert!(!holds(json!({"kind": "event_match", "key": "content.msgtype", "pattern": "text"}), &room), "other keys match whole");
        assert!(holds(json!({"kind": "event_match", "key": "content.msgtype", "pattern": "M.TEXT"}), &room));
    }

    #[test]
    fn event_match_needs_a_string() {
        let event = json!({"type": "m.room.topic", "content": {"topic": null, "n": 1, "o": {}, "a": ["x"]}});
        let room = room(&event);
        for key in ["content.topic", "content.n", "content.o", "content.a", "content.missing"] {
            assert!(!holds(json!({"kind": "event_match", "key": key, "pattern": "*"}), &room), "{key}");
        }
        assert!(!holds(json!({"kind": "event_match", "key": "content.body", "pattern": "*"}), &room), "no body");
    }

    #[test]
    fn event_property_is_is_exact_and_typed() {
        // https://spec.matrix.org/v1.19/client-server-api/#conditions-1, `content.m\.federate`
        let event = json!({"type": "m.room.create", "content": {"m.federate": true, "n": 1, "f": 1.0, "s": "true", "nil": null, "arr": [true]}});
        let room = room(&event);
        let is = |key: &str, value: Value| holds(json!({"kind": "event_property_is", "key": key, "value": value}), &room);
        assert!(is("content.m\\.federate", json!(true)));
        assert!(!is("content.m\\.federate", json!("true")));
        assert!(!is("content.m\\.federate", json!(1)));
        assert!(!is("content.m.federate", json!(true)), "unescaped: content -> m -> federate");
        assert!(is("content.n", json!(1)));
        assert!(!is("content.n", json!(true)));
        assert!(!is("content.f", json!(1)), "1.0 is not the integer 1");
        assert!(is("content.s", json!("true")));
        assert!(is("content.nil", Value::Null));
        assert!(!is("content.missing", Value::Null), "absent is not null");
        assert!(!is("content.arr", json!([true])), "compound values never match");
        assert!(!holds(json!({"kind": "event_property_is", "key": "content.nil"}), &room), "a missing value is malformed");
        assert!(!is("content.n", json!(1.5)));
    }

    #[test]
    fn event_property_is_integer_range() {
        let big = 9007199254740992i64; // 2**53
        let event = json!({"content": {"max": big - 1, "over": big}});
        let room = room(&event);
        let is = |key: &str, value: Value| holds(json!({"kind": "event_property_is", "key": key, "value": value}), &room);
        assert!(is("content.max", json!(big - 1)));
        assert!(!is("content.over", json!(big)), "outside the canonical JSON range");
    }

    #[test]
    fn event_property_contains() {
        let event = json!({"content": {"alt_aliases": ["#somewhere:example.org", "#myroom:example.com", 3, {"x": 1}, null], "s": "#myroom:example.com"}});
        let room = room(&event);
        let contains = |key: &str, value: Value| holds(json!({"kind": "event_property_contains", "key": key, "value": value}), &room);
        assert!(contains("content.alt_aliases", json!("#myroom:example.com")));
        assert!(!contains("content.alt_aliases", json!(":example.com")), "partial values do not match");
        assert!(contains("content.alt_aliases", json!(3)));
        assert!(contains("content.alt_aliases", Value::Null));
        assert!(!contains("content.alt_aliases", json!("3")));
        assert!(!contains("content.s", json!("#myroom:example.com")), "not an array");
        assert!(!contains("content.missing", json!("x")));
    }

    #[test]
    fn contains_display_name() {
        let condition = json!({"kind": "contains_display_name"});
        let name = |display_name: Option<&str>, body: &str| {
            let event = message(body);
            let room = room(&event);
            Condition::parse(&condition, false).for_user(&room, &User { user_id: "@alice:example.org", display_name })
        };
        assert!(name(Some("Alice Liddell"), "hey alice liddell, tea?"));
        assert!(name(Some("Alice Liddell"), "ALICE LIDDELL"));
        assert!(!name(Some("Alice Liddell"), "hey alice"));
        assert!(!name(Some("Alice"), "Alicea"));
        assert!(name(Some("Alice"), "@Alice:"));
        assert!(name(Some("A*"), "call A* now"), "the name is literal, not a glob");
        assert!(!name(Some("A*"), "call Ab now"));
        assert!(!name(None, "alice"));
        assert!(!name(Some(""), "alice"));
        assert!(!name(Some("  "), "a b"));
        let event = json!({"type": "m.room.message", "content": {"body": 3}});
        let room = room(&event);
        assert!(!Condition::parse(&condition, false).for_user(&room, &User { user_id: "@a:b", display_name: Some("3") }));
    }

    #[test]
    fn room_member_count_operators() {
        let table: &[(&str, u64, bool)] = &[
            ("2", 2, true),
            ("2", 3, false),
            ("==2", 2, true),
            ("==2", 1, false),
            ("<2", 1, true),
            ("<2", 2, false),
            (">2", 3, true),
            (">2", 2, false),
            ("<=2", 2, true),
            ("<=2", 3, false),
            (">=2", 2, true),
            (">=2", 1, false),
            ("<=10", 10, true),
            ("0", 0, true),
            ("=2", 2, false),
            ("=<2", 2, false),
            ("!=2", 3, false),
            ("< 2", 1, false),
            (" 2", 2, false),
            ("2 ", 2, false),
            ("", 0, false),
            ("<", 0, false),
            ("-1", 0, false),
            ("2.0", 2, false),
            ("99999999999999999999999", 2, false),
        ];
        let event = message("x");
        for &(is, count, expected) in table {
            let room = Room::new(&event, count, Power::Level(0), HashMap::new());
            assert_eq!(holds(json!({"kind": "room_member_count", "is": is}), &room), expected, "is {is:?} with {count}");
        }
        let room = room(&event);
        assert!(!holds(json!({"kind": "room_member_count", "is": 5}), &room), "is must be a string");
        assert!(!holds(json!({"kind": "room_member_count"}), &room));
    }

    #[test]
    fn sender_notification_permission() {
        let event = message("@room");
        let check = |power: Power, levels: &[(&str, i64)], key: &str| {
            let levels = levels.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            let room = Room::new(&event, 5, power, levels);
            holds(json!({"kind": "sender_notification_permission", "key": key}), &room)
        };
        assert!(check(Power::Level(50), &[], "room"), "room defaults to 50");
        assert!(!check(Power::Level(49), &[], "room"));
        assert!(check(Power::Level(10), &[("room", 10)], "room"));
        assert!(!check(Power::Level(9), &[("room", 10)], "room"));
        assert!(check(Power::Level(-5), &[("room", -10)], "room"));
        assert!(check(Power::Infinite, &[("room", i64::MAX)], "room"), "v12 creators");
        assert!(check(Power::Level(0), &[("org.example", 0)], "org.example"));
        assert!(!check(Power::Level(0), &[], "org.example"));
        let room = room(&event);
        assert!(!holds(json!({"kind": "sender_notification_permission"}), &room), "key is required");
    }

    #[test]
    fn unknown_and_malformed_conditions_never_match() {
        let event = message("hello");
        let room = room(&event);
        for condition in [
            json!({"kind": "org.example.always"}),
            json!({"kind": "event_match", "key": "type"}),
            json!({"kind": "event_match", "pattern": "*"}),
            json!({"kind": "event_match", "key": 1, "pattern": "*"}),
            json!({"kind": "event_property_is", "key": "type", "value": {"a": 1}}),
            json!({"kind": "event_property_contains", "key": "type", "value": ["a"]}),
            json!({"key": "type", "pattern": "*"}),
            json!("event_match"),
        ] {
            assert_eq!(Condition::parse(&condition, false), Condition::Never, "{condition}");
            assert!(!holds(condition, &room));
        }
    }

    #[test]
    fn placeholders_only_in_default_rules() {
        let event = json!({"type": "m.room.member", "state_key": "@ALICE:example.org", "content": {"membership": "invite"}});
        let room = room(&event);
        let condition = json!({"kind": "event_match", "key": "state_key", "pattern": USER_ID_PLACEHOLDER});
        let alice = User { user_id: "@alice:example.org", display_name: None };
        assert!(Condition::parse(&condition, true).for_everyone(&room).is_none());
        assert!(Condition::parse(&condition, true).for_user(&room, &alice));
        assert!(!Condition::parse(&condition, true).for_user(&room, &User { user_id: "@bob:example.org", display_name: None }));
        assert!(!Condition::parse(&condition, false).for_user(&room, &alice), "a user's own rule means the literal text");
        assert_eq!(alice.localpart(), "alice");
        assert_eq!(User { user_id: "@a:b:c", display_name: None }.localpart(), "a");
    }
}

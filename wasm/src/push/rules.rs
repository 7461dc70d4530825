//! Push rules and rule sets: https://spec.matrix.org/v1.19/client-server-api/#push-rules
//!
//! A user's stored rules have the shape of `GET /pushrules/global/` (or of the `m.push_rules`
//! account data, `{"global": ...}`): their own rules by kind, plus entries for server-default
//! rules (ids starting with `.`) whose `enabled` or `actions` they changed. Merged with the
//! defaults, the order in which rules are tried is:
//!
//! 1. `.m.rule.master`, which "has always a higher priority than any other rule";
//! 2. per kind, in the spec's order (override, content, room, sender, underride): the user's
//!    own rules of that kind as stored, then the server-default rules of that kind, since
//!    server-default rules "operate at a lower priority than user-defined rules".
//!
//! A user cannot change a default rule's conditions or pattern (`PUT` refuses ids starting
//! with `.`), so only `enabled` and `actions` are taken from such entries; entries naming no
//! known default rule of that kind are ignored.

use super::actions::{Actions, Interner};
use super::condition::{Condition, Pattern, LOCALPART_PLACEHOLDER, USER_ID_PLACEHOLDER};
use super::defaults::{DEFAULT_RULES, LEGACY_MENTION_RULES};
use super::event::canonical_key;
use serde_json::{Map, Value};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Override,
    Content,
    Room,
    Sender,
    Underride,
}

/// The kinds in the order they are checked.
pub const KINDS: [Kind; 5] = [Kind::Override, Kind::Content, Kind::Room, Kind::Sender, Kind::Underride];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Override => "override",
            Kind::Content => "content",
            Kind::Room => "room",
            Kind::Sender => "sender",
            Kind::Underride => "underride",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub kind: Kind,
    pub rule_id: Rc<str>,
    pub enabled: bool,
    pub conditions: Vec<Condition>,
    pub actions: Rc<Actions>,
    /// One of the legacy mention rules: off for events with `m.mentions`, and only present
    /// when the server opts in.
    pub legacy_mention: bool,
    /// Where the rule was in its kind's stored list (for showing it again).
    origin: usize,
}

impl Rule {
    /// Compiles a rule object of `kind`; None if it has no `rule_id` or no `actions` array.
    /// `defaults` reads the placeholders as the recipient.
    fn parse(kind: Kind, rule: &Value, origin: usize, defaults: bool, interner: &mut Interner) -> Option<Rule> {
        let rule_id: Rc<str> = Rc::from(rule.get("rule_id")?.as_str()?);
        let actions = interner.actions(rule.get("actions")?.as_array()?);
        let enabled = rule.get("enabled").and_then(Value::as_bool).unwrap_or(true);
        let conditions = match kind {
            Kind::Override | Kind::Underride => match rule.get("conditions") {
                None => Vec::new(),
                Some(Value::Array(conditions)) => conditions.iter().map(|condition| Condition::parse(condition, defaults)).collect(),
                Some(_) => vec![Condition::Never],
            },
            Kind::Content => match rule.get("pattern").and_then(Value::as_str) {
                Some(pattern) => {
                    let pattern = if defaults && pattern == LOCALPART_PLACEHOLDER {
                        Pattern::Localpart { words: true }
                    } else {
                        Pattern::glob(interner.glob(pattern), true)
                    };
                    vec![Condition::EventMatch { key: canonical_key("content.body"), pattern }]
                }
                None => vec![Condition::Never],
            },
            Kind::Room => vec![Condition::RoomIs(rule_id.to_string())],
            Kind::Sender => vec![Condition::SenderIs(rule_id.to_string())],
        };
        let legacy_mention = defaults && LEGACY_MENTION_RULES.iter().any(|(id, _)| **id == *rule_id);
        Some(Rule { kind, rule_id, enabled, conditions, actions, legacy_mention, origin })
    }

    /// True if some condition reads the recipient's display name.
    pub fn reads_display_name(&self) -> bool {
        self.conditions.iter().any(|condition| *condition == Condition::ContainsDisplayName)
    }
}

/// The server-default rules, compiled once, legacy mention rules included.
#[derive(Debug)]
pub struct Defaults {
    /// In priority order across kinds; `rules[0]` is `.m.rule.master`.
    pub rules: Vec<Rule>,
    /// Each rule's definition as the spec writes it, placeholders included.
    json: Vec<Value>,
}

thread_local! {
    static DEFAULTS: Rc<Defaults> = Rc::new(Defaults::compile());
}

impl Defaults {
    /// The shared compiled defaults.
    pub fn get() -> Rc<Defaults> {
        DEFAULTS.with(Rc::clone)
    }

    fn compile() -> Defaults {
        let table: Value = serde_json::from_str(DEFAULT_RULES).expect("the default rules are JSON");
        let mut interner = Interner::default();
        let (mut rules, mut json) = (Vec::new(), Vec::new());
        for kind in KINDS {
            for (origin, rule) in table[kind.name()].as_array().expect("every kind is listed").iter().enumerate() {
                rules.push(Rule::parse(kind, rule, origin, true, &mut interner).expect("default rules are complete"));
                json.push(rule.clone());
            }
        }
        debug_assert_eq!(&*rules[0].rule_id, ".m.rule.master");
        Defaults { rules, json }
    }

    /// The order in which the default rules are tried; `legacy` includes the legacy mention
    /// rules.
    pub fn order(&self, legacy: bool) -> DefaultOrder {
        let mut order = DefaultOrder { master: Some(0), by_kind: Default::default() };
        for (index, rule) in self.rules.iter().enumerate().skip(1) {
            if legacy || !rule.legacy_mention {
                order.by_kind[rule.kind.index()].push(index);
            }
        }
        order
    }

    /// An interner for compiling user rules, holding the defaults' actions.
    pub fn interner(&self) -> Interner {
        Interner::with(self.rules.iter().map(|rule| Rc::clone(&rule.actions)))
    }

    fn find(&self, kind: Kind, rule_id: &str) -> Option<usize> {
        self.rules.iter().position(|rule| rule.kind == kind && &*rule.rule_id == rule_id)
    }
}

/// Default rules (indexes into `Defaults::rules`) in the order they are tried: `.m.rule.master`
/// before everything, the others after the user's own rules of their kind.
#[derive(Clone, Debug, Default)]
pub struct DefaultOrder {
    pub master: Option<usize>,
    pub by_kind: [Vec<usize>; 5],
}

impl DefaultOrder {
    /// The same order with only the rules `keep` accepts.
    pub fn only(&self, keep: impl Fn(usize) -> bool) -> DefaultOrder {
        DefaultOrder {
            master: self.master.filter(|&index| keep(index)),
            by_kind: self.by_kind.clone().map(|list| list.into_iter().filter(|&index| keep(index)).collect()),
        }
    }
}

/// A user's stored rules, compiled: their own rules and their changes to the defaults.
#[derive(Debug, Default)]
pub struct UserRules {
    /// Own rules by kind (indexed by `Kind as usize`), in stored order.
    own: [Vec<Rule>; 5],
    /// Per own content rule, what evaluating many users reads first, packed together.
    content_keys: Vec<ContentKey>,
    /// Changed default rules: (index in `Defaults::rules`, enabled, actions). Usually empty.
    changes: Vec<(usize, Option<bool>, Option<Rc<Actions>>)>,
}

/// An own content rule at a glance: whether it is on, and the hash of its pattern when that
/// is one plain word (a body without a word of that hash cannot match it).
#[derive(Clone, Copy, Debug)]
pub struct ContentKey {
    pub enabled: bool,
    pub word_hash: Option<u64>,
}

/// A rule in merged order: a default rule (by index) as the user left it, or one of theirs
/// (by kind and index: see `UserRules::own_rule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Default(usize),
    Own(Kind, usize),
}

impl UserRules {
    /// The defaults as they are, for users without stored rules.
    pub fn defaults_only() -> UserRules {
        UserRules::default()
    }

    /// Compiles stored rules: a ruleset object, or `{"global": ruleset}`. Anything that is not
    /// an object means no stored rules; malformed rules are left out.
    pub fn parse(stored: &Value, defaults: &Defaults, interner: &mut Interner) -> UserRules {
        let mut rules = UserRules::default();
        for kind in KINDS {
            for (origin, rule) in stored_list(stored, kind).iter().enumerate() {
                let rule_id = rule.get("rule_id").and_then(Value::as_str).unwrap_or("");
                if rule_id.starts_with('.') {
                    if let Some(index) = defaults.find(kind, rule_id) {
                        let enabled = rule.get("enabled").and_then(Value::as_bool);
                        let actions = rule.get("actions").and_then(Value::as_array).map(|actions| interner.actions(actions));
                        rules.changes.retain(|(changed, _, _)| *changed != index);
                        rules.changes.push((index, enabled, actions));
                    }
                } else if let Some(rule) = Rule::parse(kind, rule, origin, false, interner) {
                    if kind == Kind::Content {
                        let word_hash = match rule.conditions.as_slice() {
                            [Condition::EventMatch { pattern, .. }] => pattern.word().map(|word| word.hash),
                            _ => None,
                        };
                        rules.content_keys.push(ContentKey { enabled: rule.enabled, word_hash });
                    }
                    rules.own[kind.index()].push(rule);
                }
            }
        }
        rules
    }

    /// The own rule at `Slot::Own(kind, index)`.
    pub fn own_rule(&self, kind: Kind, index: usize) -> &Rule {
        &self.own[kind.index()][index]
    }

    /// The own content rule `index` at a glance.
    pub fn content_key(&self, index: usize) -> ContentKey {
        self.content_keys[index]
    }

    fn change(&self, index: usize) -> Option<&(usize, Option<bool>, Option<Rc<Actions>>)> {
        self.changes.iter().find(|(changed, _, _)| *changed == index)
    }

    /// Whether the default rule at `index` is on for this user.
    pub fn default_enabled(&self, defaults: &Defaults, index: usize) -> bool {
        self.change(index).and_then(|(_, enabled, _)| *enabled).unwrap_or(defaults.rules[index].enabled)
    }

    /// The actions of the default rule at `index` for this user.
    pub fn default_actions<'r>(&'r self, defaults: &'r Defaults, index: usize) -> &'r Rc<Actions> {
        self.change(index).and_then(|(_, _, actions)| actions.as_ref()).unwrap_or(&defaults.rules[index].actions)
    }

    /// True if one of the user's own rules reads the display name.
    pub fn reads_display_name(&self) -> bool {
        self.own.iter().flatten().any(Rule::reads_display_name)
    }

    /// Calls `visit` on every rule in the order they are tried, until it returns false: the
    /// default rules are those of `order` (all of them, or only those that can match an event).
    pub fn walk(&self, order: &DefaultOrder, mut visit: impl FnMut(Slot) -> bool) {
        if let Some(master) = order.master {
            if !visit(Slot::Default(master)) {
                return;
            }
        }
        for kind in KINDS {
            for index in 0..self.own[kind.index()].len() {
                if !visit(Slot::Own(kind, index)) {
                    return;
                }
            }
            for &index in &order.by_kind[kind.index()] {
                if !visit(Slot::Default(index)) {
                    return;
                }
            }
        }
    }

    /// The merged rule set as `GET /pushrules/global/` shows it, for `user_id`; `stored` is
    /// what these rules were compiled from.
    pub fn to_json(&self, defaults: &Defaults, legacy: bool, user_id: &str, stored: &Value) -> Value {
        let mut out = Map::new();
        for kind in KINDS {
            out.insert(kind.name().into(), Value::Array(Vec::new()));
        }
        let localpart = user_id.strip_prefix('@').unwrap_or(user_id).split(':').next().unwrap_or("");
        self.walk(&defaults.order(legacy), |slot| {
            let (kind, json) = match slot {
                Slot::Own(kind, index) => {
                    let rule = self.own_rule(kind, index);
                    (kind, shown(rule, &stored_list(stored, kind)[rule.origin], false))
                }
                Slot::Default(index) => {
                    let rule = &defaults.rules[index];
                    let mut json = shown(rule, &defaults.json[index], true);
                    json.insert("enabled".into(), Value::Bool(self.default_enabled(defaults, index)));
                    json.insert("actions".into(), Value::Array(self.default_actions(defaults, index).list.clone()));
                    (rule.kind, substitute(Value::Object(json), user_id, localpart))
                }
            };
            if let Some(Value::Array(list)) = out.get_mut(kind.name()) {
                list.push(Value::Object(json));
            }
            true
        });
        Value::Object(out)
    }
}

/// The stored rules of one kind (empty if there are none or they are not a list).
fn stored_list(stored: &Value, kind: Kind) -> &[Value] {
    let ruleset = match stored.get("global") {
        Some(global @ Value::Object(_)) => global,
        _ => stored,
    };
    ruleset.get(kind.name()).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A rule as `GET /pushrules` shows it: id, default, enabled, actions (historical ones
/// stripped), and conditions or pattern as written where the kind has them.
fn shown(rule: &Rule, source: &Value, default: bool) -> Map<String, Value> {
    let mut json = Map::new();
    json.insert("rule_id".into(), Value::String(rule.rule_id.to_string()));
    json.insert("default".into(), Value::Bool(default));
    json.insert("enabled".into(), Value::Bool(rule.enabled));
    json.insert("actions".into(), Value::Array(rule.actions.list.clone()));
    let extra = match rule.kind {
        Kind::Override | Kind::Underride => "conditions",
        Kind::Content => "pattern",
        Kind::Room | Kind::Sender => return json,
    };
    if let Some(value) = source.get(extra) {
        json.insert(extra.into(), value.clone());
    }
    json
}

/// Replaces the placeholders of the default rules with the user's id and localpart.
fn substitute(value: Value, user_id: &str, localpart: &str) -> Map<String, Value> {
    fn walk(value: Value, user_id: &str, localpart: &str) -> Value {
        match value {
            Value::String(text) if text == USER_ID_PLACEHOLDER => Value::String(user_id.to_owned()),
            Value::String(text) if text == LOCALPART_PLACEHOLDER => Value::String(localpart.to_owned()),
            Value::Array(items) => Value::Array(items.into_iter().map(|item| walk(item, user_id, localpart)).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, walk(v, user_id, localpart))).collect()),
            other => other,
        }
    }
    match walk(value, user_id, localpart) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(stored: &Value) -> UserRules {
        UserRules::parse(stored, &Defaults::get(), &mut Defaults::get().interner())
    }

    fn ids(rules: &UserRules, legacy: bool) -> Vec<String> {
        let defaults = Defaults::get();
        let mut out = Vec::new();
        rules.walk(&defaults.order(legacy), |slot| {
            out.push(match slot {
                Slot::Own(kind, index) => format!("{}:{}", kind.name(), rules.own_rule(kind, index).rule_id),
                Slot::Default(index) => format!("{}:{}", defaults.rules[index].kind.name(), defaults.rules[index].rule_id),
            });
            true
        });
        out
    }

    const SPEC_ORDER: [&str; 15] = [
        "override:.m.rule.master",
        "override:.m.rule.suppress_notices",
        "override:.m.rule.invite_for_me",
        "override:.m.rule.member_event",
        "override:.m.rule.is_user_mention",
        "override:.m.rule.is_room_mention",
        "override:.m.rule.tombstone",
        "override:.m.rule.reaction",
        "override:.m.rule.room.server_acl",
        "override:.m.rule.suppress_edits",
        "underride:.m.rule.call",
        "underride:.m.rule.encrypted_room_one_to_one",
        "underride:.m.rule.room_one_to_one",
        "underride:.m.rule.message",
        "underride:.m.rule.encrypted",
    ];

    #[test]
    fn defaults_in_spec_order() {
        assert_eq!(ids(&UserRules::defaults_only(), false), SPEC_ORDER);
    }

    #[test]
    fn legacy_rules_in_their_v1_16_places() {
        let order = ids(&UserRules::defaults_only(), true);
        let at = |id: &str| order.iter().position(|x| x == id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(order.len(), 18);
        assert_eq!(at("override:.m.rule.contains_display_name"), at("override:.m.rule.is_user_mention") + 1);
        assert_eq!(at("override:.m.rule.roomnotif"), at("override:.m.rule.is_room_mention") + 1);
        assert_eq!(at("content:.m.rule.contains_user_name"), at("override:.m.rule.suppress_edits") + 1);
        assert_eq!(at("underride:.m.rule.call"), at("content:.m.rule.contains_user_name") + 1);
        for (id, after) in LEGACY_MENTION_RULES {
            let position = order.iter().position(|x| x.ends_with(&format!(":{id}"))).unwrap();
            if let Some(after) = after {
                assert!(order[position - 1].ends_with(&format!(":{after}")));
            }
        }
    }

    #[test]
    fn user_rules_merge_between_master_and_the_defaults() {
        let stored = json!({"global": {
            "underride": [{"rule_id": "u1", "actions": [], "conditions": []}],
            "sender": [{"rule_id": "@spam:example.org", "actions": []}],
            "room": [{"rule_id": "!r:example.org", "actions": ["notify"]}],
            "content": [{"rule_id": "c1", "pattern": "cake", "actions": ["notify"]}, {"rule_id": "c2", "pattern": "lie", "actions": []}],
            "override": [{"rule_id": "o1", "actions": [], "conditions": []}, {"rule_id": "o2", "actions": []}],
        }});
        let order = ids(&parse(&stored), false);
        let expected: Vec<String> = [
            &["override:.m.rule.master", "override:o1", "override:o2"][..],
            &SPEC_ORDER[1..10],
            &["content:c1", "content:c2", "room:!r:example.org", "sender:@spam:example.org", "underride:u1"],
            &SPEC_ORDER[10..],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn changes_to_default_rules_keep_their_place_and_conditions() {
        let defaults = Defaults::get();
        let stored = json!({
            "override": [
                {"rule_id": ".m.rule.master", "enabled": true, "actions": ["dont_notify"]},
                {"rule_id": ".m.rule.suppress_notices", "enabled": false, "actions": [], "conditions": [{"kind": "org.example.never"}]},
                {"rule_id": ".m.rule.unknown", "enabled": true, "actions": ["notify"]},
            ],
            "underride": [{"rule_id": ".m.rule.message", "actions": ["notify", {"set_tweak": "sound", "value": "ping"}]}],
            "content": [{"rule_id": ".m.rule.message", "enabled": false, "actions": []}],
        });
        let rules = parse(&stored);
        assert_eq!(ids(&rules, false), SPEC_ORDER, "no rule added or moved");
        let index = |id: &str| defaults.rules.iter().position(|r| &*r.rule_id == id).unwrap();
        assert!(rules.default_enabled(&defaults, index(".m.rule.master")));
        assert!(rules.default_actions(&defaults, index(".m.rule.master")).list.is_empty());
        assert!(!rules.default_enabled(&defaults, index(".m.rule.suppress_notices")));
        assert_eq!(defaults.rules[index(".m.rule.suppress_notices")].conditions.len(), 1);
        assert!(rules.default_enabled(&defaults, index(".m.rule.message")), "a change under the wrong kind is ignored");
        assert_eq!(rules.default_actions(&defaults, index(".m.rule.message")).sound.as_deref(), Some("ping"));
    }

    #[test]
    fn malformed_own_rules_are_left_out_and_unknown_shapes_mean_no_rules() {
        let stored = json!({
            "override": [{"actions": []}, {"rule_id": "no-actions"}, {"rule_id": 5, "actions": []}, "x", {"rule_id": "ok", "actions": []}],
            "content": [{"rule_id": "no-pattern", "actions": ["notify"]}],
            "room": "not a list",
        });
        let order = ids(&parse(&stored), false);
        assert_eq!(order[1], "override:ok");
        assert!(order.contains(&"content:no-pattern".to_string()), "kept, but can never match");
        assert_eq!(order.len(), SPEC_ORDER.len() + 2);
        assert_eq!(ids(&parse(&json!(null)), false), SPEC_ORDER);
        assert_eq!(ids(&parse(&json!([1])), false), SPEC_ORDER);
    }

    #[test]
    fn json_substitutes_the_user_and_shows_changes() {
        let defaults = Defaults::get();
        let stored = json!({"override": [{"rule_id": ".m.rule.invite_for_me", "enabled": false, "actions": ["notify", "coalesce"]}]});
        let json = parse(&stored).to_json(&defaults, true, "@alice:example.org", &stored);
        let invite = &json["override"][2];
        assert_eq!(invite["rule_id"], ".m.rule.invite_for_me");
        assert_eq!(invite["enabled"], false);
        assert_eq!(invite["default"], true);
        assert_eq!(invite["actions"], json!(["notify"]));
        assert_eq!(invite["conditions"][2]["pattern"], "@alice:example.org");
        assert_eq!(json["override"][4]["conditions"][0]["value"], "@alice:example.org");
        assert_eq!(json["content"][0]["pattern"], "alice");
        assert!(!json.to_string().contains("[the "), "every placeholder is replaced");
    }
}

//! Actions of a push rule: https://spec.matrix.org/v1.19/client-server-api/#actions
//!
//! `notify` and `set_tweak` are read; the historical `dont_notify` and `coalesce` are
//! stripped, as the spec requires ("a rule with `["dont_notify"]` actions MUST be equivalent
//! to a rule with an empty actions array"). Anything else is passed through untouched:
//! clients and push gateways may agree on actions and tweaks of their own.

use super::glob::Glob;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// A rule's actions with what they mean for the notification.
#[derive(Clone, Debug, PartialEq)]
pub struct Actions {
    /// The actions as they go out: historical ones removed, the others as written.
    pub list: Vec<Value>,
    /// The list has `notify`.
    pub notify: bool,
    /// The `highlight` tweak: true when set without a value, false when not set at all.
    pub highlight: bool,
    /// The `sound` tweak when it is a string.
    pub sound: Option<String>,
    /// Every `set_tweak`, a later one replacing an earlier one of the same name; a value
    /// left out is `true` for `highlight` and `null` for other tweaks.
    pub tweaks: Map<String, Value>,
}

/// True for the actions Matrix no longer has, which must be ignored.
pub fn is_historical(action: &Value) -> bool {
    matches!(action.as_str(), Some("dont_notify") | Some("coalesce"))
}

impl Actions {
    pub fn parse(actions: &[Value]) -> Actions {
        let mut out = Actions { list: Vec::with_capacity(actions.len()), notify: false, highlight: false, sound: None, tweaks: Map::new() };
        for action in actions {
            if is_historical(action) {
                continue;
            }
            if action.as_str() == Some("notify") {
                out.notify = true;
            } else if let Some(name) = action.get("set_tweak").and_then(Value::as_str) {
                let value = match action.get("value") {
                    Some(value) => value.clone(),
                    None if name == "highlight" => Value::Bool(true),
                    None => Value::Null,
                };
                out.tweaks.insert(name.to_owned(), value);
            }
            out.list.push(action.clone());
        }
        out.highlight = out.tweaks.get("highlight") == Some(&Value::Bool(true));
        out.sound = out.tweaks.get("sound").and_then(Value::as_str).map(str::to_owned);
        out
    }

    /// `{"actions", "notify", "highlight", "sound", "tweaks"}` for the host.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("actions".into(), Value::Array(self.list.clone()));
        out.insert("notify".into(), Value::Bool(self.notify));
        out.insert("highlight".into(), Value::Bool(self.highlight));
        out.insert("sound".into(), self.sound.clone().map_or(Value::Null, Value::String));
        out.insert("tweaks".into(), Value::Object(self.tweaks.clone()));
        out
    }
}

/// Shares one `Actions` between the rules that have the same actions (most rules have one of
/// a handful of lists), and one `Glob` between content rules with the same pattern, so
/// compiled rule sets stay small and outcomes and pattern results can be told apart (and
/// remembered) by pointer.
#[derive(Debug, Default)]
pub struct Interner {
    by_text: HashMap<String, Rc<Actions>>,
    globs: HashMap<String, Rc<Glob>>,
}

impl Interner {
    /// An interner that already holds `known` (the default rules' actions), so user rules
    /// with the same lists share them.
    pub fn with(known: impl IntoIterator<Item = Rc<Actions>>) -> Interner {
        let mut interner = Interner::default();
        for actions in known {
            let text = serde_json::to_string(&actions.list).unwrap_or_default();
            interner.by_text.entry(text).or_insert(actions);
        }
        interner
    }

    /// The shared `Actions` for `actions`.
    pub fn actions(&mut self, actions: &[Value]) -> Rc<Actions> {
        let text = serde_json::to_string(actions).unwrap_or_default();
        if let Some(shared) = self.by_text.get(&text) {
            return Rc::clone(shared);
        }
        let shared = Rc::new(Actions::parse(actions));
        self.by_text.insert(text, Rc::clone(&shared));
        shared
    }

    /// The shared `Glob` for `pattern`.
    pub fn glob(&mut self, pattern: &str) -> Rc<Glob> {
        if let Some(shared) = self.globs.get(pattern) {
            return Rc::clone(shared);
        }
        let shared = Rc::new(Glob::new(pattern));
        self.globs.insert(pattern.to_owned(), Rc::clone(&shared));
        shared
    }

    /// Forgets the actions and patterns no rule uses any more.
    pub fn purge(&mut self) {
        self.by_text.retain(|_, shared| Rc::strong_count(shared) > 1);
        self.globs.retain(|_, shared| Rc::strong_count(shared) > 1);
    }

    /// Lists and patterns held.
    pub fn len(&self) -> usize {
        self.by_text.len() + self.globs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(actions: Value) -> Actions {
        Actions::parse(actions.as_array().unwrap())
    }

    #[test]
    fn notify_sound_and_highlight() {
        let actions = parse(json!(["notify", {"set_tweak": "sound", "value": "default"}, {"set_tweak": "highlight"}]));
        assert!(actions.notify);
        assert!(actions.highlight);
        assert_eq!(actions.sound.as_deref(), Some("default"));
        assert_eq!(actions.tweaks, json!({"sound": "default", "highlight": true}).as_object().unwrap().clone());
    }

    #[test]
    fn highlight_defaults() {
        assert!(!parse(json!(["notify"])).highlight, "no highlight tweak at all is false");
        assert!(parse(json!([{"set_tweak": "highlight"}])).highlight, "a highlight tweak without value is true");
        assert!(!parse(json!([{"set_tweak": "highlight", "value": false}])).highlight);
        assert!(parse(json!([{"set_tweak": "highlight", "value": true}])).highlight);
        assert!(!parse(json!([{"set_tweak": "highlight", "value": "yes"}])).highlight, "only the boolean true highlights");
        assert!(!parse(json!([{"set_tweak": "highlight"}, {"set_tweak": "highlight", "value": false}])).highlight, "the later tweak wins");
    }

    #[test]
    fn historical_actions_are_stripped() {
        let actions = parse(json!(["dont_notify"]));
        assert_eq!(actions, parse(json!([])));
        let actions = parse(json!(["coalesce", "notify", "dont_notify"]));
        assert_eq!(actions.list, vec![json!("notify")]);
        assert!(actions.notify);
    }

    #[test]
    fn the_interner_shares_equal_lists_and_forgets_unused_ones() {
        let mut interner = Interner::default();
        let a = interner.actions(json!(["notify"]).as_array().unwrap());
        let b = interner.actions(json!(["notify"]).as_array().unwrap());
        let c = interner.actions(json!(["notify", {"set_tweak": "highlight"}]).as_array().unwrap());
        assert!(Rc::ptr_eq(&a, &b));
        assert!(!Rc::ptr_eq(&a, &c));
        assert_eq!(interner.len(), 2);
        drop(c);
        interner.purge();
        assert_eq!(interner.len(), 1);
        drop((a, b));
        interner.purge();
        assert_eq!(interner.len(), 0);
        let g = interner.glob("cake*");
        assert!(Rc::ptr_eq(&g, &interner.glob("cake*")));
        assert!(!Rc::ptr_eq(&g, &interner.glob("Cake*")), "keyed by the pattern as written");
        drop(g);
        interner.purge();
        assert_eq!(interner.len(), 0);
    }

    #[test]
    fn unknown_actions_pass_through_without_effect() {
        let actions = parse(json!(["org.example.buzz", {"org.example": 1}, {"set_tweak": "sound"}, {"set_tweak": "org.example.led", "value": "red"}]));
        assert!(!actions.notify);
        assert_eq!(actions.list.len(), 4);
        assert_eq!(actions.sound, None, "a sound tweak without a string value plays nothing");
        assert_eq!(actions.tweaks["org.example.led"], json!("red"));
        assert_eq!(actions.tweaks["sound"], Value::Null);
    }
}

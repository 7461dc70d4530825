//! Prepared rule sets: stored rules compiled once and kept in the module between calls.
//!
//! Every message is evaluated for every member of its room, but a user's push rules change
//! rarely. So the host prepares each user's rules once (`push_prepare`), keeps the returned id
//! with its cache entry, names the id in `push_evaluate`, and releases it when the rules change
//! or the entry goes (`push_release`).
//!
//! Ids live in a *registry* that the host names with a random key. If the module traps (a
//! bug), the host replaces the instance and every registry is gone with it: a call naming a
//! registry that does not exist answers `{"unknown_registry": true}`, and the host prepares
//! its rules again under a new key. An id from before can therefore never name another
//! user's rules.

use super::actions::Interner;
use super::rules::{Defaults, UserRules};
use std::cell::RefCell;
use std::collections::HashMap;

/// One host's prepared rule sets.
pub struct Registry {
    sets: Vec<Option<UserRules>>,
    free: Vec<usize>,
    /// Shares actions between all the rule sets in this registry.
    pub interner: Interner,
}

impl Registry {
    pub fn new(defaults: &Defaults) -> Registry {
        Registry { sets: Vec::new(), free: Vec::new(), interner: defaults.interner() }
    }

    /// Keeps `rules` and returns their id.
    pub fn insert(&mut self, rules: UserRules) -> usize {
        let rules = Some(rules);
        match self.free.pop() {
            Some(id) => {
                self.sets[id] = rules;
                id
            }
            None => {
                self.sets.push(rules);
                self.sets.len() - 1
            }
        }
    }

    pub fn get(&self, id: usize) -> Option<&UserRules> {
        self.sets.get(id).and_then(Option::as_ref)
    }

    /// Drops the rule set `id`; unknown or already released ids are ignored.
    pub fn remove(&mut self, id: usize) {
        if let Some(slot @ Some(_)) = self.sets.get_mut(id) {
            *slot = None;
            self.free.push(id);
        }
    }

    /// Rule sets held.
    pub fn len(&self) -> usize {
        self.sets.len() - self.free.len()
    }
}

thread_local! {
    static REGISTRIES: RefCell<HashMap<String, Registry>> = RefCell::new(HashMap::new());
}

/// Runs `f` on the registry named `key`, first making it if `create`; None if there is none.
pub fn with_registry<T>(key: &str, create: bool, f: impl FnOnce(&mut Registry) -> T) -> Option<T> {
    REGISTRIES.with(|registries| {
        let mut registries = registries.borrow_mut();
        if create && !registries.contains_key(key) {
            registries.insert(key.to_owned(), Registry::new(&Defaults::get()));
        }
        registries.get_mut(key).map(f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reused_after_release_and_unknown_ids_are_ignored() {
        let mut registry = Registry::new(&Defaults::get());
        let a = registry.insert(UserRules::defaults_only());
        let b = registry.insert(UserRules::defaults_only());
        assert_ne!(a, b);
        registry.remove(a);
        registry.remove(a);
        registry.remove(99);
        assert!(registry.get(a).is_none());
        assert!(registry.get(b).is_some());
        assert_eq!(registry.len(), 1);
        assert_eq!(registry.insert(UserRules::defaults_only()), a);
        assert_eq!(registry.len(), 2);
    }

    #[test]
    fn registries_exist_once_created() {
        assert_eq!(with_registry("test-missing", false, |r| r.len()), None);
        assert_eq!(with_registry("test-made", true, |r| r.insert(UserRules::defaults_only())), Some(0));
        assert_eq!(with_registry("test-made", false, |r| r.len()), Some(1));
        assert_eq!(with_registry("test-made", true, |r| r.len()), Some(1), "creating again keeps what is there");
    }
}

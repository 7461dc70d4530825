//! Evaluating one event for many recipients at once (the fan-out of a room's message).
//!
//! Work is shared wherever the answer does not depend on the recipient:
//! - the event is flattened and folded once, and its body split into words (`Room`);
//! - each default rule is decided once per event (it holds for everyone, for no one, or
//!   depending on the recipient); rules that hold for no one are left out of the walk, and
//!   for those that depend on the recipient the event's side of each condition is looked up
//!   once (`UserCheck`): the recipient's id in `.m.rule.invite_for_me` and
//!   `.m.rule.is_user_mention`, their display name;
//! - per recipient, their rules are walked in order without allocating: a default rule costs
//!   a table read, an own rule its conditions. A plain keyword is a binary search among the
//!   body's word hashes (from a packed per-set array), and any other body pattern is matched
//!   once per event however many users share it (`Room::matches_words`).
//!
//! A recipient who sent the event is not evaluated: "Homeservers MUST NOT notify the Push
//! Gateway for events that the user has sent themselves."

use super::actions::Actions;
use super::condition::{Room, User, UserCheck};
use super::registry::Registry;
use super::pointer_map::PointerMap;
use super::rules::{DefaultOrder, Defaults, Kind, Rule, Slot, UserRules};
use std::collections::HashMap;
use std::rc::Rc;

/// One recipient: their id, display name in the room, and their rules.
pub struct Recipient<'a> {
    pub user_id: &'a str,
    pub display_name: Option<&'a str>,
    pub rules: RuleRef,
}

/// Which rules a recipient has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleRef {
    /// The server defaults alone.
    Defaults,
    /// An index into the rule sets compiled for this call.
    Inline(usize),
    /// A prepared rule set's id in the registry.
    Prepared(usize),
}

/// The rule that matched first, and its actions (as the user has them) by index.
#[derive(Debug)]
pub struct Outcome<'r> {
    pub rule: &'r Rule,
    /// Index into `Evaluation::actions`.
    pub actions: usize,
}

/// What each recipient gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The first matching rule, as an index into `Evaluation::outcomes`.
    Matched(usize),
    /// No rule matched: no notification.
    NoMatch,
    /// The recipient sent the event.
    OwnEvent,
}

/// Per recipient a verdict; recipients with the same rule and actions share an outcome, and
/// outcomes with the same actions share those.
#[derive(Debug)]
pub struct Evaluation<'r> {
    pub actions: Vec<&'r Actions>,
    pub outcomes: Vec<Outcome<'r>>,
    pub verdicts: Vec<Verdict>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    Never,
    Always,
    DependsOnUser,
}

/// Whether `rule` holds, as far as the event alone decides.
fn holds(rule: &Rule, room: &Room) -> Holds {
    if rule.legacy_mention && room.has_mentions {
        return Holds::Never;
    }
    let mut depends = false;
    for condition in &rule.conditions {
        match condition.for_everyone(room) {
            Some(false) => return Holds::Never,
            Some(true) => {}
            None => depends = true,
        }
    }
    if depends {
        Holds::DependsOnUser
    } else {
        Holds::Always
    }
}

/// The default rules decided for one event.
struct DefaultVerdicts<'e> {
    /// The default rules that can match this event, in order.
    order: DefaultOrder,
    holds: Vec<Holds>,
    /// For rules that depend on the recipient: their conditions' checks (others: empty).
    checks: Vec<Vec<UserCheck<'e>>>,
}

impl<'e> DefaultVerdicts<'e> {
    fn new(defaults: &Defaults, legacy: bool, room: &'e Room) -> DefaultVerdicts<'e> {
        let holds: Vec<Holds> = defaults.rules.iter().map(|rule| holds(rule, room)).collect();
        let order = defaults.order(legacy).only(|index| holds[index] != Holds::Never);
        let checks = defaults
            .rules
            .iter()
            .zip(&holds)
            .map(|(rule, holds)| match holds {
                Holds::DependsOnUser => rule
                    .conditions
                    .iter()
                    .map(|condition| condition.user_check(room))
                    .filter(|check| !matches!(check, UserCheck::Known(true)))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        DefaultVerdicts { order, holds, checks }
    }
}

/// The first rule of `rules` that matches for `user`, with the actions they have for it.
fn first_match<'r>(
    rules: &'r UserRules,
    defaults: &'r Defaults,
    room: &Room,
    verdicts: &DefaultVerdicts,
    user: &User,
) -> Option<(&'r Rule, &'r Rc<Actions>)> {
    let mut found = None;
    rules.walk(&verdicts.order, |slot| {
        let matched = match slot {
            Slot::Default(index) => {
                let holds = verdicts.holds[index];
                rules.default_enabled(defaults, index)
                    && (holds == Holds::Always || verdicts.checks[index].iter().all(|check| check.holds(room, user)))
                    && {
                        found = Some((&defaults.rules[index], rules.default_actions(defaults, index)));
                        true
                    }
            }
            Slot::Own(kind, index) => {
                // A keyword rule is ruled out from its packed key alone, without reading the rule.
                if kind == Kind::Content {
                    let key = rules.content_key(index);
                    if !key.enabled || key.word_hash.map_or(false, |hash| !room.has_word_hash(hash)) {
                        return true;
                    }
                }
                let rule = rules.own_rule(kind, index);
                rule.enabled
                    && match holds(rule, room) {
                        Holds::Never => false,
                        Holds::Always => true,
                        Holds::DependsOnUser => rule.conditions.iter().all(|condition| condition.for_user(room, user)),
                    }
                    && {
                        found = Some((rule, &rule.actions));
                        true
                    }
            }
        };
        !matched
    });
    found
}

/// Evaluates the event in `room` for every recipient. `inline` and `registry` hold the rule
/// sets the recipients refer to; `legacy` adds the legacy mention rules.
pub fn evaluate<'r>(
    room: &Room,
    defaults: &'r Defaults,
    inline: &'r [UserRules],
    registry: Option<&'r Registry>,
    legacy: bool,
    recipients: &[Recipient],
) -> Result<Evaluation<'r>, String> {
    let verdicts = DefaultVerdicts::new(defaults, legacy, room);
    let defaults_only: &'r UserRules = DEFAULTS_ONLY.with(|rules| *rules);
    let mut evaluation = Evaluation { actions: Vec::new(), outcomes: Vec::new(), verdicts: Vec::with_capacity(recipients.len()) };
    let mut outcome_index: PointerMap<(usize, usize), usize> = HashMap::with_capacity_and_hasher(64, Default::default());
    let mut actions_index: PointerMap<usize, usize> = HashMap::with_capacity_and_hasher(16, Default::default());

    for recipient in recipients {
        if room.sender == Some(recipient.user_id) {
            evaluation.verdicts.push(Verdict::OwnEvent);
            continue;
        }
        let rules = match recipient.rules {
            RuleRef::Defaults => defaults_only,
            RuleRef::Inline(index) => {
                inline.get(index).ok_or_else(|| format!("push: a user refers to rule set {index}, but there are {}", inline.len()))?
            }
            RuleRef::Prepared(id) => {
                registry.and_then(|registry| registry.get(id)).ok_or_else(|| format!("push: no prepared rule set {id} (released?)"))?
            }
        };
        let user = User { user_id: recipient.user_id, display_name: recipient.display_name };
        let (rule, actions) = match first_match(rules, defaults, room, &verdicts, &user) {
            Some(found) => found,
            None => {
                evaluation.verdicts.push(Verdict::NoMatch);
                continue;
            }
        };
        let next = evaluation.outcomes.len();
        let index = *outcome_index.entry((rule as *const Rule as usize, Rc::as_ptr(actions) as usize)).or_insert(next);
        let actions: &'r Actions = actions;
        if index == next {
            let next_actions = evaluation.actions.len();
            let actions_at = *actions_index.entry(actions as *const Actions as usize).or_insert(next_actions);
            if actions_at == next_actions {
                evaluation.actions.push(actions);
            }
            evaluation.outcomes.push(Outcome { rule, actions: actions_at });
        }
        evaluation.verdicts.push(Verdict::Matched(index));
    }
    Ok(evaluation)
}

thread_local! {
    /// The rule set of users who have none of their own (empty; made once, never freed, so
    /// that outcomes can borrow from it for as long as from the defaults).
    static DEFAULTS_ONLY: &'static UserRules = Box::leak(Box::new(UserRules::defaults_only()));
}

//! Push rules: which events notify whom, and how.
//! https://spec.matrix.org/v1.19/client-server-api/#push-rules
//!
//! - `glob`: glob patterns, case folding and word boundaries.
//! - `event`: dotted keys and the flattened event.
//! - `condition`: the conditions, compiled.
//! - `actions`: `notify`, `set_tweak`, and the historical actions that are stripped.
//! - `defaults`, `rules`: the server-default rules, and a user's rules merged with them.
//! - `evaluate`: one event for many recipients.
//! - `registry`: rule sets prepared once and kept between calls.
//! - `ops`: the operations the host calls (src/engine/push.ts is its side):
//!   `push_default_rules`, `push_effective_rules`, `push_prepare`, `push_release`,
//!   `push_evaluate`.

pub mod actions;
pub mod condition;
pub mod defaults;
pub mod evaluate;
pub mod event;
pub mod glob;
pub mod ops;
pub mod pointer_map;
pub mod registry;
pub mod rules;

pub use ops::{default_rules_op, effective_rules_op, evaluate_op, prepare_op, release_op};

#[cfg(test)]
mod tests;

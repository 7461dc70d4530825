//! Myelin's core: pure Matrix rules compiled to WebAssembly and loaded by src/engine/.
//!
//! Every operation is exported as `op(ptr, len) -> result` over JSON/UTF-8 bytes, with
//! the buffer layout and memory rules described in `abi`. No wasm-bindgen: the host
//! needs only WebAssembly's own API, and the build only rustc.

pub mod abi;
pub mod base64;
pub mod canonical_json;
pub mod event_auth;
pub mod event_format;
pub mod panic_report;
pub mod pdu;
pub mod push;
pub mod room_versions;
pub mod state_res;

export_op!(canonical_json, canonical_json::canonical_json_op);
export_op!(room_versions, room_versions::room_versions_op);
export_op!(event_auth_types, event_auth::op::event_auth_types_op);
export_op!(event_auth_check, event_auth::op::event_auth_check_op);
export_op!(event_auth_check_batch, event_auth::op::event_auth_check_batch_op);
export_op!(event_validate, event_format::ops::event_validate_op);
export_op!(event_hashes, event_format::ops::event_hashes_op);
export_op!(event_redact, event_format::ops::event_redact_op);
export_op!(event_prepare, event_format::ops::event_prepare_op);
export_op!(event_inspect, event_format::ops::event_inspect_op);
export_op!(push_default_rules, push::default_rules_op);
export_op!(push_effective_rules, push::effective_rules_op);
export_op!(push_evaluate, push::evaluate_op);
export_op!(push_prepare, push::prepare_op);
export_op!(push_release, push::release_op);
export_op!(resolve_state, state_res::op::resolve_state_op);
// For the engine's tests only (not an Operation in src/engine/wasm-module.ts): see panic_report.
export_op!(myelin_selftest_panic, panic_report::selftest_panic_op);

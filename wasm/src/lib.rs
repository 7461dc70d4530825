//! Myelin's core: pure Matrix rules compiled to WebAssembly and loaded by src/engine/.
//!
//! Every operation is exported as `op(ptr, len) -> result` over JSON/UTF-8 bytes, with
//! the buffer layout and memory rules described in `abi`. No wasm-bindgen: the host
//! needs only WebAssembly's own API, and the build only rustc.

pub mod abi;
pub mod canonical_json;
pub mod event_auth;
pub mod pdu;
pub mod room_versions;

export_op!(canonical_json, canonical_json::canonical_json_op);
export_op!(room_versions, room_versions::room_versions_op);

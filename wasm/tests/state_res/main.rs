//! State resolution against golden fixtures, shuffled inputs and deep auth chains (one test
//! binary; `cargo test --test state_res`).

mod deep;
mod fixtures;
mod properties;
mod support;

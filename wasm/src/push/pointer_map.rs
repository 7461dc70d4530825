//! Hash maps keyed by pointers (addresses of shared rules, actions and patterns), hashed with
//! a multiply-rotate (FxHash): SipHash would cost more than the rest of a recipient's
//! evaluation, and addresses are not chosen by whoever sends events.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub type PointerMap<K, V> = HashMap<K, V, BuildHasherDefault<PointerHasher>>;

#[derive(Default)]
pub struct PointerHasher(u64);

impl Hasher for PointerHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(byte as u64);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

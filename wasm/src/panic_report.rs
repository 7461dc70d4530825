//! Panics reported to the host instead of only trapping.
//!
//! On wasm32-unknown-unknown a panic cannot unwind: after the panic hook runs, the instance
//! traps (`unreachable`) and its allocator may be half-updated, so the host must start a fresh
//! instance. The hook installed here first copies the panic's message into a static buffer
//! (no allocation: the panic may come from a broken state), which `myelin_last_panic` points
//! to. The host reads it after the trap, still from the old instance's memory, throws an error
//! carrying it, and re-instantiates (src/engine/wasm-module.ts). The previous hook still runs
//! after, so host test runs print panics as usual.
//!
//! Buffer layout: `[u32 LE length][length bytes of UTF-8]`, length 0 while nothing panicked.

use std::cell::UnsafeCell;
use std::fmt::{self, Write};
use std::panic::{self, PanicInfo};
use std::sync::Once;

const CAPACITY: usize = 2048;

struct PanicBuffer(UnsafeCell<[u8; 4 + CAPACITY]>);

// SAFETY: written only by the panic hook; the wasm module is single-threaded, and host tests
// that panic concurrently can at worst garble the text of a message nobody reads there.
unsafe impl Sync for PanicBuffer {}

static LAST_PANIC: PanicBuffer = PanicBuffer(UnsafeCell::new([0; 4 + CAPACITY]));

/// Where the last panic's message is: `[u32 LE length][bytes]`.
#[no_mangle]
pub extern "C" fn myelin_last_panic() -> *const u8 {
    LAST_PANIC.0.get() as *const u8
}

/// Copies formatted text into the buffer, cutting at a character boundary when it is full.
struct Truncating<'a> {
    bytes: &'a mut [u8],
    len: usize,
}

impl Write for Truncating<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.bytes.len() - self.len;
        let mut take = text.len().min(room);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

fn record(info: &PanicInfo<'_>) {
    // SAFETY: see `PanicBuffer`; the pointer is to a static of the right size.
    let buffer = unsafe { &mut *LAST_PANIC.0.get() };
    let (header, bytes) = buffer.split_at_mut(4);
    let mut writer = Truncating { bytes, len: 0 };
    let _ = write!(writer, "{info}");
    header.copy_from_slice(&(writer.len as u32).to_le_bytes());
}

/// Installs the recording hook once; `abi::call` calls it before every operation.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            record(info);
            previous(info);
        }));
    });
}

/// The last panic's message, if any (for tests on the host).
pub fn last_panic() -> Option<String> {
    // SAFETY: see `PanicBuffer`.
    let buffer = unsafe { &*LAST_PANIC.0.get() };
    let len = u32::from_le_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]) as usize;
    if len == 0 {
        None
    } else {
        Some(String::from_utf8_lossy(&buffer[4..4 + len]).into_owned())
    }
}

/// `myelin_selftest_panic`: panics when its input is `panic`, else answers `ok`. Exported for
/// the engine's tests only: it is not an `Operation` of src/engine/wasm-module.ts, so no server
/// code path can name it.
pub fn selftest_panic_op(input: &[u8]) -> Result<Vec<u8>, String> {
    if input == b"panic" {
        let numbers: Vec<u32> = Vec::new();
        let index = input.len();
        // A real bug's shape (an index out of bounds), not a bare panic!().
        return Ok(numbers[index].to_le_bytes().to_vec());
    }
    Ok(b"ok".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_a_character_boundary() {
        let mut bytes = [0u8; 5];
        let mut writer = Truncating { bytes: &mut bytes, len: 0 };
        write!(writer, "ab{}", "é€").unwrap();
        let len = writer.len;
        assert_eq!(&bytes[..len], "abé".as_bytes());
    }
}

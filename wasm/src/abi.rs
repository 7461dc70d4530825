//! The byte-buffer ABI between the module and its host (src/engine/wasm-module.ts).
//!
//! The host copies its input into memory it got from `myelin_alloc`, calls an
//! operation `op(ptr, len) -> result`, and frees its input with `myelin_free`.
//! The operation only borrows the input. Its result is one allocation laid out as
//!
//! ```text
//! [u32 LE status][u32 LE length][length bytes]
//! ```
//!
//! status 0 means ok and the bytes are the payload; status 1 means error and the
//! bytes are a UTF-8 message. The host frees it with `myelin_free_result`. A null
//! result means the module ran out of memory.
//!
//! Nothing here panics: on wasm32-unknown-unknown a panic is a trap that leaves the
//! instance unusable, so allocation failures surface as null pointers instead. Should an
//! operation panic all the same (a bug), `call` has installed `panic_report`'s hook first:
//! the message is kept for the host, which reports it and starts a fresh instance.

use std::alloc::{alloc, dealloc, Layout};
use std::slice;

pub const STATUS_OK: u32 = 0;
pub const STATUS_ERROR: u32 = 1;
const HEADER: usize = 8;

/// One byte-aligned block; zero-length requests get one byte so every pointer is real.
fn layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1), 1).ok()
}

/// Allocates `len` bytes for the host to write an input into; null if out of memory.
#[no_mangle]
pub extern "C" fn myelin_alloc(len: u32) -> *mut u8 {
    match layout(len as usize) {
        // SAFETY: the layout has a non-zero size.
        Some(layout) => unsafe { alloc(layout) },
        None => std::ptr::null_mut(),
    }
}

/// Frees a block from `myelin_alloc`; `len` must be the length it was allocated with.
///
/// # Safety
/// `ptr` is null or came from `myelin_alloc(len)` and was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn myelin_free(ptr: *mut u8, len: u32) {
    if let (false, Some(layout)) = (ptr.is_null(), layout(len as usize)) {
        dealloc(ptr, layout);
    }
}

/// Frees a result buffer returned by an operation.
///
/// # Safety
/// `ptr` is null or a result from an operation that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn myelin_free_result(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    let mut length = [0u8; 4];
    length.copy_from_slice(slice::from_raw_parts(ptr.add(4), 4));
    myelin_free(ptr, HEADER as u32 + u32::from_le_bytes(length));
}

/// Runs `op` on the input bytes at (`ptr`, `len`) and packs its outcome as a result buffer.
///
/// # Safety
/// `ptr` points to `len` readable bytes, or `len` is 0.
pub unsafe fn call(ptr: *const u8, len: u32, op: fn(&[u8]) -> Result<Vec<u8>, String>) -> *mut u8 {
    crate::panic_report::install();
    let input: &[u8] = if len == 0 || ptr.is_null() { &[] } else { slice::from_raw_parts(ptr, len as usize) };
    match op(input) {
        Ok(payload) => pack(STATUS_OK, &payload),
        Err(message) => pack(STATUS_ERROR, message.as_bytes()),
    }
}

/// Copies `bytes` behind a status and length header; null if it does not fit in memory.
fn pack(status: u32, bytes: &[u8]) -> *mut u8 {
    let total = match u32::try_from(bytes.len()).ok().and_then(|n| n.checked_add(HEADER as u32)) {
        Some(total) => total,
        None => return std::ptr::null_mut(),
    };
    let ptr = myelin_alloc(total);
    if ptr.is_null() {
        return ptr;
    }
    // SAFETY: `ptr` holds `total` = 8 + bytes.len() writable bytes.
    unsafe {
        let out = slice::from_raw_parts_mut(ptr, total as usize);
        out[..4].copy_from_slice(&status.to_le_bytes());
        out[4..HEADER].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        out[HEADER..].copy_from_slice(bytes);
    }
    ptr
}

/// Declares an exported operation `name(ptr, len) -> result` backed by
/// `fn(&[u8]) -> Result<Vec<u8>, String>`.
#[macro_export]
macro_rules! export_op {
    ($name:ident, $op:path) => {
        /// # Safety
        /// `ptr` points to `len` readable bytes (see src/abi.rs).
        #[no_mangle]
        pub unsafe extern "C" fn $name(ptr: *const u8, len: u32) -> *mut u8 {
            $crate::abi::call(ptr, len, $op)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a result buffer the way the host does, then frees it.
    fn unpack(ptr: *mut u8) -> (u32, Vec<u8>) {
        assert!(!ptr.is_null());
        unsafe {
            let header = slice::from_raw_parts(ptr, HEADER);
            let status = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
            let bytes = slice::from_raw_parts(ptr.add(HEADER), len).to_vec();
            myelin_free_result(ptr);
            (status, bytes)
        }
    }

    fn echo(input: &[u8]) -> Result<Vec<u8>, String> {
        if input == b"fail" { Err("failed".into()) } else { Ok(input.to_vec()) }
    }

    #[test]
    fn round_trips_through_host_memory() {
        let input = b"hello";
        let ptr = myelin_alloc(input.len() as u32);
        unsafe {
            slice::from_raw_parts_mut(ptr, input.len()).copy_from_slice(input);
            assert_eq!(unpack(call(ptr, 5, echo)), (STATUS_OK, b"hello".to_vec()));
            myelin_free(ptr, 5);
        }
    }

    #[test]
    fn reports_errors_and_empty_input() {
        unsafe {
            assert_eq!(unpack(call(b"fail".as_ptr(), 4, echo)), (STATUS_ERROR, b"failed".to_vec()));
            assert_eq!(unpack(call(std::ptr::null(), 0, echo)), (STATUS_OK, Vec::new()));
            let empty = myelin_alloc(0);
            assert!(!empty.is_null());
            myelin_free(empty, 0);
            myelin_free(std::ptr::null_mut(), 3);
        }
    }
}

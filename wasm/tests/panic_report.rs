//! A panic inside an operation leaves its message where the host reads it (src/panic_report.rs).
//! On the host the panic unwinds (tests build with panic = "unwind"), so `catch_unwind` stands
//! in for the trap the wasm build ends in; the hook runs before either.

use myelin_core::abi;
use myelin_core::panic_report::{last_panic, myelin_last_panic, selftest_panic_op};
use std::panic;

fn read_buffer() -> String {
    let ptr = myelin_last_panic();
    unsafe {
        let len = u32::from_le_bytes([*ptr, *ptr.add(1), *ptr.add(2), *ptr.add(3)]) as usize;
        String::from_utf8(std::slice::from_raw_parts(ptr.add(4), len).to_vec()).unwrap()
    }
}

#[test]
fn a_panic_is_recorded_for_the_host() {
    assert_eq!(last_panic(), None);
    let ok = unsafe { abi::call(b"fine".as_ptr(), 4, selftest_panic_op) };
    assert!(!ok.is_null());
    unsafe { abi::myelin_free_result(ok) };
    assert_eq!(last_panic(), None, "no panic, no message");

    let outcome = panic::catch_unwind(|| unsafe { abi::call(b"panic".as_ptr(), 5, selftest_panic_op) });
    assert!(outcome.is_err());
    let message = last_panic().expect("the hook recorded the panic");
    assert!(message.contains("index out of bounds"), "{message}");
    assert!(message.contains("src/panic_report.rs"), "{message}");
    assert_eq!(read_buffer(), message, "the exported pointer reads the same bytes");
}

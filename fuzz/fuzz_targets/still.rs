#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

// The PNG signature is supplied so every input reaches the still-picture reader.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(data);
    exercise(b);
});

#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

// The container magic is supplied so every input reaches the gif parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut b = b"GIF89a".to_vec();
    b.extend_from_slice(data);
    exercise(b);
});

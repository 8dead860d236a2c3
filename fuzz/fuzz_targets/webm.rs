#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

// The container magic is supplied so every input reaches the webm parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut b = vec![0x1A, 0x45, 0xDF, 0xA3];
    b.extend_from_slice(data);
    exercise(b);
});

#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

// The container magic is supplied so every input reaches the mp4 parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut b = b"\0\0\0\x14ftypisom\0\0\x02\0isom".to_vec();
    b.extend_from_slice(data);
    exercise(b);
});

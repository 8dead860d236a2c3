#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

// The container magic is supplied so every input reaches the avi parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut b = b"RIFF\0\0\0\0AVI ".to_vec();
    b.extend_from_slice(data);
    let n = (b.len() - 8) as u32;
    b[4..8].copy_from_slice(&n.to_le_bytes());
    exercise(b);
});

#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

// The container magic is supplied so every input reaches the dicom parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut b = vec![0u8; 128];
    b.extend_from_slice(b"DICM");
    b.extend_from_slice(data);
    exercise(b);
});

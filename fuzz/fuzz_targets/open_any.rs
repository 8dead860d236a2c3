#![no_main]
#[path = "common.rs"]
mod common;
use common::exercise;

libfuzzer_sys::fuzz_target!(|data: &[u8]| exercise(data.to_vec()));

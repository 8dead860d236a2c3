#![no_main]
use tte_media::{Limits, Source};

/// Small budgets so the fuzzer explores parsing, not allocation.
fn limits() -> Limits {
    Limits { max_frame_pixels: 1 << 20, max_frames: 4096, max_decoded_bytes: 32 << 20 }
}

fn exercise(bytes: Vec<u8>) {
    if let Ok(mut s) = Source::open(bytes, &limits()) {
        let _ = s.probe();
        let n = s.times().len().min(4);
        let idx: Vec<usize> = (0..n).collect();
        let _ = s.frames(&idx, &limits());
        let _ = s.encoded_track();
    }
}

// The container magic is supplied so every input reaches the avi parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| { let mut b = b"RIFF\0\0\0\0AVI ".to_vec(); b.extend_from_slice(data); let n = (b.len() - 8) as u32; b[4..8].copy_from_slice(&n.to_le_bytes()); exercise(b); });

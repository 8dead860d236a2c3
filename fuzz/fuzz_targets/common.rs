//! What every container target does with its input: open, probe, decode a few frames.
use tte_media::{Limits, Source};

// As in the shipped binaries: no single allocation above the budget.
#[global_allocator]
static ALLOC: tte_alloc::Capped = tte_alloc::Capped::new(tte_alloc::DEFAULT_MAX);

/// Small budgets so the fuzzer explores parsing, not allocation.
fn limits() -> Limits {
    Limits {
        max_frame_pixels: 1 << 20,
        max_frames: 4096,
        max_decoded_bytes: 32 << 20,
    }
}

pub fn exercise(bytes: Vec<u8>) {
    if let Ok(mut s) = Source::open(bytes, &limits()) {
        let _ = s.probe();
        let n = s.times().len().min(4);
        let idx: Vec<usize> = (0..n).collect();
        let _ = s.frames(&idx, &limits());
        let _ = s.encoded_track();
    }
}

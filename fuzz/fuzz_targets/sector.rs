#![no_main]
//! Preprocessing on arbitrary pixels and sizes: sector search and resizing must not panic.
use tte_frames::{Frame, PixelFormat};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (w, h) = (1 + data[0] as usize % 64, 1 + data[1] as usize % 64);
    // Grey or RGB frames: the search's colour test (ECG, colour Doppler) only runs on colour.
    let (format, px) = if data[2] & 1 == 1 {
        (PixelFormat::Rgb, 3)
    } else {
        (PixelFormat::Gray, 1)
    };
    let frames: Vec<Frame> = data[4..]
        .chunks(w * h * px)
        .filter(|c| c.len() == w * h * px)
        .take(6)
        .enumerate()
        .map(|(i, c)| {
            Frame::new(
                w,
                h,
                format,
                c.to_vec(),
                i as f64 * (data[2] as f64 + 1.0) / 100.0,
            )
            .unwrap()
        })
        .collect();
    let spec = tte_preprocess::ClipSpec {
        frames: 1 + data[3] as usize % 8,
        size: 8 + data[3] as usize % 40,
        ..Default::default()
    };
    let clip = tte_frames::Clip {
        frames,
        regions: vec![],
    };
    let _ = tte_preprocess::prepare(&clip, &spec);
});

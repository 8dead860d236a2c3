//! The real ultrasound DICOM files in `../shared/fixtures/dicom`, against an independent decoder's
//! reference (pydicom): frame counts and sizes equal, lossless frames equal pixel for pixel, lossy
//! ones within 2/255 mean absolute difference, per-frame means close.
//!
//! These tests need files outside the repository, so they are `#[ignore]`d: `scripts/test.sh` runs
//! them when the folder exists and prints SKIPPED when it does not. Run them by hand with
//! `cargo test -p tte-media --release --test fixtures -- --include-ignored`.

use std::path::PathBuf;
use tte_media::{Limits, Source};

fn fixture_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/dicom");
    assert!(
        dir.join("reference/manifest.json").exists(),
        "fixtures missing at {}: this test must not pass without them",
        dir.display()
    );
    dir
}

fn manifest() -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(fixture_dir().join("reference/manifest.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn read_png_rgb(path: &PathBuf) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf[..w * h * 3].to_vec(),
        png::ColorType::Rgba => buf[..w * h * 4]
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        png::ColorType::Grayscale => buf[..w * h].iter().flat_map(|&g| [g, g, g]).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (w, h, rgb)
}

fn rgb_of(f: &tte_frames::Frame) -> Vec<u8> {
    (0..f.height)
        .flat_map(|y| (0..f.width).flat_map(move |x| f.rgb(x, y)))
        .collect()
}

const LOSSY: [&str; 2] = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.91"];

#[test]
#[ignore = "needs ../shared/fixtures/dicom (run by scripts/test.sh when present)"]
fn every_fixture_decodes_to_the_reference() {
    let dir = fixture_dir();
    let mut failures = Vec::new();
    for (name, want) in manifest() {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let mut src = match Source::open(bytes, &Limits::default()) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: open: {e}"));
                continue;
            }
        };
        let p = src.probe().clone();
        let frames = want["frames"].as_u64().unwrap() as usize;
        let (rows, cols) = (
            want["rows"].as_u64().unwrap() as usize,
            want["columns"].as_u64().unwrap() as usize,
        );
        if (p.frames, p.width, p.height) != (frames, cols, rows) {
            failures.push(format!(
                "{name}: {}x{}x{} frames, reference {cols}x{rows}x{frames}",
                p.width, p.height, p.frames
            ));
            continue;
        }
        assert_eq!(p.codec, want["transfer_syntax"].as_str().unwrap(), "{name}");
        assert_eq!(
            p.has_regions,
            want["has_ultrasound_regions"].as_bool().unwrap(),
            "{name}: regions"
        );
        if let Some(ms) = want["frame_time_ms"].as_f64() {
            let dt = src.times()[1] - src.times()[0];
            assert!(
                (dt * 1000.0 - ms).abs() < 0.01,
                "{name}: frame interval {dt}"
            );
        }
        let decoded = match src.all_frames(&Limits::default()) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: decode: {e}"));
                continue;
            }
        };
        let lossy = LOSSY.contains(&want["transfer_syntax"].as_str().unwrap());
        let means: Vec<f64> = want["rgb_frame_means"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (i, f) in decoded.iter().enumerate() {
            let rgb = rgb_of(f);
            let mean = rgb.iter().map(|&v| v as f64).sum::<f64>() / rgb.len() as f64;
            let tol = if lossy { 2.0 } else { 0.01 };
            if (mean - means[i]).abs() > tol {
                failures.push(format!(
                    "{name}: frame {i} mean {mean:.3}, reference {:.3}",
                    means[i]
                ));
            }
        }
        let (w, h, reference) = read_png_rgb(&dir.join(want["rgb_frame0_png"].as_str().unwrap()));
        assert_eq!((w, h), (cols, rows));
        let ours = rgb_of(&decoded[0]);
        let mad = ours
            .iter()
            .zip(&reference)
            .map(|(a, b)| (*a as f64 - *b as f64).abs())
            .sum::<f64>()
            / ours.len() as f64;
        let exact = ours == reference;
        if lossy && mad > 2.0 || !lossy && !exact {
            failures.push(format!("{name}: frame 0 differs from the reference PNG (mean abs diff {mad:.3}, lossy {lossy})"));
        }
        println!(
            "{name}: ok ({} frames {}x{}, frame-0 MAD {mad:.3})",
            p.frames, p.width, p.height
        );
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

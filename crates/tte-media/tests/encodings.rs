//! Files written by another encoder (the `ffmpeg` command: x264 High with B-frames, QuickTime,
//! fragmented MP4, x265, MPEG-4 Part 2 and uncompressed AVI, PNG and JPEG stills; made from a
//! phantom clip, 64x48, 10 frames), read natively; and the same files cut short and corrupted,
//! which must give errors or frames, never a panic. The comparison of every decoded pixel with
//! ffmpeg's own decode is `tests/decode/compare_ffmpeg.py` (run by scripts/test.sh).

use tte_media::{Format, Limits, MediaError, Source};

#[global_allocator]
static ALLOC: tte_alloc::Capped = tte_alloc::Capped::new(tte_alloc::DEFAULT_MAX);

fn file(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/encodings")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const VIDEOS: [(&str, Format, &str); 6] = [
    ("h264-high-bframes.mp4", Format::Mp4, "avc1.64"),
    ("h264-bframes.mov", Format::Mp4, "avc1."),
    ("h264-fragmented.mp4", Format::Mp4, "avc1."),
    ("hevc.mp4", Format::Mp4, "hvc1.1."),
    ("mpeg4-part2.avi", Format::Avi, "mpeg4"),
    ("uncompressed.avi", Format::Avi, "rawvideo"),
];

#[test]
fn every_encoding_opens_and_decodes_all_its_frames() {
    for (name, format, codec) in VIDEOS {
        let mut s =
            Source::open(file(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = s.probe().clone();
        assert_eq!(
            (p.format, p.frames, p.width, p.height, p.still),
            (format, 10, 64, 48, false),
            "{name}"
        );
        assert!(p.codec.starts_with(codec), "{name}: codec {}", p.codec);
        // Presentation times rise at the 25 frames/s the clip was made at.
        let t = s.times().to_vec();
        assert!(
            t.windows(2).all(|w| (w[1] - w[0] - 0.04).abs() < 1e-6),
            "{name}: {t:?}"
        );
        let frames = s
            .all_frames(&Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(frames.len(), 10, "{name}");
        assert!(
            frames.iter().all(|f| (f.width, f.height) == (64, 48)),
            "{name}"
        );
        // A frame is not a copy of its neighbour: the clip moves.
        assert_ne!(frames[2].data, frames[6].data, "{name}");
    }
}

#[test]
fn b_frames_come_out_in_presentation_order_and_alone() {
    for name in [
        "h264-high-bframes.mp4",
        "h264-bframes.mov",
        "h264-fragmented.mp4",
        "hevc.mp4",
    ] {
        let mut s = Source::open(file(name), &Limits::default()).unwrap();
        let track = s.encoded_track().expect("a WebCodecs track");
        // B-frames: decode order differs from presentation order.
        assert!(
            track.display.windows(2).any(|w| w[1] < w[0]),
            "{name}: no reordering in {:?}",
            track.display
        );
        let all = s.all_frames(&Limits::default()).unwrap();
        // Decoding only some frames (from the sync sample before them) gives the same pictures.
        for pick in [vec![7], vec![3, 8], vec![0, 9], vec![5]] {
            let some = s.frames(&pick, &Limits::default()).unwrap();
            for (f, &i) in some.iter().zip(&pick) {
                assert_eq!(f.data, all[i].data, "{name}: frame {i} alone");
                assert_eq!(f.time_s, all[i].time_s, "{name}: frame {i} time");
            }
            let (a, b) = s.decode_span(&pick).unwrap();
            assert!(
                a <= b && b < track.chunks.len() && track.chunks[a].key,
                "{name}: span {a}..{b}"
            );
        }
    }
}

#[test]
fn stills_are_one_frame_clips_that_say_so() {
    for (name, format) in [("still.png", Format::Png), ("still.jpg", Format::Jpeg)] {
        let mut s = Source::open(file(name), &Limits::default()).unwrap();
        let p = s.probe().clone();
        assert_eq!(
            (p.format, p.frames, p.still, p.width, p.height),
            (format, 1, true, 64, 48),
            "{name}"
        );
        // The sampler may ask for frame 0 many times; it is decoded once and repeated.
        let f = s.frames(&[0, 0, 0], &Limits::default()).unwrap();
        assert_eq!(f.len(), 3);
        assert!(f[0].data.iter().any(|&v| v > 40), "{name}: a black picture");
    }
}

#[test]
fn cut_short_and_corrupted_encodings_give_errors_or_frames_never_panics() {
    let names = VIDEOS.iter().map(|v| v.0).chain(["still.png", "still.jpg"]);
    let small = Limits {
        max_decoded_bytes: 64 << 20,
        ..Limits::default()
    };
    for name in names {
        let bytes = file(name);
        let (mut opened, mut refused) = (0, 0);
        let mut try_bytes = |b: Vec<u8>| match Source::open(b, &small) {
            Ok(mut s) => {
                opened += 1;
                let n = s.times().len();
                let _ = s.frames(&(0..n.min(10)).collect::<Vec<_>>(), &small);
                let _ = s.encoded_track();
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty());
            }
        };
        for k in 1..40 {
            try_bytes(bytes[..bytes.len() * k / 40].to_vec());
        }
        // Lying sizes and fields: every 4-byte word overwritten with huge and zero values in
        // turn, at deterministic places.
        let mut x = 0x9E37_79B9u32;
        for _ in 0..150 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let at = x as usize % bytes.len().saturating_sub(4).max(1);
            for lie in [0xFFFF_FFF0u32, 0, 1, 0x7FFF_FFFF] {
                let mut b = bytes.clone();
                b[at..at + 4].copy_from_slice(&lie.to_be_bytes());
                try_bytes(b);
            }
        }
        assert!(
            opened > 0 && refused > 0,
            "{name}: {opened} opened, {refused} refused"
        );
    }
}

#[test]
fn truncated_files_say_what_is_missing() {
    // An MP4 cut inside its media keeps the frames before the cut and says so.
    let b = file("h264-high-bframes.mp4");
    let s = Source::open(b[..b.len() * 3 / 4].to_vec(), &Limits::default());
    match s {
        Ok(s) => assert!(
            s.warnings().iter().any(|w| w.contains("cut short")),
            "{:?}",
            s.warnings()
        ),
        Err(e) => assert!(matches!(e, MediaError::Truncated(_)), "{e}"),
    }
    // A fragmented MP4 cut in a later fragment keeps the whole fragments before it.
    let b = file("h264-fragmented.mp4");
    let s = Source::open(b[..b.len() * 3 / 4].to_vec(), &Limits::default()).unwrap();
    assert!(
        s.times().len() >= 5 && s.times().len() < 10,
        "{}",
        s.times().len()
    );
    // A PNG cut in its data is a damaged picture, not a panic.
    let b = file("still.png");
    let mut s = Source::open(b[..b.len() / 2].to_vec(), &Limits::default()).unwrap();
    let e = s.frames(&[0], &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("PNG"), "{e}");
}

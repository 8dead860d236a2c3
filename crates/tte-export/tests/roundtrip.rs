//! Every export format reads back through the project's own decoders with the right frame count,
//! size, timing and pixels (within the codec's loss).

use tte_export::{write_avi, write_dicom, write_mp4, DicomInfo};
use tte_media::{Format, Limits, Source};
use tte_phantom::{ClipParams, Renderer, Style};

fn clip() -> (Renderer, Vec<tte_frames::Frame>) {
    let mut p = ClipParams::draw("A4C", 42, Style::Default);
    p.width = 160;
    p.height = 120;
    p.fps = 25.0;
    p.duration_s = 0.4;
    let r = Renderer::new(p);
    let frames = r.all_frames();
    (r, frames)
}

fn mean_abs_diff(a: &tte_frames::Frame, b: &tte_frames::Frame) -> f64 {
    let mut s = 0.0;
    for y in 0..a.height {
        for x in 0..a.width {
            let (p, q) = (a.rgb(x, y), b.rgb(x, y));
            s += (0..3)
                .map(|c| (p[c] as f64 - q[c] as f64).abs())
                .sum::<f64>();
        }
    }
    s / (a.width * a.height * 3) as f64
}

fn check(bytes: Vec<u8>, format: Format, frames: &[tte_frames::Frame], tol: f64) -> Source {
    let mut src = Source::open(bytes, &Limits::default()).unwrap();
    let p = src.probe().clone();
    assert_eq!(p.format, format);
    assert_eq!((p.frames, p.width, p.height), (frames.len(), 160, 120));
    assert!(
        (p.duration_s - 0.4).abs() < 0.01,
        "{format:?} duration {}",
        p.duration_s
    );
    let decoded = src.all_frames(&Limits::default()).unwrap();
    for (i, (a, b)) in frames.iter().zip(&decoded).enumerate() {
        let d = mean_abs_diff(a, b);
        assert!(d < tol, "{format:?} frame {i}: mean abs diff {d}");
    }
    src
}

#[test]
fn avi_mjpeg_round_trips() {
    let (_, frames) = clip();
    check(
        write_avi(&frames, 25.0, 92).unwrap(),
        Format::Avi,
        &frames,
        4.0,
    );
}

#[test]
fn mp4_h264_round_trips() {
    let (_, frames) = clip();
    check(write_mp4(&frames, 25.0).unwrap(), Format::Mp4, &frames, 8.0);
}

#[test]
fn dicom_jpeg_round_trips_with_its_region() {
    let (r, frames) = clip();
    let info = DicomInfo {
        id: 42,
        fps: 25.0,
        regions: r.regions(),
        series_description: "A4C".into(),
    };
    let src = check(
        write_dicom(&frames, &info, 92).unwrap(),
        Format::Dicom,
        &frames,
        4.0,
    );
    assert_eq!(src.probe().codec, "1.2.840.10008.1.2.4.50");
    assert_eq!(src.regions().len(), 1);
    assert_eq!(src.regions()[0].rect, r.sector_rect());
    assert!((src.times()[1] - 0.04).abs() < 1e-6);
}

/// Exporters that shrink the pixels but keep the regions in the old coordinates (as in the SonoSite
/// fixture) must not steer the crop: a region clamped to the picture cuts the fan and keeps the text.
#[test]
fn regions_reaching_past_the_picture_are_ignored_with_a_warning() {
    let (r, frames) = clip();
    let scaled = |g: tte_frames::UltrasoundRegion| tte_frames::UltrasoundRegion {
        rect: tte_frames::Rect {
            x0: g.rect.x0 * 2,
            y0: g.rect.y0 * 2,
            x1: g.rect.x1 * 2,
            y1: g.rect.y1 * 2,
        },
        ..g
    };
    let info = DicomInfo {
        id: 43,
        fps: 25.0,
        regions: r.regions().into_iter().map(scaled).collect(),
        series_description: "A4C".into(),
    };
    let src = Source::open(write_dicom(&frames, &info, 92).unwrap(), &Limits::default()).unwrap();
    assert!(src.probe().has_regions, "the file still declares regions");
    assert!(src.regions().is_empty(), "{:?}", src.regions());
    assert!(
        src.warnings()
            .iter()
            .any(|w| w.contains("past the 160x120 picture")),
        "{:?}",
        src.warnings()
    );
}

#[test]
fn regions_on_the_last_pixel_are_kept() {
    let (r, frames) = clip();
    let whole = tte_frames::UltrasoundRegion {
        rect: tte_frames::Rect {
            x0: 0,
            y0: 0,
            x1: 160,
            y1: 120,
        },
        ..r.regions()[0].clone()
    };
    let info = DicomInfo {
        id: 44,
        fps: 25.0,
        regions: vec![whole.clone()],
        series_description: "A4C".into(),
    };
    let src = Source::open(write_dicom(&frames, &info, 92).unwrap(), &Limits::default()).unwrap();
    assert_eq!(src.regions(), &[whole]);
    assert!(src.warnings().is_empty(), "{:?}", src.warnings());
}

#[test]
fn a_doppler_screen_declares_its_trace_beside_the_2d_image() {
    let p = (1..)
        .map(|seed| ClipParams::draw("OTHER", seed, Style::Default))
        .find(|p| p.other == Some(tte_phantom::OtherKind::SpectralDoppler))
        .unwrap();
    let mut p = p.with_max_side(160);
    p.duration_s = 0.2;
    let r = Renderer::new(p);
    let info = DicomInfo {
        id: 7,
        fps: r.params.fps,
        regions: r.regions(),
        series_description: "OTHER".into(),
    };
    let src = Source::open(
        write_dicom(&r.all_frames(), &info, 90).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    let read: Vec<_> = src
        .regions()
        .iter()
        .map(|g| (g.rect, g.spatial_format, g.data_type))
        .collect();
    assert_eq!(
        read,
        vec![(r.sector_rect(), 1, 1), (r.trace_rect().unwrap(), 3, 3)]
    );
}

#[test]
fn the_same_clip_gives_the_same_bytes() {
    let (_, frames) = clip();
    assert_eq!(
        write_avi(&frames, 25.0, 90).unwrap(),
        write_avi(&frames, 25.0, 90).unwrap()
    );
    assert_eq!(
        write_mp4(&frames, 25.0).unwrap(),
        write_mp4(&frames, 25.0).unwrap()
    );
}

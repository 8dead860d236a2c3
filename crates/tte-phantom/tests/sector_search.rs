//! The preprocessing's fan search on phantom screens, whose true layout the phantom knows: the crop
//! is the fan on ordinary screens, and keeps the trace in view on Doppler and M-mode screens.

use tte_frames::Rect;
use tte_phantom::{ClipParams, OtherKind, Renderer, Style};
use tte_preprocess::{prepare_frames, ClipSpec};

/// The crop the classifier would use for this clip (no DICOM regions, as for MP4 and AVI).
fn crop(r: &Renderer) -> Rect {
    let spec = ClipSpec::default();
    let times = r.params.frame_times();
    let idx = tte_preprocess::plan(&times, &spec);
    let picked: Vec<f64> = idx.iter().map(|&i| times[i]).collect();
    let frames = r.frames_at(&picked);
    prepare_frames(&frames, &picked, &[], &spec, 0.0)
        .unwrap()
        .sector
}

fn overlap_rows(a: &Rect, b: &Rect) -> usize {
    a.y1.min(b.y1).saturating_sub(a.y0.max(b.y0))
}

/// Share of `a` that lies inside `b`.
fn inside(a: &Rect, b: &Rect) -> f64 {
    let cols = a.x1.min(b.x1).saturating_sub(a.x0.max(b.x0));
    (cols * overlap_rows(a, b)) as f64 / a.area().max(1) as f64
}

/// (view, IoU with the fan, share of the crop inside the fan) for two clips of each 2-D view.
fn crops_of(style: Style, seed: u64) -> Vec<(String, f64, f64)> {
    let mut crops = Vec::new();
    for (k, view) in tte_phantom::classes().iter().enumerate() {
        if view == "OTHER" {
            continue;
        }
        for s in 0..2u64 {
            let p = ClipParams::draw(view, seed + 10 * k as u64 + s, style).with_max_side(256);
            let r = Renderer::new(p);
            let (c, fan) = (crop(&r), r.sector_rect());
            crops.push((view.to_string(), c.iou(&fan), inside(&c, &fan)));
        }
    }
    crops
}

#[test]
fn ordinary_screens_are_cropped_to_the_fan() {
    let crops = crops_of(Style::Default, 4_100);
    // A dark fan (lung beside the heart) may give a crop smaller than the fan, around the heart;
    // what must not happen is a crop reaching out to the text and ECG around it.
    let mean = crops.iter().map(|c| c.1).sum::<f64>() / crops.len() as f64;
    assert!(mean > 0.75, "mean IoU with the fan {mean:.3}: {crops:?}");
    let outside: Vec<_> = crops.iter().filter(|c| c.2 < 0.8).collect();
    assert!(
        outside.is_empty(),
        "crops reaching outside the fan: {outside:?}"
    );
}

/// Dim screens (low gain, narrow dynamic range), colour casts, colour Doppler boxes and tiny or odd
/// screen sizes: the crop may shrink to the heart, but still must not take in the overlays.
#[test]
fn style_shifted_screens_are_not_cropped_to_their_overlays() {
    let crops = crops_of(Style::Shifted, 7_300);
    let outside: Vec<_> = crops.iter().filter(|c| c.2 < 0.8).collect();
    assert!(
        outside.is_empty(),
        "crops reaching outside the fan: {outside:?}"
    );
}

#[test]
fn doppler_and_m_mode_screens_keep_their_trace_in_view() {
    let (mut spectral, mut mmode, mut large_pictures) = (0, 0, 0);
    for seed in 7_000u64.. {
        if spectral >= 8 && mmode >= 8 {
            break;
        }
        let p = ClipParams::draw("OTHER", seed, Style::Default).with_max_side(256);
        match p.other {
            Some(OtherKind::SpectralDoppler) if spectral < 8 => spectral += 1,
            Some(OtherKind::MMode) if mmode < 8 => mmode += 1,
            _ => continue,
        }
        let r = Renderer::new(p);
        let (c, trace, image) = (crop(&r), r.trace_rect().unwrap(), r.sector_rect());
        assert!(
            overlap_rows(&c, &trace) * 4 >= trace.height(),
            "seed {seed}: crop {c:?} hides the trace {trace:?}"
        );
        // A thumbnail of the fan beside a large trace may fall outside the crop: the trace
        // alone says the screen is not a standard view. A picture half as wide as the trace
        // stays in view.
        if image.width() * 2 >= trace.width() {
            large_pictures += 1;
            assert!(
                overlap_rows(&c, &image) * 10 >= image.height() * 7,
                "seed {seed}: crop {c:?} loses the 2-D image {image:?}"
            );
        }
        // What a scanner's DICOM would say about the same screen gives a crop holding both.
        let from_dicom = tte_preprocess::sector::region_from_dicom(
            &r.regions(),
            r.params.width,
            r.params.height,
        )
        .unwrap();
        assert_eq!(from_dicom, image.union(&trace));
    }
    assert!(
        large_pictures >= 3,
        "only {large_pictures} of 16 screens had a picture half as wide as the trace"
    );
}

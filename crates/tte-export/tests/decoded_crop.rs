//! The fan search on what an MP4 gives back: H.264 keeps colour at half resolution (4:2:0), so a
//! thin ECG trace comes back only partly saturated, with a pale fringe that still moves. The crop
//! must not reach along the trace beyond the fan.

use tte_frames::Rect;
use tte_media::{Limits, Source};
use tte_phantom::{ClipParams, Renderer, Style};
use tte_preprocess::{prepare_frames, ClipSpec};

/// Share of `a` that lies inside `b`.
fn inside(a: &Rect, b: &Rect) -> f64 {
    let cols = a.x1.min(b.x1).saturating_sub(a.x0.max(b.x0));
    let rows = a.y1.min(b.y1).saturating_sub(a.y0.max(b.y0));
    (cols * rows) as f64 / a.area().max(1) as f64
}

#[test]
fn an_mp4s_ecg_trace_does_not_widen_the_crop() {
    // A clip of the default-style test set (`scripts/evaluate.sh`) whose crop reached along the
    // ECG to the screen's left edge (x0 4 for a fan from 95).
    for (view, seed) in [("PLAX", 6_597_846_768_989u64)] {
        let mut p = ClipParams::draw(view, seed, Style::Default);
        p.duration_s = p.duration_s.min(2.5);
        let p = p.with_max_side(480);
        let r = Renderer::new(p.clone());
        let bytes = tte_export::write_mp4(&r.all_frames(), p.fps).unwrap();
        let frames = Source::open(bytes, &Limits::default())
            .unwrap()
            .all_frames(&Limits::default())
            .unwrap();
        let times: Vec<f64> = frames.iter().map(|f| f.time_s).collect();
        let crop = prepare_frames(&frames, &times, &[], &ClipSpec::default(), 0.0)
            .unwrap()
            .sector;
        let fan = r.sector_rect();
        assert!(
            inside(&crop, &fan) >= 0.9,
            "{view} {seed}: crop {crop:?} reaches out of the fan {fan:?}"
        );
    }
}

//! How well the preprocessing's fan search finds the fan on phantom screens, whose true layout the
//! phantom knows: IoU of the crop with the fan, grouped by screen size, gain and dynamic range
//! (`CROPS_VERBOSE=1` lists the crops with IoU under 0.5). A crop smaller than the fan, around a
//! heart whose surroundings are black, is expected; one reaching out to the text is not.
//! `cargo run --release -p tte-phantom --example crops [clips-per-view] [default|shifted]`
mod common;

use std::collections::BTreeMap;
use tte_phantom::{classes, ClipParams, Renderer};
use tte_preprocess::{plan, prepare_frames, ClipSpec};

fn main() {
    let (per_view, style) = common::per_view_and_style();
    let spec = ClipSpec::default();
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for view in classes().iter().filter(|v| *v != "OTHER") {
        for i in 0..per_view {
            let p = ClipParams::draw(view, 5_000 + i, style).with_max_side(720);
            let r = Renderer::new(p);
            let times = r.params.frame_times();
            let picked: Vec<f64> = plan(&times, &spec).iter().map(|&i| times[i]).collect();
            let frames = r.frames_at(&picked);
            let crop = prepare_frames(&frames, &picked, &[], &spec, 0.0)
                .expect("phantom frames prepare")
                .sector;
            let iou = crop.iou(&r.sector_rect());
            let sc = &r.params.scanner;
            if iou < 0.5 && std::env::var_os("CROPS_VERBOSE").is_some() {
                eprintln!(
                    "{view} seed {}: crop {crop:?} fan {:?} (gain {:.0} dB, range {:.0} dB)",
                    5_000 + i,
                    r.sector_rect(),
                    sc.gain_db,
                    sc.dynamic_range_db
                );
            }
            let keys = [
                format!("size {}x{}", r.params.width, r.params.height),
                format!(
                    "gain {}",
                    if sc.gain_db < -10.0 {
                        "low"
                    } else {
                        "mid/high"
                    }
                ),
                format!(
                    "dynamic range {}",
                    if sc.dynamic_range_db < 45.0 {
                        "low"
                    } else {
                        "mid/high"
                    }
                ),
                "all".to_string(),
            ];
            for k in keys {
                groups.entry(k).or_default().push(iou);
            }
        }
    }
    println!("| screens | clips | mean IoU | IoU < 0.5 |\n|---|---|---|---|");
    for (k, v) in groups {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let bad = v.iter().filter(|&&x| x < 0.5).count();
        println!("| {k} | {} | {mean:.3} | {bad} |", v.len());
    }
}

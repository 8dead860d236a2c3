//! How well the preprocessing's fan search finds the fan on phantom screens, whose true layout the
//! phantom knows: IoU of the crop with the fan, the share of the fan's box the crop keeps, and how
//! many crops reach out of it (a tenth or more of the crop outside the fan's box: text, bars,
//! traces), grouped by view, screen size, gain and dynamic range. A crop smaller than the fan,
//! around a heart whose surroundings are black, is expected; one reaching out to the text is not.
//! `CROPS_VERBOSE=1` lists the crops with IoU under 0.5 or reaching out; `CROPS_PNG=DIR` also
//! draws each of them there (a middle frame, the crop in red, the fan's box in green).
//! `CROPS_ANATOMY=cut` surveys phantom v2's cut views (default: v1's drawn ones),
//! `CROPS_STILLS=1` one frame shown for the whole clip, as training's stills and screen captures
//! are, and `CROPS_MAX_SIDE=N` screens at most N pixels wide (default 720; training renders 256).
//! `cargo run --release -p tte-phantom --example crops [clips-per-view] [default|shifted]`
mod common;

use std::collections::BTreeMap;
use tte_phantom::{classes, Anatomy, ClipParams, Renderer};
use tte_preprocess::{plan, prepare_frames, ClipSpec};

fn main() {
    let (per_view, style) = common::per_view_and_style();
    let anatomy: Anatomy = std::env::var("CROPS_ANATOMY")
        .map_or(Ok(Anatomy::Drawn), |s| s.parse())
        .unwrap_or_else(|e| panic!("CROPS_ANATOMY: {e}"));
    let stills = std::env::var_os("CROPS_STILLS").is_some();
    let max_side: usize = std::env::var("CROPS_MAX_SIDE").map_or(720, |s| {
        s.parse()
            .expect("CROPS_MAX_SIDE is a whole number of pixels")
    });
    let spec = ClipSpec::default();
    let mut groups: BTreeMap<String, Vec<(f64, f64, bool)>> = BTreeMap::new();
    for view in classes().iter().filter(|v| *v != "OTHER") {
        for i in 0..per_view {
            let p = ClipParams::draw(view, 5_000 + i, style)
                .with_max_side(max_side)
                .with_anatomy(anatomy);
            let r = Renderer::new(p);
            let times = r.params.frame_times();
            let picked: Vec<f64> = plan(&times, &spec).iter().map(|&i| times[i]).collect();
            let frames = if stills {
                vec![r.frames_at(&picked[picked.len() / 2..][..1]).remove(0); picked.len()]
            } else {
                r.frames_at(&picked)
            };
            let crop = prepare_frames(&frames, &picked, &[], &spec, 0.0)
                .expect("phantom frames prepare")
                .sector;
            let fan = r.sector_rect();
            let iou = crop.iou(&fan);
            let kept = crop.intersection(&fan).area() as f64 / fan.area().max(1) as f64;
            let out = reaches_out(&crop, &fan);
            let sc = &r.params.scanner;
            if (iou < 0.5 || out) && std::env::var_os("CROPS_VERBOSE").is_some() {
                eprintln!(
                    "{view} seed {}: crop {crop:?} fan {:?} (gain {:.0} dB, range {:.0} dB)",
                    5_000 + i,
                    r.sector_rect(),
                    sc.gain_db,
                    sc.dynamic_range_db
                );
                if let Some(dir) = std::env::var_os("CROPS_PNG") {
                    let out = std::path::Path::new(&dir).join(format!("{view}-{}.png", 5_000 + i));
                    draw_boxes(&frames[frames.len() / 2], &crop, &r.sector_rect(), &out);
                }
            }
            let keys = [
                format!("view {view}"),
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
                groups.entry(k).or_default().push((iou, kept, out));
            }
        }
    }
    println!("| screens | clips | mean IoU | IoU < 0.5 | IoU < 0.7 | share of the fan kept | crop reaches out of the fan |\n|---|---|---|---|---|---|---|");
    for (k, v) in groups {
        let n = v.len() as f64;
        let mean = v.iter().map(|x| x.0).sum::<f64>() / n;
        let kept = v.iter().map(|x| x.1).sum::<f64>() / n;
        let bad = v.iter().filter(|x| x.0 < 0.5).count();
        let poor = v.iter().filter(|x| x.0 < 0.7).count();
        let out = v.iter().filter(|x| x.2).count();
        println!(
            "| {k} | {} | {mean:.3} | {bad} | {poor} | {kept:.2} | {out} |",
            v.len()
        );
    }
}

/// Whether a tenth or more of the crop lies outside the fan's box.
fn reaches_out(crop: &tte_frames::Rect, fan: &tte_frames::Rect) -> bool {
    let w = crop.x1.min(fan.x1).saturating_sub(crop.x0.max(fan.x0));
    let h = crop.y1.min(fan.y1).saturating_sub(crop.y0.max(fan.y0));
    (crop.area() - w * h) * 10 >= crop.area()
}

/// Writes `frame` as an RGB PNG with the crop outlined in red and the fan's box in green.
fn draw_boxes(
    frame: &tte_frames::Frame,
    crop: &tte_frames::Rect,
    fan: &tte_frames::Rect,
    out: &std::path::Path,
) {
    let (w, h) = (frame.width, frame.height);
    let mut rgb: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| frame.rgb(x, y)))
        .collect();
    let mut outline = |r: &tte_frames::Rect, c: [u8; 3]| {
        let (x1, y1) = (r.x1.min(w) - 1, r.y1.min(h) - 1);
        for y in r.y0..=y1 {
            for x in r.x0..=x1 {
                if x == r.x0 || x == x1 || y == r.y0 || y == y1 {
                    rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&c);
                }
            }
        }
    };
    outline(fan, [0, 255, 0]);
    outline(crop, [255, 0, 0]);
    let file = std::fs::File::create(out).expect("create the PNG");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.write_header()
        .and_then(|mut wr| wr.write_image_data(&rgb))
        .expect("write the PNG");
}

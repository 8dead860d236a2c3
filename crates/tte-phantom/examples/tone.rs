//! Realism check: the median grey level of each kind of tissue on screen, over a few clips of every
//! view, to set beside the same figures read off a real echo (README, "How real it looks").
//! `cargo run --release -p tte-phantom --example tone [clips-per-view] [default|shifted] [drawn|cut]`
mod common;

use tte_phantom::anatomy::Tissue;
use tte_phantom::{classes, ClipParams, Renderer};

fn main() {
    let (per_view, style) = common::per_view_and_style();
    let anatomy: tte_phantom::Anatomy = std::env::args()
        .nth(3)
        .map_or(Ok(tte_phantom::Anatomy::Drawn), |s| s.parse())
        .expect("anatomy: drawn or cut");
    let groups: [(&str, fn(Tissue) -> bool); 4] = [
        ("myocardium", |t| {
            matches!(t, Tissue::Myocardium | Tissue::Papillary)
        }),
        ("blood", Tissue::is_blood),
        ("surroundings", |t| t == Tissue::Background),
        ("pericardium and valves", |t| {
            matches!(t, Tissue::Pericardium | Tissue::Valve)
        }),
    ];
    let mut values: [Vec<f64>; 4] = Default::default();
    let mut sector = Vec::new();
    for view in classes().iter().filter(|v| *v != "OTHER") {
        for i in 0..per_view {
            let mut p = ClipParams::draw(view, 900 + i, style).with_anatomy(anatomy);
            (p.width, p.height) = (320, 240);
            let r = Renderer::new(p);
            let img = r.frame_rgb(0.3);
            let labels = r.label_map(0.3);
            let (placement, sc) = (r.placement(), &r.params.scanner);
            for (k, t) in labels.iter().enumerate() {
                let (x, y) = ((k % 320) as f32 + 0.5, (k / 320) as f32 + 0.5);
                let (depth, angle, _) = placement.to_sector(x, y);
                if depth > sc.depth_cm || angle.abs() > sc.half_angle {
                    continue;
                }
                let grey = img[k * 3..k * 3 + 3].iter().map(|&v| v as f64).sum::<f64>() / 3.0;
                sector.push(grey);
                for (g, (_, pick)) in groups.iter().enumerate() {
                    if pick(*t) {
                        values[g].push(grey);
                    }
                }
            }
        }
    }
    // Medians: the point-spread function smears bright walls a pixel or two into the blood.
    for (g, (name, _)) in groups.iter().enumerate() {
        println!(
            "{name:>24}: median grey {:5.1}",
            quantile(&mut values[g], 0.5)
        );
    }
    println!(
        "{:>24}: median {:.0}, 99th percentile {:.0}",
        "sector",
        quantile(&mut sector, 0.5),
        quantile(&mut sector, 0.99)
    );
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q) as usize]
}

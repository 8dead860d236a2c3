//! How much of the fan the anatomy fills on phantom v2 screens, per view: the share of fan pixels
//! that are not background, the depth (share of the fan's) of the deepest anatomy, and how often
//! an atrium runs off the bottom of the fan (a real apical view shows both atria whole), and how
//! often the liver fills more than a twentieth of the fan (a subcostal window, not a parasternal one).
//! `cargo run --release -p tte-phantom --example fill -- [clips-per-view]`
use tte_phantom::anatomy::Tissue;
use tte_phantom::{classes, Anatomy, ClipParams, Renderer, Style};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    for view in classes().iter().filter(|v| *v != "OTHER") {
        let (mut fill, mut deep, mut cut_off, mut liver_clips) =
            (Vec::new(), Vec::new(), 0usize, 0usize);
        for i in 0..n {
            let mut p =
                ClipParams::draw(view, 7_000 + i, Style::Default).with_anatomy(Anatomy::Cut);
            p.width = 160;
            p.height = 120;
            let r = Renderer::new(p);
            let sc = r.params.scanner.clone();
            let pl = r.placement();
            let map = r.label_map(0.0);
            let (mut inside, mut heart, mut max_r, mut atria_at_edge, mut liver) =
                (0usize, 0usize, 0f32, false, 0usize);
            for y in 0..120 {
                for x in 0..160 {
                    let (rr, th, _) = pl.to_sector(x as f32 + 0.5, y as f32 + 0.5);
                    if rr <= sc.depth_cm && th.abs() <= sc.half_angle {
                        inside += 1;
                        if map[y * 160 + x] != Tissue::Background {
                            heart += 1;
                            max_r = max_r.max(rr / sc.depth_cm);
                            liver += usize::from(map[y * 160 + x] == Tissue::Liver);
                            atria_at_edge |= rr > 0.96 * sc.depth_cm
                                && matches!(map[y * 160 + x], Tissue::La | Tissue::Ra);
                        }
                    }
                }
            }
            fill.push(heart as f32 / inside.max(1) as f32);
            deep.push(max_r);
            cut_off += usize::from(atria_at_edge);
            liver_clips += usize::from(liver * 20 > inside);
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        fill.sort_by(f32::total_cmp);
        println!(
            "{view:8} fill mean {:.2} (p10 {:.2} p90 {:.2})  deepest anatomy {:.2} of the depth  atria cut off by the fan's edge {:.0} %  liver over 5 % of the fan {:.0} %",
            mean(&fill),
            fill[fill.len() / 10],
            fill[fill.len() * 9 / 10],
            mean(&deep),
            100.0 * cut_off as f32 / n as f32,
            100.0 * liver_clips as f32 / n as f32
        );
    }
}

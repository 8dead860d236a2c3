//! How well the fan search finds the phantom's fan, whose box the phantom knows:
//! `--example fan_search -- [N_PER_VIEW] [MAX_SIDE]` renders N clips of every view as training
//! does (at most MAX_SIDE pixels wide, 256 by default), runs the search on one frame (a still)
//! and on eight frames (a moving clip), and prints per view the share of crops that miss the fan
//! (IoU with its box under 0.7) and the mean share of the fan's box the crop keeps.
use tte_phantom::{Anatomy, ClipParams, Renderer, Style};
use tte_preprocess::sector::find_sector;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let n: u64 = a.get(1).map_or(Ok(12), |s| s.parse())?;
    let side: usize = a.get(2).map_or(Ok(256), |s| s.parse())?;
    let views: Vec<&str> = tte_views::VIEWS.iter().map(|v| v.code).collect();
    println!("view      still: miss  kept   clip: miss  kept");
    let (mut all_s, mut all_c) = (vec![], vec![]);
    for view in views.iter() {
        let (mut s, mut c) = (vec![], vec![]);
        for k in 0..n {
            let p = ClipParams::draw(view, 9_000_000 + k * 131, Style::Default)
                .with_max_side(side)
                .with_anatomy(Anatomy::Cut);
            let r = Renderer::new(p);
            let truth = r.sector_rect();
            let times = r.params.frame_times();
            let picks: Vec<f64> = (0..8).map(|i| times[i * times.len() / 8]).collect();
            let frames = r.frames_at(&picks);
            let one = find_sector(&[&frames[0]]);
            let many = find_sector(&frames.iter().collect::<Vec<_>>());
            let kept = |f: &tte_frames::Rect| f.intersection(&truth).area() as f32 / truth.area().max(1) as f32;
            if std::env::var_os("FAN_SEARCH_SHOW").is_some() && one.iou(&truth) < 0.7 {
                let (w, h) = (r.params.width, r.params.height);
                eprintln!("{view} seed {} {w}x{h}: truth {truth:?} found {one:?}", 9_000_000 + k * 131);
            }
            s.push((one.iou(&truth) as f32, kept(&one)));
            c.push((many.iou(&truth) as f32, kept(&many)));
        }
        let sum = |v: &[(f32, f32)]| {
            let miss = v.iter().filter(|x| x.0 < 0.7).count() as f32 / v.len() as f32;
            let kept = v.iter().map(|x| x.1).sum::<f32>() / v.len() as f32;
            (miss, kept)
        };
        let (sm, sk) = sum(&s);
        let (cm, ck) = sum(&c);
        println!("{view:<9} {sm:>11.2} {sk:>5.2} {cm:>11.2} {ck:>5.2}");
        all_s.extend(s);
        all_c.extend(c);
    }
    let sum = |v: &[(f32, f32)]| {
        (
            v.iter().filter(|x| x.0 < 0.7).count() as f32 / v.len() as f32,
            v.iter().map(|x| x.1).sum::<f32>() / v.len() as f32,
        )
    };
    let ((sm, sk), (cm, ck)) = (sum(&all_s), sum(&all_c));
    println!("all       {sm:>11.2} {sk:>5.2} {cm:>11.2} {ck:>5.2}");
    Ok(())
}

//! Phantom speed: clips per second at 112x112 x 32 frames on one core, against the 20 clips/s
//! that CPU training needs, for v1 (drawn) and v2 (cut) anatomy measured in the same run.
//! `cargo run --release -p tte-phantom --example bench [clips]`
use std::time::Instant;
use tte_phantom::{classes, Anatomy, ClipParams, Renderer, Style};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(130);
    for anatomy in [Anatomy::Drawn, Anatomy::Cut] {
        bench(n, anatomy);
    }
}

fn bench(n: usize, anatomy: Anatomy) {
    let views = classes();
    let times: Vec<f64> = (0..32).map(|i| i as f64 / 30.0).collect();
    // Every class in turn, each clip with its own drawn scanner, screen and patient.
    let mut bytes = 0usize;
    let t = Instant::now();
    for i in 0..n {
        let mut p = ClipParams::draw(&views[i % views.len()], 1000 + i as u64, Style::Default)
            .with_anatomy(anatomy);
        p.width = 112;
        p.height = 112;
        let r = Renderer::new(p);
        bytes += r
            .frames_at(&times)
            .iter()
            .map(|f| f.data.len())
            .sum::<usize>();
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    println!("phantom ({anatomy:?}): {n} clips of 112x112 x 32 frames in {secs:.2} s on one thread = {rate:.1} clips/s ({} MB of pixels)", bytes >> 20);
    println!(
        "target (keep pace with CPU training): 20 clips/s -> ratio {:.2}x",
        rate / 20.0
    );
}

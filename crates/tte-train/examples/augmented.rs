//! Shows what a training config feeds the network: `--example augmented -- CONFIG OUT.png [N]`
//! draws N phantom clips (one per view in turn), augments and prepares them exactly as training
//! does, and writes the middle frame of each clip tensor side by side, 8 to a row.
use tte_train::{config::TrainConfig, data};

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    if !(3..=4).contains(&a.len()) {
        anyhow::bail!(
            "usage: cargo run --release -p tte-train --example augmented -- CONFIG OUT.png [N]"
        );
    }
    let cfg = TrainConfig::load(&a[1])?;
    let n: usize = a.get(3).map_or(Ok(24), |s| s.parse())?;
    let meta = tte_train::train::model_meta(&cfg)?;
    let (labels, spec) = (&meta.labels, meta.clip_spec());
    let tiles: Vec<Vec<u8>> = (0..n)
        .map(|k| {
            let item = data::Item::Phantom {
                view: labels[k % labels.len()].clone(),
                seed: cfg.seed ^ (k as u64 * 7919),
                style: tte_phantom::Style::Default,
                anatomy: cfg.anatomy(),
            };
            let ex = data::make_example(
                &item,
                k % labels.len(),
                &spec,
                &cfg.augment,
                cfg.seed + k as u64,
            )?;
            Ok(middle_frame_rgb(&ex.data, &spec))
        })
        .collect::<anyhow::Result<_>>()?;
    write_sheet(&a[2], &tiles, spec.size, 8)
}

fn middle_frame_rgb(data: &[f32], spec: &tte_preprocess::ClipSpec) -> Vec<u8> {
    let (s, t) = (spec.size, spec.frames / 2);
    let mut rgb = vec![0u8; s * s * 3];
    for c in 0..3 {
        let ch = c.min(spec.channels - 1);
        for i in 0..s * s {
            let v = data[(ch * spec.frames + t) * s * s + i] * spec.std[ch] + spec.mean[ch];
            rgb[i * 3 + c] = (v * 255.0).clamp(0.0, 255.0) as u8;
        }
    }
    rgb
}

fn write_sheet(path: &str, tiles: &[Vec<u8>], s: usize, per_row: usize) -> anyhow::Result<()> {
    let cols = per_row.min(tiles.len()).max(1);
    let rows = tiles.len().div_ceil(cols).max(1);
    let (w, h) = (cols * s, rows * s);
    let mut rgb = vec![0u8; w * h * 3];
    for (k, tile) in tiles.iter().enumerate() {
        let (x0, y0) = ((k % cols) * s, (k / cols) * s);
        for y in 0..s {
            let dst = ((y0 + y) * w + x0) * 3;
            rgb[dst..dst + s * 3].copy_from_slice(&tile[y * s * 3..(y + 1) * s * 3]);
        }
    }
    let file = std::fs::File::create(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.write_header()?.write_image_data(&rgb)?;
    Ok(())
}

//! Shows what the network is given for one file: `--example crop -- FILE OUT.png`
//! (the sector the preprocessing chose, and the middle frame of the clip tensor).
fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 3 {
        anyhow::bail!("usage: cargo run --release -p tte-train --example crop -- FILE OUT.png");
    }
    let bytes = std::fs::read(&a[1]).map_err(|e| anyhow::anyhow!("{}: {e}", a[1]))?;
    let limits = tte_media::Limits::default();
    let mut src = tte_media::Source::open(bytes, &limits).map_err(|e| anyhow::anyhow!("{e}"))?;
    let spec = tte_preprocess::ClipSpec {
        frames: 32,
        ..Default::default()
    };
    let idx = tte_preprocess::plan(src.times(), &spec);
    let frames = src
        .frames(&idx, &limits)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let times: Vec<f64> = idx.iter().map(|&i| src.times()[i]).collect();
    let p = tte_preprocess::prepare_frames(&frames, &times, src.regions(), &spec, 0.0)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{} {}x{} sector {:?} metadata {}",
        a[1], frames[0].width, frames[0].height, p.sector, p.sector_from_metadata
    );
    let s = spec.size;
    let t = spec.frames / 2;
    let mut rgb = vec![0u8; s * s * 3];
    for c in 0..3 {
        for i in 0..s * s {
            let v = p.data[(c * spec.frames + t) * s * s + i] * spec.std[c] + spec.mean[c];
            rgb[i * 3 + c] = (v * 255.0).clamp(0.0, 255.0) as u8;
        }
    }
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(std::fs::File::create(&a[2])?),
        s as u32,
        s as u32,
    );
    enc.set_color(png::ColorType::Rgb);
    enc.write_header()?.write_image_data(&rgb)?;
    Ok(())
}

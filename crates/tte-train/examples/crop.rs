//! Shows what the network is given for one file:
//! `--example crop -- FILE OUT.png [MODEL] [--tissue-map PX]`
//! (the sector the preprocessing chose, and the middle frame of the clip tensor, prepared as the
//! model asks: clip length, size, colour blanking, grey-level levelling; by default the shipped
//! `models/lite.ttev`; `--tissue-map PX` shows the tissue map of that radius instead, to see a
//! representation before training a model on it).
fn main() -> anyhow::Result<()> {
    let mut a: Vec<String> = std::env::args().collect();
    let tissue_map = match a.iter().position(|x| x == "--tissue-map") {
        Some(i) if i + 1 < a.len() => {
            let px = a[i + 1].parse::<usize>()?;
            a.drain(i..i + 2);
            Some(px)
        }
        _ => None,
    };
    if !(3..=4).contains(&a.len()) {
        anyhow::bail!(
            "usage: cargo run --release -p tte-train --example crop -- FILE OUT.png [MODEL] [--tissue-map PX]"
        );
    }
    let bytes = std::fs::read(&a[1]).map_err(|e| anyhow::anyhow!("{}: {e}", a[1]))?;
    // The model's input, through the same path as classification. Without a MODEL, the shipped
    // one of the checkout it runs in first: a build directory shared between clones may hold a
    // binary built in another one.
    let here = std::path::PathBuf::from("models/lite.ttev");
    let model_path = if let Some(m) = a.get(3) {
        std::path::PathBuf::from(m)
    } else if here.exists() {
        here
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/lite.ttev")
    };
    let model = tte_slowfast::TrainedModel::load(&model_path, &burn::tensor::Device::flex())
        .map_err(|e| anyhow::anyhow!("{}: {e}", model_path.display()))?;
    let mut spec = model.meta.clip_spec();
    if let Some(px) = tissue_map {
        spec.tissue_map_px = px;
    }
    let p = tte_pipeline::decode_and_prepare(bytes, &spec, &tte_media::Limits::default())
        .map_err(|e| anyhow::anyhow!("{}: {e}", a[1]))?
        .prepared;
    println!(
        "{}: sector {:?}, from DICOM metadata: {}, colour blanked: {}, grey levels levelled: {}",
        a[1], p.sector, p.sector_from_metadata, spec.blank_colour, spec.auto_levels
    );
    let s = spec.size;
    let t = spec.frames / 2;
    let mut rgb = vec![0u8; s * s * 3];
    // A grey model's clip has one channel: shown as grey.
    for c in 0..3 {
        let k = c.min(spec.channels - 1);
        for i in 0..s * s {
            let v = p.data[(k * spec.frames + t) * s * s + i] * spec.std[k] + spec.mean[k];
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

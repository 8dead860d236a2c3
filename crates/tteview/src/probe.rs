//! `tteview probe FILE`: what a clip is, without classifying it.

use anyhow::{anyhow, Result};

#[derive(clap::Args)]
pub struct Args {
    file: std::path::PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Decode every frame and write them to this file as packed RGB (width x height x 3 bytes
    /// each, in presentation order), as `ffmpeg -i FILE -f rawvideo -pix_fmt rgb24 OUT` does;
    /// the JSON then gives the decoded size and each frame's time.
    #[arg(long, value_name = "OUT")]
    rgb_out: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow!("{name}: cannot read: {e}"))?;
    let limits = tte_media::Limits::default();
    let mut src = tte_media::Source::open(bytes, &limits).map_err(|e| anyhow!("{name}: {e}"))?;
    let decoded = match &args.rgb_out {
        Some(out) => Some(write_rgb(&mut src, &limits, out).map_err(|e| anyhow!("{name}: {e}"))?),
        None => None,
    };
    let p = src.probe();
    if args.json {
        let mut v = serde_json::to_value(p)?;
        v["warnings"] = serde_json::to_value(src.warnings())?;
        v["regions"] = serde_json::to_value(src.regions())?;
        v["times"] = serde_json::to_value(src.times())?;
        if let Some((w, h, n)) = decoded {
            v["decoded"] = serde_json::json!({"width": w, "height": h, "frames": n});
        }
        println!("{}", serde_json::to_string(&v)?);
    } else {
        println!(
            "{name}: {} {} {}x{} {} frames {:.2} s",
            p.format.name(),
            p.codec,
            p.width,
            p.height,
            p.frames,
            p.duration_s
        );
        if let Some((w, h, n)) = decoded {
            println!("  decoded {n} frames of {w}x{h} RGB");
        }
        for w in src.warnings() {
            println!("  warning: {w}");
        }
    }
    Ok(())
}

/// Decodes every frame, in chunks so memory stays bounded, and writes them as packed RGB.
fn write_rgb(
    src: &mut tte_media::Source,
    limits: &tte_media::Limits,
    out: &std::path::Path,
) -> Result<(usize, usize, usize)> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let n = src.times().len();
    let mut size = None;
    for start in (0..n).step_by(64) {
        let idx: Vec<usize> = (start..(start + 64).min(n)).collect();
        for f in src.frames(&idx, limits)? {
            if *size.get_or_insert((f.width, f.height)) != (f.width, f.height) {
                return Err(anyhow!("the picture size changes within the clip"));
            }
            for y in 0..f.height {
                for x in 0..f.width {
                    file.write_all(&f.rgb(x, y))?;
                }
            }
        }
    }
    file.flush()?;
    let (w, h) = size.unwrap_or((0, 0));
    Ok((w, h, n))
}

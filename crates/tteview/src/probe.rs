//! `tteview probe FILE`: what a clip is, without classifying it.

use anyhow::{anyhow, Result};

#[derive(clap::Args)]
pub struct Args {
    file: std::path::PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow!("{name}: cannot read: {e}"))?;
    let src = tte_media::Source::open(bytes, &tte_media::Limits::default())
        .map_err(|e| anyhow!("{name}: {e}"))?;
    let p = src.probe();
    if args.json {
        let mut v = serde_json::to_value(p)?;
        v["warnings"] = serde_json::to_value(src.warnings())?;
        v["regions"] = serde_json::to_value(src.regions())?;
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
        for w in src.warnings() {
            println!("  warning: {w}");
        }
    }
    Ok(())
}

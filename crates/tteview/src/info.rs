//! `tteview info`: what a preset (or a model file's network) costs.

use anyhow::{bail, Result};
use serde_json::json;
use tte_slowfast::SlowFastConfig;

#[derive(clap::Args)]
pub struct Args {
    /// Network preset: `lite` (browser default) or `r50` (pytorchvideo slowfast_r50 layout).
    #[arg(long, default_value = "lite")]
    preset: String,
    /// Number of output classes (default: the 13 classes of the view catalogue).
    #[arg(long)]
    classes: Option<usize>,
    /// A model file: its network's cost instead of a preset's (a grey model's stems are smaller).
    #[arg(long, conflicts_with_all = ["preset", "classes"])]
    model: Option<std::path::PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let classes = args.classes.unwrap_or(tte_views::VIEWS.len());
    let config = match &args.model {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let (meta, _) = tte_slowfast::TrainedModel::read_meta(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            meta.config
        }
        None => match SlowFastConfig::preset(&args.preset, classes) {
            Some(c) => c,
            None => bail!("unknown preset `{}`; choose `lite` or `r50`", args.preset),
        },
    };
    let classes = config.num_classes;
    let cost = config.cost();
    if args.json {
        let out = json!({
            "preset": args.preset,
            "params": cost.params,
            "macs": cost.macs,
            "input": [1, config.input_channels, config.frames, config.crop_size, config.crop_size],
            "config": config,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("preset        {}", args.preset);
        println!("classes       {classes}");
        println!(
            "input         {}x{}x{}x{} (channels x fast frames x crop x crop), slow frames {}",
            config.input_channels,
            config.frames,
            config.crop_size,
            config.crop_size,
            config.slow_frames()
        );
        println!(
            "parameters    {} ({:.2} M)",
            cost.params,
            cost.params as f64 / 1e6
        );
        println!(
            "MACs/clip     {} ({:.3} G)",
            cost.macs,
            cost.macs as f64 / 1e9
        );
    }
    Ok(())
}

//! `tteview calibrate`: fit how a model's answers are read (temperature, OTHER bias, the
//! uncertainty threshold) on phantom clips it never trained on, and record it in a copy of the
//! model file whose weights stay bit for bit.

use anyhow::{anyhow, Result};
use burn::tensor::Device;
use std::path::PathBuf;
use tte_slowfast::TrainedModel;
use tte_train::calibrate::{calibration_set, fit, raw_probabilities, CONFIDENT_ACCURACY};

#[derive(clap::Args)]
pub struct Args {
    /// The model file to calibrate.
    #[arg(long)]
    model: PathBuf,
    /// Where to write the calibrated copy (may be `--model` itself).
    #[arg(long)]
    out: PathBuf,
    /// Phantom clips per view (half default style, half style-shifted).
    #[arg(long, default_value_t = 16)]
    per_class: usize,
    /// Also write the fit and what it does on the calibration clips as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    anyhow::ensure!(args.per_class >= 2, "--per-class must be at least 2");
    let device = Device::flex();
    let bytes = std::fs::read(&args.model).map_err(|e| anyhow!("{}: {e}", args.model.display()))?;
    let model = TrainedModel::from_bytes(&bytes, &device)
        .map_err(|e| anyhow!("{}: {e}", args.model.display()))?;
    let mut meta = model.meta.clone();
    let anatomy: tte_phantom::Anatomy = meta
        .anatomy
        .parse()
        .map_err(|e| anyhow!("{}: anatomy `{}`: {e}", args.model.display(), meta.anatomy))?;
    let clips = calibration_set(&meta.labels, &meta.clip_spec(), anatomy, args.per_class)?;
    let rows = raw_probabilities(&model.net, &meta, &clips, &device)?;
    let truth: Vec<usize> = clips.iter().map(|e| e.label).collect();
    let other = meta.labels.iter().position(|l| l == tte_views::OTHER);
    let f = fit(&rows, &truth, other);
    (meta.temperature, meta.other_bias, meta.unsure_below) =
        (f.temperature, f.other_bias, f.unsure_below);
    let out = TrainedModel::with_meta(&bytes, &meta).map_err(|e| anyhow!("{e}"))?;
    // Written beside the target, then renamed: `--out` may be `--model` itself.
    let tmp = args.out.with_extension("ttev.partial");
    std::fs::write(&tmp, out).map_err(|e| anyhow!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out).map_err(|e| anyhow!("{}: {e}", args.out.display()))?;
    println!(
        "{} clips ({} per view): temperature {:.2}, OTHER bias {:+.1}, uncertain below {:.2}",
        f.clips, args.per_class, f.temperature, f.other_bias, f.unsure_below
    );
    println!(
        "  accuracy {:.3} -> {:.3}, NLL {:.3} -> {:.3}, ECE {:.3} -> {:.3}",
        f.accuracy[0], f.accuracy[1], f.nll[0], f.nll[1], f.ece[0], f.ece[1]
    );
    println!(
        "  OTHER found {:.2} -> {:.2}, standard views called OTHER {:.3} -> {:.3}",
        f.other_recall[0],
        f.other_recall[1],
        f.standard_called_other[0],
        f.standard_called_other[1]
    );
    println!(
        "  {:.0} % of answers at or above the threshold, right {:.3} of the time (target {CONFIDENT_ACCURACY})",
        100.0 * f.confident_share,
        f.confident_accuracy
    );
    println!("wrote {}", args.out.display());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&f)?)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    Ok(())
}

//! `tteview convert`: rewrite a model file, with f16 weights for a smaller download, and show
//! that the smaller file answers like the original on fresh phantom clips of every view.

use anyhow::{anyhow, Result};
use burn::tensor::{DType, Device};
use std::path::PathBuf;
use tte_phantom::{ClipParams, Renderer, Style};
use tte_slowfast::TrainedModel;

#[derive(clap::Args)]
pub struct Args {
    /// The model file to convert.
    #[arg(long)]
    model: PathBuf,
    /// Where to write the converted model.
    #[arg(long)]
    out: PathBuf,
    /// Store weights as f16 (half the size); without it, f32.
    #[arg(long, conflicts_with = "eight_bit")]
    half: bool,
    /// Store convolution and linear weights as 8-bit integers with a scale per output channel
    /// (a quarter of f32; batch norm and biases stay f32): the web app's download.
    #[arg(long = "q8")]
    eight_bit: bool,
    /// Record colour blanking in the written file (`blank_colour`: colour Doppler and coloured
    /// overlays turned black before the network), for weights trained without it: how the card
    /// measures what the preparation alone is worth.
    #[arg(long)]
    blank_colour: bool,
    /// Switch grey-level levelling off in the written file (`auto_levels`), to measure what it
    /// is worth on real clips.
    #[arg(long)]
    no_levels: bool,
    /// Switch colour blanking off in the written file (`blank_colour`), likewise.
    #[arg(long, conflicts_with = "blank_colour")]
    no_blank_colour: bool,
    /// Record batch-norm adaptation in the written file (`bn_adapt`, 0-1: how far each layer's
    /// statistics move towards the clip's own at inference; 0 is plain inference).
    #[arg(long)]
    bn_adapt: Option<f32>,
    /// Record the phantom anatomy the weights were trained on (`drawn` or `cut`), for files
    /// written before the header had it.
    #[arg(long)]
    anatomy: Option<tte_phantom::Anatomy>,
    /// Average the weights with these model files (fine-tunes of the same start, same network
    /// and labels): a weight-space ensemble, one network of the same size. Repeat for more.
    #[arg(long = "average-with", value_name = "FILE")]
    average_with: Vec<PathBuf>,
    /// Weights of `--model` and each `--average-with` file, comma-separated (default: equal).
    #[arg(long, value_delimiter = ',', requires = "average_with")]
    average_weights: Vec<f32>,
    /// Phantom clips per view used to compare the two files' answers.
    #[arg(long, default_value_t = 1)]
    check_per_view: usize,
}

pub fn run(args: Args) -> Result<()> {
    let device = Device::flex();
    let read =
        |p: &PathBuf| TrainedModel::load(p, &device).map_err(|e| anyhow!("{}: {e}", p.display()));
    let mut original = read(&args.model)?;
    if !args.average_with.is_empty() {
        original = average(original, &args, read)?;
    }
    // Both files are then compared on the same, blanked input: the check is of the weights.
    original.meta.blank_colour =
        (original.meta.blank_colour || args.blank_colour) && !args.no_blank_colour;
    original.meta.auto_levels &= !args.no_levels;
    if let Some(a) = args.anatomy {
        original.meta.anatomy = a.to_string();
    }
    if let Some(a) = args.bn_adapt {
        anyhow::ensure!(
            (0.0..=1.0).contains(&a),
            "--bn-adapt must lie in 0-1, not {a}"
        );
        original.meta.bn_adapt = a;
    }
    let bytes = original
        .to_bytes_as(match (args.half, args.eight_bit) {
            (_, true) => DType::I8,
            (true, _) => DType::F16,
            _ => DType::F32,
        })
        .map_err(|e| anyhow!("{e}"))?;
    std::fs::write(&args.out, &bytes).map_err(|e| anyhow!("{}: {e}", args.out.display()))?;
    let converted = read(&args.out)?;
    let (agree, total, max_diff) = compare(&original, &converted, args.check_per_view)?;
    let before = std::fs::metadata(&args.model)?.len();
    println!(
        "{} ({:.2} MB) -> {} ({:.2} MB, weights {}): same top view on {agree}/{total} phantom clips, max probability difference {max_diff:.2e}",
        args.model.display(),
        before as f64 / 1e6,
        args.out.display(),
        bytes.len() as f64 / 1e6,
        converted.meta.stored_as,
    );
    if agree < total && args.average_with.is_empty() {
        eprintln!(
            "tteview: warning: the converted model's top view differs on {} clips",
            total - agree
        );
    }
    Ok(())
}

/// The weighted mean of `first` and the `--average-with` models; the check that follows then
/// compares the average with its own written copy.
fn average(
    first: TrainedModel,
    args: &Args,
    read: impl Fn(&PathBuf) -> Result<TrainedModel>,
) -> Result<TrainedModel> {
    let count = 1 + args.average_with.len();
    let weights = if args.average_weights.is_empty() {
        vec![1.0; count]
    } else if args.average_weights.len() == count {
        args.average_weights.clone()
    } else {
        // Checked before any file is read: a typo should not cost a load of every model.
        return Err(anyhow!(
            "--average-weights gives {} weights for {count} models (--model and each --average-with)",
            args.average_weights.len(),
        ));
    };
    let mut models = vec![first];
    for p in &args.average_with {
        models.push(read(p)?);
    }
    let described = weights
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut mixed = tte_slowfast::soup::average(models, &weights).map_err(|e| anyhow!("{e}"))?;
    mixed.meta.notes = format!(
        "{} | weights averaged ({described}) with {}",
        mixed.meta.notes,
        args.average_with
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(mixed)
}

/// Top-view agreement and the largest probability difference between two models on fresh
/// phantom clips (seeds no training or test set uses).
fn compare(a: &TrainedModel, b: &TrainedModel, per_view: usize) -> Result<(usize, usize, f32)> {
    let device = Device::flex();
    let spec = a.meta.clip_spec();
    let (mut agree, mut total, mut max_diff) = (0, 0, 0f32);
    for (c, view) in a.meta.labels.iter().enumerate() {
        for i in 0..per_view {
            let p = ClipParams::draw(view, (7u64 << 41) + (c * 1000 + i) as u64, Style::Default)
                .with_max_side(256);
            let times = p.frame_times();
            let frames = Renderer::new(p).all_frames();
            let prepared = tte_preprocess::prepare_frames(&frames, &times, &[], &spec, 0.0)?;
            let pa = tte_pipeline::infer(a, &[&prepared], &device)?.remove(0);
            let pb = tte_pipeline::infer(b, &[&prepared], &device)?.remove(0);
            agree +=
                usize::from(tte_train::metrics::argmax(&pa) == tte_train::metrics::argmax(&pb));
            total += 1;
            for (x, y) in pa.iter().zip(&pb) {
                max_diff = max_diff.max((x - y).abs());
            }
        }
    }
    Ok((agree, total, max_diff))
}

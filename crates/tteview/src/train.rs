//! `tteview train --config FILE`.

use anyhow::Result;
use tte_train::TrainConfig;

#[derive(clap::Args)]
pub struct Args {
    /// Training config (JSON); see `models/lite.v2-stage1.json`.
    #[arg(long)]
    config: String,
    /// Override the number of steps (handy for a smoke run).
    #[arg(long)]
    steps: Option<usize>,
    /// Override the run directory.
    #[arg(long)]
    run_dir: Option<String>,
    /// Override the output model path.
    #[arg(long)]
    output: Option<String>,
    /// Override the number of data worker threads.
    #[arg(long)]
    workers: Option<usize>,
    /// Wall-clock budget in seconds (the schedule fits whichever of steps and time ends first).
    #[arg(long)]
    max_seconds: Option<f64>,
    /// End the run after this many steps, validated and saved, its schedule unchanged; run
    /// again with a larger value to go on from there (how the shipped recipe keeps the
    /// checkpoints it averages).
    #[arg(long)]
    stop_after: Option<usize>,
    /// cpu (default) or wgpu / cuda when built with that feature.
    #[arg(long, default_value = "cpu")]
    backend: String,
}

pub fn run(args: Args) -> Result<()> {
    let mut cfg = TrainConfig::load(&args.config)?;
    if let Some(s) = args.steps {
        cfg.steps = s;
        cfg.validate_every = cfg.validate_every.min(s);
    }
    if let Some(d) = args.run_dir {
        cfg.run_dir = d;
    }
    if let Some(o) = args.output {
        cfg.output = o;
    }
    if let Some(t) = args.max_seconds {
        cfg.max_seconds = t;
    }
    if let Some(w) = args.workers {
        cfg.workers = w;
    }
    if let Some(n) = args.stop_after {
        cfg.stop_after = n;
    }
    let device = tte_backend::device(&args.backend)
        .map_err(|e| anyhow::anyhow!(e))?
        .autodiff();
    let out = tte_train::train::train(&cfg, &device, &mut |line| eprintln!("{line}"))?;
    println!(
        "trained {} steps in {:.0} s (waiting for data {:.0} s of them); best validation macro-F1 {:.4}; model written to {}",
        out.steps,
        out.seconds,
        out.data_wait_s,
        out.best_macro_f1,
        out.output.display()
    );
    Ok(())
}

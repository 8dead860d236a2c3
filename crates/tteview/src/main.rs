//! The command-line face of TTEView: model info, phantom data, probing, training, evaluation, classification.

mod batch;
mod calibrate;
mod classify;
mod convert;
mod eval;
mod info;
mod phantom;
mod probe;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "tteview",
    version,
    about = "Recognise transthoracic echo views from clips, privately, on any machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a network preset's size: trainable parameters, MACs per clip, and its config.
    Info(info::Args),
    /// Write labelled phantom clips (MP4, AVI, DICOM) and a manifest, or the contact sheet.
    Phantom(phantom::Args),
    /// Describe a clip file: format, codec, frames, size, duration.
    Probe(probe::Args),
    /// Train a model from a JSON config (resumes when its run directory has a checkpoint).
    Train(train::Args),
    /// Evaluate a model on a manifest of labelled clips: report.json, report.md, confusion.png, predictions.csv.
    Eval(eval::Args),
    /// Classify clips and folders: one JSON object (or CSV row) per file.
    Classify(classify::Args),
    /// Rewrite a model file: f16 weights (`--half`) for a smaller download, colour blanking, or a weight average of fine-tunes.
    Convert(convert::Args),
    /// Fit how a model's answers are read (temperature, OTHER bias, uncertainty threshold) on held-out phantom clips; weights unchanged.
    Calibrate(calibrate::Args),
}

/// No single allocation above 2 GiB: a lying file header fails to open instead of taking memory.
#[global_allocator]
static ALLOC: tte_alloc::Capped = tte_alloc::Capped::new(tte_alloc::DEFAULT_MAX);

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with panic messages suppressed on this thread (the caller turns a caught panic into
/// an error row).
pub fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    QUIET.with(|q| q.set(true));
    let out = f();
    QUIET.with(|q| q.set(false));
    out
}

/// A panic anywhere else ends the program with one line, not a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if QUIET.with(|q| q.get()) {
            return;
        }
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("tteview: internal error: {msg} (please report this)");
        std::process::exit(3);
    }));
}

fn main() {
    install_panic_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(args) => info::run(args),
        Command::Phantom(args) => phantom::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Calibrate(args) => calibrate::run(args),
    };
    if let Err(e) = result {
        eprintln!("tteview: {e:#}");
        std::process::exit(2);
    }
}

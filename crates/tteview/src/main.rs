//! The command-line face of TTEView: model info, phantom data, probing, training, evaluation, classification.

mod info;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tteview", version, about = "Recognise transthoracic echo views from clips, privately, on any machine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a network preset's size: trainable parameters, MACs per clip, and its config.
    Info(info::Args),
    /// Train a model from a JSON config (resumes when its run directory has a checkpoint).
    Train(train::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(args) => info::run(args),
        Command::Train(args) => train::run(args),
    };
    if let Err(e) = result {
        eprintln!("tteview: {e:#}");
        std::process::exit(2);
    }
}

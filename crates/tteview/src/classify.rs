//! `tteview classify FILES... --format json|csv`: one row per file, errors included.

use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Clips or folders (searched recursively).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Model file (default: the shipped models/lite.ttev).
    #[arg(long)]
    model: Option<PathBuf>,
    /// json (one object per line) or csv.
    #[arg(long, default_value = "json")]
    format: String,
    /// cpu, or wgpu / cuda when built with that feature.
    #[arg(long, default_value = "cpu")]
    backend: String,
}

pub fn run(args: Args) -> Result<()> {
    if !["json", "csv"].contains(&args.format.as_str()) {
        bail!("unknown --format `{}`; use json or csv", args.format);
    }
    let device = tte_backend::device(&args.backend).map_err(|e| anyhow::anyhow!(e))?;
    let model = crate::batch::load_model(args.model.as_deref(), &device)?;
    let files = crate::batch::expand(&args.inputs)?;
    if files.is_empty() {
        bail!("no clips found in {:?}", args.inputs);
    }
    let labels = model.meta.labels.clone();
    if args.format == "csv" {
        let mut header = vec![
            "file".to_string(),
            "view".into(),
            "confidence".into(),
            "error".into(),
        ];
        header.extend(labels.iter().map(|l| format!("p_{l}")));
        // Appended after the probabilities, so the columns before them keep their places.
        header.extend([
            "unsure".into(),
            "echo_share".into(),
            "warnings".into(),
            "still".into(),
        ]);
        println!("{}", header.join(","));
    }
    let mut per_view: BTreeMap<String, usize> = BTreeMap::new();
    let (ok, failed, secs) = crate::batch::classify_files(&model, &files, &device, |row| {
        match &row.result {
            Ok(p) => *per_view.entry(p.view.clone()).or_default() += 1,
            Err(_) => {}
        }
        if args.format == "json" {
            let v = match &row.result {
                Ok(p) => serde_json::json!({
                    "file": row.file, "view": p.view, "name": tte_views::full_name(&p.view), "confidence": p.confidence, "unsure": p.unsure,
                    "probabilities": p.probabilities.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                    "sector": p.sector, "echo_share": p.echo_share, "timings_ms": p.timings, "warnings": p.warnings, "still": p.still, "error": null,
                }),
                Err(e) => {
                    serde_json::json!({"file": row.file, "view": null, "confidence": null, "probabilities": null, "error": e})
                }
            };
            println!("{v}");
        } else {
            println!("{}", csv_row(&row.file, &row.result, labels.len()));
        }
    });
    let counts: Vec<String> = per_view.iter().map(|(v, n)| format!("{v} {n}")).collect();
    eprintln!(
        "classified {ok} of {} files in {secs:.1} s ({:.1} clips/s); {failed} error(s); {}",
        files.len(),
        ok as f64 / secs.max(1e-9),
        counts.join(", ")
    );
    if ok == 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// One CSV line: file, view, confidence, error, one probability per label, then whether the
/// answer is unsure, the echo share, the warnings (joined by "; ") and whether the file was a
/// still picture. An error row leaves the answer's columns empty.
fn csv_row(file: &str, result: &Result<tte_pipeline::Prediction, String>, labels: usize) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    match result {
        Ok(p) => {
            let probs: Vec<String> = p
                .probabilities
                .iter()
                .map(|(_, v)| format!("{v:.6}"))
                .collect();
            format!(
                "{},{},{:.6},,{},{},{:.4},{},{}",
                quote(file),
                p.view,
                p.confidence,
                probs.join(","),
                p.unsure,
                p.echo_share,
                quote(&p.warnings.join("; ")),
                p.still
            )
        }
        Err(e) => format!("{},,,{}{},,,,", quote(file), quote(e), ",".repeat(labels)),
    }
}

//! `tteview eval --data DIR/manifest.csv --out DIR`: the model against labelled files, through
//! the real decoders.

use anyhow::{anyhow, bail, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A manifest with `file` and `view` columns (as `tteview phantom` writes).
    #[arg(long)]
    data: PathBuf,
    /// Where report.json (with per_format when the manifest has a `format` column), report.md,
    /// confusion.png and predictions.csv (one row per clip) go.
    #[arg(long)]
    out: PathBuf,
    /// Model file (default: the shipped models/lite.ttev).
    #[arg(long)]
    model: Option<PathBuf>,
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// Title for report.md.
    #[arg(long, default_value = "Evaluation")]
    title: String,
}

/// Splits one CSV line, honouring double-quoted fields.
pub fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

pub fn run(args: Args) -> Result<()> {
    let device = tte_backend::device(&args.backend).map_err(|e| anyhow!(e))?;
    let model = crate::batch::load_model(args.model.as_deref(), &device)?;
    let text =
        std::fs::read_to_string(&args.data).map_err(|e| anyhow!("{}: {e}", args.data.display()))?;
    let dir = args.data.parent().map(PathBuf::from).unwrap_or_default();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap_or(""));
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h == n)
            .ok_or_else(|| anyhow!("{} has no `{n}` column", args.data.display()))
    };
    let (fc, vc) = (col("file")?, col("view")?);
    // Optional: phantom manifests say which container each clip was written as.
    let format_col = col("format").ok();
    let (mut files, mut truth, mut formats) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f = csv_fields(line);
        formats.push(format_col.and_then(|c| f.get(c).cloned()));
        let view = f.get(vc).cloned().unwrap_or_default();
        let Some(c) = model.meta.labels.iter().position(|l| *l == view) else {
            bail!("view `{view}` is not among the model's labels")
        };
        files.push(dir.join(f.get(fc).cloned().unwrap_or_default()));
        truth.push(c);
    }
    let mut rows: Vec<Option<(Vec<f32>, f64, f32)>> = vec![None; files.len()];
    let mut errors = Vec::new();
    crate::batch::classify_files(&model, &files, &device, |row| match &row.result {
        Ok(p) => {
            rows[row.index] = Some((
                p.probabilities.iter().map(|x| x.1).collect(),
                p.timings.end_to_end_ms(),
                p.echo_share,
            ))
        }
        Err(e) => errors.push(format!("{}: {e}", row.file)),
    });
    let (mut t, mut probs, mut lat, mut kept, mut shares) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, r) in rows.into_iter().enumerate() {
        if let Some((p, ms, share)) = r {
            t.push(truth[i]);
            probs.push(p);
            lat.push(ms);
            kept.push(i);
            shares.push(share);
        }
    }
    let labels = &model.meta.labels;
    let report = tte_train::metrics::compute(labels, &t, &probs, &lat, errors);
    let kept_formats: Vec<Option<String>> = kept.iter().map(|&i| formats[i].clone()).collect();
    let per_format = per_format(labels, &t, &probs, &kept_formats);
    std::fs::create_dir_all(&args.out)?;
    let mut json = serde_json::to_value(&report)?;
    json["per_format"] = serde_json::to_value(&per_format)?;
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    std::fs::write(
        args.out.join("report.md"),
        report.to_markdown(&args.title) + &per_format_markdown(&per_format),
    )?;
    let kept_files: Vec<&PathBuf> = kept.iter().map(|&i| &files[i]).collect();
    std::fs::write(
        args.out.join("predictions.csv"),
        predictions_csv(labels, &kept_files, &t, &probs, &shares),
    )?;
    report.confusion_png(&args.out.join("confusion.png"))?;
    println!(
        "{} clips: accuracy {:.4}, macro-F1 {:.4}, ECE {:.4}, {} error(s); report in {}",
        report.n,
        report.accuracy,
        report.macro_f1,
        report.ece,
        report.errors.len(),
        args.out.display()
    );
    Ok(())
}

/// Accuracy and macro-F1 of one container format's clips.
#[derive(serde::Serialize)]
struct FormatSummary {
    n: usize,
    accuracy: f64,
    macro_f1: f64,
}

/// The same figures per container (MP4, AVI, DICOM...), so a decoder or crop path that loses
/// accuracy shows up on its own; empty when the manifest has no `format` column.
fn per_format(
    labels: &[String],
    truth: &[usize],
    probs: &[Vec<f32>],
    formats: &[Option<String>],
) -> std::collections::BTreeMap<String, FormatSummary> {
    let mut names: Vec<&String> = formats.iter().flatten().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let pick: Vec<usize> = (0..truth.len())
                .filter(|&i| formats[i].as_ref() == Some(name))
                .collect();
            let t: Vec<usize> = pick.iter().map(|&i| truth[i]).collect();
            let p: Vec<Vec<f32>> = pick.iter().map(|&i| probs[i].clone()).collect();
            let r = tte_train::metrics::compute(labels, &t, &p, &[], vec![]);
            let summary = FormatSummary {
                n: r.n,
                accuracy: r.accuracy,
                macro_f1: r.macro_f1,
            };
            (name.clone(), summary)
        })
        .collect()
}

fn per_format_markdown(per_format: &std::collections::BTreeMap<String, FormatSummary>) -> String {
    if per_format.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\nBy container format:\n\n| format | clips | accuracy | macro-F1 |\n|---|---|---|---|\n",
    );
    for (name, s) in per_format {
        md += &format!(
            "| {name} | {} | {:.4} | {:.4} |\n",
            s.n, s.accuracy, s.macro_f1
        );
    }
    md
}

/// One row per classified clip: what it is, what the model said, how sure it was, and how much of
/// the picture showed an echo (a nearly black clip gets a warning with its answer).
fn predictions_csv(
    labels: &[String],
    files: &[&PathBuf],
    truth: &[usize],
    probs: &[Vec<f32>],
    echo_shares: &[f32],
) -> String {
    let mut out = String::from("file,view,predicted,confidence,echo_share\n");
    for (((f, &t), p), share) in files.iter().zip(truth).zip(probs).zip(echo_shares) {
        let k = tte_train::metrics::argmax(p);
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let name = name.replace('"', "\"\"");
        out += &format!(
            "\"{name}\",{},{},{:.4},{share:.4}\n",
            labels[t], labels[k], p[k]
        );
    }
    out
}

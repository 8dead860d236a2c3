//! `tteview eval --data DIR/manifest.csv --out DIR`: the model against labelled files, through
//! the real decoders.

use anyhow::{anyhow, bail, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A manifest with `file` and `view` columns (as `tteview phantom` writes).
    #[arg(long)]
    data: PathBuf,
    /// Where report.json, report.md and confusion.png go.
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
    let (mut files, mut truth) = (Vec::new(), Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f = csv_fields(line);
        let view = f.get(vc).cloned().unwrap_or_default();
        let Some(c) = model.meta.labels.iter().position(|l| *l == view) else {
            bail!("view `{view}` is not among the model's labels")
        };
        files.push(dir.join(f.get(fc).cloned().unwrap_or_default()));
        truth.push(c);
    }
    let mut rows: Vec<Option<(Vec<f32>, f64)>> = vec![None; files.len()];
    let mut errors = Vec::new();
    crate::batch::classify_files(&model, &files, &device, |row| match &row.result {
        Ok(p) => {
            rows[row.index] = Some((
                p.probabilities.iter().map(|x| x.1).collect(),
                p.timings.end_to_end_ms(),
            ))
        }
        Err(e) => errors.push(format!("{}: {e}", row.file)),
    });
    let (mut t, mut probs, mut lat) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in rows.into_iter().enumerate() {
        if let Some((p, ms)) = r {
            t.push(truth[i]);
            probs.push(p);
            lat.push(ms);
        }
    }
    let report = tte_train::metrics::compute(&model.meta.labels, &t, &probs, &lat, errors);
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(args.out.join("report.md"), report.to_markdown(&args.title))?;
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

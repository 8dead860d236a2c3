//! Honest metrics: accuracy, macro and per-class precision/recall/F1, the confusion matrix,
//! expected calibration error, and latency; written as JSON, Markdown and a PNG.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct Latency {
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub macro_precision: f64,
    pub macro_recall: f64,
    /// Expected calibration error over 15 confidence bins.
    pub ece: f64,
    pub labels: Vec<String>,
    pub per_class: Vec<ClassMetrics>,
    /// Rows: true class; columns: predicted class.
    pub confusion: Vec<Vec<usize>>,
    pub latency: Latency,
    /// Files that could not be classified (not counted in the metrics).
    pub errors: Vec<String>,
}

pub fn argmax(p: &[f32]) -> usize {
    p.iter()
        .enumerate()
        .fold((0, f32::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a })
        .0
}

/// Computes the report from true classes and predicted probability rows.
pub fn compute(
    labels: &[String],
    truth: &[usize],
    probs: &[Vec<f32>],
    latencies_ms: &[f64],
    errors: Vec<String>,
) -> Report {
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (t, p) in truth.iter().zip(probs) {
        confusion[*t][argmax(p)] += 1;
    }
    let n = truth.len();
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let per_class: Vec<ClassMetrics> = (0..k)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..k).map(|r| confusion[r][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let precision = if predicted > 0 {
                tp / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassMetrics {
                label: labels[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    // Macro averages over the classes present in the test set.
    let present: Vec<&ClassMetrics> = per_class.iter().filter(|m| m.support > 0).collect();
    let mean = |f: &dyn Fn(&ClassMetrics) -> f64| {
        if present.is_empty() {
            0.0
        } else {
            present.iter().map(|m| f(m)).sum::<f64>() / present.len() as f64
        }
    };
    Report {
        n,
        accuracy: if n > 0 {
            correct as f64 / n as f64
        } else {
            0.0
        },
        macro_f1: mean(&|m| m.f1),
        macro_precision: mean(&|m| m.precision),
        macro_recall: mean(&|m| m.recall),
        ece: ece(truth, probs, 15),
        labels: labels.to_vec(),
        per_class,
        confusion,
        latency: latency(latencies_ms),
        errors,
    }
}

/// Expected calibration error over `bins` equal-width confidence bins.
pub fn ece(truth: &[usize], probs: &[Vec<f32>], bins: usize) -> f64 {
    let mut acc = vec![(0.0f64, 0.0f64, 0usize); bins];
    for (t, p) in truth.iter().zip(probs) {
        let pred = argmax(p);
        let conf = p[pred] as f64;
        let b = ((conf * bins as f64) as usize).min(bins - 1);
        acc[b].0 += conf;
        acc[b].1 += f64::from(u8::from(pred == *t));
        acc[b].2 += 1;
    }
    let n = truth.len().max(1) as f64;
    acc.iter()
        .filter(|b| b.2 > 0)
        .map(|b| (b.2 as f64 / n) * (b.0 / b.2 as f64 - b.1 / b.2 as f64).abs())
        .sum()
}

pub fn latency(ms: &[f64]) -> Latency {
    if ms.is_empty() {
        return Latency::default();
    }
    let mut s = ms.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |f: f64| s[((s.len() - 1) as f64 * f).round() as usize];
    Latency {
        mean_ms: s.iter().sum::<f64>() / s.len() as f64,
        p50_ms: q(0.5),
        p95_ms: q(0.95),
    }
}

impl Report {
    pub fn to_markdown(&self, title: &str) -> String {
        let mut md = format!("# {title}\n\n");
        md += &format!("| clips | accuracy | macro-F1 | macro precision | macro recall | ECE | latency mean / p95 (ms) |\n|---|---|---|---|---|---|---|\n");
        md += &format!(
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1} / {:.1} |\n\n",
            self.n,
            self.accuracy,
            self.macro_f1,
            self.macro_precision,
            self.macro_recall,
            self.ece,
            self.latency.mean_ms,
            self.latency.p95_ms
        );
        md += "| view | precision | recall | F1 | support |\n|---|---|---|---|---|\n";
        for m in &self.per_class {
            md += &format!(
                "| {} | {:.3} | {:.3} | {:.3} | {} |\n",
                m.label, m.precision, m.recall, m.f1, m.support
            );
        }
        md += "\nConfusion matrix (rows: true view, columns: predicted):\n\n| |";
        for l in &self.labels {
            md += &format!(" {l} |");
        }
        md += "\n|---|";
        md += &"---|".repeat(self.labels.len());
        md += "\n";
        for (i, row) in self.confusion.iter().enumerate() {
            md += &format!("| **{}** |", self.labels[i]);
            for v in row {
                md += &format!(" {v} |");
            }
            md += "\n";
        }
        if !self.errors.is_empty() {
            md += &format!(
                "\n{} file(s) could not be classified:\n\n",
                self.errors.len()
            );
            for e in &self.errors {
                md += &format!("- {e}\n");
            }
        }
        md
    }

    /// The confusion matrix as a heat map, row-normalised, with the class codes written on it.
    pub fn confusion_png(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let k = self.labels.len();
        let (cell, margin) = (36usize, 64usize);
        let (w, h) = (margin + k * cell + 8, margin + k * cell + 8);
        let mut img = vec![255u8; w * h * 3];
        for (r, row) in self.confusion.iter().enumerate() {
            let total: usize = row.iter().sum();
            for (c, &v) in row.iter().enumerate() {
                let f = if total > 0 {
                    v as f32 / total as f32
                } else {
                    0.0
                };
                let rgb = if r == c {
                    [
                        (255.0 * (1.0 - f)) as u8,
                        (255.0 - 100.0 * f) as u8,
                        (255.0 * (1.0 - f)) as u8,
                    ]
                } else {
                    [255, (255.0 * (1.0 - f)) as u8, (255.0 * (1.0 - f)) as u8]
                };
                for y in 0..cell - 1 {
                    for x in 0..cell - 1 {
                        let (px, py) = (margin + c * cell + x, margin + r * cell + y);
                        img[(py * w + px) * 3..][..3].copy_from_slice(&rgb);
                    }
                }
                if v > 0 {
                    tte_phantom::font::draw_text(
                        &mut img,
                        w,
                        h,
                        margin + c * cell + 3,
                        margin + r * cell + 13,
                        &v.to_string(),
                        1,
                        [0, 0, 0],
                    );
                }
            }
            tte_phantom::font::draw_text(
                &mut img,
                w,
                h,
                2,
                margin + r * cell + 13,
                &self.labels[r],
                1,
                [0, 0, 0],
            );
        }
        for (c, l) in self.labels.iter().enumerate() {
            // Column headers, staggered so long codes do not collide.
            tte_phantom::font::draw_text(
                &mut img,
                w,
                h,
                margin + c * cell + 1,
                8 + (c % 3) * 16,
                l,
                1,
                [0, 0, 0],
            );
        }
        let file = std::fs::File::create(path)?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header()?.write_image_data(&img)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_a_hand_computed_case() {
        let labels: Vec<String> = vec!["A".into(), "B".into()];
        // Truth A A B B; predicted A B B B.
        let probs = vec![
            vec![0.9, 0.1],
            vec![0.4, 0.6],
            vec![0.2, 0.8],
            vec![0.3, 0.7],
        ];
        let r = compute(
            &labels,
            &[0, 0, 1, 1],
            &probs,
            &[1.0, 2.0, 3.0, 4.0],
            vec![],
        );
        assert_eq!(r.confusion, vec![vec![1, 1], vec![0, 2]]);
        assert!((r.accuracy - 0.75).abs() < 1e-12);
        // A: P=1, R=0.5, F1=2/3. B: P=2/3, R=1, F1=0.8.
        assert!((r.per_class[0].f1 - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.per_class[1].f1 - 0.8).abs() < 1e-9);
        assert!((r.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-9);
        assert!(r.ece > 0.0 && r.ece < 1.0);
        assert_eq!(r.latency.p50_ms, 3.0);
    }
}

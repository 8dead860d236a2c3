//! The realism report: how far phantom clips are from real echo, as the network sees them.
//!
//! Real clips (a folder, e.g. the real-dev set under ~/.cache) and phantom clips (rendered, then
//! written as MP4 as a clinic would, so both go through the same decoder) are cropped and
//! prepared exactly as for the shipped model. On the prepared grey frames it measures grey-level
//! and gradient histograms, speckle contrast, the share of the picture lit, high-frequency
//! share of the spectrum and frame-to-frame change; then it prints each statistic's mean for
//! both, how well each alone tells them apart (AUC), and the cross-validated AUC of a logistic
//! regression on all of them (0.5: indistinguishable; 1.0: always told apart).
//!
//! `cargo run --release -p tte-train --example realism -- REAL_DIR [drawn|cut] [PHANTOM_CLIPS] [SHEET.png] [--stills] [--tissue-map PX]`
//! (REAL_DIR's labels.csv, if any, picks its `clip` rows. With `--stills` it compares its
//! `still` rows of standard views (screen captures; its OTHER stills are mostly Doppler and
//! M-mode traces) with one phantom frame of each standard view, written as PNG at the phantom's
//! full range of screen sizes; frame change is then 0 on both sides.)
//! SHEET.png gets the middle frame of the network's input for real clips (top rows) beside
//! phantom ones (bottom rows): keep it beside the real files, out of the repository.
//! `--tissue-map PX` measures both as the tissue map of that radius (`tte_preprocess::tissue`)
//! instead of the shipped model's input: how far a representation closes the gap, before
//! training on it.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tte_phantom::{Anatomy, ClipParams, Renderer, Style};

const NAMES: [&str; 19] = [
    "grey<0.05",
    "grey.05-.15",
    "grey.15-.3",
    "grey.3-.5",
    "grey.5-.7",
    "grey>0.7",
    "grad<0.02",
    "grad.02-.05",
    "grad.05-.1",
    "grad.1-.2",
    "grad>0.2",
    "grey mean",
    "grey sd",
    "speckle contrast",
    "lit share",
    "hf spectrum",
    "frame change",
    "dark-cavity share",
    "edge density",
];

fn main() -> Result<()> {
    let stills = std::env::args().any(|x| x == "--stills");
    let mut a: Vec<String> = std::env::args().filter(|x| x != "--stills").collect();
    let tissue_map = match a.iter().position(|x| x == "--tissue-map") {
        Some(i) if i + 1 < a.len() => {
            let px: usize = a[i + 1].parse()?;
            a.drain(i..i + 2);
            Some(px)
        }
        _ => None,
    };
    let real_dir = PathBuf::from(
        a.get(1)
            .context("usage: realism REAL_DIR [drawn|cut] [N] [SHEET.png] [--stills]")?,
    );
    let anatomy: Anatomy = a
        .get(2)
        .map_or(Ok(Anatomy::Cut), |s| s.parse())
        .map_err(anyhow::Error::msg)?;
    let n: usize = a.get(3).map_or(Ok(52), |s| s.parse())?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = tte_slowfast::TrainedModel::load(
        &root.join("models/lite.ttev"),
        &burn::tensor::Device::flex(),
    )
    .map_err(|e| anyhow::anyhow!("models/lite.ttev: {e}"))?;
    let mut spec = model.meta.clip_spec();
    if let Some(px) = tissue_map {
        spec.tissue_map_px = px;
    }
    let limits = tte_media::Limits::default();
    let sheet_path = a.get(4).map(PathBuf::from);
    let tiles = std::cell::RefCell::new((Vec::new(), Vec::new()));
    let stats_of = |bytes: Vec<u8>, real: bool| -> Option<Vec<f64>> {
        let d = tte_pipeline::decode_and_prepare(bytes, &spec, &limits).ok()?;
        let mut t = tiles.borrow_mut();
        let list = if real { &mut t.0 } else { &mut t.1 };
        list.push(middle_frame(&d.prepared, &spec));
        Some(statistics(&d.prepared, &spec))
    };
    let kind = if stills { "still" } else { "clip" };
    let real: Vec<Vec<f64>> = real_files(&real_dir, kind)?
        .into_iter()
        .filter_map(|p| stats_of(std::fs::read(&p).ok()?, true))
        .collect();
    let classes = tte_phantom::classes();
    let phantom: Vec<Vec<f64>> = (0..n)
        .filter_map(|i| {
            let view = &classes[i % classes.len()];
            if stills && view == "OTHER" {
                return None;
            }
            let p =
                ClipParams::draw(view, 7_000_000 + i as u64, Style::Default).with_anatomy(anatomy);
            if stills {
                let frame = Renderer::new(p).frames_at(&[0.3]).swap_remove(0);
                return stats_of(png_of(&frame).ok()?, false);
            }
            let mut p = p.with_max_side(480);
            p.duration_s = p.duration_s.min(2.5);
            let fps = p.fps;
            let frames = Renderer::new(p).all_frames();
            stats_of(tte_export::write_mp4(&frames, fps).ok()?, false)
        })
        .collect();
    anyhow::ensure!(
        real.len() >= 5 && phantom.len() >= 5,
        "too few clips: {} real, {} phantom",
        real.len(),
        phantom.len()
    );
    println!("realism report: {} real {kind}s from {}, {} phantom {kind}s ({anatomy:?} anatomy), through the shipped model's crop", real.len(), real_dir.display(), phantom.len());
    println!(
        "{:<18} {:>9} {:>9} {:>6}",
        "statistic", "real", "phantom", "AUC"
    );
    for (k, name) in NAMES.iter().enumerate() {
        let r: Vec<f64> = real.iter().map(|v| v[k]).collect();
        let p: Vec<f64> = phantom.iter().map(|v| v[k]).collect();
        let auc = auc(&r, &p);
        println!(
            "{name:<18} {:>9.4} {:>9.4} {:>6.3}",
            mean(&r),
            mean(&p),
            auc.max(1.0 - auc)
        );
    }
    let cv = cross_validated_auc(&real, &phantom, 5);
    println!("discriminator (logistic regression on all {} statistics, 5-fold cross-validated): AUC {cv:.3}", NAMES.len());
    if let Some(path) = sheet_path {
        let t = tiles.borrow();
        write_sheet(&path, &t.0, &t.1, spec.size)?;
        println!(
            "wrote {} (real clips on top, phantom below)",
            path.display()
        );
    }
    Ok(())
}

/// The grey middle frame of a prepared clip, 0..255.
fn middle_frame(p: &tte_preprocess::Prepared, spec: &tte_preprocess::ClipSpec) -> Vec<u8> {
    let (t, s, f) = (spec.frames, spec.size, spec.frames / 2);
    (0..s * s)
        .map(|i| {
            let g = (0..spec.channels)
                .map(|c| p.data[(c * t + f) * s * s + i] * spec.std[c] + spec.mean[c])
                .sum::<f32>()
                / spec.channels as f32;
            (g * 255.0).clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// Two rows of real tiles over two rows of phantom tiles, 8 to a row.
fn write_sheet(path: &Path, real: &[Vec<u8>], phantom: &[Vec<u8>], s: usize) -> Result<()> {
    let cols = 8;
    let (w, h) = (cols * s, 4 * s);
    let mut img = vec![0u8; w * h];
    for (row0, tiles) in [(0, real), (2, phantom)] {
        for (k, tile) in tiles.iter().take(2 * cols).enumerate() {
            let (ty, tx) = (row0 + k / cols, k % cols);
            for y in 0..s {
                let dst = (ty * s + y) * w + tx * s;
                img[dst..dst + s].copy_from_slice(&tile[y * s..(y + 1) * s]);
            }
        }
    }
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(std::fs::File::create(path)?),
        w as u32,
        h as u32,
    );
    enc.set_color(png::ColorType::Grayscale);
    enc.write_header()?.write_image_data(&img)?;
    Ok(())
}

/// A phantom frame as a PNG, as a screen capture is stored.
fn png_of(frame: &tte_frames::Frame) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, frame.width as u32, frame.height as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.write_header()?.write_image_data(&frame.data)?;
    Ok(out)
}

/// The files of one kind (`clip` or `still`) that REAL_DIR's labels.csv lists, or every file.
fn real_files(dir: &Path, kind: &str) -> Result<Vec<PathBuf>> {
    let labels = dir.join("labels.csv");
    if let Ok(text) = std::fs::read_to_string(&labels) {
        let mut lines = text.lines();
        let head: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        let (f, k, v) = (
            head.iter().position(|h| *h == "file"),
            head.iter().position(|h| *h == "kind"),
            head.iter().position(|h| *h == "view"),
        );
        return Ok(lines
            .filter_map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                let keep = k.is_none_or(|k| c.get(k) == Some(&kind))
                    && (kind == "clip" || v.is_none_or(|v| c.get(v) != Some(&"OTHER")));
                keep.then(|| dir.join(c[f.unwrap_or(0)]))
            })
            .collect());
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// The statistics of one prepared clip's grey frames (values 0..1 before normalisation).
fn statistics(p: &tte_preprocess::Prepared, spec: &tte_preprocess::ClipSpec) -> Vec<f64> {
    let (t, s) = (spec.frames, spec.size);
    // Grey = the mean of the channels, de-normalised.
    let grey: Vec<Vec<f64>> = (0..t)
        .map(|f| {
            (0..s * s)
                .map(|i| {
                    (0..spec.channels)
                        .map(|c| {
                            (p.data[(c * t + f) * s * s + i] * spec.std[c] + spec.mean[c]) as f64
                        })
                        .sum::<f64>()
                        / spec.channels as f64
                })
                .collect()
        })
        .collect();
    let all: Vec<f64> = grey.iter().flatten().copied().collect();
    let hist = |vals: &[f64], edges: &[f64]| -> Vec<f64> {
        let mut h = vec![0.0; edges.len() + 1];
        for &v in vals {
            h[edges.iter().take_while(|&&e| v >= e).count()] += 1.0;
        }
        h.iter().map(|c| c / vals.len().max(1) as f64).collect()
    };
    let mut out = hist(&all, &[0.05, 0.15, 0.3, 0.5, 0.7]);
    let mut grads = Vec::new();
    let mut lap_energy = 0.0;
    for g in &grey {
        for y in 1..s - 1 {
            for x in 1..s - 1 {
                let i = y * s + x;
                let (gx, gy) = (g[i + 1] - g[i - 1], g[i + s] - g[i - s]);
                grads.push(0.5 * (gx * gx + gy * gy).sqrt());
                let lap = 4.0 * g[i] - g[i - 1] - g[i + 1] - g[i - s] - g[i + s];
                lap_energy += lap * lap;
            }
        }
    }
    out.extend(hist(&grads, &[0.02, 0.05, 0.1, 0.2]));
    let m = mean(&all);
    let sd = (all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / all.len() as f64).sqrt();
    // Speckle contrast: sd / mean in 8x8 patches of lit tissue, median over patches.
    let mut contrast = Vec::new();
    for g in &grey {
        for py in (0..s - 8).step_by(8) {
            for px in (0..s - 8).step_by(8) {
                let v: Vec<f64> = (0..64).map(|k| g[(py + k / 8) * s + px + k % 8]).collect();
                let pm = mean(&v);
                if pm > 0.1 {
                    let psd = (v.iter().map(|x| (x - pm).powi(2)).sum::<f64>() / 64.0).sqrt();
                    contrast.push(psd / pm);
                }
            }
        }
    }
    contrast.sort_by(f64::total_cmp);
    let lit = all.iter().filter(|&&v| v > 0.1).count() as f64 / all.len() as f64;
    let variance = sd * sd * all.len() as f64;
    let change = (1..t)
        .map(|f| {
            grey[f]
                .iter()
                .zip(&grey[f - 1])
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
                / (s * s) as f64
        })
        .sum::<f64>()
        / (t - 1).max(1) as f64;
    // Dark regions the size of a cavity: 8x8 patches whose mean is under 0.08, among lit frames.
    let dark = grey
        .iter()
        .map(|g| {
            let mut n = 0;
            for py in (0..s - 8).step_by(8) {
                for px in (0..s - 8).step_by(8) {
                    let pm = (0..64)
                        .map(|k| g[(py + k / 8) * s + px + k % 8])
                        .sum::<f64>()
                        / 64.0;
                    n += usize::from(pm < 0.08);
                }
            }
            n as f64 / ((s / 8) * (s / 8)) as f64
        })
        .sum::<f64>()
        / t as f64;
    let edges = grads.iter().filter(|&&g| g > 0.08).count() as f64 / grads.len().max(1) as f64;
    out.extend([
        m,
        sd,
        contrast.get(contrast.len() / 2).copied().unwrap_or(0.0),
        lit,
        lap_energy / variance.max(1e-9) / 20.0,
        change,
        dark,
        edges,
    ]);
    out
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Probability that a random real value ranks above a random phantom one.
fn auc(real: &[f64], phantom: &[f64]) -> f64 {
    let mut wins = 0.0;
    for &r in real {
        for &p in phantom {
            wins += if r > p {
                1.0
            } else if r == p {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (real.len() * phantom.len()) as f64
}

/// Logistic regression (standardised features, L2, gradient descent) scored by k-fold AUC.
fn cross_validated_auc(real: &[Vec<f64>], phantom: &[Vec<f64>], k: usize) -> f64 {
    let data: Vec<(Vec<f64>, f64)> = real
        .iter()
        .map(|v| (v.clone(), 1.0))
        .chain(phantom.iter().map(|v| (v.clone(), 0.0)))
        .collect();
    let d = data[0].0.len();
    let (mut real_scores, mut phantom_scores) = (Vec::new(), Vec::new());
    for fold in 0..k {
        let train: Vec<&(Vec<f64>, f64)> = data
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|x| x.1)
            .collect();
        let test: Vec<&(Vec<f64>, f64)> = data
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k == fold)
            .map(|x| x.1)
            .collect();
        let mu: Vec<f64> = (0..d)
            .map(|j| mean(&train.iter().map(|x| x.0[j]).collect::<Vec<_>>()))
            .collect();
        let sd: Vec<f64> = (0..d)
            .map(|j| {
                (train.iter().map(|x| (x.0[j] - mu[j]).powi(2)).sum::<f64>() / train.len() as f64)
                    .sqrt()
                    .max(1e-9)
            })
            .collect();
        let z = |v: &[f64]| -> Vec<f64> { (0..d).map(|j| (v[j] - mu[j]) / sd[j]).collect() };
        let (mut w, mut b) = (vec![0.0; d], 0.0);
        // Classes weighted equally whatever their counts.
        let pos = train.iter().filter(|x| x.1 > 0.5).count().max(1) as f64;
        let neg = (train.len() as f64 - pos).max(1.0);
        for _ in 0..400 {
            let (mut gw, mut gb) = (vec![0.0; d], 0.0);
            for (v, y) in &train {
                let x = z(v);
                let p =
                    1.0 / (1.0 + (-(b + x.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>())).exp());
                let weight = if *y > 0.5 { 0.5 / pos } else { 0.5 / neg };
                for j in 0..d {
                    gw[j] += weight * (p - y) * x[j];
                }
                gb += weight * (p - y);
            }
            for j in 0..d {
                w[j] -= 0.5 * (gw[j] + 0.01 * w[j]);
            }
            b -= 0.5 * gb;
        }
        for (v, y) in test {
            let x = z(v);
            let score = b + x.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
            if *y > 0.5 {
                real_scores.push(score)
            } else {
                phantom_scores.push(score)
            }
        }
    }
    auc(&real_scores, &phantom_scores)
}

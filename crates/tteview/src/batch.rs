//! Classifying many files: decoding in worker threads while the model runs, one row per file,
//! a bad file never stops the batch.

use anyhow::{anyhow, Result};
use burn::tensor::Device;
use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Instant;
use tte_media::Limits;
use tte_pipeline::Prediction;
use tte_slowfast::TrainedModel;

/// Extensions worth trying inside folders (explicitly named files are always tried).
const CLIP_EXTENSIONS: [&str; 14] = [
    "dcm", "dicom", "mp4", "m4v", "mov", "qt", "webm", "mkv", "avi", "gif", "ima", "png", "jpg",
    "jpeg",
];

/// Files named on the command line, with folders expanded recursively (sorted, hidden skipped).
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            let ext = p
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase);
            if ext.as_deref().is_none_or(|e| CLIP_EXTENSIONS.contains(&e)) {
                out.push(p);
            }
        }
    }
    Ok(())
}

/// One file's outcome.
pub struct Row {
    pub index: usize,
    pub file: String,
    pub result: Result<Prediction, String>,
}

/// Classifies `files`, calling `each` as rows complete; returns (classified, failed, seconds).
pub fn classify_files(
    model: &TrainedModel,
    files: &[PathBuf],
    device: &Device,
    mut each: impl FnMut(&Row),
) -> (usize, usize, f64) {
    let started = Instant::now();
    let spec = model.meta.clip_spec();
    let limits = Limits::default();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .max(1);
    let (tx, rx) = sync_channel(32);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let show_progress = std::io::stderr().is_terminal() && files.len() > 1;
    let (mut ok, mut failed) = (0, 0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (tx, spec, next) = (tx.clone(), &spec, &next);
            s.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = files.get(i) else { return };
                let prepared = std::fs::read(path)
                    .map_err(|e| format!("cannot read: {e}"))
                    .and_then(|bytes| {
                        crate::quiet_panics(|| {
                            std::panic::catch_unwind(AssertUnwindSafe(|| {
                                tte_pipeline::decode_and_prepare(bytes, spec, &limits)
                            }))
                        })
                        .map_err(|_| {
                            "the decoder crashed on this file (please report it)".to_string()
                        })?
                        .map_err(|e| e.to_string())
                    });
                if tx.send((i, prepared)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        // Inference on this thread, in small batches of whatever has been decoded.
        let mut pending = Vec::new();
        let mut done = 0;
        for (i, prepared) in rx {
            done += 1;
            match prepared {
                Ok(d) => pending.push((i, d)),
                Err(e) => {
                    failed += 1;
                    each(&Row {
                        index: i,
                        file: files[i].display().to_string(),
                        result: Err(e),
                    });
                }
            }
            if pending.len() >= 8 {
                flush(
                    model,
                    device,
                    files,
                    &mut pending,
                    &mut ok,
                    &mut failed,
                    &mut each,
                );
            }
            if show_progress {
                let rate = done as f64 / started.elapsed().as_secs_f64();
                eprint!("\r{done}/{} files, {:.1} clips/s   ", files.len(), rate);
            }
        }
        flush(
            model,
            device,
            files,
            &mut pending,
            &mut ok,
            &mut failed,
            &mut each,
        );
        if show_progress {
            eprintln!();
        }
    });
    (ok, failed, started.elapsed().as_secs_f64())
}

type Pending = (usize, tte_pipeline::Decoded);

/// Runs the network on the decoded clips waiting in `pending` and emits their rows.
fn flush(
    model: &TrainedModel,
    device: &Device,
    files: &[PathBuf],
    pending: &mut Vec<Pending>,
    ok: &mut usize,
    failed: &mut usize,
    each: &mut impl FnMut(&Row),
) {
    if pending.is_empty() {
        return;
    }
    let t = Instant::now();
    let refs: Vec<&tte_preprocess::Prepared> = pending.iter().map(|p| &p.1.prepared).collect();
    let out = tte_pipeline::infer(model, &refs, device);
    let per_clip = t.elapsed().as_secs_f64() * 1e3 / pending.len() as f64;
    for (k, (i, mut decoded)) in pending.drain(..).enumerate() {
        let result = match &out {
            Ok(rows) => {
                decoded.timings.inference_ms = per_clip;
                Ok(tte_pipeline::prediction(model, decoded, rows[k].clone()))
            }
            Err(e) => Err(e.to_string()),
        };
        if result.is_ok() {
            *ok += 1
        } else {
            *failed += 1
        }
        each(&Row {
            index: i,
            file: files[i].display().to_string(),
            result,
        });
    }
}

/// The shipped model, or the one named.
pub fn load_model(path: Option<&Path>, device: &Device) -> Result<TrainedModel> {
    let default = default_model_path();
    let path = path.map(Path::to_path_buf).unwrap_or(default);
    TrainedModel::load(&path, device).map_err(|e| anyhow!("cannot load model {}: {e} (train one with `tteview train --config models/lite.v2-stage1.json`)", path.display()))
}

/// `models/lite.ttev` next to the workspace (or in the current folder).
pub fn default_model_path() -> PathBuf {
    let here = PathBuf::from("models/lite.ttev");
    if here.exists() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/lite.ttev")
}

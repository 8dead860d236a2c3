//! Per-video latency of the full path (decode, preprocess, inference) on CPU, wgpu or CUDA,
//! beside the TTESlowFast paper's figures (105.0 ± 50.1 ms on an RTX 3060, 186.0 ± 5.2 ms on a
//! Jetson Orin Nano).

use anyhow::{anyhow, Result};
use clap::Parser;
use serde::Serialize;
use std::time::Instant;
use tte_media::Limits;
use tte_phantom::{ClipParams, Renderer, Style};
use tte_slowfast::{ModelMeta, SlowFastConfig, TrainedModel};

/// No single allocation above 2 GiB: a lying file header fails to open instead of taking memory.
#[global_allocator]
static ALLOC: tte_alloc::Capped = tte_alloc::Capped::new(tte_alloc::DEFAULT_MAX);

#[derive(Parser)]
#[command(
    name = "native-bench",
    about = "Time TTEView's classifier per video, as the TTESlowFast paper did"
)]
struct Args {
    /// cpu (Flex), wgpu (Vulkan/Metal/DX12, `--features wgpu`) or cuda (`--features cuda`).
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// A trained model file; default models/lite.ttev when present, else --preset with random weights.
    #[arg(long)]
    model: Option<String>,
    /// Network preset to time with random weights (lite or r50) when no model file is used.
    #[arg(long)]
    preset: Option<String>,
    /// Timed clips.
    #[arg(long, default_value_t = 20)]
    clips: usize,
    /// Untimed warm-up clips (shader compilation, autotuning, caches).
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Container the test clips are encoded in: mp4, avi or dcm.
    #[arg(long, default_value = "mp4")]
    format: String,
    /// Clips per batch in the throughput run.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize, Clone, Copy)]
struct Stats {
    mean: f64,
    sd: f64,
    p50: f64,
    p95: f64,
    min: f64,
    max: f64,
}

fn stats(v: &[f64]) -> Stats {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |f: f64| {
        s.get(((s.len().saturating_sub(1)) as f64 * f).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Stats {
        mean,
        sd,
        p50: q(0.5),
        p95: q(0.95),
        min: q(0.0),
        max: q(1.0),
    }
}

#[derive(Serialize)]
struct Report {
    backend: String,
    device: String,
    model: String,
    n: usize,
    warmup: usize,
    clip: String,
    end_to_end_ms: Stats,
    decode_ms: Stats,
    preprocess_ms: Stats,
    inference_ms: Stats,
    batch_size: usize,
    batch_clips_per_s: f64,
    paper: serde_json::Value,
    host: String,
}

/// Test clips: phantom echoes of every view, 2 s at 30 frames/s, 320x240, encoded as `format`.
fn make_clips(n: usize, format: &str) -> Result<Vec<Vec<u8>>> {
    let views = tte_views::codes();
    (0..n)
        .map(|i| {
            let mut p = ClipParams::draw(
                &views[i % views.len()],
                (1 << 42) + i as u64,
                Style::Default,
            );
            (p.width, p.height, p.fps, p.duration_s) = (320, 240, 30.0, 2.0);
            let r = Renderer::new(p);
            let frames = r.all_frames();
            let bytes = match format {
                "mp4" => tte_export::write_mp4(&frames, 30.0)?,
                "avi" => tte_export::write_avi(&frames, 30.0, 90)?,
                "dcm" => tte_export::write_dicom(
                    &frames,
                    &tte_export::DicomInfo {
                        id: i as u64,
                        fps: 30.0,
                        regions: r.regions(),
                        series_description: String::new(),
                    },
                    90,
                )?,
                other => return Err(anyhow!("unknown format {other}; use mp4, avi or dcm")),
            };
            Ok(bytes)
        })
        .collect()
}

fn load_model(args: &Args, device: &burn::tensor::Device) -> Result<(TrainedModel, String)> {
    let default = std::path::Path::new("models/lite.ttev");
    let path = args.model.clone().or_else(|| {
        (args.preset.is_none() && default.exists()).then(|| default.display().to_string())
    });
    if let Some(path) = path {
        let m = TrainedModel::load(std::path::Path::new(&path), device)
            .map_err(|e| anyhow!("{path}: {e}"))?;
        return Ok((m, path));
    }
    let preset = args.preset.clone().unwrap_or_else(|| "lite".into());
    let labels = tte_views::codes();
    let cfg = SlowFastConfig::preset(&preset, labels.len())
        .ok_or_else(|| anyhow!("unknown preset {preset}"))?;
    let net = cfg.init(device);
    Ok((
        TrainedModel {
            meta: ModelMeta::new(&preset, cfg, labels),
            net,
        },
        format!("{preset} (random weights)"),
    ))
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("native-bench: {e:#}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<()> {
    let device = tte_backend::device(&args.backend).map_err(|e| anyhow!(e))?;
    let (model, model_name) = load_model(&args, &device)?;
    let limits = Limits::default();
    eprintln!(
        "encoding {} test clips as {} ...",
        args.clips + args.warmup,
        args.format
    );
    let clips = make_clips(args.clips + args.warmup, &args.format)?;
    let (mut dec, mut pre, mut inf, mut e2e) = (vec![], vec![], vec![], vec![]);
    for (i, bytes) in clips.iter().enumerate() {
        let t = Instant::now();
        let p = tte_pipeline::classify_bytes(&model, bytes.clone(), &device, &limits)?;
        let total = t.elapsed().as_secs_f64() * 1e3;
        if i >= args.warmup {
            dec.push(p.timings.decode_ms);
            pre.push(p.timings.preprocess_ms);
            inf.push(p.timings.inference_ms);
            e2e.push(total);
        }
    }
    // Throughput: decode and prepare every clip, then infer in batches.
    let spec = model.meta.clip_spec();
    let t = Instant::now();
    let timed = &clips[args.warmup..];
    let prepared: Vec<_> = timed
        .iter()
        .map(|b| tte_pipeline::decode_and_prepare(b.clone(), &spec, &limits).map(|p| p.prepared))
        .collect::<Result<_, _>>()?;
    for chunk in prepared.chunks(args.batch.max(1)) {
        let refs: Vec<&_> = chunk.iter().collect();
        tte_pipeline::infer(&model, &refs, &device)?;
    }
    let clips_per_s = timed.len() as f64 / t.elapsed().as_secs_f64();

    let host = format!(
        "{} threads, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        std::env::consts::ARCH
    );
    let report = Report {
        backend: args.backend.clone(),
        device: format!("{device:?}"),
        model: model_name,
        n: args.clips,
        warmup: args.warmup,
        clip: format!(
            "{}: 320x240, 60 frames at 30 fps (2 s), phantom views",
            args.format
        ),
        end_to_end_ms: stats(&e2e),
        decode_ms: stats(&dec),
        preprocess_ms: stats(&pre),
        inference_ms: stats(&inf),
        batch_size: args.batch,
        batch_clips_per_s: clips_per_s,
        paper: serde_json::json!({
            "source": "Cheng et al., TTESlowFast, Biomed. Phys. Eng. Express 2025",
            "rtx3060_ms": {"mean": 105.0, "sd": 50.1},
            "jetson_orin_nano_ms": {"mean": 186.0, "sd": 5.2}
        }),
        host,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &Report) {
    println!(
        "native-bench: {} on {} | model {} | {} timed clips after {} warm-up | {}",
        r.backend, r.device, r.model, r.n, r.warmup, r.clip
    );
    println!(
        "{:<14} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "stage (ms)", "mean", "sd", "p50", "p95", "min", "max"
    );
    for (name, s) in [
        ("decode", r.decode_ms),
        ("preprocess", r.preprocess_ms),
        ("inference", r.inference_ms),
        ("end to end", r.end_to_end_ms),
    ] {
        println!(
            "{:<14} {:>9.1} {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            name, s.mean, s.sd, s.p50, s.p95, s.min, s.max
        );
    }
    println!(
        "batch of {}: {:.1} clips/s",
        r.batch_size, r.batch_clips_per_s
    );
    println!("paper (TTESlowFast): RTX 3060 105.0 ± 50.1 ms/video; Jetson Orin Nano 186.0 ± 5.2 ms/video");
    println!(
        "ratio to RTX 3060 mean: {:.2}x",
        r.end_to_end_ms.mean / 105.0
    );
}

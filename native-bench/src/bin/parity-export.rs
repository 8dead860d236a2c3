//! Writes what the PyTorch parity harness (`tests/parity/parity.py`) needs to rebuild one SlowFast
//! in PyTorch and compare: the weights as safetensors in PyTorch's naming, a fixed input clip, the
//! logits Burn computes for it, and Burn's CPU forward times on that input.

use anyhow::{anyhow, Context, Result};
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, SafetensorsStore};
use burn::tensor::{Device, Tensor, TensorData};
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;
use tte_slowfast::{SlowFast, SlowFastConfig, TrainedModel};

#[derive(Parser)]
#[command(
    name = "parity-export",
    about = "Export a SlowFast, a fixed input and Burn's logits and CPU timings for the PyTorch parity check"
)]
struct Args {
    /// Network preset with seeded random weights (lite or r50); ignored with --model.
    #[arg(long, default_value = "lite")]
    preset: String,
    /// A trained model file (its weights are exported instead of random ones).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Clips in the input batch.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Timed forward passes (after --warmup untimed ones).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Seed of the input clip.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Make the network grey (one input channel, each stem summed over its colour channels),
    /// as a grey training run starts: what a grey model costs against the colour one.
    #[arg(long)]
    grey: bool,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("parity-export: {e:#}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<()> {
    let device = Device::flex();
    let (mut net, mut cfg, mut name) = network(&args, &device)?;
    if args.grey && cfg.input_channels == 3 {
        net = net.into_grey(&mut cfg);
        name = format!("{name}, made grey");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let mut store = SafetensorsStore::from_file(args.out.join("weights.safetensors"))
        .with_to_adapter(BurnToPyTorchAdapter)
        .overwrite(true);
    net.save_into(&mut store)
        .map_err(|e| anyhow!("saving safetensors: {e:?}"))?;

    let shape = [
        args.batch,
        cfg.input_channels,
        cfg.frames,
        cfg.crop_size,
        cfg.crop_size,
    ];
    let input = gaussian(shape.iter().product(), args.seed);
    write_f32(&args.out.join("input.f32"), &input)?;
    let x = || Tensor::<5>::from_data(TensorData::new(input.clone(), shape), &device);

    let forward = || -> Result<(Vec<f32>, f64)> {
        let t = Instant::now();
        let logits = net
            .forward(x())
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow!("{e:?}"))?;
        Ok((logits, t.elapsed().as_secs_f64() * 1e3))
    };
    for _ in 0..args.warmup {
        forward()?;
    }
    let mut times = vec![];
    let mut logits = vec![];
    for _ in 0..args.repeats.max(1) {
        let (l, ms) = forward()?;
        times.push(ms);
        logits = l;
    }
    write_f32(&args.out.join("logits.f32"), &logits)?;
    let profile = profile(&net, &cfg, x(), args.repeats.max(1));

    let meta = serde_json::json!({
        "model": name,
        "config": cfg,
        "slow_indices": cfg.slow_indices(),
        "input_shape": shape,
        "logits_shape": [args.batch, cfg.num_classes],
        "burn_forward_ms": times,
        "burn_threads": rayon_threads(),
        "burn_backend": "flex (CPU)",
        "burn_profile_ms": profile,
    });
    std::fs::write(
        args.out.join("meta.json"),
        serde_json::to_string_pretty(&meta)?,
    )?;
    eprintln!(
        "wrote {} ({} logits, Burn forward {:.1} ms median) to {}",
        name,
        logits.len(),
        median(&times),
        args.out.display()
    );
    Ok(())
}

fn network(args: &Args, device: &Device) -> Result<(SlowFast, SlowFastConfig, String)> {
    if let Some(path) = &args.model {
        let m = TrainedModel::load(path, device).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let cfg = m.meta.config.clone();
        return Ok((m.net, cfg, path.display().to_string()));
    }
    let cfg = SlowFastConfig::preset(&args.preset, tte_views::codes().len())
        .ok_or_else(|| anyhow!("unknown preset {}; use lite or r50", args.preset))?;
    // Random weights are Burn's initialisers; the batch-norm statistics get non-trivial values so
    // the comparison also covers inference-mode normalisation.
    let net = with_batchnorm_statistics(cfg.init(device), args.seed);
    Ok((
        net,
        cfg.clone(),
        format!("{} (random weights)", args.preset),
    ))
}

/// Gives every batch norm running statistics and affine parameters drawn around their usual
/// values (as after training), instead of the fresh 0/1 that would hide a mis-ordered parameter.
fn with_batchnorm_statistics(net: SlowFast, seed: u64) -> SlowFast {
    use burn::module::{Module, ModuleMapper, Param};
    struct Stats(u64);
    impl ModuleMapper for Stats {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, mapper) = param.consume();
            let dims = tensor.dims();
            if D != 1 {
                return Param::from_mapped_value(id, tensor, mapper);
            }
            self.0 += 1;
            let n = dims[0];
            let noise = gaussian(n, self.0);
            let device = tensor.device();
            let old = tensor.into_data().try_to_vec::<f32>().unwrap_or_default();
            // Running variances (all ones when fresh) get 0.5-1.5; other vectors get small offsets.
            let ones = old.iter().all(|v| *v == 1.0);
            let vals: Vec<f32> = noise
                .iter()
                .zip(&old)
                .map(|(z, v)| {
                    if ones {
                        1.0 + 0.5 * z.tanh()
                    } else {
                        v + 0.1 * z
                    }
                })
                .collect();
            let t = Tensor::<D>::from_data(TensorData::new(vals, dims), &device);
            Param::from_mapped_value(id, t, mapper)
        }
    }
    net.map(&mut Stats(seed << 20))
}

/// Median milliseconds of each part of the forward pass (the same split `parity.py` times in
/// PyTorch), to show where Burn spends its time. Each part is forced to finish by reading one value.
fn profile(
    net: &SlowFast,
    cfg: &SlowFastConfig,
    clip: Tensor<5>,
    repeats: usize,
) -> serde_json::Value {
    use burn::tensor::activation::relu;
    use burn::tensor::Int;
    let mut parts: Vec<(String, Vec<f64>)> = vec![];
    let mut record = |name: String, ms: f64| match parts.iter_mut().find(|(n, _)| *n == name) {
        Some((_, v)) => v.push(ms),
        None => parts.push((name, vec![ms])),
    };
    let sync = |x: &Tensor<5>| {
        let _ = x.clone().slice([0..1, 0..1, 0..1, 0..1, 0..1]).into_data();
    };
    let idx: Vec<i64> = cfg.slow_indices().iter().map(|&i| i as i64).collect();
    for _ in 0..repeats {
        let device = clip.device();
        let slow = clip
            .clone()
            .select(2, Tensor::<1, Int>::from_ints(idx.as_slice(), &device));
        let mut time = |name: &str, f: &mut dyn FnMut() -> Tensor<5>| {
            let t = Instant::now();
            let y = f();
            sync(&y);
            record(name.to_string(), t.elapsed().as_secs_f64() * 1e3);
            y
        };
        let mut slow = time("slow stem + pool", &mut || {
            net.pool_spatial(relu(net.slow_stem.forward(slow.clone())))
        });
        let mut fast = time("fast stem + pool", &mut || {
            net.pool_spatial(relu(net.fast_stem.forward(clip.clone())))
        });
        for s in 0..4 {
            let lateral = time(&format!("fusion {}", s + 1), &mut || {
                relu(net.fusions[s].forward(fast.clone()))
            });
            slow = Tensor::cat(vec![slow, lateral], 1);
            slow = time(&format!("slow stage {}", s + 1), &mut || {
                net.slow_stages[s].forward(slow.clone())
            });
            fast = time(&format!("fast stage {}", s + 1), &mut || {
                net.fast_stages[s].forward(fast.clone())
            });
        }
    }
    let map: serde_json::Map<String, serde_json::Value> = parts
        .into_iter()
        .map(|(n, v)| (n, serde_json::json!(median(&v))))
        .collect();
    serde_json::Value::Object(map)
}

/// Standard normal values from a small fixed generator (xorshift + Box-Muller), so the input is
/// the same on every machine.
fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut unit = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (unit(), unit());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

fn write_f32(path: &std::path::Path, v: &[f32]) -> Result<()> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

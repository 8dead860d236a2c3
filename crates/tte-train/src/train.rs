//! The training loop: AdamW with warm-up and cosine decay, periodic validation on held-out
//! phantom seeds, checkpoints that resume, early stopping, a plottable CSV log.

use crate::config::TrainConfig;
use crate::data::{heldout_seed, make_example, spawn_workers, Dataset, Example, Item};
use crate::metrics;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Int, Tensor, TensorData};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tte_slowfast::{ModelMeta, SlowFast, SlowFastConfig, TrainedModel};

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct RunState {
    step: usize,
    best_macro_f1: f64,
    validations_without_gain: usize,
    seconds: f64,
}

/// What a finished run reports.
pub struct Outcome {
    pub steps: usize,
    pub best_macro_f1: f64,
    pub seconds: f64,
    /// Seconds of this process's training loop spent waiting for the workers' next batch: near
    /// zero when decoding, preprocessing and augmentation keep up with the model.
    pub data_wait_s: f64,
    pub output: PathBuf,
}

/// Trains on the CPU (Flex) or whatever device the caller passes (an autodiff device).
pub fn train(
    cfg: &TrainConfig,
    device: &Device,
    log: &mut dyn FnMut(&str),
) -> anyhow::Result<Outcome> {
    let mut meta = model_meta(cfg)?;
    let (labels, model_cfg) = (meta.labels.clone(), meta.config.clone());
    let spec = meta.clip_spec();
    let run_dir = PathBuf::from(&cfg.run_dir);
    std::fs::create_dir_all(&run_dir)?;
    std::fs::write(
        run_dir.join("config.json"),
        serde_json::to_string_pretty(cfg)?,
    )?;

    let ds = Arc::new(Dataset::from_config(cfg, &labels)?);
    log(&format!("classes {:?}", ds.counts()));
    let class_weights: Option<Vec<f32>> = cfg.class_weights.then(|| {
        let counts = ds.counts();
        let total: usize = counts.iter().sum();
        counts
            .iter()
            .map(|&n| {
                if n > 0 {
                    total as f32 / (counts.len() * n) as f32
                } else {
                    0.0
                }
            })
            .collect()
    });

    // Resume from the last checkpoint when the run directory has one.
    let (mut model, mut optim, mut state) = (
        model_cfg.init(device),
        AdamWConfig::new()
            .with_weight_decay(cfg.weight_decay)
            .init(),
        RunState::default(),
    );
    let ckpt = run_dir.join("last.ttev");
    if ckpt.exists() {
        let m = TrainedModel::load(&ckpt, device)?;
        model = m.net;
        if let Ok(rec) = burn::optim::OptimizerRecord::load(run_dir.join("optim.bpk")) {
            optim = optim.load_record(rec);
        }
        state = serde_json::from_str(&std::fs::read_to_string(run_dir.join("state.json"))?)?;
        log(&format!("resuming at step {}", state.step));
    } else if let Some(init) = &cfg.init_from {
        model = initial_weights(init, &meta, device)?;
        log(&format!("starting from the weights of {init}"));
    }

    let validation = validation_set(&labels, cfg, &spec)?;
    log(&format!("validation set: {} clips", validation.len()));
    let rx = spawn_workers(
        ds.clone(),
        spec.clone(),
        cfg.augment.clone(),
        cfg.seed,
        (state.step * cfg.batch_size) as u64,
        cfg.workers,
    );
    let mut csv = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run_dir.join("metrics.csv"))?;
    if csv.metadata()?.len() == 0 {
        writeln!(
            csv,
            "step,seconds,lr,loss,train_acc,val_accuracy,val_macro_f1"
        )?;
    }
    let started = Instant::now() - std::time::Duration::from_secs_f64(state.seconds);
    let loss_fn = CrossEntropyLossConfig::new()
        .with_weights(class_weights)
        .init(device);
    let (mut loss_sum, mut hits, mut seen, mut since) = (0.0f64, 0usize, 0usize, 0usize);
    let mut progress = Progress::new(state.step);
    let mut data_wait_s = 0.0;
    while state.step < cfg.last_step() {
        let asked = Instant::now();
        let batch: Vec<Example> = (0..cfg.batch_size)
            .map(|_| rx.recv())
            .collect::<Result<_, _>>()?;
        data_wait_s += asked.elapsed().as_secs_f64();
        let (x, y) = to_tensors(&batch, &spec, device);
        let logits = model.forward(x);
        let pred: Vec<usize> = logits
            .clone()
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .iter()
            .map(|&v| v as usize)
            .collect();
        hits += pred
            .iter()
            .zip(&batch)
            .filter(|(p, e)| **p == e.label)
            .count();
        seen += batch.len();
        let loss = loss_fn.forward(logits, y);
        loss_sum += loss.clone().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let lr = cfg.lr_at(state.step, started.elapsed().as_secs_f64());
        model = optim.step(lr, model, grads);
        state.step += 1;
        since += 1;

        let last =
            state.step == cfg.last_step() || cfg.out_of_time(started.elapsed().as_secs_f64());
        if let Some(line) = progress.tick(
            state.step,
            cfg,
            started.elapsed().as_secs_f64(),
            data_wait_s,
        ) {
            log(&line);
        }
        if state.step % cfg.validate_every == 0 || last {
            let report =
                evaluate_prepared(&model.valid(), &meta, &validation, &device.clone().inner())?;
            let steps = since.max(1) as f64;
            state.seconds = started.elapsed().as_secs_f64();
            writeln!(
                csv,
                "{},{:.1},{:.6},{:.4},{:.4},{:.4},{:.4}",
                state.step,
                state.seconds,
                lr,
                loss_sum / steps,
                hits as f64 / seen.max(1) as f64,
                report.accuracy,
                report.macro_f1
            )?;
            log(&format!(
                "step {:>6}/{} {:>7.0}s lr {:.5} loss {:.4} train acc {:.3} | val acc {:.4} macro-F1 {:.4}",
                state.step, cfg.steps, state.seconds, lr, loss_sum / steps, hits as f64 / seen.max(1) as f64, report.accuracy, report.macro_f1
            ));
            (loss_sum, hits, seen, since) = (0.0, 0, 0, 0);
            meta.notes = format!(
                "checkpoint at step {} of {}; validation macro-F1 {:.4}",
                state.step, cfg.steps, report.macro_f1
            );
            let snapshot = TrainedModel {
                meta: meta.clone(),
                net: model.valid(),
            };
            snapshot.save(&ckpt)?;
            optim
                .to_record()
                .save(run_dir.join("optim.bpk"))
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            if report.macro_f1 > state.best_macro_f1 {
                state.validations_without_gain = 0;
            } else {
                state.validations_without_gain += 1;
            }
            if replaces_best(report.macro_f1, state.best_macro_f1) {
                state.best_macro_f1 = report.macro_f1;
                snapshot.save(&run_dir.join("best.ttev"))?;
            }
            std::fs::write(run_dir.join("state.json"), serde_json::to_string(&state)?)?;
            if cfg.patience > 0 && state.validations_without_gain >= cfg.patience {
                log("early stop: validation macro-F1 stopped improving");
                break;
            }
            if last {
                break;
            }
        }
    }
    let best = run_dir.join("best.ttev");
    let output = PathBuf::from(&cfg.output);
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(if best.exists() { &best } else { &ckpt }, &output)?;
    Ok(Outcome {
        steps: state.step,
        best_macro_f1: state.best_macro_f1,
        seconds: started.elapsed().as_secs_f64(),
        data_wait_s,
        output,
    })
}

/// The model file's header a config trains towards: preset, full view catalogue, levelling. Its
/// `clip_spec()` is how every training clip is prepared.
pub fn model_meta(cfg: &TrainConfig) -> anyhow::Result<ModelMeta> {
    let labels = tte_views::codes();
    let mut model_cfg = SlowFastConfig::preset(&cfg.preset, labels.len())
        .ok_or_else(|| anyhow::anyhow!("unknown preset {}", cfg.preset))?;
    if cfg.grey {
        model_cfg.input_channels = 1;
    }
    if cfg.crop_size > 0 {
        model_cfg.crop_size = cfg.crop_size;
    }
    let mut meta = ModelMeta::new(&cfg.preset, model_cfg, labels);
    meta.auto_levels = cfg.auto_levels;
    meta.blank_colour = cfg.blank_colour;
    meta.local_contrast_px = cfg.local_contrast_px;
    meta.tissue_map_px = cfg.tissue_map_px;
    if let crate::config::DataConfig::Phantom { anatomy, .. } = &cfg.data {
        meta.anatomy = anatomy.to_string();
    }
    Ok(meta)
}

/// The network of `path`, checked to have this run's architecture and label order.
fn initial_weights(path: &str, meta: &ModelMeta, device: &Device) -> anyhow::Result<SlowFast> {
    let mut m = TrainedModel::load(std::path::Path::new(path), device)
        .map_err(|e| anyhow::anyhow!("init_from {path}: {e}"))?;
    if meta.config.input_channels == 1 {
        m.net = m.net.into_grey(&mut m.meta.config);
    }
    // No weight depends on the input's side (convolutions, then global pooling).
    m.meta.config.crop_size = meta.config.crop_size;
    if m.meta.config != meta.config || m.meta.labels != meta.labels {
        anyhow::bail!(
            "init_from {path}: its network ({} preset, labels {:?}) differs from this run's ({} preset, labels {:?}); \
             fine-tune only a model of the same preset and labels",
            m.meta.preset, m.meta.labels, meta.preset, meta.labels
        );
    }
    // A file stored as f16 loads through the CPU; `train` makes its weights trainable leaves on
    // this run's (autodiff) device whatever way they arrived.
    Ok(m.net.train())
}

fn to_tensors(
    batch: &[Example],
    spec: &tte_preprocess::ClipSpec,
    device: &Device,
) -> (Tensor<5>, Tensor<1, Int>) {
    let mut data = Vec::with_capacity(batch.len() * batch[0].data.len());
    for e in batch {
        data.extend_from_slice(&e.data);
    }
    let x = Tensor::<5>::from_data(
        TensorData::new(
            data,
            [
                batch.len(),
                spec.channels,
                spec.frames,
                spec.size,
                spec.size,
            ],
        ),
        device,
    );
    let labels: Vec<i64> = batch.iter().map(|e| e.label as i64).collect();
    (x, Tensor::<1, Int>::from_ints(labels.as_slice(), device))
}

/// Whether a checkpoint with validation macro-F1 `score` becomes the kept one. A tie goes to the
/// newer checkpoint: with a small validation set a fine-tuning run often validates perfectly early,
/// and a later checkpoint that scores the same has simply trained longer.
pub fn replaces_best(score: f64, best: f64) -> bool {
    score >= best
}

/// Held-out phantom clips, prepared once, without augmentation.
fn validation_set(
    labels: &[String],
    cfg: &TrainConfig,
    spec: &tte_preprocess::ClipSpec,
) -> anyhow::Result<Vec<Example>> {
    let none = crate::augment::AugmentConfig {
        enabled: false,
        ..Default::default()
    };
    let mut out = Vec::new();
    for (c, view) in labels.iter().enumerate() {
        for i in 0..cfg.validation_per_class {
            let item = Item::Phantom {
                view: view.clone(),
                seed: heldout_seed(1, (c * 10_000 + i) as u64),
                style: tte_phantom::Style::Default,
                anatomy: cfg.anatomy(),
            };
            out.push(make_example(&item, c, spec, &none, 0)?);
        }
    }
    Ok(out)
}

/// Metrics of a model on prepared examples (inference mode).
pub fn evaluate_prepared(
    net: &SlowFast,
    meta: &ModelMeta,
    examples: &[Example],
    device: &Device,
) -> anyhow::Result<metrics::Report> {
    let spec = meta.clip_spec();
    let mut probs = Vec::new();
    for chunk in examples.chunks(8) {
        let (x, _) = to_tensors(chunk, &spec, device);
        let p = burn::tensor::activation::softmax(net.forward(x), 1)
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        probs.extend(p.chunks(meta.labels.len()).map(<[f32]>::to_vec));
    }
    let truth: Vec<usize> = examples.iter().map(|e| e.label).collect();
    Ok(metrics::compute(&meta.labels, &truth, &probs, &[], vec![]))
}

/// Rebuilds a record of `model` (used by tests to check resume round-trips).
pub fn record_of(model: &SlowFast) -> ModuleRecord {
    model.clone().into_record()
}

/// A progress line about once a minute between validations: the step, the pace and the time left.
struct Progress {
    first_step: usize,
    started: Instant,
    last: Instant,
    waited_at_last: f64,
}

impl Progress {
    const EVERY_S: f64 = 60.0;

    fn new(step: usize) -> Self {
        let now = Instant::now();
        Self {
            first_step: step,
            started: now,
            last: now,
            waited_at_last: 0.0,
        }
    }

    /// A progress line once a minute; `waited` is the loop's total wait for data so far, shown as
    /// the share of the last interval it took (the workers keep up when it stays near 0 %).
    fn tick(
        &mut self,
        step: usize,
        cfg: &TrainConfig,
        elapsed: f64,
        waited: f64,
    ) -> Option<String> {
        let interval = self.last.elapsed().as_secs_f64();
        if interval < Self::EVERY_S {
            return None;
        }
        let wait_share = (waited - self.waited_at_last) / interval;
        self.last = Instant::now();
        self.waited_at_last = waited;
        let per_step =
            self.started.elapsed().as_secs_f64() / (step - self.first_step).max(1) as f64;
        let mut left = (cfg.last_step() - step) as f64 * per_step;
        if cfg.max_seconds > 0.0 {
            left = left.min((cfg.max_seconds - elapsed).max(0.0));
        }
        Some(format!(
            "step {step:>6}/{} {elapsed:>7.0}s  {per_step:.2} s/step  waiting for data {:.0} %  about {:.0} min left",
            cfg.steps,
            wait_share * 100.0,
            left / 60.0
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_checkpoint_that_validates_as_well_is_kept() {
        assert!(replaces_best(1.0, 1.0));
        assert!(replaces_best(0.98, 0.97));
        assert!(!replaces_best(0.96, 0.97));
    }

    fn saved_lite(dir: &std::path::Path) -> (String, ModelMeta) {
        let labels = tte_views::codes();
        let cfg = SlowFastConfig::lite(labels.len());
        let meta = ModelMeta::new("lite", cfg.clone(), labels);
        let path = dir.join("start.ttev");
        TrainedModel {
            meta: meta.clone(),
            net: cfg.init(&Device::flex()),
        }
        .save(&path)
        .unwrap();
        (path.display().to_string(), meta)
    }

    #[test]
    fn init_from_starts_at_the_given_weights() {
        let dir = std::env::temp_dir().join(format!("tte-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (path, meta) = saved_lite(&dir);
        let want = TrainedModel::load(std::path::Path::new(&path), &Device::flex()).unwrap();
        let got = initial_weights(&path, &meta, &Device::flex()).unwrap();
        let head = |n: &SlowFast| n.head.weight.val().into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(head(&got), head(&want.net));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_run_at_another_input_size_starts_from_a_model_trained_at_112() {
        let dir = std::env::temp_dir().join(format!("tte-init-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (path, meta) = saved_lite(&dir);
        let mut bigger = meta.clone();
        bigger.config.crop_size = meta.config.crop_size + 16;
        let want = TrainedModel::load(std::path::Path::new(&path), &Device::flex()).unwrap();
        let got = initial_weights(&path, &bigger, &Device::flex()).unwrap();
        let head = |n: &SlowFast| n.head.weight.val().into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(head(&got), head(&want.net));
        let side = bigger.config.crop_size;
        let x = Tensor::<5>::ones([1, 3, meta.config.frames, side, side], &Device::flex());
        assert_eq!(got.forward(x).dims(), [1, meta.labels.len()]);
        // The run's header records the new size, so every face prepares clips at it.
        let cfg = TrainConfig {
            crop_size: 144,
            ..TrainConfig::default()
        };
        assert_eq!(model_meta(&cfg).unwrap().clip_spec().size, 144);
        assert_eq!(
            model_meta(&TrainConfig::default())
                .unwrap()
                .clip_spec()
                .size,
            112
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_grey_run_starts_from_a_colour_model_and_trains() {
        let dir = std::env::temp_dir().join(format!("tte-init-grey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let labels = tte_views::codes();
        let mut cfg = SlowFastConfig::lite(labels.len());
        (cfg.crop_size, cfg.frames) = (32, 8);
        let path = dir.join("colour.ttev");
        TrainedModel {
            meta: ModelMeta::new("lite", cfg.clone(), labels.clone()),
            net: cfg.init(&Device::flex()),
        }
        .save(&path)
        .unwrap();
        let mut grey_cfg = cfg.clone();
        grey_cfg.input_channels = 1;
        let grey_meta = ModelMeta::new("lite", grey_cfg, labels);
        let device = Device::flex().autodiff();
        let net = initial_weights(path.to_str().unwrap(), &grey_meta, &device).unwrap();
        let x = Tensor::<5>::ones([1, 1, 8, 32, 32], &device);
        let loss = net.forward(x).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        assert!(grads.len() > 10, "{} parameters got gradients", grads.len());
        // A grey file refuses to start a colour run: summing channels cannot be undone.
        let grey_path = dir.join("grey.ttev");
        TrainedModel {
            meta: grey_meta,
            net: net.valid(),
        }
        .save(&grey_path)
        .unwrap();
        let colour_meta = ModelMeta::new("lite", cfg, tte_views::codes());
        assert!(initial_weights(grey_path.to_str().unwrap(), &colour_meta, &device).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn init_from_a_half_precision_model_trains() {
        // The shipped model is stored as f16: fine-tuning it must give trainable weights.
        let dir = std::env::temp_dir().join(format!("tte-init-f16-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let labels = tte_views::codes();
        let mut cfg = SlowFastConfig::lite(labels.len());
        (cfg.crop_size, cfg.frames) = (32, 8);
        let meta = ModelMeta::new("lite", cfg.clone(), labels);
        let path = dir.join("half.ttev");
        TrainedModel {
            meta: meta.clone(),
            net: cfg.init(&Device::flex()),
        }
        .save_half(&path)
        .unwrap();
        let device = Device::flex().autodiff();
        let net = initial_weights(path.to_str().unwrap(), &meta, &device).unwrap();
        let x = Tensor::<5>::ones([1, 3, 8, 32, 32], &device);
        let loss = net.forward(x).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        assert!(grads.len() > 10, "{} parameters got gradients", grads.len());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn init_from_refuses_a_model_with_other_labels() {
        let dir = std::env::temp_dir().join(format!("tte-init-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (path, mut meta) = saved_lite(&dir);
        meta.labels.swap(0, 1);
        let err = initial_weights(&path, &meta, &Device::flex())
            .unwrap_err()
            .to_string();
        assert!(err.contains("differs from this run's"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

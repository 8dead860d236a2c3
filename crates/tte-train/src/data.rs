//! Where training clips come from (phantom in memory, or labelled files), how classes are
//! sampled, and the worker threads that keep batches ready.

use crate::augment::{self, AugmentConfig, Draw};
use crate::config::{DataConfig, TrainConfig};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use tte_frames::Frame;
use tte_phantom::{Anatomy, ClipParams, Renderer, Style};
use tte_preprocess::ClipSpec;

/// One prepared clip and its class index.
pub struct Example {
    pub data: Vec<f32>,
    pub label: usize,
}

/// A labelled item: a phantom seed or a file.
#[derive(Clone, Debug)]
pub enum Item {
    Phantom {
        view: String,
        seed: u64,
        style: Style,
        anatomy: Anatomy,
    },
    File {
        path: String,
    },
}

/// The items of one class: phantom clips are numbered (rendered on demand), files are listed.
pub enum ClassItems {
    Phantom { view: String, count: usize },
    Files(Vec<String>),
}

impl ClassItems {
    fn len(&self) -> usize {
        match self {
            ClassItems::Phantom { count, .. } => *count,
            ClassItems::Files(f) => f.len(),
        }
    }
}

/// The training set as per-class items, and how often each class is drawn.
pub struct Dataset {
    pub labels: Vec<String>,
    pub per_class: Vec<ClassItems>,
    pub class_probs: Vec<f64>,
    fresh: bool,
    style: Style,
    anatomy: Anatomy,
}

impl Dataset {
    pub fn from_config(cfg: &TrainConfig, labels: &[String]) -> anyhow::Result<Self> {
        let anatomy = cfg.anatomy();
        let (per_class, fresh, style) = match &cfg.data {
            DataConfig::Phantom {
                clips_per_class,
                class_counts,
                fresh_each_epoch,
                style,
                ..
            } => {
                let per_class = labels
                    .iter()
                    .map(|view| ClassItems::Phantom {
                        view: view.clone(),
                        count: class_counts.get(view).copied().unwrap_or(*clips_per_class),
                    })
                    .collect();
                (per_class, *fresh_each_epoch, *style)
            }
            DataConfig::Manifest { path } => (read_manifest(path, labels)?, false, Style::Default),
        };
        let counts: Vec<f64> = per_class
            .iter()
            .map(|v: &ClassItems| v.len() as f64)
            .collect();
        let weights: Vec<f64> = counts
            .iter()
            .map(|&n| {
                if n > 0.0 {
                    n.powf(cfg.sampler.power)
                } else {
                    0.0
                }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        anyhow::ensure!(total > 0.0, "the training set is empty");
        let class_probs = weights.iter().map(|w| w / total).collect();
        Ok(Self {
            labels: labels.to_vec(),
            per_class,
            class_probs,
            fresh,
            style,
            anatomy,
        })
    }

    /// Number of items per class.
    pub fn counts(&self) -> Vec<usize> {
        self.per_class.iter().map(ClassItems::len).collect()
    }

    /// Draws the `k`-th item of a run: a class by the sampler's probabilities, then an item of it.
    pub fn draw(&self, run_seed: u64, k: u64) -> (usize, Item, u64) {
        let mut d = Draw::new(run_seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ k);
        let u = d.unit() as f64;
        let mut acc = 0.0;
        let mut class = self.class_probs.len() - 1;
        for (c, p) in self.class_probs.iter().enumerate() {
            acc += p;
            if u < acc {
                class = c;
                break;
            }
        }
        let items = &self.per_class[class];
        let i = ((d.unit() as f64) * items.len() as f64) as usize % items.len();
        let item = match items {
            // Fresh clips: a new seed every draw, still inside the training seed range.
            ClassItems::Phantom { view, .. } if self.fresh => Item::Phantom {
                view: view.clone(),
                seed: train_seed(run_seed, class, (k as usize).wrapping_mul(7919) ^ i),
                style: self.style,
                anatomy: self.anatomy,
            },
            ClassItems::Phantom { view, .. } => Item::Phantom {
                view: view.clone(),
                seed: train_seed(run_seed, class, i),
                style: self.style,
                anatomy: self.anatomy,
            },
            ClassItems::Files(files) => Item::File {
                path: files[i].clone(),
            },
        };
        (class, item, run_seed ^ k.wrapping_mul(0x9E37_79B9))
    }
}

/// Training seeds live below 2^40; validation and test seeds above, so they never meet.
pub fn train_seed(run: u64, class: usize, i: usize) -> u64 {
    (run.wrapping_mul(1_000_003) ^ (class as u64) << 32 ^ i as u64) & ((1 << 40) - 1)
}

/// Seeds of held-out clips (validation, test): disjoint from every training seed.
pub fn heldout_seed(set: u64, i: u64) -> u64 {
    (1 << 41) + set * 1_000_000 + i
}

fn read_manifest(path: &str, labels: &[String]) -> anyhow::Result<Vec<ClassItems>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read manifest {path}: {e}"))?;
    let dir = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| anyhow::anyhow!("manifest {path} has no `{name}` column"))
    };
    let (fc, vc) = (col("file")?, col("view")?);
    let mut per_class = vec![Vec::new(); labels.len()];
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let (Some(file), Some(view)) = (cells.get(fc), cells.get(vc)) else {
            anyhow::bail!("manifest {path} line {} is short", n + 2)
        };
        let Some(c) = labels.iter().position(|l| l == view.trim()) else {
            anyhow::bail!("manifest {path} line {}: unknown view `{view}`", n + 2)
        };
        per_class[c].push(dir.join(file.trim()).to_string_lossy().into_owned());
    }
    Ok(per_class.into_iter().map(ClassItems::Files).collect())
}

/// Renders (or decodes), augments and prepares one clip.
pub fn make_example(
    item: &Item,
    label: usize,
    spec: &ClipSpec,
    aug: &AugmentConfig,
    aug_seed: u64,
) -> anyhow::Result<Example> {
    let mut d = Draw::new(aug_seed);
    let window = if aug.enabled {
        spec.window_s * d.range(aug.window_scale) as f64
    } else {
        spec.window_s
    };
    let start_frac = if aug.enabled && aug.random_start {
        d.unit() as f64
    } else {
        0.0
    };
    let (mut frames, regions) = match item {
        Item::Phantom {
            view,
            seed,
            style,
            anatomy,
        } => {
            // The model sees a 112-pixel crop: rendering the big screens at full size would only
            // be averaged away, so training renders them at most 256 pixels wide.
            let mut params = ClipParams::draw(view, *seed, *style)
                .with_max_side(256)
                .with_anatomy(*anatomy);
            // Own streams, so turning these on leaves every other draw as it was.
            if Draw::new(aug_seed ^ 0xD0F1).unit() < aug.doppler_p {
                params = params.with_doppler_box(aug_seed ^ 0xB0C5);
            }
            let r = Renderer::new(params);
            let times = r.params.frame_times();
            let start =
                start_frac * (tte_preprocess::sample::clip_duration(&times) - window).max(0.0);
            let idx = tte_preprocess::sample::sample_indices(&times, spec.frames, window, start);
            let picked: Vec<f64> = idx.iter().map(|&i| times[i]).collect();
            let as_dicom = Draw::new(aug_seed ^ 0xD1C0).unit() < aug.metadata_crop_p;
            let regions = if as_dicom { r.regions() } else { vec![] };
            let mut still = Draw::new(aug_seed ^ 0x5711);
            let frames = if still.unit() < aug.still_p {
                // One moment of the clip, rendered once, for every frame.
                let at = picked[(still.unit() * picked.len() as f32) as usize % picked.len()];
                let frame = r.frames_at(&[at]).remove(0);
                vec![frame; picked.len()]
            } else {
                r.frames_at(&picked)
            };
            (frames, regions)
        }
        Item::File { path } => {
            let bytes = std::fs::read(path)?;
            let limits = tte_media::Limits::default();
            let mut src = tte_media::Source::open(bytes, &limits)
                .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
            let times = src.times().to_vec();
            let start =
                start_frac * (tte_preprocess::sample::clip_duration(&times) - window).max(0.0);
            let idx = tte_preprocess::sample::sample_indices(&times, spec.frames, window, start);
            (
                src.frames(&idx, &limits)
                    .map_err(|e| anyhow::anyhow!("{path}: {e}"))?,
                src.regions().to_vec(),
            )
        }
    };
    augment::on_frames(&mut frames, aug, &mut d);
    // Augmented as the picture on the screen, then levelled and represented as a real clip's
    // would be before the network.
    let mut as_shown = spec.clone();
    as_shown.local_contrast_px = 0;
    as_shown.tissue_map_px = 0;
    let mut data = prepare_in_order(&frames, &regions, &as_shown)?;
    augment::on_clip(
        &mut data,
        [spec.channels, spec.frames, spec.size, spec.size],
        spec.mean,
        spec.std,
        aug,
        &mut d,
    );
    tte_preprocess::represent(&mut data, spec);
    Ok(Example { data, label })
}

/// Prepares frames that are already the sampled ones, in order.
pub fn prepare_in_order(
    frames: &[Frame],
    regions: &[tte_frames::UltrasoundRegion],
    spec: &ClipSpec,
) -> anyhow::Result<Vec<f32>> {
    let times: Vec<f64> = (0..frames.len()).map(|i| i as f64).collect();
    let mut s = spec.clone();
    s.window_s = 0.0;
    Ok(
        tte_preprocess::prepare_frames(frames, &times, regions, &s, 0.0)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .data,
    )
}

/// Starts `workers` threads that draw, render and prepare examples from step `start` on.
pub fn spawn_workers(
    ds: Arc<Dataset>,
    spec: ClipSpec,
    aug: AugmentConfig,
    run_seed: u64,
    start: u64,
    workers: usize,
) -> Receiver<Example> {
    let (tx, rx) = sync_channel::<Example>(64);
    let workers = workers.max(1) as u64;
    for w in 0..workers {
        let (tx, ds, spec, aug) = (tx.clone(), ds.clone(), spec.clone(), aug.clone());
        std::thread::spawn(move || {
            let mut k = start + w;
            loop {
                let (label, item, aug_seed) = ds.draw(run_seed, k);
                match make_example(&item, label, &spec, &aug, aug_seed) {
                    Ok(ex) => {
                        if tx.send(ex).is_err() {
                            return;
                        }
                    }
                    Err(e) => eprintln!("skipping a training clip: {e}"),
                }
                k += workers;
            }
        });
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn long_tail(power: f64) -> Dataset {
        let labels: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let mut counts = BTreeMap::new();
        counts.insert("A".to_string(), 200);
        counts.insert("B".to_string(), 200);
        counts.insert("C".to_string(), 10);
        let mut cfg = TrainConfig::default();
        cfg.data = DataConfig::Phantom {
            clips_per_class: 0,
            class_counts: counts,
            fresh_each_epoch: false,
            style: Style::Default,
            anatomy: Anatomy::Drawn,
        };
        cfg.sampler.power = power;
        Dataset::from_config(&cfg, &labels).unwrap()
    }

    fn share_of_rare(ds: &Dataset) -> f64 {
        let n = 6000;
        (0..n).filter(|&k| ds.draw(5, k).0 == 2).count() as f64 / n as f64
    }

    fn phantom_data(json: &str) -> Dataset {
        let mut cfg = TrainConfig::default();
        cfg.data = serde_json::from_str(json).unwrap();
        Dataset::from_config(&cfg, &["A4C".to_string(), "PLAX".to_string()]).unwrap()
    }

    #[test]
    fn phantom_data_keeps_the_default_style_unless_a_config_asks_for_the_shifted_one() {
        let style_of = |ds: &Dataset| match ds.draw(9, 3).1 {
            Item::Phantom { style, .. } => style,
            other => panic!("{other:?}"),
        };
        let base = r#"{"source": "phantom", "clips_per_class": 10, "fresh_each_epoch": true"#;
        assert_eq!(
            style_of(&phantom_data(&format!("{base}}}"))),
            Style::Default
        );
        let shifted = phantom_data(&format!(r#"{base}, "style": "shifted"}}"#));
        assert_eq!(style_of(&shifted), Style::Shifted);
        // The same seed rendered in the other style is another clip, not a relabelled one.
        let Item::Phantom { view, seed, .. } = shifted.draw(9, 3).1 else {
            unreachable!()
        };
        let (a, b) = (
            ClipParams::draw(&view, seed, Style::Default),
            ClipParams::draw(&view, seed, Style::Shifted),
        );
        assert_ne!(
            a.scanner.dynamic_range_db, b.scanner.dynamic_range_db,
            "{view} {seed}"
        );
    }

    /// The moments make_example samples from `r` without augmentation (start 0, spec's window).
    /// A phantom clip of the default style.
    fn phantom(view: &str, seed: u64, anatomy: Anatomy) -> Item {
        Item::Phantom {
            view: view.into(),
            seed,
            style: Style::Default,
            anatomy,
        }
    }

    fn no_augmentation() -> AugmentConfig {
        AugmentConfig {
            enabled: false,
            ..Default::default()
        }
    }

    fn sampled_times(r: &Renderer, spec: &ClipSpec) -> Vec<f64> {
        let times = r.params.frame_times();
        tte_preprocess::sample::sample_indices(&times, spec.frames, spec.window_s, 0.0)
            .iter()
            .map(|&i| times[i])
            .collect()
    }

    #[test]
    fn metadata_crop_p_crops_phantom_clips_as_their_dicom_would() {
        let spec = ClipSpec {
            frames: 4,
            size: 32,
            ..Default::default()
        };
        let item = phantom("PSAX-AP", 6_597_847_168_993, Anatomy::Drawn);
        let plain = no_augmentation();
        let as_dicom = AugmentConfig {
            metadata_crop_p: 1.0,
            ..plain.clone()
        };
        let r = Renderer::new(
            ClipParams::draw("PSAX-AP", 6_597_847_168_993, Style::Default).with_max_side(256),
        );
        let frames = r.frames_at(&sampled_times(&r, &spec));
        let motion = make_example(&item, 4, &spec, &plain, 9).unwrap().data;
        let declared = make_example(&item, 4, &spec, &as_dicom, 9).unwrap().data;
        assert_eq!(motion, prepare_in_order(&frames, &[], &spec).unwrap());
        assert_eq!(
            declared,
            prepare_in_order(&frames, &r.regions(), &spec).unwrap()
        );
        // This clip's fan is dark away from the heart, so the two crops differ.
        assert_ne!(motion, declared);
    }

    /// Training's examples of a PLAX clip (augmentation off) against the same frames prepared
    /// by the inference path, for a `spec` whose representation is not the levelled picture
    /// alone (`levelled`: the same spec without it).
    fn training_shows_it_as_classification_prepares_it(spec: ClipSpec, levelled: ClipSpec) {
        let item = phantom("PLAX", 3, Anatomy::Cut);
        let plain = no_augmentation();
        let got = make_example(&item, 0, &spec, &plain, 9).unwrap().data;
        // The same frames through the inference path (tte_preprocess::prepare_frames).
        let r = Renderer::new(
            ClipParams::draw("PLAX", 3, Style::Default)
                .with_max_side(256)
                .with_anatomy(Anatomy::Cut),
        );
        let frames = r.frames_at(&sampled_times(&r, &spec));
        let want = prepare_in_order(&frames, &[], &spec).unwrap();
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 0.05, "training and inference differ by {worst}");
        // And it is not the levelled picture alone.
        let levelled = prepare_in_order(&frames, &[], &levelled).unwrap();
        let moved = got
            .iter()
            .zip(&levelled)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            moved > 0.5,
            "the representation changed the clip by only {moved}"
        );
    }

    fn levelled_grey() -> ClipSpec {
        ClipSpec {
            frames: 4,
            size: 32,
            channels: 1,
            auto_levels: true,
            ..Default::default()
        }
    }

    #[test]
    fn training_shows_local_contrast_as_classification_prepares_it() {
        let spec = ClipSpec {
            local_contrast_px: 4,
            ..levelled_grey()
        };
        training_shows_it_as_classification_prepares_it(spec, levelled_grey());
    }

    #[test]
    fn training_shows_the_tissue_map_as_classification_prepares_it() {
        let spec = ClipSpec {
            tissue_map_px: 1,
            ..levelled_grey()
        };
        training_shows_it_as_classification_prepares_it(spec, levelled_grey());
    }

    #[test]
    fn still_p_shows_one_moment_of_the_clip_in_every_frame() {
        let spec = ClipSpec {
            frames: 4,
            size: 32,
            ..Default::default()
        };
        let item = phantom("A4C", 11, Anatomy::Cut);
        let plain = no_augmentation();
        let still = AugmentConfig {
            still_p: 1.0,
            ..plain.clone()
        };
        let got = make_example(&item, 0, &spec, &still, 5).unwrap().data;
        // [channel, frame, y, x]: within each channel, every frame the same.
        let (frame_len, channel_len) = (32 * 32, 32 * 32 * spec.frames);
        let still_in_time = |clip: &[f32]| {
            clip.chunks(channel_len)
                .all(|c| c.chunks(frame_len).all(|f| f == &c[..frame_len]))
        };
        assert!(still_in_time(&got), "frames differ");
        // The moment is one of the moving clip's own frames, prepared as a still image is at
        // inference (its one frame repeated).
        let r = Renderer::new(
            ClipParams::draw("A4C", 11, Style::Default)
                .with_max_side(256)
                .with_anatomy(Anatomy::Cut),
        );
        let matches = sampled_times(&r, &spec).into_iter().any(|at| {
            let f = r.frames_at(&[at]).remove(0);
            prepare_in_order(&vec![f; spec.frames], &[], &spec).unwrap() == got
        });
        assert!(matches, "the still is none of the clip's frames");
        let moving = make_example(&item, 0, &spec, &plain, 5).unwrap().data;
        assert!(!still_in_time(&moving));
    }

    #[test]
    fn doppler_p_gives_phantom_clips_a_colour_doppler_box() {
        let spec = ClipSpec {
            frames: 4,
            size: 32,
            ..Default::default()
        };
        let seed = (0..40)
            .find(|&s| {
                ClipParams::draw("A4C", s, Style::Default)
                    .overlays
                    .doppler_box
                    .is_none()
            })
            .unwrap();
        let item = phantom("A4C", seed, Anatomy::Drawn);
        let plain = no_augmentation();
        let boxed = AugmentConfig {
            doppler_p: 1.0,
            ..plain.clone()
        };
        let params = ClipParams::draw("A4C", seed, Style::Default).with_max_side(256);
        let with_box = Renderer::new(params.clone().with_doppler_box(9 ^ 0xB0C5));
        let frames = with_box.frames_at(&sampled_times(&with_box, &spec));
        let got = make_example(&item, 0, &spec, &boxed, 9).unwrap().data;
        assert_eq!(got, prepare_in_order(&frames, &[], &spec).unwrap());
        assert_ne!(got, make_example(&item, 0, &spec, &plain, 9).unwrap().data);
    }

    #[test]
    fn balanced_sampling_draws_a_rare_class_as_often_as_the_others() {
        let balanced = share_of_rare(&long_tail(0.0));
        assert!((balanced - 1.0 / 3.0).abs() < 0.03, "{balanced}");
        let plain = share_of_rare(&long_tail(1.0));
        assert!((plain - 10.0 / 410.0).abs() < 0.01, "{plain}");
    }

    #[test]
    fn training_and_heldout_seeds_never_meet() {
        for c in 0..13 {
            for i in [0usize, 1, 99_999, 1 << 30] {
                assert!(train_seed(1, c, i) < heldout_seed(0, 0));
            }
        }
    }
}

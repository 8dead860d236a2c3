//! A training run, fully described by one JSON file and its seed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tte_phantom::{Anatomy, Style};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Network preset (`lite` or `r50`).
    pub preset: String,
    pub seed: u64,
    /// Optimiser steps.
    pub steps: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    /// Steps of linear warm-up before the cosine decay.
    pub warmup_steps: usize,
    /// Validate (and checkpoint) every this many steps.
    pub validate_every: usize,
    /// Clips per class in the fixed validation set (seeds disjoint from training).
    pub validation_per_class: usize,
    /// Stop when validation macro-F1 has not improved for this many validations (0 = never).
    pub patience: usize,
    pub data: DataConfig,
    pub sampler: SamplerConfig,
    pub augment: crate::augment::AugmentConfig,
    /// Weight the loss by inverse class frequency.
    pub class_weights: bool,
    /// Where checkpoints and the metrics log go; a run with the same directory resumes.
    pub run_dir: String,
    /// Where the final model file is written.
    pub output: String,
    /// Worker threads preparing clips.
    pub workers: usize,
    /// Wall-clock budget in seconds (0 = none): the schedule runs over whichever of `steps` and
    /// this budget ends first, and the run stops (validated and saved) when it is spent.
    pub max_seconds: f64,
    /// End the run after this many steps (0 = at `steps`), validated and saved, while the
    /// learning-rate schedule still spans `steps`: a run cut short, reproducibly (the shipped
    /// model's stage 6 stopped at step 2800 of a 6000-step schedule).
    pub stop_after: usize,
    /// Start from this model file's weights instead of random ones (fine-tuning: a clinic's own
    /// clips on top of the shipped model, or a second schedule on top of a first). Its preset and
    /// labels must match this run's. Ignored when the run directory already holds a checkpoint.
    pub init_from: Option<String>,
    /// Level each clip's grey scale before the network (`tte_preprocess::levels`); recorded in
    /// the model file, so classification does the same. Off for configs written before it existed.
    pub auto_levels: bool,
    /// Blank saturated colour (colour Doppler, coloured overlays) to black before the network
    /// (`tte_preprocess::ClipSpec::blank_colour`); recorded in the model file like `auto_levels`.
    pub blank_colour: bool,
    /// Show the network local contrast over this many pixels after levelling
    /// (`tte_preprocess::ClipSpec::local_contrast_px`; 0 = off); recorded in the model file.
    pub local_contrast_px: usize,
    /// Show the network a tissue map (grey smoothed over this many pixels, cut softly at the
    /// clip's tissue/blood threshold) after levelling (`tte_preprocess::ClipSpec::tissue_map_px`;
    /// 0 = off); recorded in the model file.
    pub tissue_map_px: usize,
    /// Feed the network one grey channel (luminance) instead of RGB: colour says nothing about
    /// the view, and the stems cost a third. A colour `init_from` model is made grey by summing
    /// its stems' weights over the colour channels ([`tte_slowfast::SlowFast::into_grey`]).
    pub grey: bool,
    /// Side of the network's square input in pixels (0 = the preset's, 112 for `lite`). The
    /// network is fully convolutional up to its global pooling, so an `init_from` model trained
    /// at another size fine-tunes at this one; recorded in the model file like `grey`.
    pub crop_size: usize,
}

/// Where clips come from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum DataConfig {
    /// Fresh phantom clips, rendered in memory. `clips_per_class` sets the size of the (virtual)
    /// training set; `class_counts` overrides it per class to build long-tailed sets.
    Phantom {
        clips_per_class: usize,
        #[serde(default)]
        class_counts: BTreeMap<String, usize>,
        /// Draw new seeds every epoch instead of revisiting the same clips.
        #[serde(default)]
        fresh_each_epoch: bool,
        /// The phantom's style. `shifted` draws the test set's shifted settings: a model trained
        /// on it no longer measures robustness to that style, so it is for diagnostic ceiling runs
        /// only (`experiments/`), never for a candidate.
        #[serde(default)]
        style: Style,
        /// `cut`: phantom v2, views cut from the 3-D chest; `drawn` (the default, so older
        /// configs reproduce their models): v1's drawn views.
        #[serde(default)]
        anatomy: Anatomy,
    },
    /// Labelled files listed in a manifest CSV with `file` and `view` columns.
    Manifest { path: String },
}

/// How batches are drawn from the classes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplerConfig {
    /// Class probability proportional to frequency^power: 0 = balanced, 1 = plain shuffling.
    pub power: f64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self { power: 0.0 }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            preset: "lite".into(),
            seed: 1,
            steps: 3000,
            batch_size: 8,
            learning_rate: 2e-3,
            weight_decay: 1e-4,
            warmup_steps: 100,
            validate_every: 250,
            validation_per_class: 6,
            patience: 0,
            data: DataConfig::Phantom {
                clips_per_class: 100_000,
                class_counts: BTreeMap::new(),
                fresh_each_epoch: true,
                style: Style::Default,
                anatomy: Anatomy::Drawn,
            },
            sampler: SamplerConfig::default(),
            augment: Default::default(),
            class_weights: false,
            run_dir: "runs/lite".into(),
            output: "models/lite.ttev".into(),
            workers: 1,
            max_seconds: 0.0,
            stop_after: 0,
            init_from: None,
            auto_levels: false,
            blank_colour: false,
            local_contrast_px: 0,
            tissue_map_px: 0,
            grey: false,
            crop_size: 0,
        }
    }
}

impl TrainConfig {
    pub fn load(path: &str) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {path}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("config {path} is not valid: {e}"))
    }

    /// Learning rate at `step` after `elapsed` seconds: linear warm-up, then cosine decay to 2 % of
    /// the peak over the steps or the time budget, whichever is further along.
    pub fn lr_at(&self, step: usize, elapsed: f64) -> f64 {
        if step < self.warmup_steps {
            return self.learning_rate * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = (self.steps - self.warmup_steps).max(1) as f64;
        let mut p = ((step - self.warmup_steps) as f64 / span).min(1.0);
        if self.max_seconds > 0.0 {
            p = p.max((elapsed / self.max_seconds).min(1.0));
        }
        self.learning_rate * (0.02 + 0.98 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
    }

    /// The step the run ends at, unless its time budget ends it first.
    pub fn last_step(&self) -> usize {
        match self.stop_after {
            0 => self.steps,
            n => n.min(self.steps),
        }
    }

    /// Whether the time budget is spent.
    pub fn out_of_time(&self, elapsed: f64) -> bool {
        self.max_seconds > 0.0 && elapsed >= self.max_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_after_ends_the_run_early_on_the_full_schedule() {
        let full = TrainConfig {
            steps: 6000,
            warmup_steps: 20,
            ..Default::default()
        };
        let cut = TrainConfig {
            stop_after: 2800,
            ..full.clone()
        };
        assert_eq!((full.last_step(), cut.last_step()), (6000, 2800));
        assert_eq!(cut.lr_at(2799, 0.0), full.lr_at(2799, 0.0));
        assert!(
            cut.lr_at(2799, 0.0) > 0.3 * cut.learning_rate,
            "the cut run ends mid-schedule"
        );
        let beyond = TrainConfig {
            stop_after: 9000,
            ..full
        };
        assert_eq!(beyond.last_step(), 6000);
    }
}

impl TrainConfig {
    /// The phantom anatomy this config trains on (drawn for manifest data, which has none).
    pub fn anatomy(&self) -> Anatomy {
        match &self.data {
            DataConfig::Phantom { anatomy, .. } => *anatomy,
            DataConfig::Manifest { .. } => Anatomy::Drawn,
        }
    }
}

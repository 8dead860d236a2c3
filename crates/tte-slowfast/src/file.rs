//! One file per trained model: its config, its ordered labels, its input normalisation and its
//! weights together, so a model can never be paired with the wrong label list.
//!
//! Layout: `TTEVMODL` magic, u32 LE format version, u64 LE length of a JSON header, the header
//! ([`ModelMeta`]), then the weights: Burn's burnpack bytes stored as f32 or f16, or
//! ([`crate::q8`]) 8-bit integers with per-channel scales, the web app's download; loading
//! makes them the network's f32 whichever way they were stored.

use burn::module::Module;
use burn::module::{ModuleMapper, Param};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::config::SlowFastConfig;
use crate::model::SlowFast;

const MAGIC: &[u8; 8] = b"TTEVMODL";
const FORMAT_VERSION: u32 = 1;
/// Headers are small JSON; anything bigger is a corrupt or hostile file.
const MAX_HEADER: u64 = 1 << 20;

/// What a model expects and answers, stored in front of its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Preset the config started from (`lite`, `r50`) or `custom`.
    pub preset: String,
    pub config: SlowFastConfig,
    /// Class codes in the order of the network's outputs.
    pub labels: Vec<String>,
    /// Input pixels are mapped to `(x / 255 - mean) / std` per channel.
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Seconds of clip the Fast frames are spread over (0 = the whole clip).
    pub window_s: f32,
    /// Free text: what it was trained on, by which command.
    pub notes: String,
    /// How the weights after the header are stored: `f32`, or `f16` (half the download).
    #[serde(default = "f32_name")]
    pub stored_as: String,
    /// Whether each clip's grey levels are scaled to a fixed 99th percentile before the network
    /// (undoing most of the scanner's gain setting); models from before this existed were not.
    #[serde(default)]
    pub auto_levels: bool,
    /// Whether saturated colour (colour Doppler, coloured overlays) is blanked to black before the
    /// network; models from before this existed were trained with colour kept.
    #[serde(default)]
    pub blank_colour: bool,
    /// Local contrast over this many pixels after levelling (`tte_preprocess::contrast`; 0 = off,
    /// as every model before it existed).
    #[serde(default)]
    pub local_contrast_px: usize,
    /// The tissue map's smoothing radius after levelling (`tte_preprocess::tissue`; 0 = off, as
    /// every model before it existed).
    #[serde(default)]
    pub tissue_map_px: usize,
    /// How far batch norm moves from its training statistics towards each clip's own at
    /// inference (0 = plain inference, 1 = the clip's alone; [`crate::SlowFast::forward_adapted`]).
    /// A real screen differs from the phantom in level and contrast at every layer; adapting
    /// undoes part of that. Recorded here so every face answers alike.
    #[serde(default)]
    pub bn_adapt: f32,
    /// The phantom anatomy it was trained on (`drawn`: v1's drawn views; `cut`: v2's views cut
    /// from the 3-D chest), so its tests and evaluation render the phantom it knows.
    #[serde(default = "drawn_name")]
    pub anatomy: String,
    /// How the network's probabilities are read ([`ModelMeta::calibrated`]), fitted on phantom
    /// clips it never trained on (`tteview calibrate`): log-probabilities divided by
    /// `temperature` (over-confidence undone) and OTHER's raised by `other_bias`.
    #[serde(default = "one")]
    pub temperature: f32,
    #[serde(default)]
    pub other_bias: f32,
    /// Below this calibrated top probability an answer is reported as uncertain.
    #[serde(default = "default_unsure_below")]
    pub unsure_below: f32,
}

fn one() -> f32 {
    1.0
}

/// The threshold of models calibrated before `unsure_below` was recorded.
pub const DEFAULT_UNSURE_BELOW: f32 = 0.6;

fn default_unsure_below() -> f32 {
    DEFAULT_UNSURE_BELOW
}

fn drawn_name() -> String {
    "drawn".into()
}

fn f32_name() -> String {
    "f32".into()
}

impl ModelMeta {
    /// The clip shape and normalisation this model expects: the one place a model's metadata
    /// becomes preprocessing settings, so every face (CLI, web, bench, training) feeds it alike.
    pub fn clip_spec(&self) -> tte_preprocess::ClipSpec {
        tte_preprocess::ClipSpec {
            frames: self.config.frames,
            size: self.config.crop_size,
            channels: self.config.input_channels,
            window_s: self.window_s as f64,
            mean: self.mean,
            std: self.std,
            auto_levels: self.auto_levels,
            blank_colour: self.blank_colour,
            local_contrast_px: self.local_contrast_px,
            tissue_map_px: self.tissue_map_px,
        }
    }

    /// Metadata for a freshly initialised network with the project's default normalisation.
    pub fn new(preset: &str, config: SlowFastConfig, labels: Vec<String>) -> Self {
        Self {
            preset: preset.to_string(),
            config,
            labels,
            mean: [0.5; 3],
            std: [0.25; 3],
            window_s: 1.0,
            notes: String::new(),
            stored_as: f32_name(),
            auto_levels: false,
            blank_colour: false,
            local_contrast_px: 0,
            tissue_map_px: 0,
            bn_adapt: 0.0,
            anatomy: drawn_name(),
            temperature: 1.0,
            other_bias: 0.0,
            unsure_below: DEFAULT_UNSURE_BELOW,
        }
    }

    /// The network's probability row as this model's calibration reads it (a plain softmax row
    /// is returned unchanged when temperature is 1 and the OTHER bias 0). Every face calls this,
    /// so the CLI, the page and the bench report the same numbers.
    pub fn calibrated(&self, probs: &[f32]) -> Vec<f32> {
        calibrate(
            probs,
            self.temperature,
            self.other_bias,
            self.labels.iter().position(|l| l == "OTHER"),
        )
    }

    /// Whether a calibrated top probability is read as uncertain.
    pub fn is_unsure(&self, confidence: f32) -> bool {
        confidence < self.unsure_below
    }

    fn check(&self) -> Result<(), ModelFileError> {
        if self.labels.len() != self.config.num_classes {
            return Err(ModelFileError::LabelMismatch {
                labels: self.labels.len(),
                classes: self.config.num_classes,
            });
        }
        Ok(())
    }
}

/// Softmax of `ln(p) / temperature`, plus `other_bias` on the OTHER class when there is one.
pub fn calibrate(
    probs: &[f32],
    temperature: f32,
    other_bias: f32,
    other: Option<usize>,
) -> Vec<f32> {
    if temperature == 1.0 && (other_bias == 0.0 || other.is_none()) {
        return probs.to_vec();
    }
    let t = temperature.max(1e-3);
    let logits: Vec<f32> = probs
        .iter()
        .enumerate()
        .map(|(i, &p)| p.max(1e-30).ln() / t + if Some(i) == other { other_bias } else { 0.0 })
        .collect();
    let top = logits.iter().copied().fold(f32::MIN, f32::max);
    let e: Vec<f32> = logits.iter().map(|l| (l - top).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// Why a model file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("not a TTEView model file (missing TTEVMODL magic)")]
    NotAModel,
    #[error("model file format {0} is newer than this build understands ({FORMAT_VERSION}); update tteview")]
    TooNew(u32),
    #[error("model file is truncated or its header is corrupt")]
    Truncated,
    #[error("model header is not valid JSON: {0}")]
    Header(#[from] serde_json::Error),
    #[error("model lists {labels} labels but its network has {classes} outputs")]
    LabelMismatch { labels: usize, classes: usize },
    #[error("model weights do not fit its config: {0}")]
    Weights(String),
    #[error("cannot read or write the model file: {0}")]
    Io(#[from] std::io::Error),
}

/// A network with the metadata that gives its outputs meaning.
#[derive(Debug)]
pub struct TrainedModel {
    pub meta: ModelMeta,
    pub net: SlowFast,
}

impl TrainedModel {
    /// Serialises metadata and f32 weights into one buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        self.to_bytes_as(DType::F32)
    }

    /// Serialises with the weights stored as `dtype`: F32; F16 for half the size (values
    /// rounded to the nearest f16); I8 for a quarter ([`crate::q8`]: per-channel 8-bit
    /// convolution and linear weights, the rest f32). All are read back as f32.
    pub fn to_bytes_as(&self, dtype: DType) -> Result<Vec<u8>, ModelFileError> {
        self.meta.check()?;
        let stored_as = match dtype {
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::I8 => "q8",
            other => {
                return Err(ModelFileError::Weights(format!(
                    "cannot store weights as {other:?}; use F32, F16 or I8"
                )))
            }
        };
        let header = serde_json::to_vec(&ModelMeta {
            stored_as: stored_as.into(),
            ..self.meta.clone()
        })?;
        let record = |net: SlowFast| {
            net.into_record()
                .into_bytes()
                .map_err(|e| ModelFileError::Weights(format!("{e:?}")))
        };
        let mut weights = if dtype == DType::I8 {
            burn::tensor::Bytes::from_bytes_vec(crate::q8::encode(&self.net))
        } else {
            record(self.net.clone())?
        };
        if dtype == DType::F16 {
            // Cast an independent copy: a module clone shares its batch-norm statistics, and
            // casting those in place would change the caller's network.
            let copy = self.meta.config.init(&Device::flex()).load_record(
                ModuleRecord::from_bytes(weights)
                    .map_err(|e| ModelFileError::Weights(format!("{e:?}")))?,
            );
            weights = record(copy.map(&mut CastFloats(dtype)))?;
        }
        let mut out = Vec::with_capacity(20 + header.len() + weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&weights);
        Ok(out)
    }

    /// Reads only the header (cheap: no tensors are built).
    pub fn read_meta(bytes: &[u8]) -> Result<(ModelMeta, usize), ModelFileError> {
        if bytes.len() < 20 || &bytes[..8] != MAGIC {
            return Err(if bytes.len() >= 8 && &bytes[..8] != MAGIC {
                ModelFileError::NotAModel
            } else {
                ModelFileError::Truncated
            });
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version > FORMAT_VERSION {
            return Err(ModelFileError::TooNew(version));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap());
        if len > MAX_HEADER || 20 + len as usize > bytes.len() {
            return Err(ModelFileError::Truncated);
        }
        let end = 20 + len as usize;
        let meta: ModelMeta = serde_json::from_slice(&bytes[20..end])?;
        meta.check()?;
        Ok((meta, end))
    }

    /// The same file with a new header and its weight bytes untouched (no re-encoding, so 8-bit
    /// weights stay bit for bit): how calibration is recorded. The new header must describe
    /// the same network and storage.
    pub fn with_meta(bytes: &[u8], meta: &ModelMeta) -> Result<Vec<u8>, ModelFileError> {
        let (old, offset) = Self::read_meta(bytes)?;
        meta.check()?;
        if old.config != meta.config || old.stored_as != meta.stored_as {
            return Err(ModelFileError::Weights(
                "a new header must keep the network's config and weight storage".into(),
            ));
        }
        let header = serde_json::to_vec(meta)?;
        let mut out = Vec::with_capacity(20 + header.len() + bytes.len() - offset);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&bytes[offset..]);
        Ok(out)
    }

    /// Builds the network its header describes on `device` and loads its weights.
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self, ModelFileError> {
        let (meta, offset) = Self::read_meta(bytes)?;
        if meta.stored_as == "q8" {
            // Built on the CPU, where the values are written in, then moved to `device`.
            let flex = Device::flex();
            let net = crate::q8::decode(meta.config.init(&flex), &bytes[offset..], &flex)
                .map_err(ModelFileError::Weights)?
                .to_device(device);
            return Ok(Self { meta, net });
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes[offset..].to_vec()))
            .map_err(|e| ModelFileError::Weights(format!("{e:?}")))?
            .cast_to_module_dtype();
        let load = |device: &Device| {
            meta.config
                .init(device)
                .try_load_record(record)
                .map_err(|e| ModelFileError::Weights(format!("{e:?}")))
        };
        let net = match meta.stored_as.as_str() {
            "f32" => load(device)?,
            // Half-precision weights become f32 on the CPU first (batch-norm statistics keep the
            // record's dtype on load, and not every GPU has f16), then move to `device`.
            "f16" => load(&Device::flex())?
                .map(&mut CastFloats(DType::F32))
                .to_device(device),
            other => {
                return Err(ModelFileError::Weights(format!(
                    "weights stored as `{other}`, which this build cannot read; update tteview"
                )))
            }
        };
        Ok(Self { meta, net })
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), ModelFileError> {
        Ok(std::fs::write(path, self.to_bytes()?)?)
    }

    /// Saves with f16 weights (half the size of [`save`](Self::save)).
    pub fn save_half(&self, path: &std::path::Path) -> Result<(), ModelFileError> {
        Ok(std::fs::write(path, self.to_bytes_as(DType::F16)?)?)
    }

    pub fn load(path: &std::path::Path, device: &Device) -> Result<Self, ModelFileError> {
        Self::from_bytes(&std::fs::read(path)?, device)
    }
}

/// Casts every float parameter and buffer of a module to one dtype.
struct CastFloats(DType);

impl ModuleMapper for CastFloats {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        Param::from_mapped_value(id, tensor.cast(self.0), mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tensor};

    fn tiny() -> SlowFastConfig {
        let mut cfg = SlowFastConfig::lite(3);
        cfg.crop_size = 32;
        cfg.frames = 8;
        cfg
    }

    fn model() -> TrainedModel {
        let cfg = tiny();
        let labels = vec!["A4C".into(), "PLAX".into(), "OTHER".into()];
        TrainedModel {
            meta: ModelMeta::new("custom", cfg.clone(), labels),
            net: cfg.init(&Device::flex()),
        }
    }

    #[test]
    fn clip_spec_follows_the_metadata() {
        let mut meta = model().meta;
        meta.auto_levels = true;
        meta.blank_colour = true;
        meta.local_contrast_px = 8;
        meta.window_s = 1.5;
        let spec = meta.clip_spec();
        assert_eq!(
            (spec.frames, spec.size, spec.channels),
            (8, 32, meta.config.input_channels)
        );
        assert!(spec.auto_levels && spec.blank_colour);
        assert_eq!(spec.local_contrast_px, 8);
        assert_eq!(spec.window_s, 1.5);
        assert_eq!((spec.mean, spec.std), (meta.mean, meta.std));
    }

    #[test]
    fn round_trip_keeps_weights_labels_and_outputs() {
        let device = Device::flex();
        let m = model();
        let clip: Tensor<5> =
            Tensor::random([1, 3, 8, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        let before = m.net.forward(clip.clone()).into_data();
        let back = TrainedModel::from_bytes(&m.to_bytes().unwrap(), &device).unwrap();
        assert_eq!(back.meta, m.meta);
        back.net
            .forward(clip)
            .into_data()
            .assert_approx_eq::<f32>(&before, burn::tensor::Tolerance::absolute(1e-6));
    }

    #[test]
    fn preparation_flags_are_recorded_and_older_files_load_without_them() {
        let device = Device::flex();
        let mut m = model();
        m.meta.auto_levels = true;
        m.meta.blank_colour = true;
        m.meta.bn_adapt = 0.5;
        m.meta.anatomy = "cut".into();
        m.meta.local_contrast_px = 6;
        m.meta.tissue_map_px = 2;
        let back = TrainedModel::from_bytes(&m.to_bytes().unwrap(), &device).unwrap();
        assert!(back.meta.auto_levels && back.meta.blank_colour);
        assert_eq!(
            (back.meta.bn_adapt, back.meta.anatomy.as_str()),
            (0.5, "cut")
        );
        assert_eq!(back.meta.local_contrast_px, 6);
        assert_eq!(back.meta.clip_spec().tissue_map_px, 2);
        // A header written before the fields existed: the clip was neither levelled nor blanked,
        // batch norm not adapted, and the network learned v1's drawn phantom.
        let mut header: serde_json::Value = serde_json::to_value(&m.meta).unwrap();
        let fields = header.as_object_mut().unwrap();
        for f in [
            "auto_levels",
            "blank_colour",
            "local_contrast_px",
            "tissue_map_px",
            "bn_adapt",
            "anatomy",
        ] {
            fields.remove(f);
        }
        let old: ModelMeta = serde_json::from_value(header).unwrap();
        assert!(!old.auto_levels && !old.blank_colour && old.local_contrast_px == 0);
        assert_eq!(old.tissue_map_px, 0);
        assert_eq!((old.bn_adapt, old.anatomy.as_str()), (0.0, "drawn"));
    }

    #[test]
    fn calibration_is_recorded_and_reads_rows_as_stated() {
        let mut m = model();
        let row = vec![0.7f32, 0.2, 0.1];
        // Uncalibrated: the row as it is, and the old fixed threshold.
        assert_eq!(m.meta.calibrated(&row), row);
        assert!(m.meta.is_unsure(0.59) && !m.meta.is_unsure(0.6));
        m.meta.temperature = 2.0;
        m.meta.other_bias = 1.0;
        m.meta.unsure_below = 0.8;
        let c = m.meta.calibrated(&row);
        // ln p / 2 (+1 for OTHER), softmaxed: sqrt(0.7) : sqrt(0.2) : e * sqrt(0.1).
        let raw = [
            0.7f32.sqrt(),
            0.2f32.sqrt(),
            std::f32::consts::E * 0.1f32.sqrt(),
        ];
        let sum: f32 = raw.iter().sum();
        for (a, b) in c.iter().zip(raw) {
            assert!((a - b / sum).abs() < 1e-5, "{c:?}");
        }
        // Rewriting the header keeps the weights bit for bit.
        let bytes = m.to_bytes().unwrap();
        let rewritten = TrainedModel::with_meta(&bytes, &m.meta).unwrap();
        let (_, off_old) = TrainedModel::read_meta(&bytes).unwrap();
        let (read, off_new) = TrainedModel::read_meta(&rewritten).unwrap();
        assert_eq!(read, m.meta);
        assert_eq!(bytes[off_old..], rewritten[off_new..]);
        let mut other_net = m.meta.clone();
        other_net.config.num_classes = 4;
        other_net.labels.push("SSN".into());
        assert!(TrainedModel::with_meta(&bytes, &other_net).is_err());
        let header = serde_json::to_value(&m.meta).unwrap();
        let back: ModelMeta = serde_json::from_value(header.clone()).unwrap();
        assert_eq!(
            (back.temperature, back.other_bias, back.unsure_below),
            (2.0, 1.0, 0.8)
        );
        // Older headers: no calibration, the fixed threshold.
        let mut old = header;
        for f in ["temperature", "other_bias", "unsure_below"] {
            old.as_object_mut().unwrap().remove(f);
        }
        let old: ModelMeta = serde_json::from_value(old).unwrap();
        assert_eq!(
            (old.temperature, old.other_bias, old.unsure_below),
            (1.0, 0.0, DEFAULT_UNSURE_BELOW)
        );
    }

    #[test]
    fn half_precision_file_is_half_the_size_and_answers_the_same() {
        let device = Device::flex();
        let m = model();
        let clip: Tensor<5> =
            Tensor::random([2, 3, 8, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        let full = m.to_bytes().unwrap();
        let half = m.to_bytes_as(DType::F16).unwrap();
        let (_, header) = TrainedModel::read_meta(&full).unwrap();
        let ratio = (half.len() - header) as f64 / (full.len() - header) as f64;
        assert!(
            (0.45..0.56).contains(&ratio),
            "weights shrank to {ratio:.3}"
        );
        let back = TrainedModel::from_bytes(&half, &device).unwrap();
        assert_eq!(back.meta.stored_as, "f16");
        assert_eq!(back.meta.labels, m.meta.labels);
        let want = m.net.probabilities(clip.clone()).into_data();
        let got = back.net.probabilities(clip).into_data();
        got.assert_approx_eq::<f32>(&want, burn::tensor::Tolerance::absolute(2e-3));
        // Loaded weights are f32 again, so every backend runs the network as trained.
        assert_eq!(back.net.head.weight.val().dtype(), DType::F32);
    }

    #[test]
    fn eight_bit_file_is_a_quarter_of_the_weights_and_answers_nearly_the_same() {
        let device = Device::flex();
        let m = model();
        let clip: Tensor<5> =
            Tensor::random([2, 3, 8, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        let full = m.to_bytes().unwrap();
        let q8 = m.to_bytes_as(DType::I8).unwrap();
        let (_, header) = TrainedModel::read_meta(&full).unwrap();
        let ratio = (q8.len() - header) as f64 / (full.len() - header) as f64;
        assert!((0.2..0.32).contains(&ratio), "weights shrank to {ratio:.3}");
        let back = TrainedModel::from_bytes(&q8, &device).unwrap();
        assert_eq!(back.meta.stored_as, "q8");
        // Every batch-norm statistic comes back exactly (stored f32), and outputs stay close.
        let rv = |n: &SlowFast| n.fast_stem.bn.running_var.value().into_data();
        assert_eq!(rv(&back.net), rv(&m.net));
        let want = m.net.probabilities(clip.clone()).into_data();
        let got = back.net.probabilities(clip).into_data();
        got.assert_approx_eq::<f32>(&want, burn::tensor::Tolerance::absolute(1e-2));
        assert_eq!(back.net.head.weight.val().dtype(), DType::F32);
    }

    #[test]
    fn a_damaged_eight_bit_file_is_refused_with_a_reason() {
        let q8 = model().to_bytes_as(DType::I8).unwrap();
        let (_, header) = TrainedModel::read_meta(&q8).unwrap();
        let err = |b: &[u8]| {
            TrainedModel::from_bytes(b, &Device::flex())
                .unwrap_err()
                .to_string()
        };
        assert!(err(&q8[..q8.len() - 10]).contains("truncated"));
        let mut longer = q8.clone();
        longer.extend_from_slice(&[0; 3]);
        assert!(err(&longer).contains("after the last weight tensor"));
        let mut wrong_kind = q8.clone();
        wrong_kind[header] = 9;
        assert!(err(&wrong_kind).contains("kind 9"));
        let mut wrong_count = q8;
        wrong_count[header + 1] ^= 0x40;
        assert!(err(&wrong_count).contains("values where the network has"));
    }

    #[test]
    fn a_label_list_that_does_not_fit_the_network_is_refused() {
        let mut m = model();
        m.meta.labels.pop();
        assert!(matches!(
            m.to_bytes(),
            Err(ModelFileError::LabelMismatch {
                labels: 2,
                classes: 3
            })
        ));
    }

    #[test]
    fn broken_files_give_specific_errors() {
        let device = Device::flex();
        let bytes = model().to_bytes().unwrap();
        assert!(matches!(
            TrainedModel::from_bytes(b"GIF89a not a model at all", &device),
            Err(ModelFileError::NotAModel)
        ));
        assert!(matches!(
            TrainedModel::from_bytes(&bytes[..15], &device),
            Err(ModelFileError::Truncated)
        ));
        assert!(matches!(
            TrainedModel::from_bytes(&bytes[..100], &device),
            Err(ModelFileError::Truncated)
        ));
        let cut = bytes.len() - 1000;
        assert!(matches!(
            TrainedModel::from_bytes(&bytes[..cut], &device),
            Err(ModelFileError::Weights(_))
        ));
    }
}

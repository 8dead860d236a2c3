//! From a clip's bytes to view probabilities: decode, preprocess, infer, with timings.
//!
//! The backend is the caller's: pass a model built on whatever device the edge chose.

use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;
use std::time::Instant;
use tte_media::{Limits, Source};
use tte_preprocess::{ClipSpec, Prepared};
use tte_slowfast::TrainedModel;

/// Why a clip got no answer.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{0}")]
    Media(#[from] tte_media::MediaError),
    #[error("cannot prepare the clip: {0}")]
    Prep(#[from] tte_preprocess::PrepError),
    #[error("inference failed: {0}")]
    Inference(String),
}

/// One answer: the top view, every probability, and where the time went.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    pub view: String,
    pub confidence: f32,
    /// The top probability is under the model's `unsure_below`: treat the view as uncertain.
    pub unsure: bool,
    /// (class code, probability) in the model's label order.
    pub probabilities: Vec<(String, f32)>,
    pub timings: Timings,
    pub frames_used: Vec<usize>,
    pub sector: [usize; 4],
    /// Share of the picture showing an echo ([`tte_preprocess::levels::echo_share`]).
    pub echo_share: f32,
    /// The file was a still picture (PNG or JPEG): the network saw no motion.
    pub still: bool,
    pub warnings: Vec<String>,
}

/// A clip decoded and prepared for the network, with what the answer will need to say.
pub struct Decoded {
    pub prepared: Prepared,
    pub warnings: Vec<String>,
    pub timings: Timings,
    pub still: bool,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Timings {
    pub decode_ms: f64,
    pub preprocess_ms: f64,
    pub inference_ms: f64,
}

impl Timings {
    pub fn end_to_end_ms(&self) -> f64 {
        self.decode_ms + self.preprocess_ms + self.inference_ms
    }
}

/// Decodes only the frames the model will see (memory stays bounded on long clips) and prepares them.
pub fn decode_and_prepare(
    bytes: Vec<u8>,
    spec: &ClipSpec,
    limits: &Limits,
) -> Result<Decoded, PipelineError> {
    let t0 = Instant::now();
    let mut src = Source::open(bytes, limits)?;
    let indices = tte_preprocess::plan(src.times(), spec);
    let frames = src.frames(&indices, limits)?;
    let regions = src.regions().to_vec();
    let warnings = src.warnings().to_vec();
    let still = src.probe().still;
    let decode_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = Instant::now();
    // The frames are already the sampled ones, in order: sample them again 1:1 by index.
    let times: Vec<f64> = (0..frames.len()).map(|i| i as f64).collect();
    let mut spec1 = spec.clone();
    spec1.window_s = 0.0;
    let mut prepared = tte_preprocess::prepare_frames(&frames, &times, &regions, &spec1, 0.0)?;
    prepared.indices = indices;
    prepared.spec = spec.clone();
    let preprocess_ms = t1.elapsed().as_secs_f64() * 1e3;
    Ok(Decoded {
        prepared,
        warnings,
        timings: Timings {
            decode_ms,
            preprocess_ms,
            inference_ms: 0.0,
        },
        still,
    })
}

/// Runs the network on a batch of prepared clips; returns one probability row per clip.
pub fn infer(
    model: &TrainedModel,
    clips: &[&Prepared],
    device: &Device,
) -> Result<Vec<Vec<f32>>, PipelineError> {
    let Some(first) = clips.first() else {
        return Ok(vec![]);
    };
    let [c, t, h, w] = first.shape();
    let adapt = model.meta.bn_adapt as f64;
    // Adapted batch norm takes its statistics from the batch: one clip at a time, so each clip
    // is normalised by its own, whatever else is in the batch.
    if adapt > 0.0 && clips.len() > 1 {
        let mut rows = Vec::new();
        for p in clips {
            rows.extend(infer(model, &[p], device)?);
        }
        return Ok(rows);
    }
    let mut data = Vec::with_capacity(clips.len() * c * t * h * w);
    for p in clips {
        data.extend_from_slice(&p.data);
    }
    let x = Tensor::<5>::from_data(TensorData::new(data, [clips.len(), c, t, h, w]), device);
    let probs = model.net.probabilities_adapted(x, adapt).into_data();
    let flat = probs
        .try_to_vec::<f32>()
        .map_err(|e| PipelineError::Inference(format!("{e:?}")))?;
    Ok(flat
        .chunks(model.meta.labels.len())
        .map(<[f32]>::to_vec)
        .collect())
}

/// Turns a probability row into a labelled prediction.
pub fn label(model: &TrainedModel, probs: Vec<f32>) -> (String, f32, Vec<(String, f32)>) {
    let probs = model.meta.calibrated(&probs);
    let (best, conf) =
        probs
            .iter()
            .enumerate()
            .fold((0, f32::MIN), |a, (i, &p)| if p > a.1 { (i, p) } else { a });
    let named = model.meta.labels.iter().cloned().zip(probs).collect();
    (model.meta.labels[best].clone(), conf, named)
}

/// The whole path for one file.
pub fn classify_bytes(
    model: &TrainedModel,
    bytes: Vec<u8>,
    device: &Device,
    limits: &Limits,
) -> Result<Prediction, PipelineError> {
    let spec = model.meta.clip_spec();
    let mut d = decode_and_prepare(bytes, &spec, limits)?;
    let t = Instant::now();
    let probs = infer(model, &[&d.prepared], device)?.remove(0);
    d.timings.inference_ms = t.elapsed().as_secs_f64() * 1e3;
    Ok(prediction(model, d, probs))
}

/// Assembles the answer for one prepared clip from its probability row.
pub fn prediction(model: &TrainedModel, d: Decoded, probs: Vec<f32>) -> Prediction {
    let Decoded {
        prepared,
        mut warnings,
        timings,
        still,
    } = d;
    let (view, confidence, probabilities) = label(model, probs);
    let s = prepared.sector;
    warnings.extend(tte_preprocess::dark_picture_warning(&prepared));
    Prediction {
        view,
        confidence,
        unsure: model.meta.is_unsure(confidence),
        probabilities,
        timings,
        frames_used: prepared.indices,
        sector: [s.x0, s.y0, s.x1, s.y1],
        echo_share: prepared.echo_share,
        still,
        warnings,
    }
}

//! Weight averaging of models fine-tuned from one start (a "model soup"): every weight and
//! batch-norm statistic becomes the weighted mean of the models' values.
//!
//! Why: fine-tunes of one network stay in one basin of the loss, and the average of their
//! weights tends to generalise to shifted inputs better than any one of them (Wortsman et al.,
//! 2022). It costs nothing at inference: the result is one network of the same size.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};

use crate::file::{ModelFileError, TrainedModel};

/// Averages `models` with `weights` (normalised to sum to one). The first model gives the
/// result its metadata (labels, normalisation, preparation flags); the others must share its
/// network config, labels and normalisation, or the average would be meaningless.
pub fn average(
    mut models: Vec<TrainedModel>,
    weights: &[f32],
) -> Result<TrainedModel, ModelFileError> {
    if models.is_empty() || weights.len() != models.len() {
        return Err(ModelFileError::Weights(format!(
            "averaging needs one weight per model ({} models, {} weights)",
            models.len(),
            weights.len()
        )));
    }
    let total: f32 = weights.iter().sum();
    if !(total > 0.0) || weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(ModelFileError::Weights(
            "averaging weights must be non-negative and not all zero".into(),
        ));
    }
    let first = &models[0].meta;
    for other in &models[1..] {
        let m = &other.meta;
        if m.config != first.config || m.labels != first.labels {
            return Err(ModelFileError::Weights(
                "models to average must share one network config and label list".into(),
            ));
        }
        if m.mean != first.mean || m.std != first.std {
            return Err(ModelFileError::Weights(
                "models to average must share one input normalisation".into(),
            ));
        }
    }
    let mut mix = Mix {
        models: models
            .iter()
            .zip(weights)
            .map(|(m, w)| (floats_of(&m.net), w / total))
            .collect(),
        index: 0,
        error: None,
    };
    let base = models.swap_remove(0);
    let net = base.net.map(&mut mix);
    if let Some(e) = mix.error {
        return Err(ModelFileError::Weights(e));
    }
    Ok(TrainedModel {
        meta: base.meta,
        net,
    })
}

/// Every float tensor of a network (parameters and batch-norm statistics), in visiting order.
fn floats_of(net: &crate::SlowFast) -> Vec<Vec<f32>> {
    let mut visitor = Collect(Vec::new());
    net.visit(&mut visitor);
    visitor.0
}

struct Collect(Vec<Vec<f32>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(values_of(param.val()));
    }
}

/// A tensor's values as f32 (empty when they cannot be read, which the caller reports).
fn values_of<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

/// Replaces each tensor of the first model by the weighted mean of all models' values of it.
struct Mix {
    /// Every model's tensors in visiting order (the first model's included), with its weight.
    models: Vec<(Vec<Vec<f32>>, f32)>,
    index: usize,
    error: Option<String>,
}

impl ModuleMapper for Mix {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let index = self.index;
        self.index += 1;
        let shape = tensor.shape();
        let mut sum = vec![0f32; shape.num_elements()];
        for (values, w) in &self.models {
            match values.get(index) {
                Some(v) if v.len() == sum.len() => {
                    for (s, x) in sum.iter_mut().zip(v) {
                        *s += w * x;
                    }
                }
                // Unreadable values come back empty, so they land here too.
                _ => {
                    self.error.get_or_insert_with(|| {
                        format!("tensor {index} differs in shape between the models or could not be read as f32")
                    });
                    return Param::from_mapped_value(id, tensor, mapper);
                }
            }
        }
        let mixed = Tensor::<D>::from_data(TensorData::new(sum, shape), &tensor.device())
            .cast(tensor.dtype());
        Param::from_mapped_value(id, mixed, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{file::ModelMeta, SlowFastConfig};
    use burn::tensor::{Device, Distribution};

    fn model(seed_shift: f32) -> TrainedModel {
        let mut cfg = SlowFastConfig::lite(3);
        cfg.crop_size = 32;
        cfg.frames = 8;
        let labels = vec!["A4C".into(), "PLAX".into(), "OTHER".into()];
        let net = cfg.init(&Device::flex());
        // Move every value so the two models differ everywhere, batch-norm statistics included.
        let net = net.map(&mut Shift(seed_shift));
        TrainedModel {
            meta: ModelMeta::new("custom", cfg, labels),
            net,
        }
    }

    struct Shift(f32);
    impl ModuleMapper for Shift {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, t, m) = param.consume();
            Param::from_mapped_value(id, t.add_scalar(self.0), m)
        }
    }

    #[test]
    fn every_tensor_becomes_the_weighted_mean() {
        let a = model(0.0);
        let b = model(1.0);
        let (fa, fb) = (floats_of(&a.net), floats_of(&b.net));
        let mixed = average(vec![a, b], &[3.0, 1.0]).unwrap();
        let fm = floats_of(&mixed.net);
        assert_eq!(fm.len(), fa.len());
        for ((m, x), y) in fm.iter().zip(&fa).zip(&fb) {
            for ((m, x), y) in m.iter().zip(x).zip(y) {
                assert!((m - (0.75 * x + 0.25 * y)).abs() < 1e-5, "{m} vs {x}, {y}");
            }
        }
    }

    #[test]
    fn averaging_a_model_with_itself_changes_no_answer() {
        let device = Device::flex();
        let a = model(0.0);
        let again = TrainedModel::from_bytes(&a.to_bytes().unwrap(), &device).unwrap();
        let clip: Tensor<5> =
            Tensor::random([1, 3, 8, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        let want = a.net.probabilities(clip.clone()).into_data();
        let mixed = average(vec![a, again], &[1.0, 1.0]).unwrap();
        mixed
            .net
            .probabilities(clip)
            .into_data()
            .assert_approx_eq::<f32>(&want, burn::tensor::Tolerance::absolute(1e-5));
    }

    #[test]
    fn models_of_different_shape_or_labels_are_refused() {
        let a = model(0.0);
        let mut b = model(0.0);
        b.meta.labels.swap(0, 1);
        assert!(average(vec![a, b], &[1.0, 1.0]).is_err());
        let c = model(0.0);
        assert!(average(vec![c], &[]).is_err());
        let (d, e) = (model(0.0), model(0.0));
        assert!(average(vec![d, e], &[0.0, 0.0]).is_err());
    }
}

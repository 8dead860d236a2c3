//! The SlowFast network as Burn modules.

use burn::module::Module;
use burn::nn::conv::{Conv3d, Conv3dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::nn::{PaddingConfig2d, PaddingConfig3d};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Int, Tensor};

use crate::config::SlowFastConfig;

/// A bias-free 3-D convolution followed by batch norm (ReLU is applied by the caller).
#[derive(Module, Debug)]
pub struct ConvBn {
    pub conv: Conv3d,
    pub bn: BatchNorm,
}

impl ConvBn {
    fn new(
        c_in: usize,
        c_out: usize,
        kernel: [usize; 3],
        stride: [usize; 3],
        device: &Device,
    ) -> Self {
        let conv = Conv3dConfig::new([c_in, c_out], kernel)
            .with_stride(stride)
            .with_padding(PaddingConfig3d::Explicit(
                kernel[0] / 2,
                kernel[1] / 2,
                kernel[2] / 2,
            ))
            .with_bias(false)
            .init(device);
        // pytorchvideo's defaults (eps 1e-5, momentum 0.1), so imported weights behave identically.
        let bn = BatchNormConfig::new(c_out)
            .with_epsilon(1e-5)
            .with_momentum(0.1)
            .init(device);
        Self { conv, bn }
    }

    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        self.bn.forward(self.convolve(x))
    }

    /// The convolution: the stems' direct CPU kernel where it applies (inference on Flex), else
    /// Burn's.
    fn convolve(&self, x: Tensor<5>) -> Tensor<5> {
        crate::direct::try_conv3d(&self.conv, &x).unwrap_or_else(|| self.conv.forward(x))
    }

    /// Inference with batch norm's statistics moved towards the input's own: `adapt` 0 is the
    /// running statistics (plain inference), 1 the input's alone (AdaBN, Li et al. 2016). The
    /// blended variance is the mixture's, so it stays positive and equals either end at 0 and 1.
    pub fn forward_adapted(&self, x: Tensor<5>, adapt: f64) -> Tensor<5> {
        let y = self.convolve(x);
        if adapt <= 0.0 {
            return self.bn.forward(y);
        }
        let [n, c, t, h, w] = y.dims();
        let flat = y.clone().swap_dims(0, 1).reshape([c, n * t * h * w]);
        let (var, mean) = flat.var_mean_bias(1);
        let (mean, var) = (mean.reshape([c]), var.reshape([c]));
        let device = y.device();
        let run_mean = self.bn.running_mean.value().to_device(&device);
        let run_var = self.bn.running_var.value().to_device(&device);
        let shift = (mean.clone() - run_mean.clone()).powi_scalar(2);
        let blended_mean = run_mean.mul_scalar(1.0 - adapt) + mean.mul_scalar(adapt);
        let blended_var = run_var.mul_scalar(1.0 - adapt)
            + var.mul_scalar(adapt)
            + shift.mul_scalar(adapt * (1.0 - adapt));
        burn::tensor::module::batch_norm(
            y,
            self.bn.gamma.val(),
            self.bn.beta.val(),
            blended_mean,
            blended_var,
            self.bn.epsilon,
        )
    }
}

/// A ResNet bottleneck: Tx1x1 -> 1x3x3 (strided) -> 1x1x1, plus a projection shortcut when shapes change.
#[derive(Module, Debug)]
pub struct Bottleneck {
    pub conv_a: ConvBn,
    pub conv_b: ConvBn,
    pub conv_c: ConvBn,
    pub shortcut: Option<ConvBn>,
}

impl Bottleneck {
    fn new(
        c_in: usize,
        inner: usize,
        c_out: usize,
        t_kernel: usize,
        stride: usize,
        device: &Device,
    ) -> Self {
        let shortcut = (c_in != c_out || stride != 1)
            .then(|| ConvBn::new(c_in, c_out, [1, 1, 1], [1, stride, stride], device));
        Self {
            conv_a: ConvBn::new(c_in, inner, [t_kernel, 1, 1], [1, 1, 1], device),
            conv_b: ConvBn::new(inner, inner, [1, 3, 3], [1, stride, stride], device),
            conv_c: ConvBn::new(inner, c_out, [1, 1, 1], [1, 1, 1], device),
            shortcut,
        }
    }

    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        self.forward_adapted(x, 0.0)
    }

    /// [`ConvBn::forward_adapted`] through every batch norm of the block.
    pub fn forward_adapted(&self, x: Tensor<5>, adapt: f64) -> Tensor<5> {
        let skip = match &self.shortcut {
            Some(proj) => proj.forward_adapted(x.clone(), adapt),
            None => x.clone(),
        };
        let y = relu(self.conv_a.forward_adapted(x, adapt));
        let y = relu(self.conv_b.forward_adapted(y, adapt));
        relu(self.conv_c.forward_adapted(y, adapt) + skip)
    }
}

/// One residual stage of one pathway.
#[derive(Module, Debug)]
pub struct Stage {
    pub blocks: Vec<Bottleneck>,
}

impl Stage {
    fn new(
        c_in: usize,
        inner: usize,
        c_out: usize,
        depth: usize,
        t_kernel: usize,
        stride: usize,
        device: &Device,
    ) -> Self {
        let blocks = (0..depth)
            .map(|i| {
                let (c, s) = if i == 0 { (c_in, stride) } else { (c_out, 1) };
                Bottleneck::new(c, inner, c_out, t_kernel, s, device)
            })
            .collect();
        Self { blocks }
    }

    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        self.forward_adapted(x, 0.0)
    }

    /// [`ConvBn::forward_adapted`] through every block.
    pub fn forward_adapted(&self, x: Tensor<5>, adapt: f64) -> Tensor<5> {
        self.blocks
            .iter()
            .fold(x, |x, b| b.forward_adapted(x, adapt))
    }
}

/// The full two-pathway network. Input: `[batch, channels, frames, crop, crop]`, the Fast clip;
/// the Slow clip is taken from it inside the network, so callers hand over one tensor.
#[derive(Module, Debug)]
pub struct SlowFast {
    pub slow_stem: ConvBn,
    pub fast_stem: ConvBn,
    pub stem_pool: MaxPool2d,
    /// Fast -> Slow lateral connections into each stage: after the stem and after stages 1, 2 and 3.
    pub fusions: Vec<ConvBn>,
    pub slow_stages: Vec<Stage>,
    pub fast_stages: Vec<Stage>,
    pub dropout: Dropout,
    pub head: Linear,
    slow_indices: Vec<usize>,
}

impl SlowFastConfig {
    /// Builds the network on `device` (the caller's choice of backend).
    pub fn init(&self, device: &Device) -> SlowFast {
        let (ks, kt) = (self.stem_kernel, self.fast_stem_temporal);
        let slow_stem = ConvBn::new(
            self.input_channels,
            self.stem_width,
            [1, ks, ks],
            [1, 2, 2],
            device,
        );
        let fast_stem_width = self.fast(self.stem_width);
        let fast_stem = ConvBn::new(
            self.input_channels,
            fast_stem_width,
            [kt, ks, ks],
            [1, 2, 2],
            device,
        );
        let stem_pool = MaxPool2dConfig::new([3, 3])
            .with_strides([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init();

        let (mut slow_in, mut fast_in) = (self.stem_width, fast_stem_width);
        let (mut fusions, mut slow_stages, mut fast_stages) = (vec![], vec![], vec![]);
        for s in 0..4 {
            let fused = self.fused(fast_in);
            fusions.push(ConvBn::new(
                fast_in,
                fused,
                [self.fusion_kernel, 1, 1],
                [self.alpha, 1, 1],
                device,
            ));
            slow_in += fused;
            let (inner, stride) = (self.inner_widths[s], self.spatial_strides[s]);
            let slow_out = inner * self.expansion;
            slow_stages.push(Stage::new(
                slow_in,
                inner,
                slow_out,
                self.depths[s],
                self.slow_temporal[s],
                stride,
                device,
            ));
            let (fast_inner, fast_out) = (self.fast(inner), self.fast(inner) * self.expansion);
            fast_stages.push(Stage::new(
                fast_in,
                fast_inner,
                fast_out,
                self.depths[s],
                self.fast_temporal[s],
                stride,
                device,
            ));
            slow_in = slow_out;
            fast_in = fast_out;
        }

        SlowFast {
            slow_stem,
            fast_stem,
            stem_pool,
            fusions,
            slow_stages,
            fast_stages,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(slow_in + fast_in, self.num_classes).init(device),
            slow_indices: self.slow_indices(),
        }
    }
}

impl SlowFast {
    /// Class logits, `[batch, classes]`.
    pub fn forward(&self, clip: Tensor<5>) -> Tensor<2> {
        self.forward_adapted(clip, 0.0)
    }

    /// Class logits with batch norm adapted to the input ([`ConvBn::forward_adapted`]); with a
    /// batch of one clip, each clip is normalised by its own statistics blended with training's.
    pub fn forward_adapted(&self, clip: Tensor<5>, adapt: f64) -> Tensor<2> {
        let device = clip.device();
        let idx: Vec<i64> = self.slow_indices.iter().map(|&i| i as i64).collect();
        let idx = Tensor::<1, Int>::from_ints(idx.as_slice(), &device);
        let slow = clip.clone().select(2, idx);

        let mut slow = self.pool_spatial(relu(self.slow_stem.forward_adapted(slow, adapt)));
        let mut fast = self.pool_spatial(relu(self.fast_stem.forward_adapted(clip, adapt)));
        for s in 0..4 {
            if let Some(fusion) = self.fusions.get(s) {
                let lateral = relu(fusion.forward_adapted(fast.clone(), adapt));
                slow = Tensor::cat(vec![slow, lateral], 1);
            }
            slow = self.slow_stages[s].forward_adapted(slow, adapt);
            fast = self.fast_stages[s].forward_adapted(fast, adapt);
        }
        let features = Tensor::cat(vec![global_average(slow), global_average(fast)], 1);
        self.head.forward(self.dropout.forward(features))
    }

    /// The same network for one grey input channel: each stem's weights summed over its colour
    /// channels, and `config` (this network's) told so. With equal per-channel normalisation, a
    /// grey clip given as three equal channels and the one-channel clip give the same output, so
    /// a colour model starts a grey run where it stands (and its stems cost a third). A network
    /// that is not three-channel is returned as it is.
    pub fn into_grey(mut self, config: &mut SlowFastConfig) -> Self {
        if config.input_channels != 3 {
            return self;
        }
        config.input_channels = 1;
        for stem in [&mut self.slow_stem, &mut self.fast_stem] {
            let w = stem.conv.weight.val();
            stem.conv.weight = burn::module::Param::from_tensor(w.sum_dim(1).detach());
        }
        self
    }

    /// Trainable parameters, counted as PyTorch's `parameters()` does: Burn's `num_params` also
    /// counts batch norm's running mean and variance, which are statistics, not parameters.
    pub fn trainable_params(&self) -> usize {
        let stages = self
            .slow_stages
            .iter()
            .chain(&self.fast_stages)
            .flat_map(|s| &s.blocks);
        let conv_bns = [&self.slow_stem, &self.fast_stem]
            .into_iter()
            .chain(&self.fusions)
            .chain(stages.flat_map(|b| {
                [&b.conv_a, &b.conv_b, &b.conv_c]
                    .into_iter()
                    .chain(b.shortcut.as_ref())
            }));
        let running: usize = conv_bns
            .map(|cb| 2 * cb.bn.gamma.shape().num_elements())
            .sum();
        self.num_params() - running
    }

    /// Class probabilities, `[batch, classes]`, each row summing to 1.
    pub fn probabilities(&self, clip: Tensor<5>) -> Tensor<2> {
        softmax(self.forward(clip), 1)
    }

    /// [`Self::probabilities`] with batch norm adapted to the input by `adapt` (0 = plain).
    pub fn probabilities_adapted(&self, clip: Tensor<5>, adapt: f64) -> Tensor<2> {
        softmax(self.forward_adapted(clip, adapt), 1)
    }

    /// The stem's (1,3,3) max pool: on the CPU a direct loop; elsewhere time folds into
    /// channels so Burn's 2-D pool does the work.
    pub fn pool_spatial(&self, x: Tensor<5>) -> Tensor<5> {
        if let Some(pooled) = crate::direct::try_max_pool_3x3_s2(&x) {
            return pooled;
        }
        let [b, c, t, h, w] = x.dims();
        let pooled = self.stem_pool.forward(x.reshape([b, c * t, h, w]));
        let [_, _, h2, w2] = pooled.dims();
        pooled.reshape([b, c, t, h2, w2])
    }
}

/// Mean over time and space: `[b, c, t, h, w]` -> `[b, c]`.
pub fn global_average(x: Tensor<5>) -> Tensor<2> {
    let [b, c, t, h, w] = x.dims();
    x.reshape([b, c, t * h * w]).mean_dim(2).reshape([b, c])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::pool::AdaptiveAvgPool3dConfig;
    use burn::tensor::{Distribution, TensorData};

    fn device() -> Device {
        Device::flex()
    }

    fn random_clip(cfg: &SlowFastConfig, batch: usize) -> Tensor<5> {
        let s = cfg.crop_size;
        Tensor::random(
            [batch, cfg.input_channels, cfg.frames, s, s],
            Distribution::Normal(0.0, 1.0),
            &device(),
        )
    }

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    fn small() -> SlowFastConfig {
        let mut cfg = SlowFastConfig::lite(5);
        (cfg.crop_size, cfg.frames) = (32, 8);
        cfg
    }

    #[test]
    fn a_grey_network_equals_its_colour_original_on_grey_clips() {
        let cfg = small();
        let colour = cfg.init(&device());
        let grey_clip = random_clip(
            &SlowFastConfig {
                input_channels: 1,
                ..small()
            },
            2,
        );
        let as_rgb = Tensor::cat(vec![grey_clip.clone(); 3], 1);
        let want = values(colour.probabilities(as_rgb));
        let mut grey_cfg = cfg.clone();
        let grey = colour.into_grey(&mut grey_cfg);
        assert_eq!(grey_cfg.input_channels, 1);
        let got = values(grey.probabilities(grey_clip));
        let worst = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "grey and colour differ by {worst}");
    }

    #[test]
    fn adapted_batch_norm_at_zero_is_plain_inference_and_moves_with_the_input() {
        let net = small().init(&device());
        let clip = random_clip(&small(), 1);
        let plain = values(net.probabilities(clip.clone()));
        assert_eq!(plain, values(net.probabilities_adapted(clip.clone(), 0.0)));
        // A brighter, wider clip: plain inference sees it shifted, full adaptation normalises
        // the stem's response away, so the two answers differ.
        let shifted = clip.clone().mul_scalar(3.0).add_scalar(2.0);
        let a = values(net.probabilities_adapted(shifted.clone(), 1.0));
        let b = values(net.probabilities(shifted));
        assert!(a.iter().zip(&b).any(|(x, y)| (x - y).abs() > 1e-4));
        assert!((a.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn built_parameters_equal_the_analytic_count() {
        for cfg in [SlowFastConfig::lite(13), SlowFastConfig::r50(400)] {
            let net = cfg.init(&device());
            assert_eq!(net.trainable_params() as u64, cfg.cost().params, "{cfg:?}");
        }
    }

    #[test]
    fn stem_pool_equals_a_direct_1x3x3_max_pool() {
        let cfg = SlowFastConfig::lite(13);
        let net = cfg.init(&device());
        let (b, c, t, h, w) = (2, 3, 4, 9, 8);
        let x: Tensor<5> =
            Tensor::random([b, c, t, h, w], Distribution::Normal(0.0, 1.0), &device());
        let input = x.to_data().try_to_vec::<f32>().unwrap();
        let got = net.pool_spatial(x);
        let [_, _, _, ho, wo] = got.dims();
        assert_eq!((ho, wo), (5, 4));
        let got = got.into_data().try_to_vec::<f32>().unwrap();
        let at = |bi: usize, ci: usize, ti: usize, y: usize, x: usize| {
            input[(((bi * c + ci) * t + ti) * h + y) * w + x]
        };
        let mut k = 0;
        for bi in 0..b {
            for ci in 0..c {
                for ti in 0..t {
                    for oy in 0..ho {
                        for ox in 0..wo {
                            let mut best = f32::NEG_INFINITY;
                            for dy in 0..3 {
                                for dx in 0..3 {
                                    let (y, x) =
                                        ((oy * 2 + dy) as isize - 1, (ox * 2 + dx) as isize - 1);
                                    if y >= 0 && x >= 0 && (y as usize) < h && (x as usize) < w {
                                        best = best.max(at(bi, ci, ti, y as usize, x as usize));
                                    }
                                }
                            }
                            assert_eq!(got[k], best, "at {bi},{ci},{ti},{oy},{ox}");
                            k += 1;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn global_average_equals_adaptive_avg_pool3d() {
        let x: Tensor<5> =
            Tensor::random([2, 5, 3, 7, 6], Distribution::Normal(0.0, 1.0), &device());
        let reference = AdaptiveAvgPool3dConfig::new([1, 1, 1])
            .init()
            .forward(x.clone())
            .reshape([2, 5]);
        let ours = global_average(x);
        ours.into_data().assert_approx_eq::<f32>(
            &reference.into_data(),
            burn::tensor::Tolerance::absolute(1e-5),
        );
    }

    fn assert_rows_are_distributions(probs: Vec<f32>, classes: usize, batch: usize) {
        assert_eq!(probs.len(), classes * batch);
        for row in probs.chunks(classes) {
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0).abs() < 1e-4, "row sums to {sum}");
            assert!(row.iter().all(|p| (0.0..=1.0).contains(p) && p.is_finite()));
        }
    }

    #[test]
    fn lite_forward_gives_one_distribution_per_clip() {
        let cfg = SlowFastConfig::lite(13);
        let net = cfg.init(&device());
        assert_rows_are_distributions(values(net.probabilities(random_clip(&cfg, 2))), 13, 2);
    }

    #[test]
    fn r50_forward_gives_one_distribution_per_clip() {
        let cfg = SlowFastConfig::r50(400);
        let net = cfg.init(&device());
        assert_rows_are_distributions(values(net.probabilities(random_clip(&cfg, 1))), 400, 1);
    }

    #[test]
    fn inference_does_not_depend_on_the_rest_of_the_batch() {
        // Batch norm must use running statistics at inference: a clip's answer cannot change with its batch-mates.
        let cfg = SlowFastConfig::lite(13);
        let net = cfg.init(&device());
        let pair = random_clip(&cfg, 2);
        let first = pair.clone().slice([0..1]);
        let alone = values(net.forward(first));
        let together = values(net.forward(pair));
        for (a, b) in alone.iter().zip(&together[..13]) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn slow_pathway_sees_the_pack_pathway_frames() {
        // A clip whose only non-zero frames are the ones the Slow pathway skips must look the same to
        // Slow as an all-zero clip; checked on the selected tensor directly.
        let cfg = SlowFastConfig::lite(13);
        let t = cfg.frames;
        let data: Vec<f32> = (0..t).map(|i| i as f32).collect();
        let clip = Tensor::<5>::from_data(TensorData::new(data, [1, 1, t, 1, 1]), &device());
        let idx: Vec<i64> = cfg.slow_indices().iter().map(|&i| i as i64).collect();
        let slow = clip.select(2, Tensor::<1, Int>::from_ints(idx.as_slice(), &device()));
        assert_eq!(
            slow.into_data().try_to_vec::<f32>().unwrap(),
            vec![0.0, 5.0, 10.0, 15.0]
        );
    }
}

//! Everything that sizes a SlowFast network, its two presets, and the parameter/MAC arithmetic.

use burn::config::Config;

/// Sizes of a SlowFast network (Feichtenhofer et al. 2019; pytorchvideo's `create_slowfast` layout).
///
/// Channel widths are given for the Slow pathway; the Fast pathway has `1/beta_inv` of them.
#[derive(Config, Debug, PartialEq)]
pub struct SlowFastConfig {
    /// Frames the Fast pathway sees (T). The Slow pathway sees `frames / alpha`.
    pub frames: usize,
    /// Temporal ratio between the pathways.
    pub alpha: usize,
    /// Channel ratio: the Fast pathway has `1 / beta_inv` of the Slow pathway's channels (beta = 1/8).
    pub beta_inv: usize,
    /// Lateral connections widen Fast features by this factor before joining Slow.
    pub fusion_ratio: usize,
    /// Temporal kernel of the lateral (Fast -> Slow) convolutions; their temporal stride is `alpha`.
    pub fusion_kernel: usize,
    /// Bottleneck blocks in each of the four residual stages.
    pub depths: [usize; 4],
    /// Output channels of the Slow stem.
    pub stem_width: usize,
    /// Inner (bottleneck) width of each Slow stage; a stage outputs `inner * expansion` channels.
    pub inner_widths: [usize; 4],
    /// Bottleneck expansion (4 in ResNet-50).
    pub expansion: usize,
    /// Temporal kernel of each stage's first conv, Slow pathway (1 = no temporal mixing).
    pub slow_temporal: [usize; 4],
    /// Temporal kernel of each stage's first conv, Fast pathway.
    pub fast_temporal: [usize; 4],
    /// Spatial kernel of both stems.
    pub stem_kernel: usize,
    /// Temporal kernel of the Fast stem (the Slow stem has 1).
    pub fast_stem_temporal: usize,
    /// Spatial stride of each stage's first block.
    pub spatial_strides: [usize; 4],
    /// Side of the square input crop, in pixels.
    pub crop_size: usize,
    /// Input channels (3 for RGB; 1 for grey-only models).
    pub input_channels: usize,
    /// Number of output classes.
    pub num_classes: usize,
    /// Dropout before the classifier.
    pub dropout: f64,
}

/// Counts for one clip at the config's input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cost {
    /// Trainable parameters (convolution and linear weights and biases, batch-norm scale and shift).
    pub params: u64,
    /// Multiply-accumulates of convolutions and the classifier for one clip.
    pub macs: u64,
}

impl SlowFastConfig {
    /// pytorchvideo's `slowfast_r50` (the 8x8 ResNet-50 model trained on Kinetics-400).
    pub fn r50(num_classes: usize) -> Self {
        Self {
            frames: 32,
            alpha: 4,
            beta_inv: 8,
            fusion_ratio: 2,
            fusion_kernel: 7,
            depths: [3, 4, 6, 3],
            stem_width: 64,
            inner_widths: [64, 128, 256, 512],
            expansion: 4,
            slow_temporal: [1, 1, 3, 3],
            fast_temporal: [3, 3, 3, 3],
            stem_kernel: 7,
            fast_stem_temporal: 5,
            spatial_strides: [1, 2, 2, 2],
            crop_size: 224,
            input_channels: 3,
            num_classes,
            dropout: 0.5,
        }
    }

    /// The browser default: 112x112, 16 Fast / 4 Slow frames, narrow and shallow.
    pub fn lite(num_classes: usize) -> Self {
        Self {
            frames: 16,
            alpha: 4,
            beta_inv: 4,
            fusion_ratio: 2,
            fusion_kernel: 5,
            depths: [1, 2, 2, 1],
            stem_width: 32,
            inner_widths: [32, 64, 96, 128],
            expansion: 4,
            slow_temporal: [1, 1, 3, 3],
            fast_temporal: [3, 3, 3, 3],
            stem_kernel: 5,
            fast_stem_temporal: 5,
            spatial_strides: [1, 2, 2, 2],
            crop_size: 112,
            input_channels: 3,
            num_classes,
            dropout: 0.3,
        }
    }

    /// A preset by name (`lite` or `r50`).
    pub fn preset(name: &str, num_classes: usize) -> Option<Self> {
        match name {
            "lite" => Some(Self::lite(num_classes)),
            "r50" => Some(Self::r50(num_classes)),
            _ => None,
        }
    }

    /// Frames of the Slow pathway.
    pub fn slow_frames(&self) -> usize {
        (self.frames / self.alpha).max(1)
    }

    /// Fast-pathway width for a Slow-pathway width.
    pub fn fast(&self, slow_width: usize) -> usize {
        (slow_width / self.beta_inv).max(1)
    }

    /// Channels the Slow pathway receives from a lateral connection carrying `fast_width` channels.
    pub fn fused(&self, fast_width: usize) -> usize {
        fast_width * self.fusion_ratio
    }

    /// Frame indices the Slow pathway takes from the Fast clip: evenly spaced from first to last,
    /// as pytorchvideo's `PackPathway` (`linspace(0, T-1, T/alpha)` truncated to integers).
    pub fn slow_indices(&self) -> Vec<usize> {
        let n = self.slow_frames();
        if n == 1 {
            return vec![0];
        }
        let last = (self.frames - 1) as f64;
        (0..n)
            .map(|i| (last * i as f64 / (n - 1) as f64) as usize)
            .collect()
    }

    /// Parameters and MACs, computed from the layer shapes (no tensors are allocated).
    pub fn cost(&self) -> Cost {
        let mut cost = CostCounter::default();
        let mut size = self.crop_size;
        let (t_slow, t_fast) = (self.slow_frames(), self.frames);

        // Stems: conv (stride 2) + BN, then a (1,3,3)/2 max pool.
        size = conv_out(size, self.stem_kernel, 2, self.stem_kernel / 2);
        cost.conv_bn(
            self.input_channels,
            self.stem_width,
            1,
            self.stem_kernel,
            t_slow * size * size,
        );
        let fast_stem = self.fast(self.stem_width);
        cost.conv_bn(
            self.input_channels,
            fast_stem,
            self.fast_stem_temporal,
            self.stem_kernel,
            t_fast * size * size,
        );
        size = conv_out(size, 3, 2, 1);

        let mut slow_in = self.stem_width;
        let mut fast_in = fast_stem;
        for stage in 0..4 {
            // Lateral connection into this stage.
            cost.conv_bn(
                fast_in,
                self.fused(fast_in),
                self.fusion_kernel,
                1,
                t_slow * size * size,
            );
            slow_in += self.fused(fast_in);
            let stride = self.spatial_strides[stage];
            let out_size = conv_out(size, 3, stride, 1);
            for (inner, t_kernel, t, input) in [
                (
                    self.inner_widths[stage],
                    self.slow_temporal[stage],
                    t_slow,
                    &mut slow_in,
                ),
                (
                    self.fast(self.inner_widths[stage]),
                    self.fast_temporal[stage],
                    t_fast,
                    &mut fast_in,
                ),
            ] {
                let out = inner * self.expansion;
                for block in 0..self.depths[stage] {
                    // The first block downsamples in its 3x3 conv, so its 1x1 conv_a still sees `size`.
                    let in_size = if block == 0 { size } else { out_size };
                    cost.conv_bn(*input, inner, t_kernel, 1, t * in_size * in_size);
                    cost.conv_bn(inner, inner, 1, 3, t * out_size * out_size);
                    cost.conv_bn(inner, out, 1, 1, t * out_size * out_size);
                    if block == 0 && (*input != out || stride != 1) {
                        cost.conv_bn(*input, out, 1, 1, t * out_size * out_size);
                    }
                    *input = out;
                }
            }
            size = out_size;
        }
        let features = (slow_in + fast_in) as u64;
        cost.params += features * self.num_classes as u64 + self.num_classes as u64;
        cost.macs += features * self.num_classes as u64;
        Cost {
            params: cost.params,
            macs: cost.macs,
        }
    }
}

/// Output size of a convolution or pool along one axis.
pub(crate) fn conv_out(size: usize, kernel: usize, stride: usize, pad: usize) -> usize {
    (size + 2 * pad - kernel) / stride + 1
}

#[derive(Default)]
struct CostCounter {
    params: u64,
    macs: u64,
}

impl CostCounter {
    /// A bias-free conv followed by batch norm, producing `out_positions` positions per channel.
    fn conv_bn(&mut self, c_in: usize, c_out: usize, kt: usize, ks: usize, out_positions: usize) {
        let weights = (c_in * c_out * kt * ks * ks) as u64;
        self.params += weights + 2 * c_out as u64;
        self.macs += weights * out_positions as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r50_with_400_classes_matches_pytorchvideo_published_34_57m() {
        let cost = SlowFastConfig::r50(400).cost();
        let published = 34.57e6;
        let rel = (cost.params as f64 - published).abs() / published;
        assert!(
            rel < 0.001,
            "r50 has {} params, {:.3} % from 34.57 M",
            cost.params,
            rel * 100.0
        );
    }

    #[test]
    fn r50_macs_match_pytorchvideo_model_zoo_65_71_gflops_at_256() {
        // The model zoo quotes 65.71 G "FLOPs" (multiply-accumulates) for SLOWFAST_8x8_R50 at 256x256.
        let mut cfg = SlowFastConfig::r50(400);
        cfg.crop_size = 256;
        let macs = cfg.cost().macs as f64;
        assert!((macs - 65.71e9).abs() / 65.71e9 < 0.001, "{macs}");
    }

    #[test]
    fn lite_fits_the_browser_budget() {
        let cost = SlowFastConfig::lite(13).cost();
        assert!(cost.params <= 4_000_000, "lite params {}", cost.params);
        assert!(cost.macs <= 1_500_000_000, "lite macs {}", cost.macs);
    }

    #[test]
    fn slow_indices_span_the_clip_like_pack_pathway() {
        assert_eq!(SlowFastConfig::lite(13).slow_indices(), vec![0, 5, 10, 15]);
        let r50 = SlowFastConfig::r50(400).slow_indices();
        assert_eq!(r50.len(), 8);
        assert_eq!((r50[0], r50[7]), (0, 31));
    }

    #[test]
    fn config_round_trips_through_json() {
        let cfg = SlowFastConfig::lite(13);
        let json = serde_json::to_string(&cfg).unwrap();
        let back: SlowFastConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(cfg, back);
    }
}

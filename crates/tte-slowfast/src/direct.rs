//! A direct 3-D convolution for the stems on the CPU. Burn's CPU backend (Flex) runs every
//! convolution as im2col + GEMM; for a stem (one to three input channels, a 5x5x5 or 1x5x5
//! kernel, few output channels) the im2col copy of 125 values per output pixel costs more than
//! the multiply-adds, and the GEMM is too thin to use the cores well. Here each kernel tap adds
//! a weighted, contiguous row of the (padded, de-interleaved) input into an output row: a loop
//! the compiler vectorises (SSE/AVX natively, SIMD128 in wasm). Inference only, and only on
//! Flex: training (autodiff) and the GPU keep Burn's convolution.

use burn::nn::conv::Conv3d;
use burn::nn::PaddingConfig3d;
use burn::tensor::{Device, Tensor, TensorData};

/// Whether the direct kernels may run on `x`: inference on Flex, unless `TTEVIEW_BURN_STEMS`
/// is set (benchmarks time Burn's kernels against these in one run that way).
fn applies(x: &Tensor<5>) -> bool {
    let device = x.device();
    // The switch is read once, not on every forward pass.
    static BURN_STEMS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let burn_stems = *BURN_STEMS.get_or_init(|| std::env::var_os("TTEVIEW_BURN_STEMS").is_some());
    device == Device::flex() && !device.is_autodiff() && !x.is_require_grad() && !burn_stems
}

/// The convolution of `x` by `conv` computed here, or `None` when it is not a case this
/// kernel takes (then `x` is untouched and the caller uses Burn's).
pub fn try_conv3d(conv: &Conv3d, x: &Tensor<5>) -> Option<Tensor<5>> {
    if !applies(x) {
        return None;
    }
    let device = x.device();
    let [c_out, c_in, kt, kh, kw] = conv.weight.val().dims();
    let PaddingConfig3d::Explicit(pt, ph, pw) = conv.padding else {
        return None;
    };
    let small = conv.groups == 1 && conv.dilation == [1, 1, 1] && c_in <= 4 && kh * kw >= 9;
    if !small || conv.stride[2] == 0 || conv.stride[1] == 0 || conv.stride[0] == 0 {
        return None;
    }
    let dims = x.dims();
    let input = x.clone().into_data().try_into_vec::<f32>().ok()?;
    let weight = conv.weight.val().into_data().try_into_vec::<f32>().ok()?;
    let (mut out, shape) = conv3d(
        &input,
        dims,
        &weight,
        [c_out, c_in, kt, kh, kw],
        conv.stride,
        [pt, ph, pw],
    );
    if let Some(bias) = &conv.bias {
        let b = bias.val().into_data().try_into_vec::<f32>().ok()?;
        let per = shape[2] * shape[3] * shape[4];
        for (i, chunk) in out.chunks_mut(per).enumerate() {
            let v = b[i % c_out];
            chunk.iter_mut().for_each(|o| *o += v);
        }
    }
    Some(Tensor::from_data(TensorData::new(out, shape), &device))
}

/// Output columns and output channels computed together: 8 x 4 accumulators stay in registers
/// while every tap of the kernel is added, and each input load serves four channels.
const XB: usize = 8;
const CB: usize = 4;

/// Direct convolution, row-major `[n, c, t, h, w]` input and `[c_out, c_in, kt, kh, kw]`
/// weights, zero padding, no dilation or groups. Returns the output and its shape.
pub fn conv3d(
    x: &[f32],
    [n, c_in, t, h, w]: [usize; 5],
    weight: &[f32],
    [c_out, wc_in, kt, kh, kw]: [usize; 5],
    [st, sh, sw]: [usize; 3],
    [pt, ph, pw]: [usize; 3],
) -> (Vec<f32>, [usize; 5]) {
    assert_eq!(c_in, wc_in, "input channels");
    assert_eq!(x.len(), n * c_in * t * h * w, "input length");
    let (tp, hp, wp) = (t + 2 * pt, h + 2 * ph, w + 2 * pw);
    let (to, ho, wo) = ((tp - kt) / st + 1, (hp - kh) / sh + 1, (wp - kw) / sw + 1);
    // Each padded input row split into `sw` phases: phase p holds columns p, p + sw, ...; the
    // tap at column dx of output column j then reads phase dx % sw at j + dx / sw, contiguously.
    // Phases are long enough for a whole last block of XB columns to be read.
    let blocks = wo.div_ceil(XB);
    let phase_len = blocks * XB + (kw - 1) / sw + 1;
    let row_len = sw * phase_len;
    let mut rows = vec![0f32; c_in * tp * hp * row_len];
    // Weights as [c_out block][c_in][kt][kh][kw][CB]: a tap's CB weights side by side.
    let c_blocks = c_out.div_ceil(CB);
    let taps = c_in * kt * kh * kw;
    let mut wt = vec![0f32; c_blocks * taps * CB];
    for co in 0..c_out {
        for tap in 0..taps {
            wt[((co / CB) * taps + tap) * CB + co % CB] = weight[co * taps + tap];
        }
    }
    // Where each tap reads, from the first input row of an output block.
    let mut offsets = Vec::with_capacity(taps);
    for c in 0..c_in {
        for dt in 0..kt {
            for dy in 0..kh {
                for dx in 0..kw {
                    offsets.push(
                        ((c * tp + dt) * hp + dy) * row_len + (dx % sw) * phase_len + dx / sw,
                    );
                }
            }
        }
    }
    let mut out = vec![0f32; n * c_out * to * ho * wo];
    for b in 0..n {
        rows.iter_mut().for_each(|v| *v = 0.0);
        for c in 0..c_in {
            for tt in 0..t {
                for yy in 0..h {
                    let src = &x[(((b * c_in + c) * t + tt) * h + yy) * w..][..w];
                    let dst = &mut rows[((c * tp + tt + pt) * hp + yy + ph) * row_len..][..row_len];
                    for (xx, &v) in src.iter().enumerate() {
                        let col = xx + pw;
                        let (p, j) = (col % sw, col / sw);
                        if j < phase_len {
                            dst[p * phase_len + j] = v;
                        }
                    }
                }
            }
        }
        // Each block of CB output channels is a contiguous run of the batch item's output,
        // computed on its own thread where there are threads.
        let plane = to * ho * wo;
        let out_b = &mut out[b * c_out * plane..][..c_out * plane];
        let job = |cb: usize, chunk: &mut [f32]| {
            let wblock = &wt[cb * taps * CB..][..taps * CB];
            let channels = chunk.len() / plane;
            for ot in 0..to {
                for oy in 0..ho {
                    let row0 = (ot * st * hp + oy * sh) * row_len;
                    for xb in 0..blocks {
                        let acc = accumulate(&rows[row0 + xb * XB..], &offsets, wblock);
                        let x0 = xb * XB;
                        let width = XB.min(wo - x0);
                        for (i, a) in acc.iter().take(channels).enumerate() {
                            let at = i * plane + (ot * ho + oy) * wo + x0;
                            chunk[at..at + width].copy_from_slice(&a[..width]);
                        }
                    }
                }
            }
        };
        let chunks: Vec<(usize, &mut [f32])> = out_b.chunks_mut(CB * plane).enumerate().collect();
        run_all(chunks, &job);
    }
    (out, [n, c_out, to, ho, wo])
}

/// The stems' 3x3 max pool (stride 2, padding 1) over the last two axes of `x` on Flex, or
/// `None` elsewhere (autodiff, GPU). Burn's pool took as long as the stem's convolution.
pub fn try_max_pool_3x3_s2(x: &Tensor<5>) -> Option<Tensor<5>> {
    if !applies(x) {
        return None;
    }
    let device = x.device();
    let [b, c, t, h, w] = x.dims();
    let input = x.clone().into_data().try_into_vec::<f32>().ok()?;
    let (ho, wo) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1);
    let mut out = vec![0f32; b * c * t * ho * wo];
    for (src, dst) in input.chunks_exact(h * w).zip(out.chunks_exact_mut(ho * wo)) {
        max_pool_plane(src, h, w, dst, ho, wo);
    }
    Some(Tensor::from_data(
        TensorData::new(out, [b, c, t, ho, wo]),
        &device,
    ))
}

/// One plane: output (y, x) is the maximum of input rows 2y-1..=2y+1 and columns 2x-1..=2x+1
/// that exist (padding never wins, as in Burn's and PyTorch's pools).
fn max_pool_plane(src: &[f32], h: usize, w: usize, dst: &mut [f32], ho: usize, wo: usize) {
    // Row maxima first (three rows into one), then across columns.
    let mut rowmax = vec![f32::NEG_INFINITY; w];
    for oy in 0..ho {
        rowmax.iter_mut().for_each(|v| *v = f32::NEG_INFINITY);
        for yy in (2 * oy).saturating_sub(1)..=(2 * oy + 1).min(h - 1) {
            for (m, &v) in rowmax.iter_mut().zip(&src[yy * w..(yy + 1) * w]) {
                *m = m.max(v);
            }
        }
        let row = &mut dst[oy * wo..(oy + 1) * wo];
        for (ox, o) in row.iter_mut().enumerate() {
            let (x0, x1) = ((2 * ox).saturating_sub(1), (2 * ox + 1).min(w - 1));
            *o = rowmax[x0..=x1]
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
        }
    }
}

/// Runs `job` on every chunk: split over the machine's threads natively (at most
/// `RAYON_NUM_THREADS`, as Burn's CPU backend), over rayon's pool in wasm (Web Workers where the
/// threaded module started them, else in turn on this thread).
fn run_all(chunks: Vec<(usize, &mut [f32])>, job: &(dyn Fn(usize, &mut [f32]) + Sync)) {
    #[cfg(target_arch = "wasm32")]
    {
        use rayon::prelude::*;
        chunks
            .into_par_iter()
            .for_each(|(cb, chunk)| job(cb, chunk));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .map_or(threads, |n| n.min(threads))
            .min(chunks.len());
        if threads > 1 {
            let mut lanes: Vec<Vec<(usize, &mut [f32])>> =
                (0..threads).map(|_| Vec::new()).collect();
            for (i, c) in chunks.into_iter().enumerate() {
                lanes[i % threads].push(c);
            }
            std::thread::scope(|scope| {
                for lane in lanes {
                    scope.spawn(move || {
                        for (cb, chunk) in lane {
                            job(cb, chunk);
                        }
                    });
                }
            });
            return;
        }
        for (cb, chunk) in chunks {
            job(cb, chunk);
        }
    }
}

/// One block of XB output columns for CB output channels: every tap's XB inputs (at its offset
/// into `rows`) times its CB weights, summed in registers.
#[inline]
fn accumulate(rows: &[f32], offsets: &[usize], weights: &[f32]) -> [[f32; XB]; CB] {
    let mut acc = [[0f32; XB]; CB];
    for (&off, ws) in offsets.iter().zip(weights.chunks_exact(CB)) {
        let src: [f32; XB] = rows[off..off + XB].try_into().unwrap();
        for i in 0..CB {
            let k = ws[i];
            for j in 0..XB {
                acc[i][j] += k * src[j];
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv3dConfig;
    use burn::tensor::{Distribution, Tolerance};

    fn check(c_in: usize, c_out: usize, kernel: [usize; 3], stride: [usize; 3], dims: [usize; 5]) {
        let device = Device::flex();
        let conv = Conv3dConfig::new([c_in, c_out], kernel)
            .with_stride(stride)
            .with_padding(PaddingConfig3d::Explicit(
                kernel[0] / 2,
                kernel[1] / 2,
                kernel[2] / 2,
            ))
            .with_bias(true)
            .init(&device);
        let x = Tensor::<5>::random(dims, Distribution::Normal(0.0, 1.0), &device);
        let ours = try_conv3d(&conv, &x).expect("a stem-shaped convolution is taken");
        let burn = conv.forward(x);
        assert_eq!(ours.dims(), burn.dims());
        ours.into_data()
            .assert_approx_eq::<f32>(&burn.into_data(), Tolerance::absolute(1e-4));
    }

    #[test]
    fn equals_burns_convolution_on_stem_shapes() {
        // The lite network's Fast and Slow stems (grey and colour), odd sizes, a batch of two.
        check(1, 8, [5, 5, 5], [1, 2, 2], [1, 1, 16, 32, 32]);
        check(3, 8, [5, 5, 5], [1, 2, 2], [2, 3, 6, 17, 23]);
        check(1, 32, [1, 5, 5], [1, 2, 2], [2, 1, 4, 31, 30]);
        check(2, 4, [3, 7, 7], [2, 1, 3], [1, 2, 7, 20, 19]);
        // Output channels and columns that fill no whole block.
        check(1, 5, [3, 5, 5], [1, 2, 2], [1, 1, 3, 13, 27]);
    }

    #[test]
    fn max_pool_equals_burns() {
        use burn::nn::pool::MaxPool2dConfig;
        use burn::nn::PaddingConfig2d;
        let device = Device::flex();
        let pool = MaxPool2dConfig::new([3, 3])
            .with_strides([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init();
        for dims in [[2, 3, 4, 56, 56], [1, 2, 3, 17, 10], [1, 1, 1, 1, 2]] {
            let x = Tensor::<5>::random(dims, Distribution::Normal(0.0, 1.0), &device);
            let ours = try_max_pool_3x3_s2(&x).expect("on Flex");
            let [b, c, t, h, w] = dims;
            let burn = pool.forward(x.reshape([b, c * t, h, w]));
            let [_, _, ho, wo] = burn.dims();
            assert_eq!(ours.dims(), [b, c, t, ho, wo]);
            ours.reshape([b, c * t, ho, wo])
                .into_data()
                .assert_approx_eq::<f32>(&burn.into_data(), Tolerance::absolute(0.0));
        }
    }

    #[test]
    fn other_convolutions_are_left_to_burn() {
        let device = Device::flex();
        let wide = Conv3dConfig::new([16, 16], [1, 3, 3]).init(&device);
        let x = Tensor::<5>::zeros([1, 16, 2, 8, 8], &device);
        assert!(try_conv3d(&wide, &x).is_none(), "16 input channels");
        let point = Conv3dConfig::new([2, 4], [3, 1, 1]).init(&device);
        let x = Tensor::<5>::zeros([1, 2, 4, 8, 8], &device);
        assert!(try_conv3d(&point, &x).is_none(), "a temporal-only kernel");
    }
}

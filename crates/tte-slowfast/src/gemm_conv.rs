//! The residual stages' convolutions at inference on the CPU as shifted GEMMs, batch norm folded
//! into the weights. Burn's CPU backend (Flex) runs a Tx1x1 or 1x3x3 convolution as im2col +
//! GEMM: it first copies every input value kt (or 9) times into a patch matrix, then multiplies.
//! Here each kernel tap is one GEMM straight from the input: for a temporal tap the input's
//! frames shifted by the tap's offset, for a spatial tap the zero-padded input shifted by
//! `dy * padded_width + dx` (read every `stride`-th column), all taps accumulating into one
//! output. Outputs that straddle a row's padding are computed and dropped, a few per cent more
//! multiply-adds for no copies. Batch norm's scale goes into the weights and its shift into the
//! output, so the separate pass over each activation goes too. Inference only, on Flex only (as
//! the direct stems: training and the GPU keep Burn's kernels).

use burn::nn::conv::Conv3d;
use burn::nn::{BatchNorm, PaddingConfig3d};
use burn::tensor::{Tensor, TensorData};

/// Convolution then batch norm (inference statistics) of `x`, computed here where these kernels
/// are the faster ones; `None` otherwise (then the caller uses Burn's).
pub fn try_conv_bn(conv: &Conv3d, bn: &BatchNorm, x: &Tensor<5>) -> Option<Tensor<5>> {
    if !crate::direct::applies(x) || !pays(layer_shape(conv)?) {
        return None;
    }
    conv_bn_any(conv, bn, x)
}

/// The shape of a layer these kernels can take, or `None`.
fn layer_shape(conv: &Conv3d) -> Option<Shape> {
    let [_, c_in, kt, kh, kw] = conv.weight.dims();
    let PaddingConfig3d::Explicit(pt, ph, pw) = conv.padding else {
        return None;
    };
    // The stems (one to four input channels) have their own direct kernel.
    if conv.groups != 1 || conv.dilation != [1, 1, 1] || c_in < 8 {
        return None;
    }
    Shape::of(conv, [kt, kh, kw], [pt, ph, pw])
}

/// [`try_conv_bn`] on any shape these kernels take, faster or not (benchmarks compare them
/// with Burn's that way); `None` for a shape they do not take or a tensor not in f32.
pub fn conv_bn_any(conv: &Conv3d, bn: &BatchNorm, x: &Tensor<5>) -> Option<Tensor<5>> {
    let shape = layer_shape(conv)?;
    let [c_out, c_in, kt, kh, kw] = conv.weight.dims();
    let dims = x.dims();
    let input = x.clone().into_data().try_into_vec::<f32>().ok()?;
    let weight = conv.weight.val().into_data().try_into_vec::<f32>().ok()?;
    let bias = match &conv.bias {
        Some(b) => b.val().into_data().try_into_vec::<f32>().ok()?,
        None => vec![0.0; c_out],
    };
    let (scale, shift) = fold_batch_norm(bn, &bias)?;
    let per_out = c_in * kt * kh * kw;
    let weight: Vec<f32> = weight
        .chunks_exact(per_out)
        .zip(&scale)
        .flat_map(|(w, &s)| w.iter().map(move |v| v * s))
        .collect();
    let (out, out_dims) = match shape {
        Shape::Temporal { k, stride, pad } => {
            conv_temporal(&input, dims, &weight, c_out, k, stride, pad, &shift)
        }
        Shape::Spatial { k, stride, pad } => {
            conv_spatial(&input, dims, &weight, c_out, k, stride, pad, &shift)
        }
    };
    Some(Tensor::from_data(TensorData::new(out, out_dims), &x.device()))
}

/// The two kernel shapes a bottleneck and a lateral connection use.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// `k x 1 x 1`, any temporal stride, no spatial stride.
    Temporal { k: usize, stride: usize, pad: usize },
    /// `1 x k x k`, the same stride across and down.
    Spatial { k: usize, stride: usize, pad: usize },
}

impl Shape {
    fn of(conv: &Conv3d, [kt, kh, kw]: [usize; 3], [pt, ph, pw]: [usize; 3]) -> Option<Self> {
        let [st, sh, sw] = conv.stride;
        if kh == 1 && kw == 1 && ph == 0 && pw == 0 && sh == 1 && sw == 1 && st >= 1 {
            return Some(Shape::Temporal {
                k: kt,
                stride: st,
                pad: pt,
            });
        }
        if kt == 1 && pt == 0 && st == 1 && kh == kw && ph == pw && sh == sw && sh >= 1 {
            return Some(Shape::Spatial {
                k: kh,
                stride: sh,
                pad: ph,
            });
        }
        None
    }
}

/// Whether these kernels beat Burn's on a shape, as `examples/conv_bench.rs` measured on the
/// `lite` network (2 threads, batch 2): the bottlenecks' temporal `3x1x1` convolutions 1.0-2.2x
/// faster; Flex's own kernels win on `1x3x3` (its direct convolution, 1.5-5x faster than nine
/// shifted GEMMs that each repack the input), on `1x1x1` (no im2col to save there), and on the
/// lateral connections' `5x1x1` at temporal stride 4 (a GEMM per output frame: 0.3-3x, on
/// balance a loss). The other shapes stay here, tested, for networks where they may pay.
fn pays(shape: Shape) -> bool {
    matches!(shape, Shape::Temporal { k, stride: 1, .. } if k > 1)
}

/// Batch norm at inference as `y * scale + shift` per channel, with a convolution bias folded
/// into the shift.
fn fold_batch_norm(bn: &BatchNorm, bias: &[f32]) -> Option<(Vec<f32>, Vec<f32>)> {
    let vec = |t: Tensor<1>| t.into_data().try_into_vec::<f32>().ok();
    let gamma = vec(bn.gamma.val())?;
    let beta = vec(bn.beta.val())?;
    let mean = vec(bn.running_mean.value())?;
    let var = vec(bn.running_var.value())?;
    let eps = bn.epsilon as f32;
    let scale: Vec<f32> = gamma
        .iter()
        .zip(&var)
        .map(|(g, v)| g / (v + eps).sqrt())
        .collect();
    let shift = (0..scale.len())
        .map(|o| beta[o] + (bias[o] - mean[o]) * scale[o])
        .collect();
    Some((scale, shift))
}

/// `dst (m x n) = [dst +] lhs (m x k) * rhs (k x n)`, strides in elements as (row, column).
/// Safety: every index the strides reach must lie inside the three buffers.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_into(
    [m, n, k]: [usize; 3],
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    lhs: *const f32,
    [lhs_rs, lhs_cs]: [usize; 2],
    rhs: *const f32,
    [rhs_rs, rhs_cs]: [usize; 2],
) {
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            accumulate,
            lhs,
            lhs_cs as isize,
            lhs_rs as isize,
            rhs,
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism(m * n * k),
        )
    }
}

/// Threads for one GEMM: natively rayon's pool (at most `RAYON_NUM_THREADS`, as Flex's own
/// GEMMs) once a product is large enough to pay for the hand-off; in wasm the calling thread.
fn parallelism(ops: usize) -> gemm::Parallelism {
    #[cfg(not(target_arch = "wasm32"))]
    if ops >= 64 * 64 * 64 {
        return gemm::Parallelism::Rayon(0);
    }
    let _ = ops;
    gemm::Parallelism::None
}

/// `k x 1 x 1` convolution, temporal stride `stride`, zero padding `pad` in time. Weights
/// `[c_out, c_in, k]` (already scaled), output `shift` added per channel.
#[allow(clippy::too_many_arguments)]
fn conv_temporal(
    x: &[f32],
    [n, c_in, t, h, w]: [usize; 5],
    weight: &[f32],
    c_out: usize,
    k: usize,
    stride: usize,
    pad: usize,
    shift: &[f32],
) -> (Vec<f32>, [usize; 5]) {
    assert_eq!(x.len(), n * c_in * t * h * w, "input length");
    assert_eq!(weight.len(), c_out * c_in * k, "weight length");
    let hw = h * w;
    let to = (t + 2 * pad - k) / stride + 1;
    let (in_plane, out_plane) = (t * hw, to * hw);
    let mut out = vec![0f32; n * c_out * out_plane];
    for b in 0..n {
        let xb = &x[b * c_in * in_plane..][..c_in * in_plane];
        let ob = &mut out[b * c_out * out_plane..][..c_out * out_plane];
        for (o, row) in ob.chunks_exact_mut(out_plane).enumerate() {
            row.fill(shift[o]);
        }
        // Output frames [f0, f1) of tap `tap` read input frames stride * f + tap - pad.
        for tap in 0..k {
            let first = (0..to).find(|&f| stride * f + tap >= pad);
            let Some(f0) = first else { continue };
            let f1 = (0..to)
                .rev()
                .find(|&f| stride * f + tap < pad + t)
                .map_or(0, |f| f + 1);
            if f0 >= f1 {
                continue;
            }
            let lhs = weight[tap..].as_ptr();
            let runs: Vec<(usize, usize)> = if stride == 1 {
                // Consecutive output frames read consecutive input frames: one GEMM.
                vec![(f0, f1 - f0)]
            } else {
                (f0..f1).map(|f| (f, 1)).collect()
            };
            for (f, frames) in runs {
                let src = stride * f + tap - pad;
                // SAFETY: rows c_out of ob from column f * hw for frames * hw columns, rows
                // c_in of xb from column src * hw for as many (src + frames <= t: frames are
                // in range by f0, f1), weights c_out rows of c_in * k.
                unsafe {
                    gemm_into(
                        [c_out, frames * hw, c_in],
                        ob[f * hw..].as_mut_ptr(),
                        out_plane,
                        true,
                        lhs,
                        [c_in * k, k],
                        xb[src * hw..].as_ptr(),
                        [in_plane, 1],
                    )
                }
            }
        }
    }
    (out, [n, c_out, to, h, w])
}

/// `1 x k x k` convolution, spatial stride `stride`, zero padding `pad`. Weights `[c_out, c_in,
/// k, k]` (already scaled), output `shift` added per channel.
#[allow(clippy::too_many_arguments)]
fn conv_spatial(
    x: &[f32],
    [n, c_in, t, h, w]: [usize; 5],
    weight: &[f32],
    c_out: usize,
    k: usize,
    stride: usize,
    pad: usize,
    shift: &[f32],
) -> (Vec<f32>, [usize; 5]) {
    assert_eq!(x.len(), n * c_in * t * h * w, "input length");
    assert_eq!(weight.len(), c_out * c_in * k * k, "weight length");
    let (ho, wo) = ((h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1);
    // Each frame padded to hp x wp, with rows added until a frame's length divides by the
    // stride: output q (frame f, row y, column x at q = f * frame/stride + y * wp + x) then reads
    // input column stride * q + dy * wp + dx, the same offset in every frame.
    let wp = w + 2 * pad;
    let mut hp = h + 2 * pad;
    while (hp * wp) % stride != 0 || hp < ho * stride {
        hp += 1;
    }
    let frame = hp * wp;
    let q_frame = frame / stride;
    let q_len = t * q_frame;
    // Zero columns after the last frame, for the last outputs' farthest taps.
    let row_len = t * frame + (k - 1) * (wp + 1) + 1;
    let mut padded = vec![0f32; c_in * row_len];
    let mut acc = vec![0f32; c_out * q_len];
    let mut out = vec![0f32; n * c_out * t * ho * wo];
    let lhs_strides = [c_in * k * k, k * k];
    for b in 0..n {
        for (c, row) in padded.chunks_exact_mut(row_len).enumerate() {
            for f in 0..t {
                let src = &x[((b * c_in + c) * t + f) * h * w..][..h * w];
                for (y, line) in src.chunks_exact(w).enumerate() {
                    let at = f * frame + (y + pad) * wp + pad;
                    row[at..at + w].copy_from_slice(line);
                }
            }
        }
        for dy in 0..k {
            for dx in 0..k {
                let tap = dy * k + dx;
                let off = dy * wp + dx;
                // SAFETY: acc is c_out x q_len; padded's rows are row_len long and the
                // largest column read is stride * (q_len - 1) + (k - 1) * (wp + 1)
                // < t * frame + (k - 1) * (wp + 1) + 1 = row_len; weights c_out x c_in * k * k.
                unsafe {
                    gemm_into(
                        [c_out, q_len, c_in],
                        acc.as_mut_ptr(),
                        q_len,
                        tap != 0,
                        weight[tap..].as_ptr(),
                        lhs_strides,
                        padded[off..].as_ptr(),
                        [row_len, stride],
                    )
                }
            }
        }
        let ob = &mut out[b * c_out * t * ho * wo..][..c_out * t * ho * wo];
        for (o, plane) in ob.chunks_exact_mut(t * ho * wo).enumerate() {
            let src = &acc[o * q_len..][..q_len];
            for f in 0..t {
                for y in 0..ho {
                    let from = &src[f * q_frame + y * wp..][..wo];
                    let to = &mut plane[(f * ho + y) * wo..][..wo];
                    for (d, s) in to.iter_mut().zip(from) {
                        *d = s + shift[o];
                    }
                }
            }
        }
    }
    (out, [n, c_out, t, ho, wo])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convolution by definition: every output a sum over the taps that land inside.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        x: &[f32],
        [n, c_in, t, h, w]: [usize; 5],
        weight: &[f32],
        c_out: usize,
        [kt, kh, kw]: [usize; 3],
        [st, sh, sw]: [usize; 3],
        [pt, ph, pw]: [usize; 3],
        shift: &[f32],
    ) -> (Vec<f32>, [usize; 5]) {
        let (to, ho, wo) = (
            (t + 2 * pt - kt) / st + 1,
            (h + 2 * ph - kh) / sh + 1,
            (w + 2 * pw - kw) / sw + 1,
        );
        let mut out = vec![0f32; n * c_out * to * ho * wo];
        for b in 0..n {
            for o in 0..c_out {
                for (f, y, xx) in (0..to)
                    .flat_map(|f| (0..ho).flat_map(move |y| (0..wo).map(move |xx| (f, y, xx))))
                {
                    let mut s = shift[o] as f64;
                    for c in 0..c_in {
                        for (a, dy, dx) in (0..kt).flat_map(|a| {
                            (0..kh).flat_map(move |dy| (0..kw).map(move |dx| (a, dy, dx)))
                        }) {
                            let (ti, yi, xi) = (
                                (f * st + a) as isize - pt as isize,
                                (y * sh + dy) as isize - ph as isize,
                                (xx * sw + dx) as isize - pw as isize,
                            );
                            if ti < 0 || yi < 0 || xi < 0 {
                                continue;
                            }
                            let (ti, yi, xi) = (ti as usize, yi as usize, xi as usize);
                            if ti >= t || yi >= h || xi >= w {
                                continue;
                            }
                            let v = x[(((b * c_in + c) * t + ti) * h + yi) * w + xi];
                            let wt = weight[(((o * c_in + c) * kt + a) * kh + dy) * kw + dx];
                            s += (v * wt) as f64;
                        }
                    }
                    out[(((b * c_out + o) * to + f) * ho + y) * wo + xx] = s as f32;
                }
            }
        }
        (out, [n, c_out, to, ho, wo])
    }

    fn pseudo_random(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "largest difference {worst}");
    }

    #[test]
    fn temporal_taps_match_the_definition() {
        // Bottlenecks' 3x1x1 and 1x1x1, and the lateral connections' 5x1x1 at temporal stride 4.
        for (t, k, stride, pad) in [(8, 3, 1, 1), (4, 1, 1, 0), (16, 5, 4, 2), (6, 3, 2, 1)] {
            let dims = [2, 9, t, 5, 7];
            let x = pseudo_random(dims.iter().product(), 1);
            let c_out = 6;
            let wt = pseudo_random(c_out * 9 * k, 2);
            let shift = pseudo_random(c_out, 3);
            let (got, got_dims) = conv_temporal(&x, dims, &wt, c_out, k, stride, pad, &shift);
            let (want, want_dims) =
                reference(&x, dims, &wt, c_out, [k, 1, 1], [stride, 1, 1], [pad, 0, 0], &shift);
            assert_eq!(got_dims, want_dims, "t {t} k {k} stride {stride}");
            assert_close(&got, &want);
        }
    }

    #[test]
    fn spatial_taps_match_the_definition() {
        // 1x3x3 at strides 1 and 2 (odd and even sizes), and the strided 1x1x1 shortcut.
        for (h, w, k, stride, pad) in [
            (7, 9, 3, 1, 1),
            (8, 8, 3, 2, 1),
            (7, 5, 3, 2, 1),
            (6, 7, 1, 2, 0),
            (5, 5, 1, 1, 0),
        ] {
            let dims = [2, 10, 3, h, w];
            let x = pseudo_random(dims.iter().product(), 4);
            let c_out = 5;
            let wt = pseudo_random(c_out * 10 * k * k, 5);
            let shift = pseudo_random(c_out, 6);
            let (got, got_dims) = conv_spatial(&x, dims, &wt, c_out, k, stride, pad, &shift);
            let (want, want_dims) = reference(
                &x,
                dims,
                &wt,
                c_out,
                [1, k, k],
                [1, stride, stride],
                [0, pad, pad],
                &shift,
            );
            assert_eq!(got_dims, want_dims, "{h}x{w} k {k} stride {stride}");
            assert_close(&got, &want);
        }
    }
}

//! Local contrast: each pixel's grey divided by the mean grey around it, so the picture the
//! network sees keeps its structures (a wall brighter than what surrounds it, a cavity darker) and
//! loses what differs between machines and between the phantom and real screens without saying
//! anything about the view: overall gain, depth gain (TGC), a bright near field, how brightly a
//! scanner shows tissue. Black stays black (padding, a cavity in a black surround): the divisor
//! has a floor, so nothing dim is blown up into noise.

/// Grey level (0-1) added to the local mean before dividing: a pixel in a region darker than this
/// is damped rather than stretched.
pub const FLOOR: f32 = 0.08;
/// Output grey of a pixel as bright as its surroundings (one twice as bright shows at 0.9; more
/// saturates at 1).
pub const LEVEL: f32 = 0.45;

/// Replaces every plane of a prepared clip (`[channels, frames, size, size]`, normalised as
/// `(x / 255 - mean) / std`) by its local contrast over a neighbourhood of about `radius` pixels
/// (two box blurs of that radius, close to a Gaussian of sigma 0.8 radius).
pub fn local_contrast(
    data: &mut [f32],
    [c, t, h, w]: [usize; 4],
    mean: [f32; 3],
    std: [f32; 3],
    radius: usize,
) {
    let plane = h * w;
    assert_eq!(data.len(), c * t * plane, "clip length");
    if radius == 0 || plane == 0 {
        return;
    }
    let mut local = vec![0f32; plane];
    let mut scratch = vec![0f32; plane];
    for (k, p) in data.chunks_exact_mut(plane).enumerate() {
        let ch = (k / t.max(1)).min(2);
        let (m, s) = (mean[ch], std[ch]);
        for (l, v) in local.iter_mut().zip(p.iter()) {
            *l = (v * s + m).clamp(0.0, 1.0);
        }
        for _ in 0..2 {
            box_blur(&mut local, &mut scratch, h, w, radius);
        }
        for (v, l) in p.iter_mut().zip(&local) {
            let grey = (*v * s + m).clamp(0.0, 1.0);
            let out = (LEVEL * grey / (l + FLOOR)).min(1.0);
            *v = (out - m) / s;
        }
    }
}

/// A box blur of `radius` along rows, then along columns (edges: the mean of what is inside).
pub(crate) fn box_blur(img: &mut [f32], tmp: &mut [f32], h: usize, w: usize, radius: usize) {
    for y in 0..h {
        blur_line(&img[y * w..][..w], &mut tmp[y * w..][..w], radius);
    }
    let (mut col, mut out) = (vec![0f32; h], vec![0f32; h]);
    for x in 0..w {
        for y in 0..h {
            col[y] = tmp[y * w + x];
        }
        blur_line(&col, &mut out, radius);
        for y in 0..h {
            img[y * w + x] = out[y];
        }
    }
}

/// The mean of each sample's window `[i - radius, i + radius]`, cut at the ends, by running sums.
fn blur_line(src: &[f32], dst: &mut [f32], radius: usize) {
    let n = src.len();
    let mut sum: f32 = src[..radius.min(n)].iter().sum();
    for i in 0..n {
        if i + radius < n {
            sum += src[i + radius];
        }
        if i > radius {
            sum -= src[i - radius - 1];
        }
        let lo = i.saturating_sub(radius);
        let hi = (i + radius).min(n - 1);
        dst[i] = sum / (hi - lo + 1) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEAN: [f32; 3] = [0.5; 3];
    const STD: [f32; 3] = [0.25; 3];

    fn norm(g: f32) -> f32 {
        (g - 0.5) / 0.25
    }

    fn grey(v: f32) -> f32 {
        v * 0.25 + 0.5
    }

    #[test]
    fn blur_line_is_the_window_mean() {
        let src = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut dst = [0.0; 5];
        blur_line(&src, &mut dst, 1);
        let want = [1.5, 2.0, 3.0, 4.0, 4.5];
        for (d, w) in dst.iter().zip(want) {
            assert!((d - w).abs() < 1e-6, "{dst:?}");
        }
    }

    #[test]
    fn gain_and_depth_gain_cancel_and_black_stays_black() {
        // A wall (bright band) in grey tissue above a black cavity, under two gains and a depth
        // ramp: the same picture comes out wherever the tissue is lit enough.
        let (h, w) = (48, 48);
        let scene = |gain: f32, ramp: f32| -> Vec<f32> {
            let mut v = vec![0f32; h * w];
            for y in 0..h {
                for x in 0..w {
                    let tissue = if y < 32 { 0.3 } else { 0.0 };
                    let wall = if (14..18).contains(&y) { 0.3 } else { 0.0 };
                    let g = (tissue + wall) * gain * (1.0 + ramp * y as f32 / h as f32);
                    v[y * w + x] = norm(g.min(1.0));
                }
            }
            v
        };
        let mut a = scene(1.0, 0.0);
        let mut b = scene(0.5, 0.6);
        local_contrast(&mut a, [1, 1, h, w], MEAN, STD, 6);
        local_contrast(&mut b, [1, 1, h, w], MEAN, STD, 6);
        let at = |v: &[f32], y: usize| grey(v[y * w + w / 2]);
        // The wall stands out of the tissue, in both.
        assert!(at(&a, 16) > at(&a, 6) * 1.3 && at(&b, 16) > at(&b, 6) * 1.3);
        // Tissue far from edges sits a little under LEVEL (the floor damps dim tissue) at either
        // gain, where its input grey differed twofold.
        for v in [&a, &b] {
            assert!(
                at(v, 6) > 0.25 && at(v, 6) <= LEVEL,
                "tissue at {}",
                at(v, 6)
            );
        }
        // Halving the gain changes the tissue's output by far less than half.
        assert!((at(&a, 6) - at(&b, 6)).abs() < 0.12);
        // The cavity stays black.
        assert!(at(&a, 44) < 0.01 && at(&b, 44) < 0.01);
    }

    #[test]
    fn radius_zero_leaves_the_clip_as_it_was() {
        let mut v: Vec<f32> = (0..2 * 3 * 8 * 8).map(|i| (i % 7) as f32 / 7.0).collect();
        let before = v.clone();
        local_contrast(&mut v, [2, 3, 8, 8], MEAN, STD, 0);
        assert_eq!(v, before);
    }
}

//! Tissue map: the picture despeckled and cut into tissue and blood, so the network sees the
//! shapes of walls and cavities and neither the grain of the speckle nor how brightly a scanner
//! (or the phantom) paints tissue. Real screens and the phantom differ most in texture and grey
//! scale and least in where the walls are; a map made the same way from both keeps the part they
//! share.

use crate::contrast::box_blur;

/// Histogram bins of the tissue/blood threshold search.
const BINS: usize = 64;
/// Width of the soft step from blood to tissue, as a share of the threshold's grey: a hard cut
/// would turn noise at the threshold into flicker and give the network no gradient of certainty.
const SOFTNESS: f32 = 0.2;
/// A clip this dark throughout (no pixel brighter, grey 0-1) is kept black rather than
/// thresholded: there is no tissue to separate.
const DARKEST_LIT: f32 = 0.02;

/// Replaces every plane of a prepared clip (`[channels, frames, size, size]`, normalised as
/// `(x / 255 - mean) / std`) by its tissue map: grey smoothed by two box blurs of `radius` pixels
/// (close to a Gaussian of sigma 0.8 radius), then a soft step at the clip's own tissue/blood
/// threshold (Otsu's, over every plane's smoothed grey), 0 for blood and 1 for tissue.
pub fn tissue_map(
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
    let channel_of = |k: usize| (k / t.max(1)).min(2);
    let mut scratch = vec![0f32; plane];
    let mut smooth = vec![0f32; data.len()];
    for (k, (p, s)) in data
        .chunks_exact(plane)
        .zip(smooth.chunks_exact_mut(plane))
        .enumerate()
    {
        let ch = channel_of(k);
        for (g, v) in s.iter_mut().zip(p) {
            *g = (v * std[ch] + mean[ch]).clamp(0.0, 1.0);
        }
        for _ in 0..2 {
            box_blur(s, &mut scratch, h, w, radius);
        }
    }
    let threshold = otsu(&smooth);
    for (k, (p, s)) in data
        .chunks_exact_mut(plane)
        .zip(smooth.chunks_exact(plane))
        .enumerate()
    {
        let ch = channel_of(k);
        for (v, g) in p.iter_mut().zip(s) {
            let tissue = threshold.map_or(0.0, |th| step(*g, th));
            *v = (tissue - mean[ch]) / std[ch];
        }
    }
}

/// The soft step from blood (0) to tissue (1) centred on `threshold`.
fn step(grey: f32, threshold: f32) -> f32 {
    let width = (SOFTNESS * threshold).max(1e-3);
    1.0 / (1.0 + (-(grey - threshold) / width).exp())
}

/// Otsu's threshold over grey levels 0-1: the grey that best splits the values into a dark and a
/// bright class (the largest between-class variance). `None` when nothing is lit.
pub fn otsu(values: &[f32]) -> Option<f32> {
    let top = values.iter().fold(0f32, |a, &v| a.max(v));
    if top < DARKEST_LIT {
        return None;
    }
    let mut hist = [0f64; BINS];
    for &v in values {
        hist[((v / top) * (BINS - 1) as f32)
            .round()
            .clamp(0.0, (BINS - 1) as f32) as usize] += 1.0;
    }
    let n: f64 = hist.iter().sum();
    let total: f64 = hist.iter().enumerate().map(|(i, c)| i as f64 * c).sum();
    let (mut below, mut below_sum, mut best, mut best_bin) = (0f64, 0f64, -1f64, 0usize);
    for (i, &count) in hist.iter().enumerate().take(BINS - 1) {
        below += count;
        below_sum += i as f64 * count;
        let above = n - below;
        if below == 0.0 || above == 0.0 {
            continue;
        }
        let gap = below_sum / below - (total - below_sum) / above;
        let between = below * above * gap * gap;
        if between > best {
            (best, best_bin) = (between, i);
        }
    }
    Some((best_bin as f32 + 0.5) / (BINS - 1) as f32 * top)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEAN: [f32; 3] = [0.5; 3];
    const STD: [f32; 3] = [0.25; 3];

    /// A speckled ring of tissue (a wall) round a dark cavity on a dark surround, grey 0-1 at
    /// `gain`, normalised as a prepared plane.
    fn wall_picture(size: usize, gain: f32, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(747_796_405).wrapping_add(1);
        let c = size as f32 / 2.0;
        (0..size * size)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let grain = (state >> 8) as f32 / (1u32 << 24) as f32;
                let (x, y) = ((i % size) as f32 - c, (i / size) as f32 - c);
                let r = (x * x + y * y).sqrt();
                let tissue = if (12.0..24.0).contains(&r) { 0.6 } else { 0.04 };
                let grey = (gain * tissue * 2.0 * grain).clamp(0.0, 1.0);
                (grey - MEAN[0]) / STD[0]
            })
            .collect()
    }

    fn grey(v: f32) -> f32 {
        v * STD[0] + MEAN[0]
    }

    #[test]
    fn walls_map_to_tissue_and_cavities_to_blood_whatever_the_gain() {
        let size = 64;
        let mut maps = Vec::new();
        for (gain, seed) in [(0.5, 1), (1.6, 2)] {
            let mut p = wall_picture(size, gain, seed);
            tissue_map(&mut p, [1, 1, size, size], MEAN, STD, 3);
            let at = |x: usize, y: usize| grey(p[y * size + x]);
            // The wall (radius 18 from the centre), the cavity (the centre), the surround.
            assert!(at(32 + 18, 32) > 0.9, "wall {} at gain {gain}", at(50, 32));
            assert!(at(32, 32) < 0.1, "cavity {} at gain {gain}", at(32, 32));
            assert!(at(2, 2) < 0.1, "surround {} at gain {gain}", at(2, 2));
            maps.push(p);
        }
        // Three times the gain and other speckle: the maps agree almost everywhere.
        let differ = maps[0]
            .iter()
            .zip(&maps[1])
            .filter(|(a, b)| (grey(**a) - grey(**b)).abs() > 0.5)
            .count();
        assert!(differ < size * size / 20, "{differ} pixels differ");
    }

    #[test]
    fn speckle_is_smoothed_away_inside_the_wall() {
        let size = 64;
        let raw = wall_picture(size, 1.0, 3);
        let mut p = raw.clone();
        tissue_map(&mut p, [1, 1, size, size], MEAN, STD, 3);
        // Along the wall's ring the raw grey swings with the grain; the map stays near 1.
        let ring: Vec<usize> = (0..size * size)
            .filter(|i| {
                let (x, y) = ((i % size) as f32 - 32.0, (i / size) as f32 - 32.0);
                (16.0..20.0).contains(&(x * x + y * y).sqrt())
            })
            .collect();
        let spread = |v: &[f32]| {
            let g: Vec<f32> = ring.iter().map(|&i| grey(v[i])).collect();
            let m = g.iter().sum::<f32>() / g.len() as f32;
            (g.iter().map(|x| (x - m).powi(2)).sum::<f32>() / g.len() as f32).sqrt()
        };
        assert!(spread(&raw) > 0.15, "raw speckle {}", spread(&raw));
        assert!(spread(&p) < 0.05, "map {}", spread(&p));
    }

    #[test]
    fn a_black_clip_stays_black_and_radius_zero_changes_nothing() {
        let mut black = vec![(0.0 - MEAN[0]) / STD[0]; 2 * 16 * 16];
        tissue_map(&mut black, [1, 2, 16, 16], MEAN, STD, 2);
        assert!(black.iter().all(|v| grey(*v).abs() < 1e-6));
        let raw = wall_picture(32, 1.0, 4);
        let mut same = raw.clone();
        tissue_map(&mut same, [1, 1, 32, 32], MEAN, STD, 0);
        assert_eq!(same, raw);
    }

    #[test]
    fn otsu_splits_two_groups_between_them() {
        let values: Vec<f32> = (0..100).map(|i| if i < 60 { 0.1 } else { 0.7 }).collect();
        let t = otsu(&values).unwrap();
        assert!((0.1..0.7).contains(&t), "threshold {t}");
        assert_eq!(otsu(&[0.0; 10]), None);
    }
}

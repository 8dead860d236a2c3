//! Grey-level normalisation: undoes most of the machine's gain and dynamic-range setting.
//!
//! A scanner shows echo strength on a log scale; its gain shifts that scale and its dynamic range
//! stretches it, so the same heart can fill the screen with grey or show only its brightest walls
//! on black. Scaling each clip so its brightest percent of pixels sits at one level brings a dim
//! clip's surviving structures back to the brightness the network knows. What the machine clipped
//! to black stays lost.

/// The grey level (0-255) a clip's 99th-percentile pixel is brought to.
pub const TARGET_LEVEL: f32 = 200.0;
/// The scaling is kept in this range: a blank or near-blank clip is not blown up into noise, and a
/// bright clip is dimmed only a little (its saturated pixels carry no more information dimmed).
pub const GAIN_RANGE: [f32; 2] = [0.75, 6.0];

/// Scales a prepared clip (`[channels, frames, size, size]`, normalised as `(x / 255 - mean) /
/// std`) so its 99th-percentile grey level sits at [`TARGET_LEVEL`]; returns the factor applied.
pub fn auto_levels(data: &mut [f32], channels: usize, mean: [f32; 3], std: [f32; 3]) -> f32 {
    let per_channel = data.len() / channels.max(1);
    let grey = |ch: usize, v: f32| ((v * std[ch] + mean[ch]) * 255.0).clamp(0.0, 255.0);
    let mut histogram = [0usize; 256];
    for (k, &v) in data.iter().enumerate() {
        histogram[grey(k / per_channel.max(1), v) as usize] += 1;
    }
    let p99 = percentile(&histogram, 0.99);
    let gain = (TARGET_LEVEL / p99.max(1.0)).clamp(GAIN_RANGE[0], GAIN_RANGE[1]);
    for (k, v) in data.iter_mut().enumerate() {
        let ch = k / per_channel.max(1);
        let x = (grey(ch, *v) * gain).min(255.0) / 255.0;
        *v = (x - mean[ch]) / std[ch];
    }
    gain
}

/// The grey level (0-255, any channel) from which a pixel counts as showing an echo.
pub const ECHO_LEVEL: f32 = 24.0;

/// Share of the picture's pixels that show an echo: over every frame of a prepared clip
/// (`[channels, frames, size, size]`, normalised as `(x / 255 - mean) / std`, before levelling),
/// counting only `area` of each plane (the resized picture, not its padding).
pub fn echo_share(
    data: &[f32],
    [c, t, h, w]: [usize; 4],
    mean: [f32; 3],
    std: [f32; 3],
    area: tte_frames::Rect,
) -> f32 {
    let plane = h * w;
    let (mut lit, mut total) = (0usize, 0usize);
    for ti in 0..t {
        for y in area.y0..area.y1.min(h) {
            for x in area.x0..area.x1.min(w) {
                let shows = (0..c).any(|ch| {
                    let v = data[(ch * t + ti) * plane + y * w + x];
                    (v * std[ch.min(2)] + mean[ch.min(2)]) * 255.0 >= ECHO_LEVEL
                });
                lit += usize::from(shows);
                total += 1;
            }
        }
    }
    if total == 0 {
        0.0
    } else {
        lit as f32 / total as f32
    }
}

/// The grey level below which `q` of the counted pixels lie (upper edge of its bin).
fn percentile(histogram: &[usize; 256], q: f64) -> f32 {
    let total: usize = histogram.iter().sum();
    let wanted = (total as f64 * q).ceil() as usize;
    let mut seen = 0;
    for (level, &n) in histogram.iter().enumerate() {
        seen += n;
        if seen >= wanted.max(1) {
            return level as f32 + 1.0;
        }
    }
    255.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEAN: [f32; 3] = [0.5; 3];
    const STD: [f32; 3] = [0.25; 3];

    /// A clip of `n` values per channel: a speckled "fan" in grey levels up to `peak`, black around.
    fn clip(peak: f32, n: usize) -> Vec<f32> {
        (0..3 * n)
            .map(|k| {
                let i = k % n;
                let g = if i % 3 == 0 {
                    0.0
                } else {
                    peak * ((i * 37 % 101) as f32 / 100.0)
                };
                (g / 255.0 - 0.5) / 0.25
            })
            .collect()
    }

    fn to_grey(data: &[f32]) -> Vec<f32> {
        data.iter().map(|v| (v * 0.25 + 0.5) * 255.0).collect()
    }

    #[test]
    fn a_dim_clip_comes_out_like_the_same_clip_shown_brighter() {
        let (mut dim, mut bright) = (clip(60.0, 3000), clip(180.0, 3000));
        let g_dim = auto_levels(&mut dim, 3, MEAN, STD);
        let g_bright = auto_levels(&mut bright, 3, MEAN, STD);
        assert!(g_dim > 3.0 && g_bright < 1.2, "gains {g_dim} {g_bright}");
        let worst = to_grey(&dim)
            .iter()
            .zip(to_grey(&bright))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 6.0, "grey levels differ by up to {worst}");
    }

    #[test]
    fn levelling_twice_changes_little_and_the_99th_percentile_sits_at_the_target() {
        let mut data = clip(90.0, 3000);
        auto_levels(&mut data, 3, MEAN, STD);
        let mut grey = to_grey(&data);
        grey.sort_by(f32::total_cmp);
        let p99 = grey[grey.len() * 99 / 100];
        assert!((p99 - TARGET_LEVEL).abs() < 6.0, "p99 {p99}");
        let again = auto_levels(&mut data, 3, MEAN, STD);
        assert!((again - 1.0).abs() < 0.03, "second pass scaled by {again}");
    }

    #[test]
    fn echo_share_counts_lit_pixels_inside_the_picture_only() {
        // One frame, 4x4, one channel: the left half is the picture, the right half padding.
        let grey = |g: f32| (g / 255.0 - 0.5) / 0.25;
        let mut data = vec![grey(0.0); 16];
        data[0] = grey(200.0);
        data[5] = grey(ECHO_LEVEL + 1.0);
        data[2] = grey(255.0); // padding side: not counted
        data[4] = grey(ECHO_LEVEL - 2.0); // too dim to count
        let area = tte_frames::Rect {
            x0: 0,
            y0: 0,
            x1: 2,
            y1: 4,
        };
        let share = echo_share(&data, [1, 1, 4, 4], MEAN, STD, area);
        assert!((share - 2.0 / 8.0).abs() < 1e-6, "share {share}");
        let empty = tte_frames::Rect {
            x0: 0,
            y0: 0,
            x1: 0,
            y1: 0,
        };
        assert_eq!(echo_share(&data, [1, 1, 4, 4], MEAN, STD, empty), 0.0);
    }

    #[test]
    fn a_black_clip_stays_black_and_finite() {
        let mut data = vec![-2.0f32; 3 * 500];
        let gain = auto_levels(&mut data, 3, MEAN, STD);
        assert_eq!(gain, GAIN_RANGE[1]);
        assert!(data
            .iter()
            .all(|v| v.is_finite() && (*v + 2.0).abs() < 1e-5));
    }
}

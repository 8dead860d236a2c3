//! Resizing a region of a frame into a square with its aspect kept: area averaging when shrinking
//! (no aliasing of speckle), linear interpolation when enlarging, padding instead of stretching.

use tte_frames::{Frame, Rect};

/// For each output sample along one axis, the source samples and their weights.
fn axis_weights(src_len: usize, dst_len: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = src_len as f64 / dst_len as f64;
    (0..dst_len)
        .map(|o| {
            if scale >= 1.0 {
                // Shrinking: each output pixel averages the source interval it covers.
                let (a, b) = (o as f64 * scale, (o + 1) as f64 * scale);
                let mut w = Vec::new();
                let mut i = a.floor() as usize;
                while (i as f64) < b && i < src_len {
                    let cover = (b.min(i as f64 + 1.0) - a.max(i as f64)) / scale;
                    if cover > 1e-9 {
                        w.push((i, cover as f32));
                    }
                    i += 1;
                }
                w
            } else {
                // Enlarging: linear interpolation between the two nearest source centres.
                let c = ((o as f64 + 0.5) * scale - 0.5).clamp(0.0, (src_len - 1) as f64);
                let i = c.floor() as usize;
                let f = (c - i as f64) as f32;
                if i + 1 < src_len && f > 0.0 {
                    vec![(i, 1.0 - f), (i + 1, f)]
                } else {
                    vec![(i, 1.0)]
                }
            }
        })
        .collect()
}

/// Where a `w` x `h` region lands inside a `size` x `size` square when scaled to fit and centred.
pub fn fit(w: usize, h: usize, size: usize) -> Rect {
    let scale = size as f64 / w.max(h).max(1) as f64;
    let (nw, nh) = (
        ((w as f64 * scale).round() as usize).clamp(1, size),
        ((h as f64 * scale).round() as usize).clamp(1, size),
    );
    let (x0, y0) = ((size - nw) / 2, (size - nh) / 2);
    Rect {
        x0,
        y0,
        x1: x0 + nw,
        y1: y0 + nh,
    }
}

/// A pixel of colour rather than grey: colour Doppler, an ECG trace, coloured text, and the dim
/// fringe a video codec's half-resolution colour leaves around them. A tinted grey map is not
/// (its saturation stays under about 0.4), nor is near-black chroma noise. Looser than the fan
/// search's vivid-cell test (bright colour only), which stays as it is because the shipped models
/// were trained on the crops it gives.
pub fn is_colour([r, g, b]: [u8; 3]) -> bool {
    let (mx, mn) = (r.max(g).max(b) as u32, r.min(g).min(b) as u32);
    mx - mn >= 24 && (mx - mn) * 2 >= mx
}

/// Resizes `region` of `frame` into `size` x `size` planes of RGB (or luminance when `channels == 1`),
/// values 0-255, pad value 0. Returns `channels` planes of `size * size`. With `blank_colour`,
/// pixels of saturated colour count as black ([`is_colour`]).
pub fn resize_region(
    frame: &Frame,
    region: Rect,
    size: usize,
    channels: usize,
    blank_colour: bool,
) -> Vec<Vec<f32>> {
    let region = region.clamp(frame.width, frame.height);
    let mut planes = vec![vec![0f32; size * size]; channels];
    if region.area() == 0 || size == 0 {
        return planes;
    }
    let target = fit(region.width(), region.height(), size);
    let wx = axis_weights(region.width(), target.width());
    let wy = axis_weights(region.height(), target.height());
    // Horizontal pass over the region's rows, then vertical: separable, so cost is linear in pixels.
    let tw = target.width();
    let mut rows = vec![[0f32; 3]; region.height() * tw];
    for y in 0..region.height() {
        for (ox, taps) in wx.iter().enumerate() {
            let mut acc = [0f32; 3];
            for &(i, w) in taps {
                let mut p = frame.rgb(region.x0 + i, region.y0 + y);
                if blank_colour && is_colour(p) {
                    p = [0; 3];
                }
                for c in 0..3 {
                    acc[c] += w * p[c] as f32;
                }
            }
            rows[y * tw + ox] = acc;
        }
    }
    for (oy, taps) in wy.iter().enumerate() {
        for ox in 0..tw {
            let mut acc = [0f32; 3];
            for &(i, w) in taps {
                let p = rows[i * tw + ox];
                for c in 0..3 {
                    acc[c] += w * p[c];
                }
            }
            let at = (target.y0 + oy) * size + target.x0 + ox;
            if channels == 1 {
                planes[0][at] = 0.299 * acc[0] + 0.587 * acc[1] + 0.114 * acc[2];
            } else {
                for c in 0..channels.min(3) {
                    planes[c][at] = acc[c];
                }
            }
        }
    }
    planes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tte_frames::PixelFormat;

    fn solid(w: usize, h: usize, v: u8) -> Frame {
        Frame::new(w, h, PixelFormat::Gray, vec![v; w * h], 0.0).unwrap()
    }

    #[test]
    fn area_averaging_preserves_the_mean_when_shrinking() {
        // A fine checkerboard must average to grey, not alias into stripes.
        let (w, h) = (301, 197);
        let data: Vec<u8> = (0..w * h)
            .map(|i| if (i % w + i / w) % 2 == 0 { 0 } else { 200 })
            .collect();
        let f = Frame::new(w, h, PixelFormat::Gray, data, 0.0).unwrap();
        let planes = resize_region(
            &f,
            Rect {
                x0: 0,
                y0: 0,
                x1: w,
                y1: h,
            },
            64,
            1,
            false,
        );
        let t = fit(w, h, 64);
        for y in t.y0 + 1..t.y1 - 1 {
            for x in t.x0 + 1..t.x1 - 1 {
                let v = planes[0][y * 64 + x];
                assert!((v - 100.0).abs() < 8.0, "{v} at {x},{y}");
            }
        }
    }

    #[test]
    fn blanking_colour_turns_colour_flow_black_and_keeps_tinted_grey() {
        // Left half: tinted grey tissue; right half: red colour flow, the dim purple a codec leaves
        // beside it, and near-black chroma noise.
        let (w, h) = (8, 2);
        let px: [[u8; 3]; 4] = [[200, 170, 120], [230, 60, 0], [40, 10, 50], [6, 0, 20]];
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| if i % w < 4 { px[0] } else { px[1 + i % 3] })
            .collect();
        let f = Frame::new(w, h, PixelFormat::Rgb, data, 0.0).unwrap();
        let whole = Rect {
            x0: 0,
            y0: 0,
            x1: w,
            y1: h,
        };
        let kept = resize_region(&f, whole, 8, 3, false);
        let blanked = resize_region(&f, whole, 8, 3, true);
        let row = fit(w, h, 8).y0 * 8;
        for x in 0..8 {
            let at = |p: &Vec<Vec<f32>>| [p[0][row + x], p[1][row + x], p[2][row + x]];
            let want = match x {
                0..4 => [200.0, 170.0, 120.0],
                // Too dark to count as colour, whatever its hue.
                _ if (x % 3) == 2 => [6.0, 0.0, 20.0],
                _ => [0.0; 3],
            };
            assert_eq!(at(&blanked), want, "x {x}");
            assert_ne!(at(&kept), [0.0; 3], "x {x} without blanking");
        }
    }

    proptest! {
        #[test]
        fn aspect_is_kept_and_the_rest_is_padding(w in 1usize..700, h in 1usize..700, size in 8usize..160) {
            let f = solid(w, h, 255);
            let planes = resize_region(&f, Rect { x0: 0, y0: 0, x1: w, y1: h }, size, 3, false);
            let t = fit(w, h, size);
            // The image keeps its proportions: each side is the scaled side, to within a pixel of
            // rounding (and never under one pixel).
            let scale = size as f64 / w.max(h) as f64;
            prop_assert!((t.width() as f64 - (w as f64 * scale).max(1.0)).abs() <= 1.0, "{}x{} -> {:?}", w, h, t);
            prop_assert!((t.height() as f64 - (h as f64 * scale).max(1.0)).abs() <= 1.0, "{}x{} -> {:?}", w, h, t);
            prop_assert!(t.width() == size || t.height() == size);
            // Inside: the image (a white frame stays white); outside: zero padding.
            for y in 0..size {
                for x in 0..size {
                    let v = planes[0][y * size + x];
                    let inside = x >= t.x0 && x < t.x1 && y >= t.y0 && y < t.y1;
                    if inside { prop_assert!((v - 255.0).abs() < 0.01, "{} at {},{}", v, x, y); } else { prop_assert_eq!(v, 0.0); }
                }
            }
        }
    }
}

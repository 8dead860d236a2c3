//! Finding the ultrasound image (the fan) on a screen full of text, ECG traces, colour bars and UI.
//!
//! Speckle moves from frame to frame while overlays stand still, so in a moving clip the fan is the
//! largest connected region of *changing* grey pixels (ECG sweeps and colour Doppler also change, but
//! in saturated colour, and are left out). A still image has no motion; there the fan is the largest
//! connected region of textured, non-black grey pixels, and in a dim clip, where only the walls
//! move, of those that change at all (grey bars and white text never do).

use tte_frames::{Frame, Rect, UltrasoundRegion};

/// The grid the search runs on has at most this many cells along its longer side.
const GRID: usize = 128;

/// The shortest side, in pixels, of a part of the screen worth cropping to.
pub const MIN_SIDE: usize = 8;

/// Whether a crop is at least [`MIN_SIDE`] pixels each way.
pub fn big_enough(r: &Rect) -> bool {
    r.width() >= MIN_SIDE && r.height() >= MIN_SIDE
}

/// The part of the screen a DICOM Sequence of Ultrasound Regions says the classifier should see:
/// the largest 2-D image region or, when the screen also carries an M-mode or spectral Doppler
/// trace, the box around the image and its traces (a Doppler screen is not a 2-D view, and
/// cropping it to its small reference image would hide what says so).
pub fn region_from_dicom(
    regions: &[UltrasoundRegion],
    width: usize,
    height: usize,
) -> Option<Rect> {
    let usable = |r: &UltrasoundRegion| {
        let c = r.rect.clamp(width, height);
        big_enough(&c).then_some(c)
    };
    let image = regions
        .iter()
        .filter(|r| r.is_2d_image())
        .filter_map(usable)
        .max_by_key(|r| r.area())?;
    Some(
        regions
            .iter()
            .filter(|r| r.is_trace())
            .filter_map(usable)
            .fold(image, |b, t| b.union(&t)),
    )
}

/// Bounding box of the fan in pixel coordinates, or the whole frame when nothing stands out.
/// `frames` should be a handful of frames spread over the clip, all of one size.
pub fn find_sector(frames: &[&Frame]) -> Rect {
    let Some(first) = frames.first() else {
        return Rect {
            x0: 0,
            y0: 0,
            x1: 0,
            y1: 0,
        };
    };
    let (w, h) = (first.width, first.height);
    let whole = Rect {
        x0: 0,
        y0: 0,
        x1: w,
        y1: h,
    };
    // At least 2 px: on a thumbnail, 1-px cells take a codec's flicker around static text for motion.
    let cell = w.max(h).div_ceil(GRID).max(2);
    let (gw, gh) = (w.div_ceil(cell), h.div_ceil(cell));

    let frames: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.width == w && f.height == h)
        .copied()
        .collect();
    let cells: Vec<CellStats> = frames.iter().map(|f| cell_stats(f, cell, gw, gh)).collect();
    let lumas: Vec<&[f32]> = cells.iter().map(|c| c.luma.as_slice()).collect();
    let mut motion = cell_motion(&lumas);
    // ECG sweeps and colour Doppler move too; the fan is found by its grey speckle alone (a Doppler
    // box sits inside the fan, so the fan's box still covers it). A video codec keeps colour at half
    // resolution, so a thin trace leaves a pale, moving fringe in the cells just above and below
    // it: those go too (not the cells beside it, which would eat into the fan around a Doppler box).
    let vivid: Vec<bool> = (0..gw * gh)
        .map(|i| cells.iter().any(|c| c.vivid[i]))
        .collect();
    let fringe =
        |i: usize| vivid[i] || (i >= gw && vivid[i - gw]) || vivid.get(i + gw) == Some(&true);
    for (i, m) in motion.iter_mut().enumerate() {
        if fringe(i) {
            *m = 0.0;
        }
    }
    let moving = motion.iter().filter(|&&m| m > MOVING).count();
    let mask: Vec<bool> = if moving * 50 >= gw * gh {
        motion.iter().map(|&m| m > MOVING).collect()
    } else {
        still_or_dim_tissue(first, &motion, cell, gw, gh)
    };
    // Dilation bridges the dark chambers and drop-outs inside the fan; the box is then taken over the
    // undilated cells of the winning component so the margin does not leak into it.
    let grown = dilate(&mask, gw, gh, 2);
    let (b, cells) = image_and_traces(&components(&grown, gw), &mask, gw);
    if cells == 0 || b.area() * 20 < gw * gh {
        return whole;
    }
    Rect {
        x0: b.x0 * cell,
        y0: b.y0 * cell,
        x1: b.x1 * cell,
        y1: b.y1 * cell,
    }
    .clamp(w, h)
}

/// What the fan search needs of one frame's grid cells, from one pass over its pixels.
struct CellStats {
    /// Mean luminance.
    luma: Vec<f32>,
    /// An eighth or more of the pixels are a saturated colour (ECG traces, colour Doppler, coloured
    /// text). A tinted grey map is not: its saturation stays under about 0.4.
    vivid: Vec<bool>,
}

fn cell_stats(f: &Frame, cell: usize, gw: usize, gh: usize) -> CellStats {
    let mut sum = vec![0f32; gw * gh];
    let mut n = vec![0u32; gw * gh];
    let mut colourful = vec![0u32; gw * gh];
    for y in 0..f.height {
        let gy = (y / cell) * gw;
        for x in 0..f.width {
            let [r, g, b] = f.rgb(x, y);
            let i = gy + x / cell;
            sum[i] += 0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32;
            n[i] += 1;
            colourful[i] += u32::from(saturated([r, g, b]));
        }
    }
    CellStats {
        luma: sum
            .iter()
            .zip(&n)
            .map(|(s, &k)| s / k.max(1) as f32)
            .collect(),
        vivid: colourful
            .iter()
            .zip(&n)
            .map(|(&c, &k)| c * 8 >= k.max(1))
            .collect(),
    }
}

/// A pixel of saturated colour (not black, saturation 0.6 or more), unlike any tinted grey map.
fn saturated([r, g, b]: [u8; 3]) -> bool {
    let (mx, mn) = (r.max(g).max(b) as u32, r.min(g).min(b) as u32);
    mx >= 64 && (mx - mn) * 10 >= mx * 6
}

/// Mean absolute change of each cell between consecutive frames.
fn cell_motion(lumas: &[&[f32]]) -> Vec<f32> {
    let n = lumas.first().map_or(0, |l| l.len());
    let mut motion = vec![0f32; n];
    for pair in lumas.windows(2) {
        for (m, (a, b)) in motion.iter_mut().zip(pair[0].iter().zip(pair[1])) {
            *m += (a - b).abs();
        }
    }
    let pairs = lumas.len().saturating_sub(1).max(1) as f32;
    motion.iter_mut().for_each(|m| *m /= pairs);
    motion
}

/// Motion (mean grey-level change) above which a cell counts as moving, and at or below which it
/// counts as never changing.
const MOVING: f32 = 1.5;
const STILL: f32 = 0.25;

/// Where too little moves for the motion search: a still image, or a dim clip whose fan is black but
/// for its walls. Tissue-like cells of the first frame; when anything moves at all, only those that
/// change, because speckle never holds still while grey bars and white text always do (without
/// this a dim clip's crop reaches out to the bar beside the fan).
fn still_or_dim_tissue(
    first: &Frame,
    motion: &[f32],
    cell: usize,
    gw: usize,
    gh: usize,
) -> Vec<bool> {
    let mut mask = textured_grey(first, cell, gw, gh);
    if motion.iter().any(|&m| m > MOVING) {
        mask.iter_mut()
            .zip(motion)
            .for_each(|(k, &m)| *k &= m > STILL);
    }
    mask
}

/// Cells of a still image that look like B-mode tissue: grey, not black, and speckled.
fn textured_grey(f: &Frame, cell: usize, gw: usize, gh: usize) -> Vec<bool> {
    let mut stats = vec![(0f32, 0f32, 0u32, 0u32); gw * gh];
    for y in 0..f.height {
        for x in 0..f.width {
            let rgb = f.rgb(x, y);
            let s = &mut stats[(y / cell) * gw + x / cell];
            let v = rgb.into_iter().max().unwrap_or(0) as f32;
            s.0 += v;
            s.1 += v * v;
            s.2 += 1;
            s.3 += u32::from(saturated(rgb));
        }
    }
    stats
        .iter()
        .map(|&(s, s2, n, colourful)| {
            let n = n.max(1) as f32;
            let mean = s / n;
            let var = (s2 / n - mean * mean).max(0.0);
            mean > 12.0 && var.sqrt() > 6.0 && (colourful as f32) < 0.5 * n
        })
        .collect()
}

fn dilate(mask: &[bool], gw: usize, gh: usize, r: usize) -> Vec<bool> {
    let mut out = vec![false; mask.len()];
    for y in 0..gh {
        for x in 0..gw {
            if mask[y * gw + x] {
                for yy in y.saturating_sub(r)..(y + r + 1).min(gh) {
                    for xx in x.saturating_sub(r)..(x + r + 1).min(gw) {
                        out[yy * gw + xx] = true;
                    }
                }
            }
        }
    }
    out
}

/// The box around the largest moving region and, when the other sizeable moving regions on one side
/// of its middle (below or above) together form a band at least half its height with a quarter of
/// its moving cells, that band too; with the number of undilated cells inside. The largest region
/// is usually the fan, and the band under it the scrolling trace of an M-mode or spectral Doppler
/// screen (often in stripes), which must stay in view (see `region_from_dicom`); when the trace is
/// the larger, the fan is the band above. An ECG sweep is a thin strip and text sits on one side, so
/// neither stretches the box.
fn image_and_traces(components: &[Vec<usize>], mask: &[bool], gw: usize) -> (Rect, usize) {
    let boxes: Vec<(Rect, usize)> = components
        .iter()
        .map(|c| cell_box(c.iter().copied().filter(|&i| mask[i]), gw))
        .collect();
    let Some((&image, rest)) = boxes.split_first() else {
        return (cell_box(std::iter::empty(), gw).0, 0);
    };
    let middle2 = image.0.y0 + image.0.y1;
    let band = |side: &dyn Fn(&Rect) -> bool| {
        rest.iter()
            .filter(|&&(r, n)| n > 0 && n * 8 >= image.1 && side(&r))
            .copied()
            .reduce(|(b, n), (r, k)| (b.union(&r), n + k))
            .filter(|&(b, n)| n * 4 >= image.1 && b.height() * 2 >= image.0.height())
    };
    match band(&|r| r.y0 * 2 >= middle2).or_else(|| band(&|r| r.y1 * 2 <= middle2)) {
        Some((b, n)) => (image.0.union(&b), image.1 + n),
        None => image,
    }
}

/// Bounding box (in cells) of the given cells, and how many there were.
fn cell_box(cells: impl Iterator<Item = usize>, gw: usize) -> (Rect, usize) {
    let mut b = Rect {
        x0: usize::MAX,
        y0: usize::MAX,
        x1: 0,
        y1: 0,
    };
    let mut n = 0;
    for i in cells {
        let (x, y) = (i % gw, i / gw);
        b = Rect {
            x0: b.x0.min(x),
            y0: b.y0.min(y),
            x1: b.x1.max(x + 1),
            y1: b.y1.max(y + 1),
        };
        n += 1;
    }
    (b, n)
}

/// The 4-connected components of the mask, largest first.
fn components(mask: &[bool], gw: usize) -> Vec<Vec<usize>> {
    let gh = mask.len() / gw.max(1);
    let mut seen = vec![false; mask.len()];
    let mut all: Vec<Vec<usize>> = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let mut component = vec![start];
        let mut k = 0;
        while k < component.len() {
            let i = component[k];
            k += 1;
            let (x, y) = (i % gw, i / gw);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < gw).then(|| i + 1),
                (y > 0).then(|| i - gw),
                (y + 1 < gh).then(|| i + gw),
            ];
            for j in neighbours.into_iter().flatten() {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    component.push(j);
                }
            }
        }
        all.push(component);
    }
    // Stable: among equal sizes the first found (top-left) wins, as before.
    all.sort_by_key(|c| std::cmp::Reverse(c.len()));
    all
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use tte_frames::PixelFormat;

    /// A tiny deterministic generator so tests need no RNG crate.
    pub struct Lcg(pub u64);
    impl Lcg {
        pub fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
    }

    /// A screen with a speckled fan (apex at `apex`, radius `depth`, half-angle `half_deg`, turned by
    /// `tilt_deg`), static text blocks, a colour bar and an ECG line; returns frames and the fan's box.
    pub fn screen(
        w: usize,
        h: usize,
        apex: (f64, f64),
        depth: f64,
        half_deg: f64,
        tilt_deg: f64,
        frames: usize,
        seed: u64,
    ) -> (Vec<Frame>, Rect) {
        let mut rng = Lcg(seed);
        let (half, tilt) = (half_deg.to_radians(), tilt_deg.to_radians());
        let inside = |x: f64, y: f64| {
            let (dx, dy) = (x - apex.0, y - apex.1);
            let r = (dx * dx + dy * dy).sqrt();
            let a = dx.atan2(dy) - tilt;
            r <= depth && a.abs() <= half
        };
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        for y in 0..h {
            for x in 0..w {
                if inside(x as f64 + 0.5, y as f64 + 0.5) {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x + 1);
                    y1 = y1.max(y + 1);
                }
            }
        }
        let truth = Rect { x0, y0, x1, y1 };
        let mut static_layer = vec![0u8; w * h * 3];
        // Text-like blocks in the top corners and a colour bar at the right edge, outside the fan.
        for (bx, by) in [(2usize, 2usize), (w.saturating_sub(40), 2)] {
            for y in by..(by + 10).min(h) {
                for x in bx..(bx + 36).min(w) {
                    if !inside(x as f64, y as f64) && (x + y) % 3 != 0 {
                        static_layer[(y * w + x) * 3..][..3].copy_from_slice(&[220, 220, 220]);
                    }
                }
            }
        }
        for y in h / 4..h / 2 {
            for x in w.saturating_sub(6)..w {
                if !inside(x as f64, y as f64) {
                    let v = (255 * (y - h / 4) / (h / 4).max(1)) as u8;
                    static_layer[(y * w + x) * 3..][..3].copy_from_slice(&[v, v, v]);
                }
            }
        }
        let out = (0..frames)
            .map(|k| {
                let mut data = static_layer.clone();
                for y in 0..h {
                    for x in 0..w {
                        if inside(x as f64 + 0.5, y as f64 + 0.5) {
                            // Tissue speckle with a dark "chamber" in the middle of the fan.
                            let chamber = ((x as f64 - apex.0).powi(2)
                                + (y as f64 - apex.1 - depth * 0.5).powi(2))
                            .sqrt()
                                < depth * 0.18;
                            let v = if chamber {
                                rng.next() % 12
                            } else {
                                30 + rng.next() % 180
                            };
                            data[(y * w + x) * 3..][..3].copy_from_slice(&[v as u8; 3]);
                        }
                    }
                }
                // An ECG trace sweeping along the bottom, green, outside the fan.
                let ey = h - 4;
                let ex = (k * 7) % w;
                if !inside(ex as f64, ey as f64) {
                    data[(ey * w + ex) * 3..][..3].copy_from_slice(&[0, 200, 0]);
                }
                Frame::new(w, h, PixelFormat::Rgb, data, k as f64 / 30.0).unwrap()
            })
            .collect();
        (out, truth)
    }

    #[test]
    fn dicom_regions_win_the_largest_2d_region_is_chosen_and_a_trace_stays_in_view() {
        let regions = vec![
            UltrasoundRegion {
                rect: Rect {
                    x0: 0,
                    y0: 400,
                    x1: 640,
                    y1: 480,
                },
                spatial_format: 3,
                data_type: 3,
            },
            UltrasoundRegion {
                rect: Rect {
                    x0: 100,
                    y0: 40,
                    x1: 540,
                    y1: 380,
                },
                spatial_format: 1,
                data_type: 1,
            },
            UltrasoundRegion {
                rect: Rect {
                    x0: 10,
                    y0: 10,
                    x1: 60,
                    y1: 60,
                },
                spatial_format: 1,
                data_type: 1,
            },
        ];
        let image = Rect {
            x0: 100,
            y0: 40,
            x1: 540,
            y1: 380,
        };
        assert_eq!(region_from_dicom(&regions[1..], 640, 480), Some(image));
        // A Doppler screen: the trace stays in view with its reference image (not the small
        // second 2-D region).
        assert_eq!(
            region_from_dicom(&regions, 640, 480),
            Some(Rect {
                x0: 0,
                y0: 40,
                x1: 640,
                y1: 480
            })
        );
        assert_eq!(region_from_dicom(&regions[..1], 640, 480), None);
    }

    #[test]
    fn a_still_frame_fan_is_found_by_texture() {
        let (frames, truth) = screen(320, 240, (160.0, 20.0), 200.0, 40.0, 0.0, 1, 7);
        let found = find_sector(&[&frames[0]]);
        assert!(found.iou(&truth) > 0.8, "found {found:?}, truth {truth:?}");
    }

    #[test]
    fn an_ecg_sweeping_just_under_the_fan_stays_out_of_the_crop() {
        let (mut frames, truth) = screen(320, 240, (160.0, 10.0), 200.0, 40.0, 0.0, 4, 3);
        for (k, f) in frames.iter_mut().enumerate() {
            // A green trace across the whole screen, a few pixels under the fan, redrawn each frame.
            for x in 0..f.width {
                let y = 218 + ((x as f64 / 5.0 + k as f64).sin() * 2.0).round() as usize;
                for yy in y..y + 2 {
                    f.data[(yy * f.width + x) * 3..][..3].copy_from_slice(&[0, 200, 0]);
                }
            }
        }
        let refs: Vec<&Frame> = frames.iter().collect();
        let found = find_sector(&refs);
        assert!(
            found.y1 <= truth.y1 + 3 && found.iou(&truth) > 0.8,
            "found {found:?}, fan {truth:?}"
        );
    }

    /// A dim clip: a black fan in which only a ring of wall echoes is left (a few percent of the
    /// screen moves), beside a tall grey bar and white text that never change.
    fn dim_screen(w: usize, h: usize, frames: usize) -> (Vec<Frame>, Rect) {
        let mut rng = Lcg(11);
        let (cx, cy, r) = (w as f64 * 0.4, h as f64 * 0.55, h as f64 * 0.22);
        let out = (0..frames)
            .map(|k| {
                let mut data = vec![0u8; w * h * 3];
                for y in 0..h {
                    for x in 0..w {
                        let px = &mut data[(y * w + x) * 3..][..3];
                        let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
                        // Broken wall fragments: every other 30 degrees of the ring.
                        let arc = ((y as f64 - cy).atan2(x as f64 - cx) * 6.0
                            / std::f64::consts::PI)
                            .floor() as i64;
                        if (d - r).abs() < 1.0 && arc.rem_euclid(2) == 0 {
                            px.copy_from_slice(&[(120 + rng.next() % 130) as u8; 3]);
                        } else if x >= w - 6 && y >= h / 12 && y < h * 11 / 12 {
                            px.copy_from_slice(&[(255 * y / h) as u8; 3]);
                        } else if y < 10 && x < 60 && (x + y) % 3 != 0 {
                            px.copy_from_slice(&[230; 3]);
                        }
                    }
                }
                Frame::new(w, h, PixelFormat::Rgb, data, k as f64 / 30.0).unwrap()
            })
            .collect();
        let ring = Rect {
            x0: (cx - r) as usize - 2,
            y0: (cy - r) as usize - 2,
            x1: (cx + r) as usize + 3,
            y1: (cy + r) as usize + 3,
        };
        (out, ring)
    }

    #[test]
    fn a_dim_clip_is_cropped_to_what_moves_not_to_the_grey_bar_or_the_text() {
        let (frames, ring) = dim_screen(320, 240, 4);
        let refs: Vec<&Frame> = frames.iter().collect();
        let found = find_sector(&refs);
        assert!(
            found.x1 < 320 - 12 && found.y0 > 10,
            "reached the overlays: {found:?}"
        );
        assert!(
            found.iou(&ring) > 0.6,
            "found {found:?}, walls within {ring:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn moving_fans_of_any_shape_and_place_are_found(
            w in 160usize..400, aspect in 0.6f64..1.0, cx in 0.35f64..0.65, top in 0.02f64..0.15,
            depth in 0.55f64..0.8, half in 25.0f64..48.0, tilt in -8.0f64..8.0, seed in 0u64..1000,
        ) {
            let h = (w as f64 * aspect) as usize;
            let (frames, truth) = screen(w, h, (cx * w as f64, top * h as f64), depth * h as f64, half, tilt, 4, seed);
            let refs: Vec<&Frame> = frames.iter().collect();
            let found = find_sector(&refs);
            prop_assert!(found.iou(&truth) > 0.8, "found {:?}, truth {:?}", found, truth);
        }
    }
}

//! Augmentation made for echo, applied to a clip: geometry of the sector, the machine's grey map,
//! speckle and noise, blur, overlays and compression, and the timing of the sampled frames.
//! Every augmentation keeps the view label (a reversed heartbeat is still the same view).

use serde::{Deserialize, Serialize};
use tte_frames::Frame;

/// Each field is a probability or a range; `enabled: false` turns everything off (the ablation).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AugmentConfig {
    pub enabled: bool,
    /// Rotation of the whole image, ± degrees.
    pub rotate_deg: f32,
    /// Shift, ± fraction of the crop.
    pub shift: f32,
    /// Zoom range (1 = none; above 1 crops into the sector edges, which jitters them).
    pub zoom: [f32; 2],
    /// Brightness offset, ± (0-1 scale).
    pub gain: f32,
    pub contrast: [f32; 2],
    pub gamma: [f32; 2],
    /// Probability and strength of multiplicative speckle.
    pub speckle_p: f32,
    pub speckle: f32,
    /// Additive Gaussian noise, standard deviation (0-1 scale).
    pub noise: f32,
    pub blur_p: f32,
    /// Frame-rate jitter: the sampling window is scaled by a factor in this range.
    pub window_scale: [f32; 2],
    /// Start anywhere in the clip rather than at its beginning.
    pub random_start: bool,
    pub reverse_p: f32,
    /// Extra text blocks and an ECG-like trace drawn onto the frames.
    pub overlay_p: f32,
    /// 8x8 block averaging, like heavy JPEG compression.
    pub compress_p: f32,
    /// Horizontal stretch range (1 = none): a wider or narrower sector than the phantom drew.
    pub stretch: [f32; 2],
    /// Probability of a colour cast (a machine's tinted grey map); each channel is scaled by a
    /// factor in `[1 - tint, 1]`.
    pub tint_p: f32,
    pub tint: f32,
    /// Probability that a phantom clip is cropped to the fan its DICOM would declare (Sequence of
    /// Ultrasound Regions) instead of by the motion search that MP4 and AVI get. The two crops
    /// differ when the fan is dark away from the heart, and deployment sees both. Applies even
    /// with `enabled: false`, since it is about the input path, not the picture.
    pub metadata_crop_p: f32,
    /// Probability of a dim grey map: a scanner at low gain and narrow dynamic range, where the
    /// weaker echoes fall to black. Grey level `x` (0-1) becomes `(x - offset) * stretch`, with
    /// `offset` drawn from `dim_offset` and `stretch` from `dim_stretch`.
    pub dim_p: f32,
    pub dim_offset: [f32; 2],
    pub dim_stretch: [f32; 2],
    /// Reads `dim_offset` as a share of the lit pixels (a quantile of their grey levels in the
    /// middle frame) rather than as a grey level: the dimmest that share falls to black. A fixed
    /// level blacks out a whole clip whose tissue is drawn dark (phantom v2 draws myocardium from
    /// dark to bright), leaving the network noise to learn a view from; a real scanner's gain is
    /// set by someone looking at the picture.
    pub dim_relative: bool,
    /// Probability of haze: a still, speckled grey laid over the lit part of the image, up to
    /// `haze` of the way to white (bright lung or clutter around the heart, where the phantom
    /// draws the surroundings dark).
    pub haze_p: f32,
    pub haze: f32,
    /// Probability of a wide dynamic range: the whole fan, blood pools included, is lifted towards
    /// white, `x` becoming `floor + (1 - floor) * x` (white stays white), and the lifted floor is
    /// speckled anew in every frame, like the weak echoes and noise such a grey map shows.
    /// `floor` is drawn from `wide_floor`. Unlike haze, it fills the dark chambers too.
    pub wide_p: f32,
    pub wide_floor: [f32; 2],
    /// Probability of a low-resolution source: the clip is averaged down by 2 or 3 and scaled
    /// back up (a small export, or a thumbnail).
    pub lowres_p: f32,
    /// Probability that the clip's coloured overlays (text, ECG, colour Doppler, colour bars) turn
    /// to another hue, the same for the whole clip: machines draw them in any colour, and the
    /// network should not learn a view from the colour of the text beside it. Grey pixels and
    /// tinted grey maps are left as they are.
    pub overlay_hue_p: f32,
    /// Probability that a phantom clip drawn without a colour Doppler box is given one (the
    /// default style draws one on 15 % of clips; 0.3 makes it about 40 %). Deployment sees many
    /// colour Doppler clips, and a box changes the picture inside it even with colour blanked.
    /// Like `metadata_crop_p`, a choice of what is rendered, so it applies even with
    /// `enabled: false`.
    pub doppler_p: f32,
    /// Probability that a phantom clip is a still: one frame, shown for the whole clip, as a
    /// teaching page's screenshot or a paused scanner gives it (a still is read as that frame
    /// repeated). Without it the network only ever sees standard views move, and learns that a
    /// picture with no motion is not one of them. A choice of what is rendered, so it applies even
    /// with `enabled: false`.
    pub still_p: f32,
    /// Probability of a random convolution (Xu et al. 2021, "RandConv"): every frame of the clip
    /// filtered by one random 3x3, 5x5 or 7x7 kernel of Gaussian weights, rescaled to the frame's
    /// own mean and spread and mixed with it in a random share. It scrambles local texture
    /// (speckle grain, wall sheen, smoothing) and keeps the layout of chambers and walls, which
    /// is what phantom and real screens share.
    pub random_conv_p: f32,
    /// Probability of an elastic warp: one smooth random displacement field for the whole clip
    /// (random shifts at the corners of a 4 x 4 grid of cells, blended smoothly between them),
    /// so the phantom's geometric chambers and walls bend into the irregular outlines of real
    /// hearts while motion and layout stay.
    pub elastic_p: f32,
    /// The elastic warp's displacement, standard deviation as a share of the frame's side.
    pub elastic: f32,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            rotate_deg: 10.0,
            shift: 0.06,
            zoom: [0.9, 1.15],
            gain: 0.12,
            contrast: [0.75, 1.3],
            gamma: [0.75, 1.35],
            speckle_p: 0.3,
            speckle: 0.15,
            noise: 0.03,
            blur_p: 0.2,
            window_scale: [0.75, 1.35],
            random_start: true,
            reverse_p: 0.5,
            overlay_p: 0.3,
            compress_p: 0.2,
            // Off by default so configs written before these existed train as they did.
            stretch: [1.0, 1.0],
            tint_p: 0.0,
            tint: 0.3,
            metadata_crop_p: 0.0,
            dim_p: 0.0,
            dim_offset: [0.15, 0.5],
            dim_stretch: [1.0, 1.6],
            dim_relative: false,
            haze_p: 0.0,
            haze: 0.45,
            wide_p: 0.0,
            wide_floor: [0.1, 0.5],
            lowres_p: 0.0,
            overlay_hue_p: 0.0,
            doppler_p: 0.0,
            still_p: 0.0,
            random_conv_p: 0.0,
            elastic_p: 0.0,
            elastic: 0.04,
        }
    }
}

/// A small generator for augmentation draws (deterministic from the example's seed).
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64) -> Self {
        Draw(seed ^ 0xA076_1D64_78BD_642F)
    }
    pub fn unit(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn range(&mut self, r: [f32; 2]) -> f32 {
        r[0] + (r[1] - r[0]) * self.unit()
    }
    pub fn sym(&mut self, a: f32) -> f32 {
        (self.unit() * 2.0 - 1.0) * a
    }
    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
    pub fn normal(&mut self) -> f32 {
        let (u, v) = (self.unit().max(1e-7), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

/// Draws on the decoded frames (before preprocessing): overlays, compression and a dim grey map
/// (before the fan search, which must then find a dim fan, as it would on such a scanner).
pub fn on_frames(frames: &mut [Frame], cfg: &AugmentConfig, d: &mut Draw) {
    if !cfg.enabled {
        return;
    }
    if d.chance(cfg.overlay_p) {
        let (bx, by, bw, bh) = (
            d.unit(),
            d.unit() * 0.3,
            0.1 + 0.2 * d.unit(),
            0.02 + 0.04 * d.unit(),
        );
        let ecg_y = 0.85 + 0.12 * d.unit();
        let shade = 150 + (d.unit() * 105.0) as u8;
        for f in frames.iter_mut() {
            let (w, h) = (f.width, f.height);
            let x0 = (bx * w as f32) as usize;
            let y0 = (by * h as f32) as usize;
            for y in y0..(y0 + (bh * h as f32) as usize + 1).min(h) {
                for x in x0..(x0 + (bw * w as f32) as usize).min(w) {
                    if (x / 2 + y) % 3 != 0 {
                        set(f, x, y, [shade; 3]);
                    }
                }
            }
            let ey = (ecg_y * h as f32) as usize;
            for x in 0..w {
                let wobble = ((x as f32 * 0.37).sin() * 2.0) as isize;
                let y = (ey as isize + wobble).clamp(0, h as isize - 1) as usize;
                set(f, x, y, [0, 220, 0]);
            }
        }
    }
    if cfg.overlay_hue_p > 0.0 && d.chance(cfg.overlay_hue_p) {
        let turn = hue_rotation(std::f32::consts::TAU * (0.15 + 0.7 * d.unit()));
        for f in frames.iter_mut() {
            turn_colourful_pixels(f, &turn);
        }
    }
    if d.chance(cfg.compress_p) {
        let mix = 0.4 + 0.5 * d.unit();
        for f in frames.iter_mut() {
            blockify(f, mix);
        }
    }
    if cfg.dim_p > 0.0 && d.chance(cfg.dim_p) {
        let (mut offset, stretch) = (d.range(cfg.dim_offset), d.range(cfg.dim_stretch));
        if let (true, Some(middle)) = (cfg.dim_relative, frames.get(frames.len() / 2)) {
            offset = lit_quantile(middle, offset);
        }
        let map: Vec<u8> = (0..256)
            .map(|v| {
                (((v as f32 / 255.0 - offset) * stretch).clamp(0.0, 1.0) * 255.0).round() as u8
            })
            .collect();
        for f in frames.iter_mut() {
            f.data.iter_mut().for_each(|v| *v = map[*v as usize]);
        }
    }
}

/// The grey level (0-1) below which `share` of a frame's lit pixels (any channel above 12) lie;
/// 0 for a black frame.
fn lit_quantile(f: &Frame, share: f32) -> f32 {
    let mut hist = [0usize; 256];
    let step = f.format.channels();
    for px in f.data.chunks_exact(step) {
        // Colour channels only: an alpha of 255 is not an echo.
        let v = *px[..step.min(3)].iter().max().unwrap_or(&0);
        if v > 12 {
            hist[v as usize] += 1;
        }
    }
    let lit: usize = hist.iter().sum();
    let want = ((share.clamp(0.0, 1.0) * lit as f32) as usize).min(lit.saturating_sub(1));
    let mut seen = 0;
    for (v, &n) in hist.iter().enumerate() {
        seen += n;
        if seen > want {
            return v as f32 / 255.0;
        }
    }
    0.0
}

/// Rotation by `angle` about the grey axis of RGB space: turns hue, keeps greys grey.
fn hue_rotation(angle: f32) -> [[f32; 3]; 3] {
    let (c, s) = (angle.cos(), angle.sin());
    let (a, b) = ((1.0 - c) / 3.0, s / 3f32.sqrt());
    [
        [c + a, a - b, a + b],
        [a + b, c + a, a - b],
        [a - b, a + b, c + a],
    ]
}

/// Applies `turn` to pixels of clearly coloured overlay (saturation 0.45 or more; a tinted grey
/// map stays under about 0.4).
fn turn_colourful_pixels(f: &mut Frame, turn: &[[f32; 3]; 3]) {
    if f.format.channels() < 3 {
        return;
    }
    let c = f.format.channels();
    for px in f.data.chunks_exact_mut(c) {
        let (mx, mn) = (px[0].max(px[1]).max(px[2]), px[0].min(px[1]).min(px[2]));
        if mx < 64 || (u32::from(mx - mn) * 20) < u32::from(mx) * 9 {
            continue;
        }
        let rgb = [px[0], px[1], px[2]].map(f32::from);
        for (o, row) in px.iter_mut().zip(turn) {
            let v: f32 = row.iter().zip(rgb).map(|(m, x)| m * x).sum();
            *o = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

fn set(f: &mut Frame, x: usize, y: usize, rgb: [u8; 3]) {
    let c = f.format.channels();
    let i = (y * f.width + x) * c;
    match f.format {
        tte_frames::PixelFormat::Gray => f.data[i] = rgb[1],
        _ => f.data[i..i + 3].copy_from_slice(&rgb),
    }
}

/// Blends each 8x8 block towards its mean, the look of a heavily compressed export.
fn blockify(f: &mut Frame, mix: f32) {
    let c = f.format.channels();
    for by in (0..f.height).step_by(8) {
        for bx in (0..f.width).step_by(8) {
            for ch in 0..c {
                let (mut s, mut n) = (0u32, 0u32);
                for y in by..(by + 8).min(f.height) {
                    for x in bx..(bx + 8).min(f.width) {
                        s += f.data[(y * f.width + x) * c + ch] as u32;
                        n += 1;
                    }
                }
                let m = s as f32 / n as f32;
                for y in by..(by + 8).min(f.height) {
                    for x in bx..(bx + 8).min(f.width) {
                        let v = &mut f.data[(y * f.width + x) * c + ch];
                        *v = (*v as f32 * (1.0 - mix) + m * mix) as u8;
                    }
                }
            }
        }
    }
}

/// Applies geometry, grey-map, speckle, noise and blur to a prepared clip `[c, t, s, s]`
/// (normalised with `mean`/`std`), and maybe reverses time.
pub fn on_clip(
    data: &mut [f32],
    shape: [usize; 4],
    mean: [f32; 3],
    std: [f32; 3],
    cfg: &AugmentConfig,
    d: &mut Draw,
) {
    if !cfg.enabled {
        return;
    }
    let [c, t, h, w] = shape;
    let plane = h * w;
    let (angle, zoom) = (d.sym(cfg.rotate_deg).to_radians(), d.range(cfg.zoom));
    // Draw the newer augmentations only when configured, so older configs keep their random stream.
    let stretch = if cfg.stretch[0] != cfg.stretch[1] {
        d.range(cfg.stretch)
    } else {
        cfg.stretch[0]
    };
    let scale = [zoom * stretch, zoom];
    let tint: [f32; 3] = if cfg.tint_p > 0.0 && d.chance(cfg.tint_p) {
        [0; 3].map(|_| 1.0 - cfg.tint * d.unit())
    } else {
        [1.0; 3]
    };
    let haze = if cfg.haze_p > 0.0 && d.chance(cfg.haze_p) {
        let level = cfg.haze * (0.3 + 0.7 * d.unit());
        let texture: Vec<f32> = (0..plane)
            .map(|_| level * (0.5 + 0.35 * d.normal()).clamp(0.0, 1.0))
            .collect();
        Some(texture)
    } else {
        None
    };
    let wide_floor = (cfg.wide_p > 0.0 && d.chance(cfg.wide_p)).then(|| d.range(cfg.wide_floor));
    let lowres = if cfg.lowres_p > 0.0 && d.chance(cfg.lowres_p) {
        if d.chance(0.5) {
            2
        } else {
            3
        }
    } else {
        1
    };
    let (sx, sy) = (d.sym(cfg.shift) * w as f32, d.sym(cfg.shift) * h as f32);
    let (gain, contrast, gamma) = (d.sym(cfg.gain), d.range(cfg.contrast), d.range(cfg.gamma));
    let speckle = if d.chance(cfg.speckle_p) {
        cfg.speckle
    } else {
        0.0
    };
    let noise = cfg.noise * d.unit();
    let blur = d.chance(cfg.blur_p);
    let reverse = d.chance(cfg.reverse_p);
    let mut speckle_field = vec![1f32; plane];
    if speckle > 0.0 {
        speckle_field
            .iter_mut()
            .for_each(|v| *v = (1.0 + speckle * d.normal()).max(0.0));
    }
    let random_conv = (cfg.random_conv_p > 0.0 && d.chance(cfg.random_conv_p)).then(|| {
        let k = [3, 5, 7][(d.unit() * 3.0) as usize % 3];
        let kernel: Vec<f32> = (0..k * k).map(|_| d.normal()).collect();
        (k, kernel, d.unit())
    });
    let elastic = (cfg.elastic_p > 0.0 && d.chance(cfg.elastic_p))
        .then(|| displacement_field([w, h], cfg.elastic, d));
    let mut buf = vec![0f32; plane];
    let lit = (haze.is_some() || wide_floor.is_some())
        .then(|| lit_pixels(data, [c, t], plane, mean, std));
    if let (Some(floor), Some(lit)) = (wide_floor, &lit) {
        widen_dynamic_range(data, [c, t, h, w], mean, std, floor, &fan_rows(lit, w), d);
    }
    for ch in 0..c {
        let (m, s) = (mean[ch.min(2)], std[ch.min(2)]);
        let pad = -m / s;
        for ti in 0..t {
            let p = &mut data[(ch * t + ti) * plane..][..plane];
            if let (Some(texture), Some(lit)) = (&haze, &lit) {
                for ((v, &a), &on) in p.iter_mut().zip(texture).zip(lit) {
                    if on {
                        let x = (*v * s + m).clamp(0.0, 1.0);
                        *v = (x + a * (1.0 - x) - m) / s;
                    }
                }
            }
            warp(p, &mut buf, w, h, angle, scale, sx, sy, pad);
            if let Some(field) = &elastic {
                displace(p, &mut buf, [w, h], field, pad);
            }
            if lowres > 1 {
                lower_resolution(p, &mut buf, w, h, lowres);
            }
            if blur {
                box_blur(p, &mut buf, w, h);
            }
            for (i, v) in p.iter_mut().enumerate() {
                let x = (*v * s + m).clamp(0.0, 1.0);
                let x = ((x - 0.5) * contrast + 0.5 + gain)
                    .clamp(0.0, 1.0)
                    .powf(gamma);
                let x =
                    (x * tint[ch.min(2)] * speckle_field[i] + noise * d.normal()).clamp(0.0, 1.0);
                *v = (x - m) / s;
            }
            if let Some((k, kernel, mix)) = &random_conv {
                random_convolution(p, &mut buf, [w, h], (*k, kernel), *mix, (m, s));
            }
        }
        if reverse {
            for ti in 0..t / 2 {
                let (a, b) = ((ch * t + ti) * plane, (ch * t + t - 1 - ti) * plane);
                for k in 0..plane {
                    data.swap(a + k, b + k);
                }
            }
        }
    }
}

/// Grey level (0-1) below which a pixel counts as black for [`random_convolution`].
const BLACK: f32 = 0.06;

/// Filters the normalised frame `p` by the `k` x `k` `kernel` (edges clamped), rescales the
/// result to the mean and standard deviation of the frame's lit pixels on the 0-1 grey scale,
/// and mixes it in a share `mix` with the frame's lit pixels. `norm` is the (mean, std) the
/// frame was normalised with.
fn random_convolution(
    p: &mut [f32],
    buf: &mut [f32],
    [w, h]: [usize; 2],
    (k, kernel): (usize, &[f32]),
    mix: f32,
    (m, s): (f32, f32),
) {
    let grey = |v: f32| (v * s + m).clamp(0.0, 1.0);
    // The frame's grey levels once, not once per kernel tap.
    let g: Vec<f32> = p.iter().map(|&v| grey(v)).collect();
    let r = (k / 2) as isize;
    for y in 0..h as isize {
        for x in 0..w as isize {
            let mut acc = 0.0;
            for dy in -r..=r {
                let yy = (y + dy).clamp(0, h as isize - 1) as usize;
                for dx in -r..=r {
                    let xx = (x + dx).clamp(0, w as isize - 1) as usize;
                    acc += kernel[((dy + r) as usize) * k + (dx + r) as usize] * g[yy * w + xx];
                }
            }
            buf[y as usize * w + x as usize] = acc;
        }
    }
    let moments = |vals: &mut dyn Iterator<Item = f32>| {
        let (mut n, mut sum, mut sq) = (0.0f64, 0.0f64, 0.0f64);
        for v in vals {
            n += 1.0;
            sum += v as f64;
            sq += (v as f64) * (v as f64);
        }
        let mean = sum / n.max(1.0);
        (
            mean as f32,
            ((sq / n.max(1.0) - mean * mean).max(0.0)).sqrt() as f32,
        )
    };
    let lit = |v: &&f32| grey(**v) >= BLACK;
    let (mean_x, sd_x) = moments(&mut p.iter().filter(lit).map(|&v| grey(v)));
    let (mean_y, sd_y) = moments(
        &mut p
            .iter()
            .zip(buf.iter())
            .filter(|(v, _)| lit(v))
            .map(|(_, &y)| y),
    );
    let gain = if sd_y > 1e-6 { sd_x / sd_y } else { 0.0 };
    for (v, &y) in p.iter_mut().zip(buf.iter()) {
        // Black stays black: the screen round the fan and the blood pools are black on every
        // scanner, and their outline is the view; only the texture of what echoes is scrambled.
        if grey(*v) < BLACK {
            continue;
        }
        let filtered = (y - mean_y) * gain + mean_x;
        let x = (mix * filtered + (1.0 - mix) * grey(*v)).clamp(0.0, 1.0);
        *v = (x - m) / s;
    }
}

/// Cells across the elastic warp's control grid: a bend every quarter of the frame, about the
/// size of a chamber, so walls and chambers change shape rather than the speckle wobbling.
const ELASTIC_CELLS: usize = 4;

/// A smooth random displacement per pixel (`[dx, dy]` in pixels): normal shifts of `amount`
/// times the frame's width (across) and height (down) at the control grid's corners (cut at two deviations), blended with
/// smoothstep weights so the field has no kinks at the cell edges. Up to an `amount` of 0.04 a
/// pixel never overtakes its neighbour (steepest slope 1.5 x 4 x 0.04 x 4 cells < 1): the image
/// bends, never folds.
fn displacement_field([w, h]: [usize; 2], amount: f32, d: &mut Draw) -> Vec<[f32; 2]> {
    let n = ELASTIC_CELLS + 1;
    let knots: Vec<[f32; 2]> = (0..n * n)
        .map(|_| [w, h].map(|len| amount * len as f32 * d.normal().clamp(-2.0, 2.0)))
        .collect();
    let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
    let locate = |x: usize, len: usize| {
        let u = (x as f32 + 0.5) / len as f32 * ELASTIC_CELLS as f32;
        let i = (u as usize).min(ELASTIC_CELLS - 1);
        (i, smooth(u - i as f32))
    };
    let mut field = Vec::with_capacity(w * h);
    for y in 0..h {
        let (j, b) = locate(y, h);
        for x in 0..w {
            let (i, a) = locate(x, w);
            let k = |di: usize, dj: usize| knots[(j + dj) * n + i + di];
            field.push([0, 1].map(|c| {
                (1.0 - b) * ((1.0 - a) * k(0, 0)[c] + a * k(1, 0)[c])
                    + b * ((1.0 - a) * k(0, 1)[c] + a * k(1, 1)[c])
            }));
        }
    }
    field
}

/// Moves every pixel of `p` by `field` (each output pixel reads the input at its own place plus
/// the displacement), sampled bilinearly; outside the frame is padding.
fn displace(p: &mut [f32], buf: &mut [f32], [w, h]: [usize; 2], field: &[[f32; 2]], pad: f32) {
    buf.copy_from_slice(p);
    for y in 0..h {
        for x in 0..w {
            let [dx, dy] = field[y * w + x];
            let (u, v) = (x as f32 + dx, y as f32 + dy);
            p[y * w + x] = sample_bilinear(buf, [w, h], u, v, pad);
        }
    }
}

/// `buf` (`w` x `h`) read at the fractional place `(u, v)`, blended bilinearly; `pad` outside.
fn sample_bilinear(buf: &[f32], [w, h]: [usize; 2], u: f32, v: f32, pad: f32) -> f32 {
    if u < 0.0 || v < 0.0 || u > (w - 1) as f32 || v > (h - 1) as f32 {
        return pad;
    }
    let (x0, y0) = (u as usize, v as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (a, b) = (u - x0 as f32, v - y0 as f32);
    (1.0 - b) * ((1.0 - a) * buf[y0 * w + x0] + a * buf[y0 * w + x1])
        + b * ((1.0 - a) * buf[y1 * w + x0] + a * buf[y1 * w + x1])
}

/// Rotation about the centre, zoom (`[x, y]`) and shift, sampled bilinearly; outside is padding.
#[allow(clippy::too_many_arguments)]
fn warp(
    p: &mut [f32],
    buf: &mut [f32],
    w: usize,
    h: usize,
    angle: f32,
    zoom: [f32; 2],
    sx: f32,
    sy: f32,
    pad: f32,
) {
    buf.copy_from_slice(p);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (s, c) = angle.sin_cos();
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (
                (x as f32 + 0.5 - cx - sx) / zoom[0],
                (y as f32 + 0.5 - cy - sy) / zoom[1],
            );
            let (u, v) = (c * dx + s * dy + cx - 0.5, -s * dx + c * dy + cy - 0.5);
            p[y * w + x] = sample_bilinear(buf, [w, h], u, v, pad);
        }
    }
}

/// Lifts every fan pixel towards white, `x -> f + (1 - f) * x`, where `f` is `floor` speckled
/// per pixel: partly still (weak tissue echoes), partly new in each frame (noise). The speckle is
/// shared by the channels, so grey stays grey.
fn widen_dynamic_range(
    data: &mut [f32],
    [c, t, h, w]: [usize; 4],
    mean: [f32; 3],
    std: [f32; 3],
    floor: f32,
    fan: &[bool],
    d: &mut Draw,
) {
    let plane = h * w;
    let still: Vec<f32> = (0..plane).map(|_| d.normal()).collect();
    for ti in 0..t {
        let lift: Vec<f32> = still
            .iter()
            .map(|s| floor * (0.8 + 0.25 * s + 0.25 * d.normal()).clamp(0.0, 1.6))
            .collect();
        for ch in 0..c {
            let (m, sd) = (mean[ch.min(2)], std[ch.min(2)]);
            let p = &mut data[(ch * t + ti) * plane..][..plane];
            for ((v, &f), &on) in p.iter_mut().zip(&lift).zip(fan) {
                if on {
                    let x = (*v * sd + m).clamp(0.0, 1.0);
                    *v = ((f + (1.0 - f) * x).min(1.0) - m) / sd;
                }
            }
        }
    }
}

/// The fan as each row's span from its first to its last lit pixel: a sector is convex, so this
/// takes in the black chambers inside it and leaves the screen on either side.
fn fan_rows(lit: &[bool], w: usize) -> Vec<bool> {
    let mut fan = vec![false; lit.len()];
    for (row, out) in lit.chunks(w).zip(fan.chunks_mut(w)) {
        if let (Some(a), Some(b)) = (row.iter().position(|&l| l), row.iter().rposition(|&l| l)) {
            out[a..=b].iter_mut().for_each(|f| *f = true);
        }
    }
    fan
}

/// Pixels that are above black in any frame of any channel: the fan, not the screen around it.
fn lit_pixels(
    data: &[f32],
    [c, t]: [usize; 2],
    plane: usize,
    mean: [f32; 3],
    std: [f32; 3],
) -> Vec<bool> {
    let mut lit = vec![false; plane];
    for k in 0..c * t {
        let ch = (k / t.max(1)).min(2);
        let black = -mean[ch] / std[ch] + 2.0 / 255.0 / std[ch];
        for (l, &v) in lit.iter_mut().zip(&data[k * plane..][..plane]) {
            *l |= v > black;
        }
    }
    lit
}

/// Averages `k`x`k` blocks and samples them back up bilinearly (a smaller source image).
fn lower_resolution(p: &mut [f32], buf: &mut [f32], w: usize, h: usize, k: usize) {
    let (sw, sh) = (w.div_ceil(k), h.div_ceil(k));
    for by in 0..sh {
        for bx in 0..sw {
            let (mut s, mut n) = (0.0, 0.0);
            for y in by * k..((by + 1) * k).min(h) {
                for x in bx * k..((bx + 1) * k).min(w) {
                    s += p[y * w + x];
                    n += 1.0;
                }
            }
            buf[by * sw + bx] = s / n;
        }
    }
    let at = |x: usize, y: usize| buf[y.min(sh - 1) * sw + x.min(sw - 1)];
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let v = ((y as f32 + 0.5) / k as f32 - 0.5).max(0.0);
        let (y0, b) = (v as usize, v.fract());
        for x in 0..w {
            let u = ((x as f32 + 0.5) / k as f32 - 0.5).max(0.0);
            let (x0, a) = (u as usize, u.fract());
            out[y * w + x] = (1.0 - b) * ((1.0 - a) * at(x0, y0) + a * at(x0 + 1, y0))
                + b * ((1.0 - a) * at(x0, y0 + 1) + a * at(x0 + 1, y0 + 1));
        }
    }
    p.copy_from_slice(&out);
}

fn box_blur(p: &mut [f32], buf: &mut [f32], w: usize, h: usize) {
    buf.copy_from_slice(p);
    for y in 0..h {
        for x in 0..w {
            let (mut s, mut n) = (0.0, 0.0);
            for yy in y.saturating_sub(1)..(y + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    s += buf[yy * w + xx];
                    n += 1.0;
                }
            }
            p[y * w + x] = s / n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `on_clip` on an RGB clip of `t` frames of `s`x`s`, normalised with mean 0.5 and std 0.25.
    fn augment_grey_clip(data: &mut [f32], [t, s]: [usize; 2], cfg: &AugmentConfig, seed: u64) {
        on_clip(
            data,
            [3, t, s, s],
            [0.5; 3],
            [0.25; 3],
            cfg,
            &mut Draw::new(seed),
        );
    }

    fn identity() -> AugmentConfig {
        AugmentConfig {
            rotate_deg: 0.0,
            shift: 0.0,
            zoom: [1.0, 1.0],
            gain: 0.0,
            contrast: [1.0, 1.0],
            gamma: [1.0, 1.0],
            speckle_p: 0.0,
            noise: 0.0,
            blur_p: 0.0,
            reverse_p: 0.0,
            ..Default::default()
        }
    }

    #[test]
    fn tint_darkens_channels_unequally_and_keeps_grey_order() {
        let (t, s) = (2, 6);
        let grey = (0.6 - 0.5) / 0.25;
        let mut data = vec![grey; 3 * t * s * s];
        let cfg = AugmentConfig {
            tint_p: 1.0,
            tint: 0.3,
            ..identity()
        };
        augment_grey_clip(&mut data, [t, s], &cfg, 7);
        let means: Vec<f32> = data
            .chunks(t * s * s)
            .map(|c| c.iter().sum::<f32>() / c.len() as f32 * 0.25 + 0.5)
            .collect();
        for m in &means {
            assert!((0.6 * 0.7 - 1e-4..=0.6 + 1e-4).contains(m), "{means:?}");
        }
        assert!(
            means.iter().any(|m| (m - means[0]).abs() > 1e-3),
            "{means:?}"
        );
    }

    #[test]
    fn dim_grey_map_blacks_out_weak_echoes_and_keeps_strong_ones_in_order() {
        // Grey levels 25, 76, 153, 230 along a row.
        let greys = [25u8, 76, 153, 230];
        let data: Vec<u8> = greys.iter().flat_map(|&g| [g; 3]).collect();
        let mut frames = vec![Frame::new(4, 1, tte_frames::PixelFormat::Rgb, data, 0.0).unwrap()];
        let cfg = AugmentConfig {
            overlay_p: 0.0,
            compress_p: 0.0,
            dim_p: 1.0,
            dim_offset: [0.35, 0.35],
            dim_stretch: [1.2, 1.2],
            ..identity()
        };
        on_frames(&mut frames, &cfg, &mut Draw::new(3));
        let got: Vec<u8> = frames[0].data.chunks(3).map(|p| p[0]).collect();
        let want =
            greys.map(|g| (((g as f32 / 255.0 - 0.35) * 1.2).max(0.0) * 255.0).round() as u8);
        assert_eq!(got, want);
        assert_eq!(&got[..2], &[0, 0]);
    }

    #[test]
    fn relative_dim_keeps_the_brighter_echoes_of_a_dark_clip() {
        // A dark picture (tissue drawn at grey levels 20-59) on a black screen.
        let mut data: Vec<u8> = (0..40u8).flat_map(|g| [20 + g; 3]).collect();
        data.extend([0u8; 3 * 40]);
        let frame = Frame::new(80, 1, tte_frames::PixelFormat::Rgb, data, 0.0).unwrap();
        let dim = |relative: bool| {
            let cfg = AugmentConfig {
                overlay_p: 0.0,
                compress_p: 0.0,
                dim_p: 1.0,
                dim_offset: [0.5, 0.5],
                dim_stretch: [1.0, 1.0],
                dim_relative: relative,
                ..identity()
            };
            let mut frames = vec![frame.clone()];
            on_frames(&mut frames, &cfg, &mut Draw::new(3));
            frames[0].data.chunks(3).filter(|p| p[0] > 0).count()
        };
        // A fixed level of 0.5 (grey 128) blacks it all out; half of its echoes survive a
        // relative one.
        assert_eq!(dim(false), 0);
        assert!((18..=21).contains(&dim(true)), "{}", dim(true));
    }

    #[test]
    fn haze_greys_the_lit_image_and_leaves_the_black_screen_black() {
        let (t, s) = (2, 8);
        let black = -0.5 / 0.25;
        // Left half: faint speckle (lit, like dark lung); right half: the black screen.
        let mut data: Vec<f32> = (0..3 * t * s * s)
            .map(|i| {
                if i % s < s / 2 {
                    (0.03 - 0.5) / 0.25
                } else {
                    black
                }
            })
            .collect();
        let cfg = AugmentConfig {
            haze_p: 1.0,
            haze: 0.5,
            ..identity()
        };
        augment_grey_clip(&mut data, [t, s], &cfg, 5);
        let grey = |v: &f32| v * 0.25 + 0.5;
        let (lit, dark): (Vec<_>, Vec<_>) =
            data.iter().enumerate().partition(|(i, _)| i % s < s / 2);
        let lit_mean = lit.iter().map(|(_, v)| grey(v)).sum::<f32>() / lit.len() as f32;
        assert!(lit_mean > 0.08, "haze mean {lit_mean}");
        assert!(dark.iter().all(|(_, v)| grey(v).abs() < 1e-5));
    }

    #[test]
    fn wide_range_lifts_the_whole_fan_keeps_white_and_leaves_the_screen_black() {
        let (t, s) = (3, 12);
        let g = |x: f32| (x - 0.5) / 0.25;
        // Each row: screen, fan edge (faint), a black chamber, bright wall, fan edge, screen.
        let row = [0.0, 0.0, 0.05, 0.0, 0.0, 0.0, 1.0, 1.0, 0.3, 0.05, 0.0, 0.0];
        let mut data: Vec<f32> = (0..3 * t * s * s).map(|i| g(row[i % s])).collect();
        let cfg = AugmentConfig {
            wide_p: 1.0,
            wide_floor: [0.3, 0.3],
            ..identity()
        };
        augment_grey_clip(&mut data, [t, s], &cfg, 9);
        let grey = |i: usize| data[i] * 0.25 + 0.5;
        let column = |x: usize| (0..3 * t * s).map(move |r| r * s + x);
        for x in [0, 1, 10, 11] {
            assert!(
                column(x).all(|i| grey(i).abs() < 1e-5),
                "screen column {x} lit"
            );
        }
        let chamber: Vec<f32> = column(4).map(grey).collect();
        let mean = chamber.iter().sum::<f32>() / chamber.len() as f32;
        assert!((0.15..0.35).contains(&mean), "chamber lifted to {mean}");
        let spread = chamber.iter().map(|v| (v - mean).abs()).sum::<f32>() / chamber.len() as f32;
        assert!(spread > 0.01, "chamber floor is flat ({spread})");
        assert!(
            column(6).all(|i| (grey(i) - 1.0).abs() < 1e-5),
            "white changed"
        );
        // Frames differ: the floor is speckled anew in each.
        let frame = |ti: usize| (0..s * s).map(move |k| ti * s * s + k);
        assert!(frame(0)
            .zip(frame(1))
            .any(|(a, b)| (grey(a) - grey(b)).abs() > 1e-3));
        // Channels agree: grey stays grey.
        let plane = t * s * s;
        assert!((0..plane).all(|k| (grey(k) - grey(k + plane)).abs() < 1e-6));
    }

    #[test]
    fn overlay_hue_turns_coloured_overlays_and_leaves_grey_and_tinted_tissue() {
        let pixels: [[u8; 3]; 4] = [
            [0, 220, 0],
            [255, 80, 200],
            [120, 120, 120],
            [200, 190, 170],
        ];
        let frame = || {
            let data = pixels.iter().flatten().copied().collect();
            Frame::new(4, 1, tte_frames::PixelFormat::Rgb, data, 0.0).unwrap()
        };
        let cfg = AugmentConfig {
            overlay_hue_p: 1.0,
            overlay_p: 0.0,
            compress_p: 0.0,
            ..identity()
        };
        let mut frames = vec![frame(), frame()];
        on_frames(&mut frames, &cfg, &mut Draw::new(5));
        let px = |f: &Frame, i: usize| [f.data[3 * i], f.data[3 * i + 1], f.data[3 * i + 2]];
        for f in &frames {
            assert_eq!(px(f, 2), pixels[2], "grey must stay grey");
            assert_eq!(px(f, 3), pixels[3], "a tinted grey map must stay as it is");
            for i in 0..2 {
                let (before, after) = (pixels[i], px(f, i));
                assert_ne!(after, before, "overlay colour {before:?} kept its hue");
                let spread = |p: [u8; 3]| p.iter().max().unwrap() - p.iter().min().unwrap();
                assert!(
                    spread(after) > 60,
                    "{before:?} -> {after:?} lost its colour"
                );
            }
        }
        assert_eq!(frames[0].data, frames[1].data, "one hue for the whole clip");
    }

    #[test]
    fn low_resolution_keeps_flat_areas_and_smooths_fine_detail() {
        let (w, h) = (12, 12);
        let mut flat = vec![0.7f32; w * h];
        let mut buf = vec![0f32; w * h];
        lower_resolution(&mut flat, &mut buf, w, h, 3);
        assert!(flat.iter().all(|v| (v - 0.7).abs() < 1e-5));
        let mut checks: Vec<f32> = (0..w * h).map(|i| ((i % w + i / w) % 2) as f32).collect();
        lower_resolution(&mut checks, &mut buf, w, h, 2);
        assert!(checks.iter().all(|v| (v - 0.5).abs() < 1e-5), "{checks:?}");
    }

    #[test]
    fn stretch_widens_horizontally_only() {
        // A bright vertical bar two pixels right of centre moves outwards under a 1.5x stretch,
        // and every row stays identical (nothing moved vertically).
        let s = 16;
        let mut data = vec![-2.0f32; s * s];
        for y in 0..s {
            data[y * s + 10] = 2.0;
        }
        let cfg = AugmentConfig {
            stretch: [1.5, 1.5],
            ..identity()
        };
        on_clip(
            &mut data,
            [1, 1, s, s],
            [0.5; 3],
            [0.25; 3],
            &cfg,
            &mut Draw::new(3),
        );
        let row: Vec<f32> = data[..s].to_vec();
        let peak = (0..s).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        assert!(peak > 10, "bar at {peak}: {row:?}");
        for y in 1..s {
            assert_eq!(&data[y * s..][..s], &row[..], "row {y}");
        }
    }

    #[test]
    fn random_convolution_keeps_a_frames_grey_level_and_changes_its_texture() {
        // A bright ring (a wall) on black with fine speckle, as grey 0-1 normalised by 0.5/0.25.
        let (w, h, m, s) = (48usize, 40usize, 0.5f32, 0.25f32);
        let mut d = Draw::new(7);
        let frame: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32 - 24.0, (i / w) as f32 - 20.0);
                let ring = ((x * x + y * y).sqrt() - 12.0).abs() < 3.0;
                let g = if ring {
                    0.6 + 0.3 * d.unit()
                } else {
                    0.1 * d.unit()
                };
                (g - m) / s
            })
            .collect();
        let grey = |f: &[f32]| {
            f.iter()
                .map(|v| (v * s + m).clamp(0.0, 1.0))
                .collect::<Vec<_>>()
        };
        let mean = |f: &[f32]| f.iter().sum::<f32>() / f.len() as f32;
        for seed in 0..6 {
            let mut d = Draw::new(seed);
            let kernel: Vec<f32> = (0..25).map(|_| d.normal()).collect();
            let (mut p, mut buf) = (frame.clone(), vec![0f32; w * h]);
            random_convolution(&mut p, &mut buf, [w, h], (5, &kernel), 1.0, (m, s));
            let (a, b) = (grey(&frame), grey(&p));
            // Rescaled to the frame's mean and spread before clipping to 0-1: unscaled, a
            // kernel's weights (summing to anything from -5 to 5) would shift it by far more.
            assert!(
                (mean(&a) - mean(&b)).abs() < 0.1,
                "mean {} -> {}",
                mean(&a),
                mean(&b)
            );
            let changed = a
                .iter()
                .zip(&b)
                .filter(|(x, y)| (*x - *y).abs() > 0.05)
                .count();
            assert!(
                changed > w * h / 10,
                "seed {seed}: only {changed} pixels changed"
            );
            // The black screen and blood stay black.
            assert!(a
                .iter()
                .zip(&b)
                .filter(|(x, _)| **x < BLACK)
                .all(|(x, y)| x == y));
            // Mixed in a share of 0, the frame is as it was.
            let mut q = frame.clone();
            random_convolution(&mut q, &mut buf, [w, h], (5, &kernel), 0.0, (m, s));
            assert!(q.iter().zip(&frame).all(|(x, y)| (x - y).abs() < 1e-5));
        }
    }

    #[test]
    fn elastic_warp_bends_shapes_smoothly_and_keeps_flat_areas() {
        let (w, h) = (64usize, 48usize);
        for seed in 0..5 {
            let field = displacement_field([w, h], 0.04, &mut Draw::new(seed));
            let side = w.max(h) as f32;
            let largest = field
                .iter()
                .map(|f| f[0].abs().max(f[1].abs()))
                .fold(0.0, f32::max);
            // Some pixel moves by a pixel or more, none by more than a fifth of the frame.
            assert!(
                largest > 1.0 && largest < 0.2 * side,
                "seed {seed}: {largest}"
            );
            // Smooth: neighbours move by less than the pixel between them (nothing folds).
            for y in 1..h {
                for x in 1..w {
                    let (a, l, u) = (
                        field[y * w + x],
                        field[y * w + x - 1],
                        field[(y - 1) * w + x],
                    );
                    assert!((a[0] - l[0]).abs() < 1.0 && (a[1] - u[1]).abs() < 1.0);
                }
            }
            let mut buf = vec![0f32; w * h];
            // A flat frame stays flat where it reads inside the frame.
            let mut flat = vec![0.3f32; w * h];
            displace(&mut flat, &mut buf, [w, h], &field, 0.3);
            assert!(flat.iter().all(|v| (v - 0.3).abs() < 1e-5));
            // A straight bright column comes out bent: its brightest pixel moves between rows.
            let mut bar: Vec<f32> = (0..w * h)
                .map(|i| if i % w == 32 { 1.0 } else { 0.0 })
                .collect();
            displace(&mut bar, &mut buf, [w, h], &field, 0.0);
            let peak = |y: usize| {
                (0..w)
                    .max_by(|&a, &b| bar[y * w + a].total_cmp(&bar[y * w + b]))
                    .unwrap() as isize
            };
            let cols: Vec<isize> = (0..h).map(peak).collect();
            let spread = cols.iter().max().unwrap() - cols.iter().min().unwrap();
            assert!(
                spread >= 1,
                "seed {seed}: the column stayed straight {cols:?}"
            );
        }
        // Off by default, and then it draws nothing: older configs keep their random stream.
        assert_eq!(AugmentConfig::default().elastic_p, 0.0);
    }

    #[test]
    fn disabled_augmentation_changes_nothing() {
        let mut data: Vec<f32> = (0..3 * 4 * 8 * 8).map(|i| (i % 17) as f32 / 17.0).collect();
        let before = data.clone();
        let cfg = AugmentConfig {
            enabled: false,
            ..Default::default()
        };
        on_clip(
            &mut data,
            [3, 4, 8, 8],
            [0.5; 3],
            [0.25; 3],
            &cfg,
            &mut Draw::new(1),
        );
        assert_eq!(data, before);
    }

    #[test]
    fn reversal_reverses_time_and_nothing_else() {
        let mut data: Vec<f32> = (0..2 * 4 * 2 * 2).map(|i| (i / 4) as f32).collect();
        let cfg = AugmentConfig {
            reverse_p: 1.0,
            ..identity()
        };
        // Values are chosen inside the normalised 0..1 range so the grey map is the identity.
        let mut norm: Vec<f32> = data.iter().map(|v| (v / 8.0 - 0.5) / 0.25).collect();
        on_clip(
            &mut norm,
            [2, 4, 2, 2],
            [0.5; 3],
            [0.25; 3],
            &cfg,
            &mut Draw::new(3),
        );
        data.iter_mut().for_each(|v| *v = (*v / 8.0 - 0.5) / 0.25);
        for ch in 0..2 {
            for t in 0..4 {
                for k in 0..4 {
                    let got = norm[(ch * 4 + t) * 4 + k];
                    let want = data[(ch * 4 + 3 - t) * 4 + k];
                    assert!((got - want).abs() < 1e-4, "{got} vs {want}");
                }
            }
        }
    }
}

//! B-mode image formation: scatterers that move with the tissue, a point-spread function that
//! widens laterally with depth, coherent summation and envelope detection, attenuation with
//! imperfect time-gain compensation, clutter, rib shadows, noise, then log compression.
//!
//! The result is a polar image (depth samples x scan lines) for scan conversion.

use crate::anatomy::{Scene, V2};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How the (virtual) scanner was set up for a clip.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scanner {
    pub depth_cm: f32,
    /// Half of the sector's opening angle, radians.
    pub half_angle: f32,
    pub freq_mhz: f32,
    pub gain_db: f32,
    pub dynamic_range_db: f32,
    /// What the TGC leaves uncorrected, dB per cm (positive: the far field gets brighter).
    pub tgc_residual_db_cm: f32,
    /// Electronic noise level, dB relative to the display's reference level.
    pub noise_db: f32,
    /// Near-field reverberation strength (0..1).
    pub clutter: f32,
    /// Rib shadows as (centre angle, half width), radians, starting at `rib_depth_cm`.
    pub ribs: Vec<[f32; 2]>,
    pub rib_depth_cm: f32,
    /// Extra loss of a poor acoustic window, dB over the whole depth (0 = good window).
    pub window_loss_db: f32,
    /// Display gamma applied after log compression.
    pub gamma: f32,
}

/// The grid the echo is formed on.
#[derive(Clone, Copy, Debug)]
pub struct PolarGrid {
    pub samples: usize,
    pub lines: usize,
}

impl PolarGrid {
    /// A grid fine enough for a sector drawn `px_height` pixels deep, capped for speed.
    pub fn for_display(px_height: f32, half_angle: f32) -> Self {
        let samples = (px_height * 0.75).clamp(64.0, 320.0) as usize;
        let arc_px = px_height * 2.0 * half_angle;
        let lines = (arc_px * 0.55).clamp(40.0, 224.0) as usize;
        Self { samples, lines }
    }
}

/// Scatterers in tissue (reference) coordinates: fixed for the clip, so speckle tracks motion.
pub struct Scatterers {
    pos: Vec<V2>,
    amp: Vec<f32>,
    phase: Vec<f32>,
}

impl Scatterers {
    /// About two and a half scatterers per grid cell, spread over (and a little beyond) the sector.
    pub fn seed(rng: &mut Rng, scanner: &Scanner, grid: PolarGrid) -> Self {
        let n = grid.samples * grid.lines * 5 / 2;
        let (mut pos, mut amp, mut phase) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let half = scanner.half_angle * 1.08;
        for _ in 0..n {
            // Uniform in (depth, angle): every cell gets the same count; amplitude carries the
            // physical density (proportional to depth) so brightness does not fade with depth.
            let r = scanner.depth_cm * 1.03 * rng.unit();
            let a = rng.range(-half, half);
            pos.push([r * a.sin(), r * a.cos()]);
            amp.push((r / scanner.depth_cm).max(0.02).sqrt() * rng.normal().abs().max(0.05));
            phase.push(rng.range(0.0, std::f32::consts::TAU));
        }
        Self { pos, amp, phase }
    }
}

/// The motion of tissue at an instant: contraction towards the heart's centre and a gentle rocking.
#[derive(Clone, Copy, Debug)]
pub struct Deformation {
    pub centre: V2,
    pub radius: f32,
    pub squeeze: f32,
    pub shift: V2,
}

impl Deformation {
    #[inline]
    fn apply(&self, p: V2) -> V2 {
        let (dx, dy) = (p[0] - self.centre[0], p[1] - self.centre[1]);
        let near = (-(dx * dx + dy * dy) / (self.radius * self.radius)).exp();
        let s = 1.0 - self.squeeze * near;
        [
            self.centre[0] + dx * s + self.shift[0] * near,
            self.centre[1] + dy * s + self.shift[1] * near,
        ]
    }
}

/// Forms one frame's polar image (row-major, depth x lines), values 0..1 after log compression.
pub fn form_image(
    scene: &Scene,
    tissue_gain: &dyn Fn(crate::anatomy::Tissue) -> f32,
    scatterers: &Scatterers,
    deform: Deformation,
    scanner: &Scanner,
    grid: PolarGrid,
    noise_rng: &mut Rng,
) -> Vec<f32> {
    let (nr, nl) = (grid.samples, grid.lines);
    let dr = scanner.depth_cm / nr as f32;
    let dth = 2.0 * scanner.half_angle / nl as f32;
    let mut iq = vec![[0f32; 2]; nr * nl];
    // Pulse length and beam width in cm; never narrower than the grid can carry.
    let wavelength = 0.154 / scanner.freq_mhz;
    let sigma_r = (0.9 * wavelength).max(0.55 * dr);
    let k2 = 2.0 * std::f32::consts::TAU / wavelength;

    let gauss = Gauss::table();
    let mut wr = [0f32; 16];
    let mut wl = [0f32; 24];
    for i in 0..scatterers.pos.len() {
        let p = deform.apply(scatterers.pos[i]);
        let echo = tissue_gain(scene.tissue_at(p));
        if echo <= 0.0 {
            continue;
        }
        let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
        let th = fast_atan2(p[0], p[1]);
        let fr = r / dr;
        let fl = (th + scanner.half_angle) / dth;
        let sigma_l = (0.045 + 0.0065 * r * 3.0 / scanner.freq_mhz).max(0.55 * dth * r.max(0.5));
        let sl = sigma_l / (r.max(0.5) * dth);
        let sr = sigma_r / dr;
        let (er, el) = ((2.5 * sr).ceil() as isize, (2.5 * sl).ceil() as isize);
        let (er, el) = (er.min(7), el.min(11));
        let (ci, cj) = (fr.round() as isize, fl.round() as isize);
        // Only the part of the footprint inside the grid; clipping the ranges up front keeps the
        // inner loop free of bounds tests (it runs tens of millions of times per clip).
        let (r0, r1) = ((-er).max(-ci), er.min(nr as isize - 1 - ci));
        let (c0, c1) = ((-el).max(-cj), el.min(nl as isize - 1 - cj));
        if r0 > r1 || c0 > c1 {
            continue;
        }
        let (rows, cols) = ((r1 - r0 + 1) as usize, (c1 - c0 + 1) as usize);
        for (k, di) in (r0..=r1).enumerate() {
            wr[k] = gauss.at(((ci + di) as f32 - fr) / sr);
        }
        for (k, dj) in (c0..=c1).enumerate() {
            wl[k] = gauss.at(((cj + dj) as f32 - fl) / sl);
        }
        let a = scatterers.amp[i] * echo;
        let ph = scatterers.phase[i] + k2 * r;
        let (s, c) = ph.sin_cos();
        let (ai, aq) = (a * c, a * s);
        let first = (cj + c0) as usize;
        for (k, &w0) in wr[..rows].iter().enumerate() {
            let base = (ci + r0) as usize + k;
            let cells = &mut iq[base * nl + first..][..cols];
            for (cell, &w1) in cells.iter_mut().zip(&wl[..cols]) {
                let w = w0 * w1;
                cell[0] += ai * w;
                cell[1] += aq * w;
            }
        }
    }
    let mut env: Vec<f32> = iq
        .iter()
        .map(|c| (c[0] * c[0] + c[1] * c[1]).sqrt())
        .collect();
    apply_depth_effects(&mut env, scanner, grid, dr, dth);
    let reference = reference_level(&env);
    add_noise(&mut env, &iq, reference, scanner, noise_rng);
    add_clutter(&mut env, reference, scanner, grid, dr, noise_rng);
    log_compress(&mut env, reference, scanner);
    env
}

const GAUSS_N: usize = 512;
const GAUSS_MAX: f32 = 4.0;

/// exp(-x²/2) from a table: the splat evaluates it millions of times per clip.
struct Gauss(&'static [f32; GAUSS_N + 1]);

impl Gauss {
    fn table() -> Self {
        static TABLE: std::sync::OnceLock<[f32; GAUSS_N + 1]> = std::sync::OnceLock::new();
        Self(TABLE.get_or_init(|| {
            std::array::from_fn(|i| (-0.5 * (i as f32 * GAUSS_MAX / GAUSS_N as f32).powi(2)).exp())
        }))
    }

    #[inline]
    fn at(&self, x: f32) -> f32 {
        let f = x.abs() * (GAUSS_N as f32 / GAUSS_MAX);
        if f.is_nan() || f >= GAUSS_N as f32 {
            return 0.0;
        }
        // SAFETY: 0 <= f < GAUSS_N, so the truncation fits and i + 1 indexes the table.
        let i = unsafe { f.to_int_unchecked::<u32>() } as usize;
        let a = f - i as f32;
        let (lo, hi) = unsafe { (*self.0.get_unchecked(i), *self.0.get_unchecked(i + 1)) };
        lo + (hi - lo) * a
    }
}

/// atan2 to about 1e-4 rad, several times faster than libm's; angles here feed a grid a few
/// hundredths of a radian wide.
#[inline]
pub fn fast_atan2(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI};
    if x == 0.0 && y == 0.0 {
        return 0.0;
    }
    let (ax, ay) = (x.abs(), y.abs());
    let (a, swap) = if ay > ax {
        (ax / ay, true)
    } else {
        (ay / ax, false)
    };
    let s = a * a;
    let mut r = ((-0.046_496_475 * s + 0.159_314_22) * s - 0.327_622_77) * s * a + a;
    if swap {
        r = FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = PI - r;
    }
    if y < 0.0 {
        -r
    } else {
        r
    }
}

/// Attenuation left over by the TGC, the poor window's loss, and rib shadows.
fn apply_depth_effects(env: &mut [f32], sc: &Scanner, grid: PolarGrid, dr: f32, dth: f32) {
    for i in 0..grid.samples {
        let r = (i as f32 + 0.5) * dr;
        let db =
            sc.tgc_residual_db_cm * (r - sc.depth_cm / 2.0) - sc.window_loss_db * r / sc.depth_cm;
        let g = 10f32.powf(db / 20.0);
        for j in 0..grid.lines {
            let th = -sc.half_angle + (j as f32 + 0.5) * dth;
            let mut shade = 1.0;
            if r > sc.rib_depth_cm {
                for rib in &sc.ribs {
                    let d = ((th - rib[0]).abs() - rib[1]) / 0.03;
                    // Soft-edged shadow: 12 % of the echo survives behind the rib.
                    shade *= 1.0 - 0.88 * (1.0 / (1.0 + d.exp()));
                }
            }
            env[i * grid.lines + j] *= g * shade;
        }
    }
}

/// The machine's auto-gain: the level of the brightest reflectors (99th percentile).
fn reference_level(env: &[f32]) -> f32 {
    let mut sample: Vec<f32> = env
        .iter()
        .step_by(7)
        .copied()
        .filter(|v| *v > 0.0)
        .collect();
    if sample.is_empty() {
        return 1.0;
    }
    let k = (sample.len() * 99 / 100).min(sample.len() - 1);
    let (_, v, _) = sample.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    v.max(1e-6)
}

fn add_noise(env: &mut [f32], iq: &[[f32; 2]], reference: f32, sc: &Scanner, rng: &mut Rng) {
    let sigma = reference * 10f32.powf((sc.noise_db + 0.5 * sc.window_loss_db) / 20.0);
    for (e, c) in env.iter_mut().zip(iq) {
        // Noise adds to the echo's complex value; its magnitude is Rayleigh in dark regions.
        let scale = if c[0] == 0.0 && c[1] == 0.0 {
            0.0
        } else {
            *e / (c[0] * c[0] + c[1] * c[1]).sqrt()
        };
        let (i, q) = (
            c[0] * scale + sigma * rng.normal(),
            c[1] * scale + sigma * rng.normal(),
        );
        *e = (i * i + q * q).sqrt();
    }
}

/// Near-field haze and reverberation bands parallel to the transducer face.
fn add_clutter(
    env: &mut [f32],
    reference: f32,
    sc: &Scanner,
    grid: PolarGrid,
    dr: f32,
    rng: &mut Rng,
) {
    if sc.clutter <= 0.0 {
        return;
    }
    let band = rng.range(0.6, 1.0);
    for i in 0..grid.samples {
        let r = (i as f32 + 0.5) * dr;
        let level = sc.clutter
            * reference
            * (-r / 1.6).exp()
            * (0.75 + 0.25 * (std::f32::consts::TAU * r / band).cos());
        if level < reference * 1e-3 {
            break;
        }
        for j in 0..grid.lines {
            env[i * grid.lines + j] += level * (0.6 + 0.4 * rng.unit());
        }
    }
}

fn log_compress(env: &mut [f32], reference: f32, sc: &Scanner) {
    let top = 20.0 * reference.log10() + 2.0 - sc.gain_db;
    for e in env.iter_mut() {
        let db = 20.0 * e.max(1e-12).log10();
        let v = ((db - (top - sc.dynamic_range_db)) / sc.dynamic_range_db).clamp(0.0, 1.0);
        *e = v.powf(sc.gamma);
    }
}

/// Samples the polar image at (depth cm, angle rad) with bilinear interpolation; `None` outside.
#[cfg(test)]
mod tests {
    #[test]
    fn fast_atan2_is_close_to_libm() {
        for i in 0..2000 {
            let a = i as f32 * 0.0137 - 13.0;
            let (y, x) = (
                a.sin() * (1.0 + i as f32 * 0.01),
                a.cos() * (0.5 + i as f32 * 0.003),
            );
            assert!(
                (super::fast_atan2(y, x) - y.atan2(x)).abs() < 2e-4,
                "{y} {x}"
            );
        }
    }

    #[test]
    fn gaussian_table_matches_exp() {
        for i in 0..500 {
            let x = i as f32 * 0.01 - 2.5;
            assert!((super::Gauss::table().at(x) - (-0.5 * x * x).exp()).abs() < 1e-4);
        }
    }
}

#[inline]
pub fn sample_polar(img: &[f32], grid: PolarGrid, sc: &Scanner, r: f32, th: f32) -> Option<f32> {
    if r < 0.0 || r > sc.depth_cm || th.abs() > sc.half_angle {
        return None;
    }
    let fi = (r / sc.depth_cm * grid.samples as f32 - 0.5).clamp(0.0, (grid.samples - 1) as f32);
    let fj = ((th + sc.half_angle) / (2.0 * sc.half_angle) * grid.lines as f32 - 0.5)
        .clamp(0.0, (grid.lines - 1) as f32);
    let (i0, j0) = (fi as usize, fj as usize);
    let (i1, j1) = ((i0 + 1).min(grid.samples - 1), (j0 + 1).min(grid.lines - 1));
    let (a, b) = (fi - i0 as f32, fj - j0 as f32);
    let at = |i: usize, j: usize| img[i * grid.lines + j];
    Some(
        (1.0 - a) * ((1.0 - b) * at(i0, j0) + b * at(i0, j1))
            + a * ((1.0 - b) * at(i1, j0) + b * at(i1, j1)),
    )
}

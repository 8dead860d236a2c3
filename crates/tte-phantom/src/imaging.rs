//! B-mode image formation: scatterers that move with the tissue, a point-spread function that
//! widens laterally with depth, coherent summation and envelope detection, attenuation with
//! imperfect time-gain compensation, clutter, rib shadows, noise, then log compression.
//!
//! The result is a polar image (depth samples x scan lines) for scan conversion.

use crate::anatomy::{Scene, SceneIndex, Tissue, V2};
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
    /// How far the probe's face lies from the sector's centre, cm: 0 for a phased array (the
    /// sector's apex), a few cm for a curved (convex) probe, tens for a linear one, whose
    /// image is then nearly a rectangle. The image starts this deep.
    #[serde(default)]
    pub near_cm: f32,
    /// Tissue harmonic imaging (most adult echo since about 2000): the image is formed from the
    /// echo at twice the transmitted frequency, so speckle is finer, the beam narrower and
    /// near-field clutter weaker than in the fundamental look (`false`, v1's only look).
    #[serde(default)]
    pub harmonic: bool,
    /// Bowel or stomach gas under a subcostal window: (centre angle, half width) in radians and
    /// its depth in cm. Air reflects nearly all the beam: a bright line, ring-down
    /// reverberations, and a shadow behind.
    #[serde(default)]
    pub gas: Option<[f32; 3]>,
}

impl Scanner {
    /// The frequency the image is formed at, MHz.
    pub fn receive_mhz(&self) -> f32 {
        if self.harmonic {
            2.0 * self.freq_mhz
        } else {
            self.freq_mhz
        }
    }
}

/// The grid the echo is formed on.
#[derive(Clone, Copy, Debug)]
pub struct PolarGrid {
    pub samples: usize,
    pub lines: usize,
}

impl PolarGrid {
    /// A grid fine enough for a sector drawn `px_height` pixels deep (from its centre), capped
    /// for speed; `hidden` is the share of that depth above a curved or linear probe's face,
    /// where samples are formed but never shown, so the cap grows to keep the shown part fine.
    pub fn for_display(px_height: f32, half_angle: f32, hidden: f32) -> Self {
        let cap = (320.0 / (1.0 - hidden.clamp(0.0, 0.9))).min(1280.0);
        let samples = (px_height * 0.75).clamp(64.0, cap) as usize;
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
    /// Brightness of the tissue around the heart where each scatterer sits: lung and fat make
    /// real surroundings patchy (dark gaps, brighter bands) rather than an even grey fog.
    surroundings: Vec<f32>,
    /// Brightness of myocardium where each scatterer sits (phantom v2): real walls are patchy,
    /// brighter and darker segments a centimetre or so long, not an even band.
    wall_texture: Vec<f32>,
}

/// How phantom v2's myocardium differs from v1's even band.
#[derive(Clone, Copy, Debug, Default)]
pub struct WallLook {
    /// Share of the myocardium's echo that depends on the beam's angle to the wall (0 none):
    /// muscle fibres backscatter several dB more when the beam crosses them square-on, so a
    /// PLAX septum glows and an apical view's lateral wall fades.
    pub anisotropy: f32,
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
        let surroundings = vec![1.0; pos.len()];
        let wall_texture = vec![1.0; pos.len()];
        Self {
            pos,
            amp,
            phase,
            surroundings,
            wall_texture,
        }
    }

    /// Makes myocardium patchy: a smooth random field (value noise on a lattice of `cell_cm`,
    /// log-amplitude `sigma`), fixed in tissue coordinates so the patches move with the wall.
    pub fn with_wall_texture(
        mut self,
        rng: &mut Rng,
        scanner: &Scanner,
        cell_cm: f32,
        sigma: f32,
    ) -> Self {
        self.wall_texture = self.smooth_gains(rng, scanner, cell_cm, sigma, (0.2, 3.0));
        self
    }

    /// Makes the tissue around the heart heterogeneous over millimetres (fat septa, fascia,
    /// partly aerated lung), on top of [`Scatterers::with_surroundings`]' centimetre patches:
    /// real surroundings are a mottled texture, not an even grey fog at one level.
    pub fn with_surroundings_texture(
        mut self,
        rng: &mut Rng,
        scanner: &Scanner,
        cell_cm: f32,
        sigma: f32,
    ) -> Self {
        let gains = self.smooth_gains(rng, scanner, cell_cm, sigma, (0.05, 4.0));
        for (s, g) in self.surroundings.iter_mut().zip(gains) {
            *s *= g;
        }
        self
    }

    /// Each scatterer's gain from a smooth random field (value noise on a lattice of `cell_cm`,
    /// log-amplitude `sigma`) at its tissue position, clamped to `lo..=hi`.
    fn smooth_gains(
        &self,
        rng: &mut Rng,
        scanner: &Scanner,
        cell_cm: f32,
        sigma: f32,
        (lo, hi): (f32, f32),
    ) -> Vec<f32> {
        let field = ValueNoise::new(rng, scanner, cell_cm, sigma);
        self.pos
            .iter()
            .map(|p| field.at(*p).exp().clamp(lo, hi))
            .collect()
    }

    /// Gives each scatterer a log-normal strength (log-sd `sigma`), mean power kept: tissue
    /// holds a few strong reflectors among many weak ones, so real speckle is grainy (bright
    /// dots on grey) where purely Gaussian scattering is an even sand.
    pub fn with_grain(mut self, rng: &mut Rng, sigma: f32) -> Self {
        let keep_power = (-sigma * sigma).exp();
        for a in &mut self.amp {
            *a *= (sigma * rng.normal()).exp() * keep_power;
        }
        self
    }

    /// Sets how bright the surroundings are where each scatterer sits: the chest wall under the
    /// probe, then lung (nearly black) with a smooth random field of patches (fat, partly
    /// aerated lung, from about 0.1x to 1.6x), all fixed in tissue coordinates so they move with
    /// the tissue.
    pub fn with_surroundings(
        mut self,
        rng: &mut Rng,
        scanner: &Scanner,
        around: crate::params::Surroundings,
    ) -> Self {
        let half = scanner.half_angle;
        let blobs: Vec<(V2, f32, f32)> = (0..8)
            .map(|_| {
                let (r, a) = (
                    scanner.depth_cm * rng.range(0.1, 1.0),
                    rng.range(-half, half),
                );
                let radius = scanner.depth_cm * rng.range(0.08, 0.25);
                (
                    [r * a.sin(), r * a.cos()],
                    1.0 / (radius * radius),
                    rng.range(-2.2, 1.2),
                )
            })
            .collect();
        for (p, s) in self.pos.iter().zip(&mut self.surroundings) {
            let field: f32 = blobs
                .iter()
                .map(|(c, inv_r2, w)| {
                    let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                    w * (-(dx * dx + dy * dy) * inv_r2).exp()
                })
                .sum();
            // A soft edge (about 3 mm) between chest wall and lung.
            let depth = (p[0] * p[0] + p[1] * p[1]).sqrt();
            let wall = 1.0 / (1.0 + ((depth - around.chest_wall_cm) / 0.15).exp());
            let level = wall + (1.0 - wall) * around.lung;
            *s = level * field.exp().clamp(0.1, 1.6);
        }
        self
    }
}

/// A smooth random field over the sector: value noise on a square lattice of `cell` cm with
/// normal values of sd `sigma`, interpolated with a smoothstep. A lattice, not a sum of blobs:
/// the field is read once per scatterer, hundreds of thousands of times per clip.
struct ValueNoise {
    lattice: Vec<f32>,
    n: usize,
    extent: f32,
    cell: f32,
}

impl ValueNoise {
    fn new(rng: &mut Rng, scanner: &Scanner, cell: f32, sigma: f32) -> Self {
        let extent = scanner.depth_cm * 1.1;
        let n = (2.0 * extent / cell).ceil() as usize + 2;
        let lattice = (0..n * n).map(|_| sigma * rng.normal()).collect();
        Self {
            lattice,
            n,
            extent,
            cell,
        }
    }

    fn at(&self, p: V2) -> f32 {
        let n = self.n;
        let at = |i: usize, j: usize| self.lattice[j.min(n - 1) * n + i.min(n - 1)];
        let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
        let (fx, fy) = (
            ((p[0] + self.extent) / self.cell).max(0.0),
            ((p[1] + self.extent) / self.cell).max(0.0),
        );
        let (i, j) = (fx as usize, fy as usize);
        let (tx, ty) = (smooth(fx.fract()), smooth(fy.fract()));
        let top = at(i, j) + (at(i + 1, j) - at(i, j)) * tx;
        let bottom = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * tx;
        top + (bottom - top) * ty
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
    /// How strongly each scatterer follows the heart's motion: 1 at its centre, fading with
    /// distance. Fixed while the centre and radius are, so a clip works it out once.
    pub fn falloff(centre: V2, radius: f32, scatterers: &Scatterers) -> Vec<f32> {
        scatterers
            .pos
            .iter()
            .map(|p| {
                let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
                (-(dx * dx + dy * dy) / (radius * radius)).exp()
            })
            .collect()
    }

    #[inline]
    fn apply(&self, p: V2, near: f32) -> V2 {
        let (dx, dy) = (p[0] - self.centre[0], p[1] - self.centre[1]);
        let s = 1.0 - self.squeeze * near;
        [
            self.centre[0] + dx * s + self.shift[0] * near,
            self.centre[1] + dy * s + self.shift[1] * near,
        ]
    }
}

/// The point-spread function on one clip's polar grid, tabulated once: the axial profile for each
/// sub-cell offset, and the lateral profile (which widens with depth) for each depth row and
/// sub-cell offset. The splat then reads weights instead of evaluating Gaussians, which was a
/// quarter of the phantom's time.
pub struct Beam {
    /// Axial half-extent in cells, and `SUB` profiles of `2 * er + 1` weights.
    er: usize,
    axial: Vec<f32>,
    /// Per depth row: the lateral half-extent, and `SUB` profiles of `LATERAL` weights.
    el: Vec<usize>,
    lateral: Vec<f32>,
}

impl Beam {
    /// Sub-cell positions tabulated: a scatterer's echo lands within 1/32 of a cell of its place.
    const SUB: usize = 16;
    const MAX_EL: usize = 11;
    const LATERAL: usize = 2 * Self::MAX_EL + 1;

    pub fn new(scanner: &Scanner, grid: PolarGrid) -> Self {
        let (nr, nl) = (grid.samples, grid.lines);
        let dr = scanner.depth_cm / nr as f32;
        let dth = 2.0 * scanner.half_angle / nl as f32;
        let gauss = Gauss::table();
        // Pulse length in cm; never narrower than the grid can carry.
        let wavelength = 0.154 / scanner.freq_mhz;
        let sr = (0.9 * wavelength).max(0.55 * dr) / dr;
        let er = ((2.5 * sr).ceil() as usize).min(7);
        let mut axial = Vec::with_capacity(Self::SUB * (2 * er + 1));
        for q in 0..Self::SUB {
            let off = Self::offset(q);
            axial.extend((0..=2 * er).map(|k| gauss.at((k as f32 - er as f32 - off) / sr)));
        }
        let (mut el, mut lateral) = (
            Vec::with_capacity(nr),
            Vec::with_capacity(nr * Self::SUB * Self::LATERAL),
        );
        for row in 0..nr {
            // The beam widens with depth and with a lower frequency.
            let r = row as f32 * dr;
            // A harmonic beam is about 1/sqrt(2) as wide: the harmonic builds up as the square
            // of the transmitted field, whose profile is then narrower and its side lobes lower.
            let narrowing = if scanner.harmonic { 0.7 } else { 1.0 };
            let sigma_l = (narrowing * (0.045 + 0.0065 * r * 3.0 / scanner.freq_mhz))
                .max(0.55 * dth * r.max(0.5));
            let sl = sigma_l / (r.max(0.5) * dth);
            let e = ((2.5 * sl).ceil() as usize).min(Self::MAX_EL);
            el.push(e);
            for q in 0..Self::SUB {
                let off = Self::offset(q);
                lateral.extend((0..Self::LATERAL).map(|k| {
                    if k <= 2 * e {
                        gauss.at((k as f32 - e as f32 - off) / sl)
                    } else {
                        0.0
                    }
                }));
            }
        }
        Self {
            er,
            axial,
            el,
            lateral,
        }
    }

    /// The offset from the nearest cell centre that sub-cell bin `q` stands for, in -0.5..0.5.
    fn offset(q: usize) -> f32 {
        (q as f32 + 0.5) / Self::SUB as f32 - 0.5
    }

    #[inline]
    fn bin(off: f32) -> usize {
        (((off + 0.5) * Self::SUB as f32) as usize).min(Self::SUB - 1)
    }
}

/// The nearest cell to a grid coordinate, without libm's `roundf` (a call on baseline x86-64):
/// exact above -64; below, the answer stays below -64, as far outside the grid as the truth.
#[inline]
fn round_cell(x: f32) -> isize {
    (x + 64.5) as isize - 64
}

/// Forms one frame's polar image (row-major, depth x lines), values 0..1 after log compression.
#[allow(clippy::too_many_arguments)]
pub fn form_image(
    scene: &Scene,
    tissue_gain: &dyn Fn(crate::anatomy::Tissue) -> f32,
    scatterers: &Scatterers,
    deform: Deformation,
    falloff: &[f32],
    scanner: &Scanner,
    grid: PolarGrid,
    beam: &Beam,
    noise_rng: &mut Rng,
    specular: bool,
    wall: WallLook,
) -> Vec<f32> {
    let (nr, nl) = (grid.samples, grid.lines);
    let dr = scanner.depth_cm / nr as f32;
    let dth = 2.0 * scanner.half_angle / nl as f32;
    let mut iq = vec![[0f32; 2]; nr * nl];
    // The speckle's carrier is the received frequency; the pulse length (`Beam`) stays that of
    // the transmitted one, as a harmonic's narrow band does not shorten it.
    let wavelength = 0.154 / scanner.receive_mhz();
    let k2 = 2.0 * std::f32::consts::TAU / wavelength;
    let index = SceneIndex::new(scene);
    let gains: [f32; Tissue::ALL.len()] = Tissue::ALL.map(tissue_gain);
    let phasor = Phasor::table();
    let bone = bone_depths(&index, scene, scanner, grid);
    let er = beam.er as isize;
    let axial_len = 2 * beam.er + 1;
    for (i, (&pos, &near)) in scatterers.pos.iter().zip(falloff).enumerate() {
        let p = deform.apply(pos, near);
        let shape = index.shape_at(p);
        let tissue = shape.map_or(scene.background, |s| s.tissue);
        let mut echo = gains[tissue as usize];
        if specular
            && matches!(
                tissue,
                Tissue::Pericardium | Tissue::VesselWall | Tissue::Valve
            )
        {
            // A smooth interface returns the beam only where the beam meets it square-on: bright
            // across the beam, dropping out where the beam runs along it (the probe is at the
            // origin, so the beam at p runs along p).
            let n = shape
                .expect("a tissue other than the background")
                .geom
                .normal_at(p);
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt().max(1e-6);
            let c = ((n[0] * p[0] + n[1] * p[1]) / r).abs();
            echo *= 0.12 + 0.88 * c * c * c;
        }
        if tissue == Tissue::Background {
            echo *= scatterers.surroundings[i];
        }
        if matches!(tissue, Tissue::Myocardium | Tissue::Papillary) {
            echo *= scatterers.wall_texture[i];
            if wall.anisotropy > 0.0 {
                let n = shape
                    .expect("a tissue other than the background")
                    .geom
                    .normal_at(p);
                let r = (p[0] * p[0] + p[1] * p[1]).sqrt().max(1e-6);
                let c = (n[0] * p[0] + n[1] * p[1]) / r;
                echo *= 1.0 - wall.anisotropy * (1.0 - c * c);
            }
        }
        if echo <= 0.0 {
            continue;
        }
        let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
        let th = fast_atan2(p[0], p[1]);
        let fr = r / dr;
        let fl = (th + scanner.half_angle) / dth;
        let (ci, cj) = (round_cell(fr), round_cell(fl));
        if let Some(first) = &bone {
            // Bone's surface echoes; 2 mm in, and behind it, next to nothing comes back.
            if r > first[cj.clamp(0, grid.lines as isize - 1) as usize] + 0.2 {
                echo *= 0.02;
            }
        }
        let el = beam.el[ci.clamp(0, nr as isize - 1) as usize] as isize;
        // Only the part of the footprint inside the grid; clipping the ranges up front keeps the
        // inner loop free of bounds tests (it runs tens of millions of times per clip).
        let (r0, r1) = ((-er).max(-ci), er.min(nr as isize - 1 - ci));
        let (c0, c1) = ((-el).max(-cj), el.min(nl as isize - 1 - cj));
        if r0 > r1 || c0 > c1 {
            continue;
        }
        let axial = &beam.axial[Beam::bin(fr - ci as f32) * axial_len..][..axial_len];
        let lat_row = (ci.clamp(0, nr as isize - 1) as usize * Beam::SUB
            + Beam::bin(fl - cj as f32))
            * Beam::LATERAL;
        let lateral = &beam.lateral[lat_row..][..Beam::LATERAL];
        let wr = &axial[(r0 + er) as usize..=(r1 + er) as usize];
        let wl = &lateral[(c0 + el) as usize..=(c1 + el) as usize];
        let a = scatterers.amp[i] * echo;
        let (s, c) = phasor.at(scatterers.phase[i] + k2 * r);
        let (ai, aq) = (a * c, a * s);
        let first = (cj + c0) as usize;
        for (k, &w0) in wr.iter().enumerate() {
            let base = (ci + r0) as usize + k;
            let cells = &mut iq[base * nl + first..][..wl.len()];
            let (wi, wq) = (ai * w0, aq * w0);
            for (cell, &w1) in cells.iter_mut().zip(wl) {
                cell[0] += wi * w1;
                cell[1] += wq * w1;
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
    add_gas_echoes(&mut env, reference, scanner, grid, dr, dth);
    log_compress(&mut env, reference, scanner);
    env
}

const GAUSS_N: usize = 512;
const GAUSS_MAX: f32 = 4.0;

/// exp(-x²/2) from a table, for building the beam profiles.
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
        let i = f as usize;
        let a = f - i as f32;
        self.0[i] + (self.0[i + 1] - self.0[i]) * a
    }
}

const PHASOR_N: usize = 1024;

/// (sin, cos) of a phase to within 2π/1024 from a table: a scatterer's echo phase only has to be
/// consistent from frame to frame for its speckle to track, not exact, and libm's sincos was a
/// tenth of the phantom's time.
struct Phasor(&'static [(f32, f32); PHASOR_N]);

impl Phasor {
    fn table() -> Self {
        static TABLE: std::sync::OnceLock<[(f32, f32); PHASOR_N]> = std::sync::OnceLock::new();
        Self(TABLE.get_or_init(|| {
            std::array::from_fn(|i| (std::f32::consts::TAU * i as f32 / PHASOR_N as f32).sin_cos())
        }))
    }

    /// `phase` in radians, non-negative.
    #[inline]
    fn at(&self, phase: f32) -> (f32, f32) {
        let i = (phase * (PHASOR_N as f32 / std::f32::consts::TAU) + 0.5) as usize;
        self.0[i % PHASOR_N]
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

/// How deep each scan line first meets bone (cm; infinite where it never does), or `None`
/// when the cut holds no bone. Marched in 1 mm steps over the bones' bounding boxes only.
fn bone_depths(
    index: &SceneIndex,
    scene: &Scene,
    sc: &Scanner,
    grid: PolarGrid,
) -> Option<Vec<f32>> {
    let boxes: Vec<[f32; 4]> = scene
        .shapes
        .iter()
        .filter(|s| s.tissue == Tissue::Bone)
        .map(|s| s.bounds())
        .collect();
    if boxes.is_empty() {
        return None;
    }
    let dth = 2.0 * sc.half_angle / grid.lines as f32;
    let mut first = vec![f32::INFINITY; grid.lines];
    for b in boxes {
        let corners = [[b[0], b[1]], [b[2], b[1]], [b[0], b[3]], [b[2], b[3]]];
        let reach = |c: &V2| (c[0] * c[0] + c[1] * c[1]).sqrt();
        let r1 = corners
            .iter()
            .map(reach)
            .fold(0.0, f32::max)
            .min(sc.depth_cm);
        // Distance from the probe to the box: per axis, how far 0 lies outside [lo, hi].
        let gap = |lo: f32, hi: f32| lo.max(-hi).max(0.0);
        let (gx, gy) = (gap(b[0], b[2]), gap(b[1], b[3]));
        let r0 = (gx * gx + gy * gy).sqrt();
        for (j, depth) in first.iter_mut().enumerate() {
            let th = -sc.half_angle + (j as f32 + 0.5) * dth;
            let (s, c) = th.sin_cos();
            let mut r = r0;
            while r < r1.min(*depth) {
                let p = [r * s, r * c];
                let in_box = p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];
                if in_box && index.shape_at(p).is_some_and(|s| s.tissue == Tissue::Bone) {
                    *depth = r;
                    break;
                }
                r += 0.1;
            }
        }
    }
    Some(first)
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
            if let Some([centre, half, depth]) = sc.gas {
                // All but 4 % lost behind the gas, with a soft lateral edge.
                let d = ((th - centre).abs() - half) / 0.02;
                let behind = 1.0 / (1.0 + ((depth + 0.15 - r) / 0.05).exp());
                shade *= 1.0 - 0.96 * behind / (1.0 + d.exp());
            }
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
        let (ni, nq) = normal_pair(rng);
        let (i, q) = (c[0] * scale + sigma * ni, c[1] * scale + sigma * nq);
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
    // Reverberation and near-field haze live at the transmitted frequency: harmonic imaging
    // filters most of them out.
    let strength = if sc.harmonic { 0.3 } else { 1.0 };
    for i in 0..grid.samples {
        let r = (i as f32 + 0.5) * dr;
        let level = strength
            * sc.clutter
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

/// The gas's surface, as bright as the brightest tissue, and its ring-down: echoes bouncing
/// between the surface and the probe, fading, at whole multiples of its depth.
fn add_gas_echoes(
    env: &mut [f32],
    reference: f32,
    sc: &Scanner,
    grid: PolarGrid,
    dr: f32,
    dth: f32,
) {
    let Some([centre, half, depth]) = sc.gas else {
        return;
    };
    for i in 0..grid.samples {
        let r = (i as f32 + 0.5) * dr;
        let bounce = r / depth;
        let k = bounce.round();
        if k < 1.0 {
            continue;
        }
        // 2 mm thick echoes, each bounce 0.45 of the one before.
        let band = (-((r - k * depth) / 0.1).powi(2)).exp();
        let level = 2.0 * reference * 0.45f32.powf(k - 1.0) * band;
        if level < reference * 1e-3 {
            continue;
        }
        for j in 0..grid.lines {
            let th = -sc.half_angle + (j as f32 + 0.5) * dth;
            let d = ((th - centre).abs() - half) / 0.02;
            env[i * grid.lines + j] += level / (1.0 + d.exp());
        }
    }
}

fn log_compress(env: &mut [f32], reference: f32, sc: &Scanner) {
    let top = 20.0 * reference.log10() + 2.0 - sc.gain_db;
    // 20 log10(e) = DB_PER_OCTAVE * log2(e); the fast logarithm and power are good to 1e-4,
    // far below one grey level, and libm's took a tenth of the phantom's time.
    const DB_PER_OCTAVE: f32 = 6.020_6;
    for e in env.iter_mut() {
        let db = DB_PER_OCTAVE * fast_log2(e.max(1e-12));
        let v = ((db - (top - sc.dynamic_range_db)) / sc.dynamic_range_db).clamp(0.0, 1.0);
        *e = if v > 0.0 {
            fast_exp2(sc.gamma * fast_log2(v))
        } else {
            0.0
        };
    }
}

/// Two independent standard normals (Box-Muller) for the noise of one cell, with the table
/// phasor and fast logarithm: the noise only has to look like noise.
#[inline]
fn normal_pair(rng: &mut Rng) -> (f32, f32) {
    let u = rng.unit().max(1e-7);
    let (s, c) = Phasor::table().at(std::f32::consts::TAU * rng.unit());
    let m = (-2.0 * std::f32::consts::LN_2 * fast_log2(u)).sqrt();
    (m * c, m * s)
}

/// log2 of a positive normal float to about 1e-5 (exponent bits plus an atanh series).
#[inline]
fn fast_log2(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series =
        t * (2.0 + t2 * (2.0 / 3.0 + t2 * (2.0 / 5.0 + t2 * (2.0 / 7.0 + t2 * (2.0 / 9.0)))));
    exponent as f32 + series * std::f32::consts::LOG2_E
}

/// 2^y for y <= 0 to about 1e-5 relative; 0 below 2^-126.
#[inline]
fn fast_exp2(y: f32) -> f32 {
    if y.is_nan() || y <= -126.0 {
        return 0.0;
    }
    let mut i = y as i32;
    if i as f32 > y {
        i -= 1;
    }
    let f = (y - i as f32) * std::f32::consts::LN_2;
    let poly = 1.0
        + f * (1.0
            + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f / 720.0)))));
    f32::from_bits(((i + 127) as u32) << 23) * poly
}

/// Where one canvas pixel reads the polar image: scan conversion's geometry, fixed for a clip,
/// worked out once instead of for every pixel of every frame.
#[derive(Clone, Copy, Debug)]
pub struct Tap {
    /// Pixel index on the canvas (y * width + x).
    pub pixel: u32,
    /// The top-left polar cell and the steps to its lower and right neighbours (0 at the edge).
    base: u32,
    down: u16,
    right: u16,
    a: f32,
    b: f32,
}

impl Tap {
    /// The tap for a point at (depth cm, angle rad); `None` outside the sector. Reads what
    /// bilinear interpolation reads.
    pub fn new(pixel: usize, grid: PolarGrid, sc: &Scanner, r: f32, th: f32) -> Option<Self> {
        if r < sc.near_cm.max(0.0) || r > sc.depth_cm || th.abs() > sc.half_angle {
            return None;
        }
        let fi =
            (r / sc.depth_cm * grid.samples as f32 - 0.5).clamp(0.0, (grid.samples - 1) as f32);
        let fj = ((th + sc.half_angle) / (2.0 * sc.half_angle) * grid.lines as f32 - 0.5)
            .clamp(0.0, (grid.lines - 1) as f32);
        let (i0, j0) = (fi as usize, fj as usize);
        Some(Self {
            pixel: pixel as u32,
            base: (i0 * grid.lines + j0) as u32,
            down: if i0 + 1 < grid.samples {
                grid.lines as u16
            } else {
                0
            },
            right: (j0 + 1 < grid.lines) as u16,
            a: fi - i0 as f32,
            b: fj - j0 as f32,
        })
    }

    #[inline]
    pub fn sample(&self, img: &[f32]) -> f32 {
        let i = self.base as usize;
        let (d, r) = (self.down as usize, self.right as usize);
        let (a, b) = (self.a, self.b);
        (1.0 - a) * ((1.0 - b) * img[i] + b * img[i + r])
            + a * ((1.0 - b) * img[i + d] + b * img[i + d + r])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples the polar image at (depth cm, angle rad) with bilinear interpolation; `None` outside.
    fn sample_polar(img: &[f32], grid: PolarGrid, sc: &Scanner, r: f32, th: f32) -> Option<f32> {
        if r < 0.0 || r > sc.depth_cm || th.abs() > sc.half_angle {
            return None;
        }
        let fi =
            (r / sc.depth_cm * grid.samples as f32 - 0.5).clamp(0.0, (grid.samples - 1) as f32);
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

    #[test]
    fn taps_read_what_bilinear_sampling_reads() {
        let sc = test_scanner();
        let grid = PolarGrid {
            samples: 70,
            lines: 50,
        };
        let img: Vec<f32> = (0..70 * 50)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
            .collect();
        let mut inside = 0;
        for k in 0..20_000 {
            let (r, th) = (k as f32 * 0.000_8 - 0.2, (k % 97) as f32 * 0.013 - 0.63);
            let tap = Tap::new(k, grid, &sc, r, th);
            assert_eq!(
                tap.is_some(),
                sample_polar(&img, grid, &sc, r, th).is_some()
            );
            if let (Some(tap), Some(v)) = (tap, sample_polar(&img, grid, &sc, r, th)) {
                assert!((tap.sample(&img) - v).abs() < 1e-5, "{r} {th}");
                inside += 1;
            }
        }
        assert!(inside > 10_000);
    }

    fn test_scanner() -> Scanner {
        Scanner {
            depth_cm: 15.0,
            half_angle: 0.6,
            freq_mhz: 2.5,
            gain_db: 0.0,
            dynamic_range_db: 60.0,
            tgc_residual_db_cm: 0.0,
            noise_db: -40.0,
            clutter: 0.0,
            ribs: vec![],
            rib_depth_cm: 3.0,
            window_loss_db: 0.0,
            gamma: 1.0,
            near_cm: 0.0,
            harmonic: false,
            gas: None,
        }
    }

    /// The test scanner and its scatterers before any texture: what the texture tests start from.
    fn plain_scatterers() -> (Scanner, Scatterers) {
        let sc = test_scanner();
        let grid = PolarGrid {
            samples: 120,
            lines: 90,
        };
        let plain = Scatterers::seed(&mut Rng::new(5), &sc, grid);
        (sc, plain)
    }

    /// Pairs of scatterers (i, j, distance in cm): every `step`-th one with the `span` after it.
    fn scatterer_pairs(
        s: &Scatterers,
        step: usize,
        span: usize,
    ) -> impl Iterator<Item = (usize, usize, f32)> + '_ {
        (0..s.pos.len()).step_by(step).flat_map(move |i| {
            ((i + 1)..(i + span).min(s.pos.len())).map(move |j| {
                let (dx, dy) = (s.pos[i][0] - s.pos[j][0], s.pos[i][1] - s.pos[j][1]);
                (i, j, (dx * dx + dy * dy).sqrt())
            })
        })
    }

    #[test]
    fn wall_texture_is_smooth_over_millimetres_and_patchy_over_centimetres() {
        let (sc, plain) = plain_scatterers();
        assert!(
            plain.wall_texture.iter().all(|&w| w == 1.0),
            "v1 walls stay even"
        );
        let s = plain.with_wall_texture(&mut Rng::new(6), &sc, 1.0, 0.6);
        let logs: Vec<f32> = s.wall_texture.iter().map(|w| w.ln()).collect();
        let mean = logs.iter().sum::<f32>() / logs.len() as f32;
        let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / logs.len() as f32).sqrt();
        // Smoothstep value noise keeps about half the lattice's spread.
        assert!(sd > 0.2 && sd < 0.6, "log-brightness spread {sd}");
        // Scatterers within half a millimetre of each other see nearly the same brightness.
        let mut close = 0;
        for (i, j, d) in scatterer_pairs(&s, 97, 400) {
            if d < 0.05 {
                close += 1;
                assert!((logs[i] - logs[j]).abs() < 0.15, "{i} {j}");
            }
        }
        assert!(close > 0, "no close pairs checked");
    }

    #[test]
    fn grain_keeps_the_mean_power_and_leaves_most_tissue_below_its_brightest_dots() {
        let sc = test_scanner();
        let grid = PolarGrid {
            samples: 160,
            lines: 110,
        };
        let plain = Scatterers::seed(&mut Rng::new(9), &sc, grid);
        let power = |s: &Scatterers| s.amp.iter().map(|a| a * a).sum::<f32>() / s.amp.len() as f32;
        let p0 = power(&plain);
        // A log-normal factor of log-sd s raises the mean power by exp(2 s^2); exp(-s^2) on the
        // amplitude undoes it. (At s = 0.8 the sample mean of 40 000 powers is good to 10 %.)
        let moderate =
            Scatterers::seed(&mut Rng::new(9), &sc, grid).with_grain(&mut Rng::new(3), 0.8);
        let p1 = power(&moderate);
        assert!((p1 / p0 - 1.0).abs() < 0.2, "mean power {p0} -> {p1}");
        let grainy =
            Scatterers::seed(&mut Rng::new(9), &sc, grid).with_grain(&mut Rng::new(3), 1.5);
        // The picture is levelled on its 99th percentile: strong scatterers set it, so the
        // typical grey of the same tissue falls.
        let median = |img: &[f32]| {
            let mut v: Vec<f32> = img.iter().copied().filter(|g| *g > 0.0).collect();
            let k = v.len() / 2;
            *v.select_nth_unstable_by(k, f32::total_cmp).1
        };
        let (m0, m1) = (
            median(&frame_with(&sc, grid, vec![], plain)),
            median(&frame_with(&sc, grid, vec![], grainy)),
        );
        assert!(m1 < m0 - 0.04, "median grey {m0} plain, {m1} grainy");
    }

    #[test]
    fn surroundings_texture_varies_over_millimetres_and_v1_stays_even() {
        let (sc, plain) = plain_scatterers();
        assert!(
            plain.surroundings.iter().all(|&w| w == 1.0),
            "v1 surroundings stay even"
        );
        let s = plain.with_surroundings_texture(&mut Rng::new(6), &sc, 0.4, 0.8);
        let logs: Vec<f32> = s.surroundings.iter().map(|w| w.ln()).collect();
        let (mut near, mut apart) = ((0.0f32, 0), (0.0f32, 0));
        for (i, j, d) in scatterer_pairs(&s, 53, 2000) {
            let diff = (logs[i] - logs[j]).abs();
            if d < 0.03 {
                near = (near.0 + diff, near.1 + 1);
            } else if (0.8..1.5).contains(&d) {
                apart = (apart.0 + diff, apart.1 + 1);
            }
        }
        assert!(near.1 > 20 && apart.1 > 20, "pairs {near:?} {apart:?}");
        let (near, apart) = (near.0 / near.1 as f32, apart.0 / apart.1 as f32);
        // Even within a third of a millimetre, not across a centimetre.
        assert!(near < 0.1, "log difference {near} within 0.3 mm");
        assert!(apart > 0.35, "log difference {apart} a centimetre apart");
    }

    /// Forms one frame of plain tissue (no shapes) with `sc`.
    fn plain_tissue_frame(sc: &Scanner, grid: PolarGrid) -> Vec<f32> {
        frame_of(sc, grid, vec![])
    }

    /// Forms one frame of `shapes` in plain tissue with `sc`.
    fn frame_of(sc: &Scanner, grid: PolarGrid, shapes: Vec<crate::anatomy::Shape>) -> Vec<f32> {
        frame_with(
            sc,
            grid,
            shapes,
            Scatterers::seed(&mut Rng::new(9), sc, grid),
        )
    }

    /// Forms one frame of `shapes` in tissue made of `scatterers`.
    fn frame_with(
        sc: &Scanner,
        grid: PolarGrid,
        shapes: Vec<crate::anatomy::Shape>,
        scatterers: Scatterers,
    ) -> Vec<f32> {
        let scene = Scene {
            shapes,
            background: Tissue::Background,
            centre: [0.0, 8.0],
            radius: 3.0,
        };
        let falloff = vec![0.0; scatterers.pos.len()];
        let deform = Deformation {
            centre: scene.centre,
            radius: scene.radius,
            squeeze: 0.0,
            shift: [0.0, 0.0],
        };
        form_image(
            &scene,
            &|t: Tissue| t.echo(),
            &scatterers,
            deform,
            &falloff,
            sc,
            grid,
            &Beam::new(sc, grid),
            &mut Rng::new(10),
            false,
            WallLook::default(),
        )
    }

    /// Correlation of neighbouring scan lines' grey over rows `rows`: speckle's lateral size.
    fn lateral_correlation(img: &[f32], grid: PolarGrid, rows: std::ops::Range<usize>) -> f32 {
        let vals = |di: usize| {
            rows.clone().flat_map(move |i| {
                (0..grid.lines - 1).map(move |j| (i * grid.lines + j, i * grid.lines + j + di))
            })
        };
        let n = vals(1).count() as f32;
        let mean = vals(1).map(|(a, _)| img[a]).sum::<f32>() / n;
        let var = vals(1).map(|(a, _)| (img[a] - mean).powi(2)).sum::<f32>() / n;
        vals(1)
            .map(|(a, b)| (img[a] - mean) * (img[b] - mean))
            .sum::<f32>()
            / n
            / var
    }

    #[test]
    fn harmonic_imaging_has_finer_speckle_and_less_near_field_clutter() {
        let grid = PolarGrid {
            samples: 200,
            lines: 224,
        };
        let fundamental = Scanner {
            clutter: 0.4,
            ..test_scanner()
        };
        let harmonic = Scanner {
            harmonic: true,
            ..fundamental.clone()
        };
        let (f, h) = (
            plain_tissue_frame(&fundamental, grid),
            plain_tissue_frame(&harmonic, grid),
        );
        let mid = 80..120;
        let (cf, ch) = (
            lateral_correlation(&f, grid, mid.clone()),
            lateral_correlation(&h, grid, mid),
        );
        assert!(
            ch < cf - 0.1,
            "neighbouring lines correlate {ch} (harmonic) against {cf} (fundamental)"
        );
        // The first centimetre: clutter over the speckle, weaker in the harmonic look.
        let near =
            |img: &[f32]| img[..13 * grid.lines].iter().sum::<f32>() / (13 * grid.lines) as f32;
        let deep = |img: &[f32]| {
            img[80 * grid.lines..120 * grid.lines].iter().sum::<f32>() / (40 * grid.lines) as f32
        };
        let (lift_f, lift_h) = (near(&f) - deep(&f), near(&h) - deep(&h));
        assert!(
            lift_h < lift_f - 0.03,
            "near field brighter than mid-depth by {lift_h} (harmonic) against {lift_f} (fundamental)"
        );
    }

    /// The grid the shadow tests form their frames on.
    const SHADOW_GRID: PolarGrid = PolarGrid {
        samples: 200,
        lines: 120,
    };

    /// Mean grey of a polar frame from `a` to `b` cm deep, over the scan lines within 0.1 rad of
    /// the sector's middle.
    fn middle_mean(img: &[f32], sc: &Scanner, grid: PolarGrid, a: f32, b: f32) -> f32 {
        let dth = 2.0 * sc.half_angle / grid.lines as f32;
        let lines: Vec<usize> = (0..grid.lines)
            .filter(|&j| (-sc.half_angle + (j as f32 + 0.5) * dth).abs() < 0.1)
            .collect();
        let row = |cm: f32| (cm / sc.depth_cm * grid.samples as f32) as usize;
        let rows = row(a)..row(b);
        let n = rows.len() * lines.len();
        rows.flat_map(|i| lines.iter().map(move |&j| img[i * grid.lines + j]))
            .sum::<f32>()
            / n as f32
    }

    #[test]
    fn bone_shows_a_bright_surface_and_a_shadow_behind_it() {
        use crate::anatomy::{Geom, Shape};
        let grid = SHADOW_GRID;
        let sc = test_scanner();
        let bone = Shape::new(
            Tissue::Bone,
            Geom::Ellipse {
                c: [0.0, 7.0],
                a: 2.0,
                b: 1.5,
                rot: 0.0,
            },
        );
        let (plain, spine) = (frame_of(&sc, grid, vec![]), frame_of(&sc, grid, vec![bone]));
        let mean = |img: &[f32], a: f32, b: f32| middle_mean(img, &sc, grid, a, b);
        // The near surface is at 5.5 cm on the middle line: brighter than the tissue before it.
        let (front, surface) = (mean(&spine, 4.0, 5.0), mean(&spine, 5.4, 5.8));
        assert!(
            surface > front + 0.15,
            "surface {surface} against {front} in front"
        );
        let (b0, b1) = (mean(&plain, 9.0, 13.0), mean(&spine, 9.0, 13.0));
        assert!(b1 < b0 - 0.3, "behind the bone {b1} against {b0}");
    }

    #[test]
    fn gas_shows_a_bright_surface_and_a_shadow_behind_it() {
        let grid = SHADOW_GRID;
        let clear = test_scanner();
        let gassy = Scanner {
            gas: Some([0.0, 0.15, 4.0]),
            ..clear.clone()
        };
        let (c, g) = (
            plain_tissue_frame(&clear, grid),
            plain_tissue_frame(&gassy, grid),
        );
        let mean = |img: &[f32], a: f32, b: f32| middle_mean(img, &clear, grid, a, b);
        let (surface_c, surface_g) = (mean(&c, 3.9, 4.1), mean(&g, 3.9, 4.1));
        assert!(
            surface_g > surface_c + 0.2,
            "surface {surface_g} against {surface_c}"
        );
        // Between the ring-down echoes (at 8 and 12 cm) the shadow is dark.
        let (behind_c, behind_g) = (mean(&c, 9.0, 11.0), mean(&g, 9.0, 11.0));
        assert!(
            behind_g < behind_c - 0.2,
            "behind {behind_g} against {behind_c}"
        );
        // Beside the gas only the auto-gain's reference moves (the surface is among the
        // brightest echoes).
        let side = |img: &[f32]| {
            img[100 * grid.lines..101 * grid.lines][..10]
                .iter()
                .sum::<f32>()
        };
        assert!((side(&c) - side(&g)).abs() < 0.05 * side(&c));
    }

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

    #[test]
    fn fast_log_and_power_match_libm() {
        for k in 1..20_000 {
            let x = k as f32 * 0.000_05;
            assert!((fast_log2(x) - x.log2()).abs() < 2e-5, "log2 {x}");
            let big = x * 1e6;
            assert!((fast_log2(big) - big.log2()).abs() < 2e-5, "log2 {big}");
            let y = -(k as f32) * 0.001;
            assert!((fast_exp2(y) / y.exp2() - 1.0).abs() < 2e-5, "exp2 {y}");
        }
        assert_eq!(fast_exp2(-200.0), 0.0);
        assert_eq!(fast_exp2(0.0), 1.0);
    }

    #[test]
    fn phasor_table_is_within_its_step() {
        let table = super::Phasor::table();
        for i in 0..5000 {
            let ph = i as f32 * 0.731;
            let (s, c) = table.at(ph);
            let step = std::f32::consts::TAU / super::PHASOR_N as f32;
            assert!(
                (s - ph.sin()).abs() <= step && (c - ph.cos()).abs() <= step,
                "{ph}"
            );
        }
    }
}

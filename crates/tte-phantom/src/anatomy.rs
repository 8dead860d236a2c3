//! Anatomy as a 2-D cut through a beating heart: each view is a painter's list of simple shapes
//! (chambers, walls, valves, vessels, liver) in centimetres, with the transducer at the origin,
//! x to the screen's right and y into the body. Shapes move with the cardiac cycle.

use serde::{Deserialize, Serialize};

/// What a point of the cut is made of. Blood pools are named so tests can check the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Tissue {
    Background,
    Myocardium,
    Pericardium,
    Effusion,
    Valve,
    Papillary,
    VesselWall,
    Liver,
    Kidney,
    KidneySinus,
    /// The tissue behind the heart (fat, oesophagus, lymph nodes): no lung, so it echoes.
    Mediastinum,
    Lv,
    Rv,
    La,
    Ra,
    Aorta,
    Lvot,
    PulmonaryArtery,
    Ivc,
    HepaticVein,
    DescendingAorta,
    Vessel,
    /// The vertebral bodies: a bright surface that absorbs the beam, so a shadow behind.
    Bone,
}

impl Tissue {
    /// Every tissue, in declaration order (`t as usize` indexes it).
    pub const ALL: [Tissue; 23] = {
        use Tissue::*;
        [
            Background,
            Myocardium,
            Pericardium,
            Effusion,
            Valve,
            Papillary,
            VesselWall,
            Liver,
            Kidney,
            KidneySinus,
            Mediastinum,
            Lv,
            Rv,
            La,
            Ra,
            Aorta,
            Lvot,
            PulmonaryArtery,
            Ivc,
            HepaticVein,
            DescendingAorta,
            Vessel,
            Bone,
        ]
    };

    /// Mean backscatter amplitude (linear, relative): blood is nearly anechoic, fibrous tissue bright.
    pub fn echo(self) -> f32 {
        use Tissue::*;
        match self {
            Background => 0.07,
            Myocardium => 0.17,
            Pericardium => 1.6,
            Effusion => 0.002,
            Valve => 0.7,
            Papillary => 0.26,
            VesselWall => 0.45,
            Liver => 0.2,
            Kidney => 0.12,
            KidneySinus => 0.7,
            Mediastinum => 0.3,
            Bone => 1.2,
            _ => 0.0035,
        }
    }

    pub fn is_blood(self) -> bool {
        use Tissue::*;
        matches!(
            self,
            Lv | Rv
                | La
                | Ra
                | Aorta
                | Lvot
                | PulmonaryArtery
                | Ivc
                | HepaticVein
                | DescendingAorta
                | Vessel
                | Effusion
        )
    }
}

pub type V2 = [f32; 2];

/// The vector from the nearest point of the segment a-b to p.
fn from_segment(a: V2, b: V2, p: V2) -> V2 {
    let (ab, ap) = ([b[0] - a[0], b[1] - a[1]], [p[0] - a[0], p[1] - a[1]]);
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 {
        ((ap[0] * ab[0] + ap[1] * ab[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    [ap[0] - t * ab[0], ap[1] - t * ab[1]]
}

/// A shape in the cut.
#[derive(Clone, Debug, Serialize)]
pub enum Geom {
    /// Ellipse with semi-axes `a` (along `rot`) and `b`.
    Ellipse { c: V2, a: f32, b: f32, rot: f32 },
    /// The part of an ellipse where `n . p <= d`: the cut of an ellipsoid clipped by a plane
    /// (the LV, whose base ends flat at the mitral annulus).
    HalfEllipse {
        c: V2,
        a: f32,
        b: f32,
        rot: f32,
        n: V2,
        d: f32,
    },
    /// All points within `r` of the segment p-q.
    Capsule { p: V2, q: V2, r: f32 },
    /// An annular sector: radius `radius` ± `half_width`, angles a0..a1 (radians, atan2(y, x)).
    Arc {
        c: V2,
        radius: f32,
        half_width: f32,
        a0: f32,
        a1: f32,
    },
}

impl Geom {
    pub fn contains(&self, p: V2) -> bool {
        match *self {
            Geom::Ellipse { c, a, b, rot } => {
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                let (s, co) = rot.sin_cos();
                let (u, v) = (dx * co + dy * s, -dx * s + dy * co);
                (u / a).powi(2) + (v / b).powi(2) <= 1.0
            }
            Geom::HalfEllipse { c, a, b, rot, n, d } => {
                n[0] * p[0] + n[1] * p[1] <= d && Geom::Ellipse { c, a, b, rot }.contains(p)
            }
            Geom::Capsule { p: a, q: b, r } => {
                let [dx, dy] = from_segment(a, b, p);
                dx * dx + dy * dy <= r * r
            }
            Geom::Arc {
                c,
                radius,
                half_width,
                a0,
                a1,
            } => {
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                let d = (dx * dx + dy * dy).sqrt();
                if (d - radius).abs() > half_width {
                    return false;
                }
                let mut ang = dy.atan2(dx);
                while ang < a0 {
                    ang += std::f32::consts::TAU;
                }
                ang <= a1
            }
        }
    }

    /// The outward unit normal of the shape's boundary nearest `p` (for specular reflection).
    pub fn normal_at(&self, p: V2) -> V2 {
        let unit = |v: V2| {
            let n = (v[0] * v[0] + v[1] * v[1]).sqrt().max(1e-9);
            [v[0] / n, v[1] / n]
        };
        match *self {
            Geom::Ellipse { c, a, b, rot } | Geom::HalfEllipse { c, a, b, rot, .. } => {
                let (s, co) = rot.sin_cos();
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                let (u, v) = (dx * co + dy * s, -dx * s + dy * co);
                // The gradient of (u/a)^2 + (v/b)^2, turned back into the picture's frame.
                let (gu, gv) = (u / (a * a), v / (b * b));
                unit([gu * co - gv * s, gu * s + gv * co])
            }
            Geom::Capsule { p: a, q: b, r: _ } => unit(from_segment(a, b, p)),
            Geom::Arc { c, .. } => unit([p[0] - c[0], p[1] - c[1]]),
        }
    }

    /// Axis-aligned bounds, for a cheap rejection test.
    pub fn bounds(&self) -> [f32; 4] {
        match *self {
            Geom::Ellipse { c, a, b, .. } | Geom::HalfEllipse { c, a, b, .. } => {
                let m = a.max(b);
                [c[0] - m, c[1] - m, c[0] + m, c[1] + m]
            }
            Geom::Capsule { p, q, r } => [
                p[0].min(q[0]) - r,
                p[1].min(q[1]) - r,
                p[0].max(q[0]) + r,
                p[1].max(q[1]) + r,
            ],
            Geom::Arc {
                c,
                radius,
                half_width,
                ..
            } => {
                let m = radius + half_width;
                [c[0] - m, c[1] - m, c[0] + m, c[1] + m]
            }
        }
    }

    /// Rotates by `angle` about `pivot`, scales by `scale` about it, then shifts by `shift`.
    pub fn moved(&self, pivot: V2, angle: f32, scale: f32, shift: V2) -> Geom {
        let (s, c) = angle.sin_cos();
        let tp = |p: V2| -> V2 {
            let (dx, dy) = ((p[0] - pivot[0]) * scale, (p[1] - pivot[1]) * scale);
            [
                pivot[0] + dx * c - dy * s + shift[0],
                pivot[1] + dx * s + dy * c + shift[1],
            ]
        };
        match *self {
            Geom::Ellipse { c: cc, a, b, rot } => Geom::Ellipse {
                c: tp(cc),
                a: a * scale,
                b: b * scale,
                rot: rot + angle,
            },
            Geom::HalfEllipse {
                c: cc,
                a,
                b,
                rot,
                n,
                d,
            } => {
                // n . p <= d for the old point p is (R n) . p' <= scale (d - n . pivot)
                // + (R n) . (pivot + shift) for the moved point p'.
                let rn = [n[0] * c - n[1] * s, n[0] * s + n[1] * c];
                let d2 = scale * (d - n[0] * pivot[0] - n[1] * pivot[1])
                    + rn[0] * (pivot[0] + shift[0])
                    + rn[1] * (pivot[1] + shift[1]);
                Geom::HalfEllipse {
                    c: tp(cc),
                    a: a * scale,
                    b: b * scale,
                    rot: rot + angle,
                    n: rn,
                    d: d2,
                }
            }
            Geom::Capsule { p, q, r } => Geom::Capsule {
                p: tp(p),
                q: tp(q),
                r: r * scale,
            },
            Geom::Arc {
                c: cc,
                radius,
                half_width,
                a0,
                a1,
            } => Geom::Arc {
                c: tp(cc),
                radius: radius * scale,
                half_width: half_width * scale,
                a0: a0 + angle,
                a1: a1 + angle,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Shape {
    pub tissue: Tissue,
    pub geom: Geom,
    #[serde(skip)]
    bounds: [f32; 4],
    /// Sine and cosine of an ellipse's rotation, computed once (the test runs millions of times).
    #[serde(skip)]
    sin_cos: (f32, f32),
}

impl Shape {
    pub fn new(tissue: Tissue, geom: Geom) -> Self {
        let bounds = geom.bounds();
        let sin_cos = match geom {
            Geom::Ellipse { rot, .. } | Geom::HalfEllipse { rot, .. } => rot.sin_cos(),
            _ => (0.0, 1.0),
        };
        Self {
            tissue,
            geom,
            bounds,
            sin_cos,
        }
    }

    #[inline]
    fn contains(&self, p: V2) -> bool {
        match self.geom {
            Geom::Ellipse { c, a, b, .. } => {
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                let (s, co) = self.sin_cos;
                let (u, v) = (dx * co + dy * s, -dx * s + dy * co);
                (u * u) / (a * a) + (v * v) / (b * b) <= 1.0
            }
            Geom::HalfEllipse { c, a, b, n, d, .. } => {
                if n[0] * p[0] + n[1] * p[1] > d {
                    return false;
                }
                let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
                let (s, co) = self.sin_cos;
                let (u, v) = (dx * co + dy * s, -dx * s + dy * co);
                (u * u) / (a * a) + (v * v) / (b * b) <= 1.0
            }
            _ => self.geom.contains(p),
        }
    }
}

/// The cut at one instant: shapes painted in order (later ones on top) over a background.
#[derive(Clone, Debug, Serialize)]
pub struct Scene {
    pub shapes: Vec<Shape>,
    pub background: Tissue,
    /// Where the heart (or organ) is, for the motion field.
    pub centre: V2,
    pub radius: f32,
}

impl Shape {
    /// The shape's bounding box: x0, y0, x1, y1.
    pub(crate) fn bounds(&self) -> [f32; 4] {
        self.bounds
    }
}

impl Scene {
    pub fn tissue_at(&self, p: V2) -> Tissue {
        for s in self.shapes.iter().rev() {
            let b = &s.bounds;
            if p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && s.contains(p) {
                return s.tissue;
            }
        }
        self.background
    }

    /// Applies a rigid pose (rotation about the scene centre, scale, shift) to every shape.
    pub fn posed(mut self, angle: f32, scale: f32, shift: V2) -> Scene {
        let pivot = self.centre;
        for s in &mut self.shapes {
            *s = Shape::new(s.tissue, s.geom.moved(pivot, angle, scale, shift));
        }
        self.centre = [pivot[0] + shift[0], pivot[1] + shift[1]];
        self.radius *= scale;
        self
    }
}

/// A scene binned on a coarse grid: each cell lists, topmost first, the shapes whose bounds reach
/// it. `tissue_at` then tests a handful of shapes instead of all of them (it runs for every
/// scatterer of every frame) and answers exactly what [`Scene::tissue_at`] answers.
pub struct SceneIndex<'a> {
    scene: &'a Scene,
    origin: V2,
    inv_cell: f32,
    cols: usize,
    rows: usize,
    /// `cells[i]..cells[i + 1]` is cell i's range in `shapes`.
    cells: Vec<u32>,
    shapes: Vec<u16>,
}

impl<'a> SceneIndex<'a> {
    const CELLS: usize = 24;

    pub fn new(scene: &'a Scene) -> Self {
        let mut lo = [f32::MAX; 2];
        let mut hi = [f32::MIN; 2];
        for s in &scene.shapes {
            lo = [lo[0].min(s.bounds[0]), lo[1].min(s.bounds[1])];
            hi = [hi[0].max(s.bounds[2]), hi[1].max(s.bounds[3])];
        }
        let span = (hi[0] - lo[0]).max(hi[1] - lo[1]);
        if !(span.is_finite() && span > 0.0) {
            return Self {
                scene,
                origin: [0.0; 2],
                inv_cell: 0.0,
                cols: 0,
                rows: 0,
                cells: vec![0],
                shapes: vec![],
            };
        }
        let cell = span / Self::CELLS as f32;
        let cols = (((hi[0] - lo[0]) / cell).floor() as usize + 1).min(Self::CELLS + 1);
        let rows = (((hi[1] - lo[1]) / cell).floor() as usize + 1).min(Self::CELLS + 1);
        let inv_cell = 1.0 / cell;
        let mut buckets: Vec<Vec<u16>> = vec![Vec::new(); cols * rows];
        let to_cell =
            |v: f32, o: f32, n: usize| (((v - o) * inv_cell).floor().max(0.0) as usize).min(n - 1);
        for (k, s) in scene.shapes.iter().enumerate().rev() {
            let b = s.bounds;
            if !(b[0] <= b[2] && b[1] <= b[3]) {
                continue; // NaN or empty bounds: Scene::tissue_at never matches it either.
            }
            for row in to_cell(b[1], lo[1], rows)..=to_cell(b[3], lo[1], rows) {
                for col in to_cell(b[0], lo[0], cols)..=to_cell(b[2], lo[0], cols) {
                    buckets[row * cols + col].push(k as u16);
                }
            }
        }
        let mut cells = Vec::with_capacity(buckets.len() + 1);
        let mut shapes = Vec::new();
        cells.push(0);
        for b in buckets {
            shapes.extend(b);
            cells.push(shapes.len() as u32);
        }
        Self {
            scene,
            origin: lo,
            inv_cell,
            cols,
            rows,
            cells,
            shapes,
        }
    }

    #[inline]
    pub fn tissue_at(&self, p: V2) -> Tissue {
        self.shape_at(p).map_or(self.scene.background, |s| s.tissue)
    }

    /// The topmost shape at `p`, if any.
    #[inline]
    pub fn shape_at(&self, p: V2) -> Option<&'a Shape> {
        let (fx, fy) = (
            (p[0] - self.origin[0]) * self.inv_cell,
            (p[1] - self.origin[1]) * self.inv_cell,
        );
        // Outside the grid no shape's bounds reach (the `!` also catches NaN).
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.cols as f32 && fy < self.rows as f32) {
            return None;
        }
        let cell = fy as usize * self.cols + fx as usize;
        let range = self.cells[cell] as usize..self.cells[cell + 1] as usize;
        let scene: &'a Scene = self.scene;
        for &k in &self.shapes[range] {
            let s = &scene.shapes[k as usize];
            let b = &s.bounds;
            if p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && s.contains(p) {
                return Some(s);
            }
        }
        None
    }
}

/// Who is being scanned: size and the occasional abnormality.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Patient {
    /// Overall heart size factor.
    pub scale: f32,
    /// Myocardial wall thickness at end-diastole, cm.
    pub wall: f32,
    /// LV dilatation factor (1 = normal).
    pub lv_dilation: f32,
    /// Pericardial effusion thickness, cm (0 = none).
    pub effusion: f32,
}

/// Where in the cardiac and respiratory cycles an instant falls.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Motion {
    /// Ventricular contraction: 0 at end-diastole, 1 at end-systole.
    pub contraction: f32,
    /// Mitral and tricuspid opening, 0 closed .. 1 wide open.
    pub av_open: f32,
    /// Aortic and pulmonary opening.
    pub sl_open: f32,
    /// Breathing, -1 .. 1.
    pub breath: f32,
}

impl Motion {
    /// The cycle as a function of cardiac phase (0..1, from the R wave) and breathing phase.
    pub fn at(cardiac_phase: f32, breath_phase: f32) -> Self {
        let p = cardiac_phase.rem_euclid(1.0);
        let smooth = |x: f32| 0.5 - 0.5 * (std::f32::consts::PI * x.clamp(0.0, 1.0)).cos();
        // Ejection 0.05-0.33, relaxation and rapid filling 0.33-0.5, diastasis, atrial kick 0.85-0.95.
        let contraction = if p < 0.33 {
            smooth((p - 0.05) / 0.28)
        } else {
            1.0 - smooth((p - 0.33) / 0.17)
        };
        let sl_open = if (0.06..0.32).contains(&p) {
            (smooth((p - 0.06) / 0.05) * smooth((0.32 - p) / 0.05)).sqrt()
        } else {
            0.0
        };
        let av_open = if p >= 0.4 {
            let early = smooth((p - 0.4) / 0.06) * (1.0 - 0.55 * smooth((p - 0.55) / 0.2));
            let kick = if p > 0.82 {
                0.5 * (std::f32::consts::PI * ((p - 0.82) / 0.14).clamp(0.0, 1.0)).sin()
            } else {
                0.0
            };
            (early + kick).min(1.0) * (1.0 - smooth((p - 0.96) / 0.04))
        } else {
            0.0
        };
        Self {
            contraction,
            av_open,
            sl_open,
            breath: (std::f32::consts::TAU * breath_phase).sin(),
        }
    }
}

/// Shorthand builders.
fn ell(t: Tissue, c: V2, a: f32, b: f32, rot: f32) -> Shape {
    Shape::new(t, Geom::Ellipse { c, a, b, rot })
}
fn cap(t: Tissue, p: V2, q: V2, r: f32) -> Shape {
    Shape::new(t, Geom::Capsule { p, q, r })
}
fn arc(t: Tissue, c: V2, radius: f32, half_width: f32, a0: f32, a1: f32) -> Shape {
    Shape::new(
        t,
        Geom::Arc {
            c,
            radius,
            half_width,
            a0,
            a1,
        },
    )
}
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}
fn add(a: V2, b: V2) -> V2 {
    [a[0] + b[0], a[1] + b[1]]
}
fn polar(len: f32, angle: f32) -> V2 {
    [len * angle.cos(), len * angle.sin()]
}

/// A chamber along an axis from `apex` to `base`: wall (outer) shape and blood (inner) shape.
/// `half_width` is the cavity's half-width at end-diastole.
struct Chamber {
    apex: V2,
    base: V2,
    half_width: f32,
    shrink: f32,
    wall: f32,
}

impl Chamber {
    fn shapes(&self, blood: Tissue, k: f32, out: &mut Vec<Shape>, walls: &mut Vec<Shape>) {
        let (dx, dy) = (self.base[0] - self.apex[0], self.base[1] - self.apex[1]);
        let len = (dx * dx + dy * dy).sqrt();
        let rot = dy.atan2(dx);
        let long = len / 2.0 * (1.0 - 0.12 * self.shrink * k);
        let short = self.half_width * (1.0 - 0.3 * self.shrink * k);
        // The base stays put (the annulus moves little); the apex end shortens.
        let c = [
            self.base[0] - long * rot.cos(),
            self.base[1] - long * rot.sin(),
        ];
        let wall = self.wall * (1.0 + 0.45 * self.shrink * k);
        walls.push(ell(Tissue::Myocardium, c, long + wall, short + wall, rot));
        out.push(ell(blood, c, long, short, rot));
    }
}

/// Two leaflets hinged at the annulus points, swinging from closed (meeting between the hinges)
/// to open (pointing along `open_dir`, radians).
fn leaflets(a: V2, b: V2, len_a: f32, len_b: f32, open_dir: f32, open: f32, out: &mut Vec<Shape>) {
    let closed_a = (b[1] - a[1]).atan2(b[0] - a[0]);
    let closed_b = (a[1] - b[1]).atan2(a[0] - b[0]);
    // Closed leaflets bow slightly towards the opening direction, as a coapting valve does.
    let bow = 0.25;
    let ang = |closed: f32| {
        let mut d = open_dir - closed;
        while d > std::f32::consts::PI {
            d -= std::f32::consts::TAU;
        }
        while d < -std::f32::consts::PI {
            d += std::f32::consts::TAU;
        }
        closed + d * lerp(bow, 0.95, open)
    };
    out.push(cap(
        Tissue::Valve,
        a,
        add(a, polar(len_a, ang(closed_a))),
        0.09,
    ));
    out.push(cap(
        Tissue::Valve,
        b,
        add(b, polar(len_b, ang(closed_b))),
        0.09,
    ));
}

/// Pericardium and, now and then, an effusion, drawn around `walls` before them.
fn pericardium(walls: &[Shape], effusion: f32) -> Vec<Shape> {
    let grow = |s: &Shape, by: f32| -> Shape {
        match s.geom {
            Geom::Ellipse { c, a, b, rot } => ell(s.tissue, c, a + by, b + by, rot),
            Geom::HalfEllipse { c, a, b, rot, n, d } => Shape::new(
                s.tissue,
                Geom::HalfEllipse {
                    c,
                    a: a + by,
                    b: b + by,
                    rot,
                    n,
                    d,
                },
            ),
            Geom::Capsule { p, q, r } => cap(s.tissue, p, q, r + by),
            Geom::Arc {
                c,
                radius,
                half_width,
                a0,
                a1,
            } => arc(s.tissue, c, radius, half_width + by, a0, a1),
        }
    };
    let mut out = Vec::new();
    for w in walls {
        let mut s = grow(w, effusion + 0.28);
        s.tissue = Tissue::Pericardium;
        out.push(s);
    }
    if effusion > 0.0 {
        for w in walls {
            let mut s = grow(w, effusion);
            s.tissue = Tissue::Effusion;
            out.push(s);
        }
    }
    out
}

const PI: f32 = std::f32::consts::PI;

/// Builds the four-chamber layout shared by A4C, A5C and (rotated) SC4C.
fn four_chamber(p: &Patient, m: &Motion, five: bool) -> Scene {
    let k = m.contraction;
    let (w, dil) = (p.wall, p.lv_dilation);
    let mut walls = Vec::new();
    let mut blood = Vec::new();
    Chamber {
        apex: [0.7, 2.9],
        base: [1.9, 10.1],
        half_width: 2.0 * dil,
        shrink: 1.0,
        wall: w,
    }
    .shapes(Tissue::Lv, k, &mut blood, &mut walls);
    Chamber {
        apex: [-0.7, 4.4],
        base: [-2.2, 9.8],
        half_width: 1.55,
        shrink: 0.7,
        wall: w * 0.45,
    }
    .shapes(Tissue::Rv, k, &mut blood, &mut walls);
    // Atria fill as the ventricles empty.
    let fill = 1.0 + 0.12 * k;
    walls.push(ell(
        Tissue::Myocardium,
        [2.0, 12.2],
        1.95 * fill + 0.25,
        1.75 * fill + 0.25,
        0.0,
    ));
    walls.push(ell(
        Tissue::Myocardium,
        [-2.1, 12.2],
        1.85 * fill + 0.25,
        1.7 * fill + 0.25,
        0.0,
    ));
    blood.push(ell(Tissue::La, [2.05, 12.3], 1.95 * fill, 1.75 * fill, 0.0));
    blood.push(ell(Tissue::Ra, [-2.15, 12.3], 1.85 * fill, 1.7 * fill, 0.0));
    // Pulmonary veins entering the LA from below.
    blood.push(cap(Tissue::Vessel, [1.2, 13.3], [0.7, 15.2], 0.3));
    blood.push(cap(Tissue::Vessel, [3.0, 13.4], [3.6, 15.0], 0.28));

    let mut shapes = pericardium(&walls, p.effusion);
    shapes.push(ell(Tissue::Myocardium, [0.0, 10.0], 3.3, 2.6, 0.0));
    shapes.extend(walls);
    shapes.extend(blood);
    // Moderator band across the RV apex third.
    shapes.push(cap(
        Tissue::Myocardium,
        [-3.0, 7.0 + 0.3 * k],
        [-0.9, 6.6],
        0.16,
    ));
    // The crux: mitral (LV side) and tricuspid (slightly nearer the apex).
    let av = m.av_open;
    leaflets(
        [0.35, 10.2],
        [3.5, 10.05],
        1.7,
        1.15,
        -PI / 2.0,
        av,
        &mut shapes,
    );
    leaflets(
        [-3.7, 9.75],
        [-0.45, 9.85],
        1.3,
        1.25,
        -PI / 2.0,
        av,
        &mut shapes,
    );
    if five {
        // LV outflow tract and aortic root rising between the AV valves: the "fifth chamber".
        shapes.push(cap(Tissue::VesselWall, [1.0, 7.6], [0.05, 11.4], 1.05));
        shapes.push(cap(Tissue::Lvot, [1.1, 7.2], [0.05, 11.4], 0.8));
        shapes.push(ell(Tissue::Aorta, [-0.1, 11.9], 1.15, 1.0, 0.0));
        let s = m.sl_open;
        leaflets(
            [-0.85, 11.2],
            [0.75, 11.2],
            0.85,
            0.85,
            PI / 2.0,
            s,
            &mut shapes,
        );
    }
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, 8.5],
        radius: 6.5,
    }
}

fn two_chamber(p: &Patient, m: &Motion) -> Scene {
    let k = m.contraction;
    let mut walls = Vec::new();
    let mut blood = Vec::new();
    Chamber {
        apex: [0.0, 2.9],
        base: [0.1, 10.3],
        half_width: 2.35 * p.lv_dilation,
        shrink: 1.0,
        wall: p.wall,
    }
    .shapes(Tissue::Lv, k, &mut blood, &mut walls);
    let fill = 1.0 + 0.12 * k;
    walls.push(ell(
        Tissue::Myocardium,
        [0.2, 12.6],
        2.1 * fill + 0.25,
        1.85 * fill + 0.25,
        0.0,
    ));
    blood.push(ell(Tissue::La, [0.2, 12.65], 2.1 * fill, 1.85 * fill, 0.0));
    let mut shapes = pericardium(&walls, p.effusion);
    shapes.push(ell(Tissue::Myocardium, [0.1, 10.6], 2.6, 1.4, 0.0));
    shapes.extend(walls);
    shapes.extend(blood);
    // Left atrial appendage at the lower right.
    shapes.push(ell(Tissue::La, [2.5, 11.2], 0.75, 0.38, -0.6));
    leaflets(
        [-2.2, 10.3],
        [2.3, 10.3],
        1.5,
        1.6,
        -PI / 2.0,
        m.av_open,
        &mut shapes,
    );
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, 8.5],
        radius: 6.0,
    }
}

fn three_chamber(p: &Patient, m: &Motion) -> Scene {
    let k = m.contraction;
    let mut walls = Vec::new();
    let mut blood = Vec::new();
    Chamber {
        apex: [0.3, 2.9],
        base: [-0.6, 10.0],
        half_width: 2.2 * p.lv_dilation,
        shrink: 1.0,
        wall: p.wall,
    }
    .shapes(Tissue::Lv, k, &mut blood, &mut walls);
    let fill = 1.0 + 0.12 * k;
    walls.push(ell(
        Tissue::Myocardium,
        [-1.4, 12.4],
        1.9 * fill + 0.25,
        1.7 * fill + 0.25,
        0.2,
    ));
    blood.push(ell(Tissue::La, [-1.4, 12.45], 1.9 * fill, 1.7 * fill, 0.2));
    walls.push(cap(Tissue::VesselWall, [0.8, 8.2], [3.9, 13.2], 1.3));
    let mut shapes = pericardium(&walls, p.effusion);
    shapes.extend(walls);
    shapes.extend(blood);
    // Outflow tract and aortic root at the lower right.
    shapes.push(cap(Tissue::Lvot, [0.7, 7.8], [2.2, 10.7], 0.85));
    shapes.push(cap(Tissue::Aorta, [2.2, 10.9], [3.9, 13.2], 1.05));
    leaflets(
        [1.35, 11.2],
        [2.95, 10.3],
        0.85,
        0.85,
        1.0,
        m.sl_open,
        &mut shapes,
    );
    leaflets(
        [-3.1, 10.4],
        [0.0, 10.6],
        1.15,
        1.6,
        -PI / 2.0 - 0.2,
        m.av_open,
        &mut shapes,
    );
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, 8.5],
        radius: 6.0,
    }
}

fn parasternal_long(p: &Patient, m: &Motion) -> Scene {
    let k = m.contraction;
    let (w, dil) = (p.wall, p.lv_dilation);
    let mut walls = Vec::new();
    // RV free wall, septum and posterior wall run roughly horizontally; the walls thicken and the
    // posterior wall moves towards the septum in systole.
    let wk = w * (1.0 + 0.45 * k);
    let cav = 1.45 * dil * (1.0 - 0.3 * k);
    let sep_y = 4.4;
    let post_y = sep_y + wk / 2.0 + 2.0 * cav + wk / 2.0;
    walls.push(cap(Tissue::Myocardium, [-7.0, 1.55], [3.2, 1.45], 0.32));
    walls.push(cap(
        Tissue::Myocardium,
        [-7.5, sep_y],
        [0.2, sep_y + 0.1],
        wk / 2.0,
    ));
    walls.push(cap(
        Tissue::Myocardium,
        [-7.5, post_y],
        [0.6, post_y - 0.2],
        wk / 2.0,
    ));
    walls.push(cap(Tissue::VesselWall, [0.3, 4.35], [7.5, 4.0], 1.45));
    walls.push(ell(Tissue::Myocardium, [2.7, 7.6], 2.2, 1.85, 0.0));
    let mut shapes = pericardium(&walls[2..3], p.effusion);
    // Descending aorta behind the LA, beyond the pericardium.
    shapes.push(ell(Tissue::VesselWall, [2.4, post_y + 1.9], 0.8, 0.8, 0.0));
    shapes.push(ell(
        Tissue::DescendingAorta,
        [2.4, post_y + 1.9],
        0.6,
        0.6,
        0.0,
    ));
    shapes.extend(walls);
    shapes.push(cap(Tissue::Rv, [-7.0, 2.95], [2.8, 2.75], 1.05));
    let cav_y = sep_y + wk / 2.0 + cav;
    shapes.push(ell(Tissue::Lv, [-3.2, cav_y], 4.2, cav, 0.0));
    shapes.push(cap(Tissue::Aorta, [0.6, 4.35], [7.5, 4.0], 1.15));
    shapes.push(ell(Tissue::La, [2.7, 7.7], 1.95, 1.6, 0.0));
    // Aortic cusps open in systole; the anterior mitral leaflet hangs from the aortic root.
    leaflets(
        [1.4, 3.25],
        [1.4, 5.45],
        1.0,
        1.0,
        0.0,
        m.sl_open,
        &mut shapes,
    );
    let av = m.av_open;
    shapes.push(cap(
        Tissue::Valve,
        [0.4, 5.6],
        add([0.4, 5.6], polar(2.1, lerp(1.95, 3.2, av))),
        0.09,
    ));
    shapes.push(cap(
        Tissue::Valve,
        [0.8, post_y - 0.4],
        add([0.8, post_y - 0.4], polar(1.1, lerp(-2.0, -2.9, av))),
        0.09,
    ));
    // Authored with the septum 4.4 cm deep; a parasternal window puts it deeper in the sector.
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [-1.0, 5.5],
        radius: 6.5,
    }
    .posed(0.0, 0.85, [0.8, 2.2])
}

/// The round LV of the short-axis views with the RV crescent at the upper left.
fn short_axis_ring(
    p: &Patient,
    m: &Motion,
    radius: f32,
    rv: f32,
    out: &mut Vec<Shape>,
) -> (V2, f32) {
    let k = m.contraction;
    let c = [0.4, 7.4];
    let r = radius * p.lv_dilation * (1.0 - 0.28 * k);
    let wall = p.wall * (1.0 + 0.5 * k);
    let mut walls = vec![ell(Tissue::Myocardium, c, r + wall, (r + wall) * 0.97, 0.0)];
    if rv > 0.0 {
        walls.insert(
            0,
            ell(
                Tissue::Myocardium,
                [c[0] - 1.9 * rv, c[1] - 2.1 * rv],
                2.7 * rv + 0.3,
                1.55 * rv + 0.3,
                -0.55,
            ),
        );
    }
    out.extend(pericardium(&walls, p.effusion));
    if rv > 0.0 {
        out.push(walls[0].clone());
        out.push(ell(
            Tissue::Rv,
            [c[0] - 1.9 * rv, c[1] - 2.1 * rv],
            2.7 * rv,
            1.55 * rv,
            -0.55,
        ));
        out.push(walls[1].clone());
    } else {
        out.push(walls[0].clone());
    }
    out.push(ell(Tissue::Lv, c, r, r * 0.97, 0.0));
    (c, r)
}

fn short_axis_mitral(p: &Patient, m: &Motion) -> Scene {
    let mut shapes = Vec::new();
    let (c, r) = short_axis_ring(p, m, 2.4, 1.0, &mut shapes);
    // The fish mouth: leaflet tissue around an orifice that opens in diastole.
    let open = m.av_open;
    shapes.push(ell(
        Tissue::Valve,
        [c[0], c[1] + 0.1 * r],
        0.78 * r,
        0.12 + 0.5 * r * open + 0.12,
        0.0,
    ));
    if open > 0.05 {
        shapes.push(ell(
            Tissue::Lv,
            [c[0], c[1] + 0.1 * r],
            0.68 * r,
            0.5 * r * open,
            0.0,
        ));
    }
    Scene {
        shapes,
        background: Tissue::Background,
        centre: c,
        radius: 4.0,
    }
}

fn short_axis_papillary(p: &Patient, m: &Motion) -> Scene {
    let mut shapes = Vec::new();
    let (c, r) = short_axis_ring(p, m, 2.2, 1.0, &mut shapes);
    // Two papillary muscles at about 4 and 8 o'clock, against the wall.
    for clock in [4.0f32, 8.0] {
        let a = clock / 12.0 * std::f32::consts::TAU;
        let at = [c[0] + 0.72 * r * a.sin(), c[1] - 0.72 * r * a.cos()];
        shapes.push(ell(
            Tissue::Papillary,
            at,
            0.28 * r + 0.15,
            0.24 * r + 0.12,
            a,
        ));
    }
    Scene {
        shapes,
        background: Tissue::Background,
        centre: c,
        radius: 4.0,
    }
}

fn short_axis_apical(p: &Patient, m: &Motion) -> Scene {
    let mut shapes = Vec::new();
    // Near the apex the cavity is small and almost closes in systole.
    let (c, _) = short_axis_ring(p, m, 1.35, 0.35, &mut shapes);
    Scene {
        shapes,
        background: Tissue::Background,
        centre: c,
        radius: 3.0,
    }
}

fn short_axis_aortic(p: &Patient, m: &Motion) -> Scene {
    let c = [0.3, 7.2];
    let mut walls = vec![
        arc(Tissue::Myocardium, c, 2.65, 1.25, 0.92 * PI, 2.15 * PI),
        ell(Tissue::Myocardium, [0.5, 10.3], 2.55, 1.75, 0.0),
        ell(Tissue::Myocardium, [-2.7, 9.3], 1.95, 1.8, 0.0),
    ];
    let mut shapes = pericardium(&walls[..1], p.effusion);
    shapes.append(&mut walls);
    shapes.push(arc(Tissue::Rv, c, 2.65, 0.85, 0.95 * PI, 2.12 * PI));
    shapes.push(cap(Tissue::VesselWall, [3.0, 6.6], [6.0, 8.6], 1.15));
    shapes.push(cap(Tissue::PulmonaryArtery, [2.9, 6.5], [6.2, 8.7], 0.9));
    shapes.push(ell(Tissue::La, [0.5, 10.4], 2.25, 1.45, 0.0));
    shapes.push(ell(Tissue::Ra, [-2.75, 9.35], 1.65, 1.5, 0.0));
    shapes.push(ell(Tissue::VesselWall, c, 1.6, 1.6, 0.0));
    shapes.push(ell(Tissue::Aorta, c, 1.3, 1.3, 0.0));
    // Three cusps: a Mercedes Y when closed, pressed to the wall when open.
    let open = m.sl_open;
    for a in [-PI / 2.0, PI / 6.0, 5.0 * PI / 6.0] {
        let rim = add(c, polar(1.3, a));
        let len = lerp(1.3, 0.25, open);
        shapes.push(cap(Tissue::Valve, rim, add(rim, polar(len, a + PI)), 0.08));
    }
    // Tricuspid valve at the left, between RA and RV inflow.
    leaflets(
        [-3.6, 7.6],
        [-2.0, 7.3],
        0.9,
        0.8,
        -PI / 2.0 - 0.3,
        m.av_open,
        &mut shapes,
    );
    Scene {
        shapes,
        background: Tissue::Background,
        centre: c,
        radius: 4.5,
    }
}

fn subcostal_four(p: &Patient, m: &Motion) -> Scene {
    // The four-chamber heart turned so the apex points right and the RV lies against the liver.
    let heart = four_chamber(p, m, false);
    let mut shapes = vec![ell(Tissue::Liver, [-3.5, 2.0], 8.5, 5.6, 0.25)];
    let pivot = heart.centre;
    for s in heart.shapes {
        shapes.push(Shape::new(
            s.tissue,
            s.geom.moved(pivot, PI / 2.0, 0.95, [1.2, 3.0]),
        ));
    }
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [1.2, 11.5],
        radius: 6.5,
    }
}

fn subcostal_ivc(_p: &Patient, m: &Motion) -> Scene {
    let b = 1.0 + 0.22 * m.breath;
    let shapes = vec![
        ell(Tissue::Liver, [-1.0, 6.5], 12.0, 8.5, 0.05),
        cap(Tissue::Pericardium, [-10.0, 12.4], [9.0, 11.2], 0.22),
        ell(Tissue::Myocardium, [5.6, 8.4], 2.35, 2.05, 0.0),
        ell(Tissue::Ra, [5.6, 8.4], 2.05, 1.75, 0.0),
        cap(Tissue::VesselWall, [-9.0, 9.8], [4.0, 8.9], 1.05 * b + 0.15),
        cap(Tissue::Ivc, [-9.0, 9.8], [4.2, 8.9], 1.05 * b),
        cap(Tissue::HepaticVein, [-3.2, 3.6], [-0.6, 9.1], 0.42),
        cap(Tissue::HepaticVein, [-6.0, 5.0], [-3.0, 5.6], 0.25),
    ];
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, 9.0],
        radius: 7.0,
    }
}

fn suprasternal(_p: &Patient, m: &Motion) -> Scene {
    let c = [0.0, 7.8];
    let pulse = 1.0 + 0.05 * m.sl_open;
    let mut shapes = vec![
        ell(Tissue::Myocardium, [0.0, 12.2], 2.3, 1.3, 0.0),
        ell(Tissue::La, [0.0, 12.25], 2.0, 1.05, 0.0),
        arc(Tissue::VesselWall, c, 3.3, 1.15 * pulse, PI, 2.0 * PI),
        cap(Tissue::VesselWall, [-3.3, 7.8], [-3.0, 11.8], 1.15 * pulse),
        cap(Tissue::VesselWall, [3.3, 7.8], [2.9, 13.0], 1.0 * pulse),
    ];
    // Head and neck arteries from the top of the arch.
    for a in [1.32 * PI, 1.5 * PI, 1.68 * PI] {
        let from = add(c, polar(3.3, a));
        shapes.push(cap(
            Tissue::VesselWall,
            from,
            add(from, polar(3.6, a - 0.15 * (a - 1.5 * PI).signum() - 0.0)),
            0.5,
        ));
        shapes.push(cap(Tissue::Vessel, from, add(from, polar(3.8, a)), 0.32));
    }
    shapes.push(arc(Tissue::Aorta, c, 3.3, 0.9 * pulse, PI, 2.0 * PI));
    shapes.push(cap(Tissue::Aorta, [-3.3, 7.8], [-3.0, 11.8], 0.9 * pulse));
    shapes.push(cap(Tissue::Aorta, [3.3, 7.8], [2.9, 13.0], 0.78 * pulse));
    shapes.push(ell(Tissue::VesselWall, [0.0, 9.0], 1.15, 1.0, 0.0));
    shapes.push(ell(Tissue::PulmonaryArtery, [0.0, 9.0], 0.9, 0.78, 0.0));
    Scene {
        shapes,
        background: Tissue::Background,
        centre: c,
        radius: 5.0,
    }
}

/// Non-cardiac cuts (liver with vessels; kidney) and off-axis hearts that match no standard view.
pub fn other_anatomy(
    kind: OtherCut,
    seed_shapes: &[(f32, f32, f32, f32)],
    p: &Patient,
    m: &Motion,
) -> Scene {
    match kind {
        OtherCut::Liver => {
            let mut shapes = vec![ell(Tissue::Liver, [0.0, 8.0], 13.0, 9.0, 0.0)];
            for &(x, y, a, rot) in seed_shapes {
                shapes.push(cap(
                    Tissue::Vessel,
                    [x, y],
                    add([x, y], polar(2.0 + 3.0 * a, rot)),
                    0.2 + 0.5 * a,
                ));
            }
            Scene {
                shapes,
                background: Tissue::Background,
                centre: [0.0, 8.0],
                radius: 8.0,
            }
        }
        OtherCut::Kidney => {
            let shapes = vec![
                ell(Tissue::Liver, [-2.0, 4.0], 9.0, 4.5, 0.2),
                ell(Tissue::Pericardium, [0.5, 9.5], 5.6, 2.9, -0.15),
                ell(Tissue::Kidney, [0.5, 9.5], 5.2, 2.5, -0.15),
                ell(Tissue::KidneySinus, [0.6, 9.6], 3.0, 0.9, -0.15),
            ];
            Scene {
                shapes,
                background: Tissue::Background,
                centre: [0.5, 9.5],
                radius: 5.0,
            }
        }
        OtherCut::Lung => {
            // The seed shapes give the pleural depth and where B-lines stand (if any).
            let pleura = 1.6 + seed_shapes.first().map_or(0.5, |s| s.2) * 1.6;
            let b_lines: Vec<f32> = seed_shapes.iter().skip(1).map(|s| s.0 * 0.8).collect();
            lung(pleura, &b_lines, m)
        }
        OtherCut::SoftTissue => soft_tissue(seed_shapes, m),
        OtherCut::Bowel => bowel(seed_shapes, m),
        OtherCut::OffAxis => {
            // Pieces of heart at odd angles: walls and pools that form no standard arrangement.
            let mut shapes = Vec::new();
            let k = m.contraction;
            for &(x, y, a, rot) in seed_shapes {
                let r = 1.0 + 1.6 * a;
                shapes.push(ell(
                    Tissue::Myocardium,
                    [x, y],
                    r * 1.4 + p.wall,
                    r + p.wall,
                    rot,
                ));
                shapes.push(ell(
                    Tissue::Vessel,
                    [x, y],
                    r * 1.4 * (1.0 - 0.2 * k),
                    r * (1.0 - 0.25 * k),
                    rot,
                ));
            }
            Scene {
                shapes,
                background: Tissue::Background,
                centre: [0.0, 8.0],
                radius: 6.0,
            }
        }
    }
}

/// Kinds of non-standard 2-D images among OTHER.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OtherCut {
    Liver,
    Kidney,
    OffAxis,
    /// A lung screen (phantom v2): chest wall, rib echoes, the pleural line, then aerated lung
    /// showing only reverberation, A-lines, and in some clips B-lines.
    Lung,
    /// Muscle and bone as a linear probe shows them (phantom v2): skin, fat, striated muscle
    /// between bright fasciae, and a bone's bright cortex with its shadow.
    SoftTissue,
    /// Loops of bowel under the abdominal wall (phantom v2): layered walls, fluid or gas with
    /// its bright line and shadow.
    Bowel,
}

impl OtherCut {
    /// Non-cardiac screens: drawn as 2-D scenes of their own (not cut from the 3-D chest), and
    /// imaged by scanners with any probe (phased, curved or linear).
    pub fn is_non_cardiac(self) -> bool {
        !matches!(self, OtherCut::OffAxis)
    }
}

/// Skin, subcutaneous fat and a fascia over the first `fat` cm: the top of every body-wall screen.
fn body_wall(fat: f32, shapes: &mut Vec<Shape>) {
    shapes.push(cap(Tissue::Valve, [-40.0, 0.08], [40.0, 0.08], 0.06));
    // Fat: dim, with a few bright septa running roughly along the skin.
    shapes.push(ell(
        Tissue::Kidney,
        [0.0, 0.1 + fat / 2.0],
        60.0,
        fat / 2.0,
        0.0,
    ));
    for k in 1..4 {
        let y = 0.1 + fat * k as f32 / 4.0;
        shapes.push(cap(
            Tissue::VesselWall,
            [-6.0 + 2.5 * k as f32, y],
            [1.0 + 2.0 * k as f32, y + 0.15],
            0.025,
        ));
    }
    shapes.push(cap(
        Tissue::Pericardium,
        [-40.0, 0.1 + fat],
        [40.0, 0.1 + fat],
        0.05,
    ));
}

/// Muscle over bone. The seed shapes give the fat's and the bone's depth and the bone's curve.
fn soft_tissue(seed: &[(f32, f32, f32, f32)], m: &Motion) -> Scene {
    let a = seed.first().map_or(0.5, |s| s.2);
    let b = seed.get(1).map_or(0.3, |s| s.2);
    let fat = 0.3 + 0.9 * a;
    let bone = fat + 1.2 + 2.5 * b;
    let mut shapes = Vec::new();
    body_wall(fat, &mut shapes);
    // Muscle: mid grey with the bright oblique striations of its fibres (pennate pattern).
    let muscle_top = 0.15 + fat;
    shapes.push(ell(
        Tissue::Myocardium,
        [0.0, (muscle_top + bone) / 2.0],
        60.0,
        (bone - muscle_top) / 2.0,
        0.0,
    ));
    let slope = 0.15 + 0.3 * b;
    let sway = 0.1 * m.breath;
    for k in -8..9 {
        let x = k as f32 * 0.7 + sway;
        shapes.push(cap(
            Tissue::Valve,
            [x, muscle_top + 0.1],
            [x + (bone - muscle_top) / slope.max(0.1) * 0.3, bone - 0.1],
            0.02,
        ));
    }
    // An intermuscular fascia halfway down.
    let mid = (muscle_top + bone) / 2.0;
    shapes.push(cap(
        Tissue::Pericardium,
        [-40.0, mid],
        [40.0, mid + 0.3 * (a - 0.5)],
        0.04,
    ));
    // Bone: a gently curved bright cortex, nothing but shadow below it.
    let curve = 8.0 + 20.0 * a;
    shapes.push(ell(
        Tissue::Effusion,
        [0.0, bone + curve],
        curve + 0.1,
        curve,
        0.0,
    ));
    // (Arc angles run from +x towards +y, into the body: the top of a circle is at -pi/2.)
    let top = -std::f32::consts::FRAC_PI_2;
    shapes.push(arc(
        Tissue::Pericardium,
        [0.0, bone + curve],
        curve,
        0.09,
        top - 0.6,
        top + 0.6,
    ));
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, mid],
        radius: 3.0,
    }
}

/// Bowel loops below the abdominal wall. Each seed shape places one loop; `a` above 0.5 holds
/// gas (a bright line on the near wall and shadow below), otherwise fluid.
fn bowel(seed: &[(f32, f32, f32, f32)], m: &Motion) -> Scene {
    let fat = 0.5 + 1.0 * seed.first().map_or(0.5, |s| s.2);
    let mut shapes = Vec::new();
    body_wall(fat, &mut shapes);
    shapes.push(cap(
        Tissue::Pericardium,
        [-40.0, fat + 0.8],
        [40.0, fat + 0.8],
        0.05,
    ));
    // Mesentery and bowel content behind the wall: mid grey.
    shapes.push(ell(Tissue::Liver, [0.0, fat + 8.0], 60.0, 7.1, 0.0));
    let squeeze = 1.0 + 0.06 * (m.breath * 2.3).sin();
    for (i, &(x, y, a, rot)) in seed.iter().enumerate() {
        let r = (0.8 + 1.0 * a) * squeeze;
        let c = [x * 0.8, fat + 1.5 + r + (y - 4.0) * 0.35 + i as f32 * 0.4];
        let (rx, ry) = (r * (1.2 + 0.4 * a), r);
        if a > 0.5 {
            // Gas: the loop's wall, then nothing but shadow from the gas down, under a bright
            // line where the gas meets the near wall.
            shapes.push(ell(Tissue::Myocardium, c, rx + 0.35, ry + 0.35, rot * 0.3));
            let gas = [c[0], c[1] - ry * 0.6];
            shapes.push(cap(Tissue::Effusion, gas, [c[0], c[1] + 30.0], rx * 0.8));
            let top = -std::f32::consts::FRAC_PI_2;
            shapes.push(arc(Tissue::Valve, c, ry * 0.9, 0.12, top - 1.2, top + 1.2));
        } else {
            // Fluid-filled: the layered wall (bright mucosa inside a darker muscle coat).
            shapes.push(ell(Tissue::Myocardium, c, rx + 0.35, ry + 0.35, rot * 0.3));
            shapes.push(ell(Tissue::Valve, c, rx + 0.12, ry + 0.12, rot * 0.3));
            shapes.push(ell(Tissue::Vessel, c, rx, ry, rot * 0.3));
        }
    }
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, fat + 3.0],
        radius: 3.0,
    }
}

/// A lung screen: soft tissue down to the pleura at `pleura` cm, two ribs, the bright pleural
/// line, A-lines repeating it deeper, and `b_lines` vertical comet tails (x positions, cm).
fn lung(pleura: f32, b_lines: &[f32], m: &Motion) -> Scene {
    // The pleura slides a little with breathing.
    let slide = 0.3 * m.breath;
    let mut shapes = vec![ell(Tissue::Liver, [0.0, 0.0], 30.0, pleura - 0.05, 0.0)];
    for x in [-3.6f32, 3.6] {
        shapes.push(ell(Tissue::Pericardium, [x, pleura - 0.6], 1.0, 0.45, 0.0));
    }
    for k in 2..5 {
        let y = pleura * k as f32;
        shapes.push(cap(Tissue::Valve, [-12.0, y], [12.0, y], 0.08));
    }
    // B-lines rise from the pleural line, which stays unbroken over them.
    for &x in b_lines {
        shapes.push(cap(
            Tissue::Valve,
            [x + slide, pleura],
            [x + slide, 18.0],
            0.18,
        ));
    }
    shapes.push(cap(
        Tissue::Pericardium,
        [-12.0 + slide, pleura],
        [12.0 + slide, pleura],
        0.1,
    ));
    Scene {
        shapes,
        background: Tissue::Background,
        centre: [0.0, pleura],
        radius: 3.0,
    }
}

/// The cut for a standard view code at one instant, before the clip's pose jitter.
pub fn standard_view(code: &str, p: &Patient, m: &Motion) -> Option<Scene> {
    Some(match code {
        "PLAX" => parasternal_long(p, m),
        "PSAX-AV" => short_axis_aortic(p, m),
        "PSAX-MV" => short_axis_mitral(p, m),
        "PSAX-PM" => short_axis_papillary(p, m),
        "PSAX-AP" => short_axis_apical(p, m),
        "A4C" => four_chamber(p, m, false),
        "A5C" => four_chamber(p, m, true),
        "A3C" => three_chamber(p, m),
        "A2C" => two_chamber(p, m),
        "SC4C" => subcostal_four(p, m),
        "SC-IVC" => subcostal_ivc(p, m),
        "SSN" => suprasternal(p, m),
        _ => return None,
    })
}

#[cfg(test)]
mod half_ellipse_tests {
    use super::*;

    #[test]
    fn a_moved_half_ellipse_holds_the_moved_points() {
        let g = Geom::HalfEllipse {
            c: [1.0, 6.0],
            a: 3.0,
            b: 1.5,
            rot: 0.4,
            n: [0.6, 0.8],
            d: 5.5,
        };
        let (pivot, angle, scale, shift) = ([0.5, 7.0], 0.3, 1.2, [-0.4, 0.9]);
        let moved = g.moved(pivot, angle, scale, shift);
        let (s, c) = angle.sin_cos();
        let mut inside = 0;
        for i in 0..60 {
            for j in 0..60 {
                let p = [-3.0 + i as f32 * 0.12, 3.0 + j as f32 * 0.12];
                let (dx, dy) = ((p[0] - pivot[0]) * scale, (p[1] - pivot[1]) * scale);
                let q = [
                    pivot[0] + dx * c - dy * s + shift[0],
                    pivot[1] + dx * s + dy * c + shift[1],
                ];
                assert_eq!(g.contains(p), moved.contains(q), "{p:?}");
                let shape = Shape::new(Tissue::Lv, moved.clone());
                assert_eq!(shape.contains(q), moved.contains(q));
                inside += g.contains(p) as usize;
            }
        }
        // Some of the ellipse is cut away, some kept.
        let full = Geom::Ellipse {
            c: [1.0, 6.0],
            a: 3.0,
            b: 1.5,
            rot: 0.4,
        };
        let whole = (0..3600)
            .filter(|k| {
                full.contains([-3.0 + (k / 60) as f32 * 0.12, 3.0 + (k % 60) as f32 * 0.12])
            })
            .count();
        assert!(inside > 0 && inside < whole, "{inside} of {whole}");
    }
}

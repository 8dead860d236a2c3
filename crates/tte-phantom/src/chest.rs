//! Phantom v2 anatomy: a beating heart in a chest, in 3-D, cut by the probe's plane.
//!
//! Every structure is an ellipsoid (tubes are chains of them), painted in order like the 2-D
//! shapes, so a plane cuts each one into an exact ellipse and the cut is a [`Scene`] the B-mode
//! image formation already renders. Views are not drawn: each standard view is a plane placed
//! from anatomical landmarks (A4C through the apex and the mitral and tricuspid annulus centres,
//! PSAX levels perpendicular to the LV long axis, ...) with the probe at its window, and a clip
//! cuts a jittered copy of it; its label follows from how far the cut is from every standard
//! plane ([`label_for`]).
//!
//! Body frame (cm): x to the patient's left, y anterior, z cranial. Heart frame: `e3` from the
//! apex to the base along the LV long axis, `e1` from the septum toward the RV, `e2 = e3 x e1`
//! (toward the diaphragmatic wall). Sizes are adult normal values (`../shared/ANATOMY.md`).

use crate::anatomy::{Geom, Motion, Patient, Scene, Shape, Tissue};

pub type V3 = [f32; 3];

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn mul(a: V3, k: f32) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}
fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn norm(a: V3) -> f32 {
    dot(a, a).sqrt()
}
fn unit(a: V3) -> V3 {
    mul(a, 1.0 / norm(a).max(1e-9))
}
/// `v` turned by `angle` radians about the unit axis `k` (Rodrigues).
pub fn rotate(v: V3, k: V3, angle: f32) -> V3 {
    let (s, c) = angle.sin_cos();
    add(
        add(mul(v, c), mul(cross(k, v), s)),
        mul(k, dot(k, v) * (1.0 - c)),
    )
}
/// Any unit vector perpendicular to the unit `a`.
fn perpendicular(a: V3) -> V3 {
    let t = if a[0].abs() < 0.8 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    unit(cross(a, t))
}

/// An atrium as half an ellipsoid: its flat face on the plane through the valve ring
/// (`annulus`) across the heart's long axis (`axes[2]`, pointing from apex to base), its centre
/// there above `middle`'s footprint, reaching as far beyond the ring as a ball of radii `r`
/// centred at `middle` did, and a tenth narrower across (the two domes' walls still meet
/// in the atrial septum).
fn atrial_dome(tissue: Tissue, annulus: V3, middle: V3, r: [f32; 3], axes: [V3; 3]) -> Solid {
    let e3 = axes[2];
    let up = dot(sub(middle, annulus), e3);
    let c = sub(middle, mul(e3, up - 0.1));
    Solid {
        tissue,
        c,
        axes,
        r: [0.9 * r[0], 0.9 * r[1], up - 0.1 + r[2]],
        clip: Some((mul(e3, -1.0), -dot(e3, c))),
    }
}

/// Where a subcostal four-chamber probe presses in under the xiphoid, from where the IVC joins
/// the RA: in front of and below it.
fn subcostal_window(ivc_junction: V3) -> V3 {
    add(ivc_junction, [-0.5, 6.5, -6.5])
}

/// An ellipsoid: centre, three orthonormal axes and the semi-axis along each.
#[derive(Clone, Debug)]
pub struct Solid {
    pub tissue: Tissue,
    pub c: V3,
    pub axes: [V3; 3],
    pub r: [f32; 3],
    /// Only the part where `n . p <= d` (a unit `n`): the LV ends flat at its base.
    pub clip: Option<(V3, f32)>,
}

impl Solid {
    fn sphere(tissue: Tissue, c: V3, r: f32) -> Self {
        Self {
            tissue,
            c,
            axes: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            r: [r; 3],
            clip: None,
        }
    }

    /// An ellipsoid whose first axis points along `dir`.
    fn along(tissue: Tissue, c: V3, dir: V3, r: [f32; 3], roll_hint: V3) -> Self {
        let a0 = unit(dir);
        let mut a1 = sub(roll_hint, mul(a0, dot(roll_hint, a0)));
        a1 = if norm(a1) < 1e-4 {
            perpendicular(a0)
        } else {
            unit(a1)
        };
        let a2 = cross(a0, a1);
        Self {
            tissue,
            c,
            axes: [a0, a1, a2],
            r,
            clip: None,
        }
    }

    /// Whether the point lies inside.
    pub fn contains(&self, p: V3) -> bool {
        if let Some((n, d)) = self.clip {
            if dot(n, p) > d {
                return false;
            }
        }
        let d = sub(p, self.c);
        (0..3)
            .map(|i| (dot(d, self.axes[i]) / self.r[i]).powi(2))
            .sum::<f32>()
            <= 1.0
    }

    /// Where the plane cuts it: an ellipse in the plane's (lateral, depth) coordinates.
    pub fn cut(&self, plane: &Plane) -> Option<Geom> {
        let d = sub(plane.origin, self.c);
        let (mut a11, mut a12, mut a22, mut b1, mut b2, mut k) = (0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..3 {
            let w = 1.0 / (self.r[i] * self.r[i]);
            let (au, av, ad) = (
                dot(self.axes[i], plane.u),
                dot(self.axes[i], plane.v),
                dot(self.axes[i], d),
            );
            a11 += w * au * au;
            a12 += w * au * av;
            a22 += w * av * av;
            b1 += w * au * ad;
            b2 += w * av * ad;
            k += w * ad * ad;
        }
        let det = a11 * a22 - a12 * a12;
        if det <= 1e-12 {
            return None;
        }
        // Centre of the ellipse: where the quadratic's gradient vanishes.
        let s0 = -(a22 * b1 - a12 * b2) / det;
        let t0 = -(-a12 * b1 + a11 * b2) / det;
        let q0 = k + b1 * s0 + b2 * t0;
        if q0 >= 1.0 {
            return None;
        }
        let f = 1.0 - q0;
        let (m, h) = (
            0.5 * (a11 + a22),
            (0.25 * (a11 - a22).powi(2) + a12 * a12).sqrt(),
        );
        let (l1, l2) = (m + h, (m - h).max(1e-9));
        let (c, a, b, rot) = (
            [s0, t0],
            (f / l1).sqrt(),
            (f / l2).sqrt(),
            0.5 * (2.0 * a12).atan2(a11 - a22),
        );
        let Some((n3, d3)) = self.clip else {
            return Some(Geom::Ellipse { c, a, b, rot });
        };
        // The clipping plane in the image plane's coordinates: n . (origin + s u + t v) <= d.
        let n = [dot(n3, plane.u), dot(n3, plane.v)];
        let d = d3 - dot(n3, plane.origin);
        if n[0].abs() + n[1].abs() < 1e-6 {
            // Parallel planes: all kept or all cut away.
            return (d >= 0.0).then_some(Geom::Ellipse { c, a, b, rot });
        }
        Some(Geom::HalfEllipse { c, a, b, rot, n, d })
    }
}

/// An image plane: the probe at `origin`, `u` to the screen's right, `v` along the central
/// beam into the body (both unit, perpendicular).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plane {
    pub origin: V3,
    pub u: V3,
    pub v: V3,
}

impl Plane {
    fn new(origin: V3, v: V3, u_hint: V3) -> Self {
        let v = unit(v);
        let u = unit(sub(u_hint, mul(v, dot(u_hint, v))));
        Self { origin, u, v }
    }

    pub fn normal(&self) -> V3 {
        cross(self.u, self.v)
    }

    /// The body point at lateral `x`, depth `y` of the image.
    pub fn point(&self, x: f32, y: f32) -> V3 {
        add(self.origin, add(mul(self.u, x), mul(self.v, y)))
    }

    /// The image a hand would make from this one: tilted about the lateral axis, rotated about
    /// the beam, pushed through the plane and slid along the skin (radians, cm).
    pub fn jittered(&self, j: &Jitter) -> Plane {
        let n = self.normal();
        // Tilt (elevation): the beam and normal turn about u.
        let v = rotate(self.v, self.u, j.tilt);
        let n = rotate(n, self.u, j.tilt);
        // Rotation about the beam: u and the normal turn about v.
        let u = rotate(self.u, v, j.rotation);
        let n = rotate(n, v, j.rotation);
        let origin = add(add(self.origin, mul(n, j.offset_cm)), mul(u, j.slide_cm));
        Plane { origin, u, v }
    }

    /// Angle (degrees) and offset (cm) of this plane from `standard`: the larger of the angles
    /// between the planes' normals and between their beams, and how far the standard image's
    /// centre (8 cm down its beam) lies from this plane.
    pub fn distance_to(&self, standard: &Plane) -> (f32, f32) {
        let angle = |a: V3, b: V3| dot(a, b).clamp(-1.0, 1.0).acos().to_degrees();
        let normals = angle(self.normal(), standard.normal())
            .min(angle(self.normal(), mul(standard.normal(), -1.0)));
        let beams = angle(self.v, standard.v);
        let centre = standard.point(0.0, 8.0);
        let offset = dot(sub(centre, self.origin), self.normal()).abs();
        (normals.max(beams), offset)
    }
}

/// How a hand moves the probe away from a standard plane.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Jitter {
    pub tilt: f32,
    pub rotation: f32,
    pub offset_cm: f32,
    pub slide_cm: f32,
}

/// A cut within this of a standard plane (degrees, cm) is labelled that view.
pub const LABEL_WITHIN: (f32, f32) = (10.0, 1.0);
/// A cut beyond this from every standard plane is OTHER (off-axis); in between is not used.
pub const OTHER_BEYOND: (f32, f32) = (25.0, 2.5);

/// The label a cut earns: the nearest standard view within [`LABEL_WITHIN`], `OTHER` when it is
/// beyond [`OTHER_BEYOND`] from all of them, `None` in between (such cuts are not used).
pub fn label_for(plane: &Plane, chest: &Chest) -> Option<String> {
    let mut best: Option<(f32, &str)> = None;
    let mut far_from_all = true;
    for code in STANDARD_VIEWS {
        let (a, o) = plane.distance_to(&chest.standard_plane(code));
        if a <= OTHER_BEYOND.0 && o <= OTHER_BEYOND.1 {
            far_from_all = false;
        }
        if a <= LABEL_WITHIN.0 && o <= LABEL_WITHIN.1 {
            let score = a / LABEL_WITHIN.0 + o / LABEL_WITHIN.1;
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, code));
            }
        }
    }
    match best {
        Some((_, code)) => Some(code.to_string()),
        None if far_from_all => Some("OTHER".to_string()),
        None => None,
    }
}

pub const STANDARD_VIEWS: [&str; 12] = [
    "PLAX", "PSAX-AV", "PSAX-MV", "PSAX-PM", "PSAX-AP", "A4C", "A5C", "A3C", "A2C", "SC4C",
    "SC-IVC", "SSN",
];

/// Where the standard planes are anchored, in body coordinates.
#[derive(Clone, Debug)]
pub struct Landmarks {
    pub apex: V3,
    pub mitral: V3,
    pub tricuspid: V3,
    pub aortic: V3,
    pub pulmonary: V3,
    /// LV long axis, apex to base (unit).
    pub axis: V3,
    /// From the septum toward the RV (unit, perpendicular to the axis).
    pub to_rv: V3,
    /// Centres of the LV at the papillary-muscle and apical levels.
    pub papillary_level: V3,
    pub apical_level: V3,
    pub mitral_tips: V3,
    pub ivc_junction: V3,
    pub arch_top: V3,
    pub arch_normal: V3,
    pub ascending: V3,
}

/// The chest at one instant: every solid in painting order, and the landmarks.
pub struct Chest {
    pub solids: Vec<Solid>,
    pub landmarks: Landmarks,
}

/// The RV's side of the septum tilts down a little: with `toward_rv` level, the four-chamber
/// plane lay nearly transverse, its normal (the way the aortic valve leaves it) ran mostly toward
/// the head, and the parasternal beams through the axis and the valve ran 54 degrees caudal, into
/// the liver. Tilted by this much they run about 38 degrees caudal and A4C still misses the LVOT.
const TOWARD_RV_Z: f32 = -0.45;

/// Heart frame to body frame.
struct Frame {
    origin: V3,
    e: [V3; 3],
}

impl Frame {
    fn at(&self, h: V3) -> V3 {
        add(
            self.origin,
            add(
                add(mul(self.e[0], h[0]), mul(self.e[1], h[1])),
                mul(self.e[2], h[2]),
            ),
        )
    }
    fn dir(&self, h: V3) -> V3 {
        unit(add(
            add(mul(self.e[0], h[0]), mul(self.e[1], h[1])),
            mul(self.e[2], h[2]),
        ))
    }
}

/// The heart's orientation: the LV long axis points from base to apex left, forward and down,
/// (0.61, 0.63, -0.48) in the body frame (Engblom 2005, ANATOMY.md), turned by `turn` radians
/// about the body's vertical for the spread between people.
fn heart_frame(turn: f32, scale: f32) -> Frame {
    let apex_dir = rotate(unit([0.61, 0.63, -0.48]), [0.0, 0.0, 1.0], turn);
    let e3 = mul(apex_dir, -1.0);
    let toward_rv = [-0.7, 0.5, TOWARD_RV_Z];
    let e1 = unit(sub(toward_rv, mul(e3, dot(toward_rv, e3))));
    let e2 = cross(e3, e1);
    // The apex sits about 2 cm under the skin at the left fifth intercostal space.
    let apex = [7.0, 4.0 - 0.5 * (scale - 1.0), -3.0];
    Frame {
        origin: apex,
        e: [e1, e2, e3],
    }
}

/// A tube along the path `pts` of radius `r`: a chain of ellipsoids overlapping at the joints.
fn tube(out: &mut Vec<Solid>, tissue: Tissue, pts: &[V3], r: f32) {
    for w in pts.windows(2) {
        let len = norm(sub(w[1], w[0]));
        if len < 1e-4 {
            continue;
        }
        let c = mul(add(w[0], w[1]), 0.5);
        out.push(Solid::along(
            tissue,
            c,
            sub(w[1], w[0]),
            [0.5 * len + 0.6 * r, r, r],
            perpendicular(unit(sub(w[1], w[0]))),
        ));
    }
}

/// A vessel: its wall, then its lumen.
fn vessel(out: &mut Vec<Solid>, lumen: Tissue, pts: &[V3], r: f32) {
    tube(out, Tissue::VesselWall, pts, r + 0.1);
    tube(out, lumen, pts, r);
}

/// A thin leaflet hinged at `hinge`, reaching `len` cm along `dir`, `width` cm wide along `across`.
fn leaflet(out: &mut Vec<Solid>, hinge: V3, dir: V3, across: V3, len: f32, width: f32) {
    let d = unit(dir);
    out.push(Solid::along(
        Tissue::Valve,
        add(hinge, mul(d, 0.5 * len)),
        d,
        [0.5 * len + 0.05, 0.5 * width, 0.11],
        across,
    ));
}

/// A semilunar valve's three cusps around `axis` at `base`: hinge radius, cusp length and width.
fn cusps(out: &mut Vec<Solid>, base: V3, axis: V3, [radius, len, width]: [f32; 3], open: f32) {
    let reference = perpendicular(axis);
    for i in 0..3 {
        let d = rotate(reference, axis, i as f32 * std::f32::consts::TAU / 3.0);
        let closed = blend(mul(d, -1.0), axis, 0.15);
        leaflet(
            out,
            add(base, mul(d, radius)),
            blend(closed, axis, open),
            cross(axis, d),
            len,
            width,
        );
    }
}

/// Smooth interpolation between two directions.
fn blend(a: V3, b: V3, t: f32) -> V3 {
    unit(add(mul(a, 1.0 - t), mul(b, t)))
}

/// Per-person variation of the chest beyond [`Patient`]: heart turn and position.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Body {
    /// Turn of the heart about the body's vertical, radians.
    pub turn: f32,
    /// RV size factor (1 normal; > 1.3 a dilated RV).
    pub rv: f32,
    /// LV ejection fraction's share of the normal contraction (1 normal, 0.4 poor, 1.3 hyperdynamic).
    pub contractility: f32,
    /// Thickness of the bright band around the ventricles, cm: the pericardium with the fat and
    /// the lung interface behind it, 2-4 mm on a scanner (0 means the default 1.4 mm).
    #[serde(default)]
    pub pericardium_cm: f32,
    /// LV wall thickness at end-diastole, cm: 0.6-1.0 normal, more in hypertrophy (0 means
    /// the patient's drawn `wall`, phantom v1's thick walls).
    #[serde(default)]
    pub lv_wall_cm: f32,
    /// Share of the LV's length, from the apex, that neither moves in nor thickens in systole
    /// (0 none): the apical akinesis of an anterior infarct or of takotsubo, as teaching
    /// clips show it.
    #[serde(default)]
    pub akinetic_apex: f32,
}

impl Chest {
    /// The chest at one instant of the cardiac and breathing cycles.
    pub fn build(p: &Patient, body: &Body, m: &Motion) -> Chest {
        let s = p.scale;
        let k = (m.contraction * body.contractility.max(0.2)).min(1.4);
        // Breathing moves the heart down and forward a little (0.6 x a 2 cm diaphragm excursion).
        let mut f = heart_frame(body.turn, s);
        f.origin = add(f.origin, mul([0.0, 0.2, -1.0], 0.6 * m.breath.max(-1.0)));
        let h = |x: f32, y: f32, z: f32| f.at([x * s, y * s, z * s]);
        let hd = |x: f32, y: f32, z: f32| f.dir([x, y, z]);
        let (e1, e2, e3) = (f.e[0], f.e[1], f.e[2]);
        let mut out: Vec<Solid> = Vec::new();

        // --- Landmarks (heart frame, cm, before scaling) -----------------------------------
        // The base moves toward the apex in systole (MAPSE about 1.5 cm); the apex stays.
        // The base descends toward the apex in systole (MAPSE about 1.5 cm at the lateral
        // annulus, less at the centre); the apex stays.
        let dil = p.lv_dilation;
        let base_z = 9.2 * dil.sqrt() - 0.7 * k;
        let mitral = h(-0.4, 0.3, base_z);
        let tricuspid = h(3.3, 0.2, base_z - 0.8 + 0.3 * k);
        // Out of the four-chamber plane (which holds the axis and e1): the front of the heart.
        let anterior = if e2[1] > 0.0 { e2 } else { mul(e2, -1.0) };
        // The aortic valve sits in front of the mitral valve, between it and the tricuspid.
        let aortic = add(
            add(add(mitral, mul(anterior, 2.6 * s)), mul(e1, 0.9 * s)),
            mul(e3, 0.9 * s),
        );
        let left = mul(e1, -1.0);
        let pulmonary = add(
            add(add(aortic, mul(anterior, 1.6 * s)), mul(left, 1.3 * s)),
            mul(e3, 2.0 * s),
        );

        // --- Ventricles: RV first, so the LV's wall (the septum) paints over it ---------------
        let rv = body.rv.max(0.7);
        let rv_k = 1.0 - 0.22 * k;
        // The RV lies beside the septum (seen in A4C) and wraps in front of the LV (the top
        // of PLAX and the crescent of PSAX): a body beside it and a shell in front of it.
        let rv_c = add(h(3.5 * rv.sqrt(), 0.0, 5.6), mul(anterior, 0.6 * s));
        let rv_r = [
            2.1 * rv * rv_k * s,
            2.6 * rv * s,
            3.9 * rv.sqrt() * (1.0 - 0.1 * k) * s,
        ];
        // The part in front covers the basal half toward the septum (the outflow in front of the
        // LVOT), not the LV's whole front: an apical three-chamber cut, tilted toward the aortic
        // valve, crossed it from base to apex and showed a right ventricle beside the LV on
        // every clip, where a real one shows none.
        let rv_front = add(h(1.5, 0.0, 7.2), mul(anterior, (3.45 + 0.6 * rv) * s));
        let rv_front_r = [2.6 * s, 0.9 * rv * rv_k * s, 2.4 * s];
        for (c, r) in [(rv_c, rv_r), (rv_front, rv_front_r)] {
            out.push(Solid {
                tissue: Tissue::Myocardium,
                c,
                axes: [e1, e2, e3],
                r: r.map(|x| x + 0.35),
                clip: None,
            });
        }
        // The apical septum: the LV narrows to its apex and the RV's body ends short of it, so
        // without this the two walls parted there round a wedge of grey, and a four-chamber cut
        // showed two separate sausages with a doubled septum instead of one heart.
        out.push(Solid {
            tissue: Tissue::Myocardium,
            c: h(1.9, 0.2, 4.2),
            axes: [e1, e2, e3],
            r: [1.5 * s, 1.9 * s, 3.4 * s],
            clip: None,
        });
        // RV outflow to the pulmonary valve (the trunk and its branches follow). At the aortic
        // valve's level it wraps round the front of the aortic root, from beside the tricuspid
        // valve to the pulmonary valve: the crescent across the top of a real PSAX-AV (a straight
        // tube crosses that level only at its far end, so the cut showed the aorta in empty grey).
        // Offsets from the aortic valve: toward the tricuspid side, forward, toward the base.
        let by_root = |right: f32, forward: f32, up: f32| {
            let d = add(add(mul(e1, right), mul(anterior, forward)), mul(e3, up));
            add(aortic, mul(d, s))
        };
        let inflow_end = h(2.4, -0.9, 7.0);
        let outflow = [inflow_end, mul(add(inflow_end, pulmonary), 0.5), pulmonary];
        let around_root = [
            by_root(2.3, 0.6, 0.0),
            by_root(1.6, 2.0, 0.0),
            by_root(-0.3, 2.6, 0.4),
            by_root(-1.3, 2.1, 1.2),
            pulmonary,
        ];
        // Every wall of the right ventricle before any of its blood, so no wall of one part
        // crosses the cavity of another (a PSAX cut showed the RV as two lobes split by a wall).
        tube(
            &mut out,
            Tissue::Myocardium,
            &[inflow_end, pulmonary],
            1.5 * s,
        );
        tube(&mut out, Tissue::Myocardium, &around_root, 1.55 * s);
        for (c, r) in [(rv_c, rv_r), (rv_front, rv_front_r)] {
            out.push(Solid {
                tissue: Tissue::Rv,
                c,
                axes: [e1, e2, e3],
                r,
                clip: None,
            });
        }
        tube(&mut out, Tissue::Rv, &outflow, 1.2 * s);
        tube(&mut out, Tissue::Rv, &around_root, 1.2 * s);
        let trunk_end = add(
            add(pulmonary, mul([0.0, -1.0, 0.3], 3.0 * s)),
            mul([1.0, 0.0, 0.0], 0.5 * s),
        );
        vessel(
            &mut out,
            Tissue::PulmonaryArtery,
            &[pulmonary, trunk_end],
            1.2 * s,
        );
        vessel(
            &mut out,
            Tissue::PulmonaryArtery,
            &[trunk_end, add(trunk_end, [3.0 * s, -1.5 * s, 0.0])],
            0.8 * s,
        );
        let rpa_end = add(trunk_end, [-6.0 * s, -1.2 * s, 0.4 * s]);
        vessel(
            &mut out,
            Tissue::PulmonaryArtery,
            &[trunk_end, rpa_end],
            0.8 * s,
        );
        // Moderator band across the RV's apical third.
        tube(
            &mut out,
            Tissue::Myocardium,
            &[h(0.8, 0.2, 3.4), h(3.6, 0.3, 3.9)],
            0.18 * s,
        );

        // LV: a prolate ellipsoid; in systole shorter (-15 %) and narrower (-30 %), walls thicker.
        let wall = if body.lv_wall_cm > 0.0 {
            body.lv_wall_cm
        } else {
            p.wall
        } * (1.0 + 0.45 * k);
        // The cavity reaches from the apex (its wall thickening in systole) to just past the
        // mitral annulus, whatever the phase: length falls with the base's descent (~15 %).
        let apex_endo = (0.8 + 0.3 * k) * s;
        let long = 0.5 * ((base_z + 0.3) * s - apex_endo);
        let across = 2.45 * dil * (1.0 - 0.3 * k) * s;
        // A bullet, not an egg: half an ellipsoid from the apex, widest at the base, which ends
        // flat just past the mitral annulus (the atria and the LVOT paint over what lies beyond).
        let lv_base = add(f.at([0.0, 0.0, 0.0]), mul(e3, apex_endo + 2.0 * long));
        let lv_axes = [e1, e2, e3];
        let clip = Some((e3, dot(e3, lv_base)));
        // The cavity's middle, which the LVOT points away from.
        let lv_c = add(f.at([0.0, 0.0, 0.0]), mul(e3, apex_endo + long));
        let lv_wall = Solid {
            tissue: Tissue::Myocardium,
            c: lv_base,
            axes: lv_axes,
            r: [across + wall, across + wall, 2.0 * long + 0.8 * s],
            clip,
        };
        out.push(lv_wall.clone());
        out.push(Solid {
            tissue: Tissue::Lv,
            c: lv_base,
            axes: lv_axes,
            r: [across, across, 2.0 * long],
            clip,
        });
        if body.akinetic_apex > 0.0 {
            // The akinetic apex keeps its end-diastolic shape through the cycle, a little
            // ballooned: painted over the contracting LV up to a level across its long axis,
            // so systole shows a small, thick-walled base above a wide, thin apex.
            let wall_d = wall / (1.0 + 0.45 * k);
            let apex_d = 0.8 * s;
            let long_d = 0.5 * ((9.2 * dil.sqrt() + 0.3) * s - apex_d);
            let across_d = 2.45 * dil * s * (1.0 + 0.06 * k);
            let base_d = add(f.at([0.0, 0.0, 0.0]), mul(e3, apex_d + 2.0 * long_d));
            let level = add(
                f.at([0.0, 0.0, 0.0]),
                mul(e3, 2.0 * long_d * body.akinetic_apex),
            );
            let clip = Some((e3, dot(e3, level)));
            out.push(Solid {
                tissue: Tissue::Myocardium,
                c: base_d,
                axes: lv_axes,
                r: [across_d + wall_d, across_d + wall_d, 2.0 * long_d + 0.8 * s],
                clip,
            });
            out.push(Solid {
                tissue: Tissue::Lv,
                c: base_d,
                axes: lv_axes,
                r: [across_d, across_d, 2.0 * long_d],
                clip,
            });
        }
        // Papillary muscles: anterolateral and posteromedial, from the wall at mid-cavity.
        let level = add(f.at([0.0, 0.0, 0.0]), mul(e3, apex_endo + 0.85 * long));
        let pm_dirs = [blend(left, mul(e2, -1.0), 0.5), blend(e2, e1, 0.3)];
        let mut pm_tips = Vec::new();
        for d in pm_dirs {
            let d = unit(sub(d, mul(e3, dot(d, e3))));
            let root = add(level, mul(d, across * 0.78));
            out.push(Solid::along(
                Tissue::Papillary,
                add(root, mul(e3, 0.3 * s)),
                e3,
                [1.7 * s, 0.6 * s, 0.55 * s],
                d,
            ));
            let tip = add(root, mul(e3, 1.9 * s));
            pm_tips.push(tip);
        }

        // --- Atria, veins, septa ---------------------------------------------------------
        let fill = 1.0 + 0.15 * k;
        // Behind the root (posterior), as PLAX shows it: below the aorta, not in line with the LV.
        let la_c = add(add(mitral, mul(e3, 2.2 * s)), mul(anterior, -0.7 * s));
        let la_r = [2.3 * fill * s, 1.9 * fill * s, 2.6 * fill * s];
        let ra_c = add(
            add(add(tricuspid, mul(e3, 2.2 * s)), mul(anterior, -0.2 * s)),
            mul(e1, 0.4 * s),
        );
        let ra_r = [2.1 * fill * s, 1.9 * fill * s, 2.5 * fill * s];
        let posterior = mul(anterior, -1.0);
        // Each atrium a dome hanging from its valve ring, not a ball beside it: half an
        // ellipsoid from the annulus, widest there and rounded at its roof, reaching as far as
        // the ball did (an apical view's atria are bells on the far side of the AV plane).
        let la_dome = atrial_dome(Tissue::La, mitral, la_c, la_r, [e1, e2, e3]);
        let ra_dome = atrial_dome(Tissue::Ra, tricuspid, ra_c, ra_r, [e1, e2, e3]);
        for dome in [&la_dome, &ra_dome] {
            out.push(Solid {
                tissue: Tissue::Myocardium,
                r: dome.r.map(|x| x + 0.18),
                ..dome.clone()
            });
        }
        // Pulmonary veins into the LA's back, two each side.
        for (side, up) in [(-1.0f32, 1.0f32), (-1.0, -1.0), (1.0, 1.0), (1.0, -1.0)] {
            let mouth = add(
                add(la_c, mul(posterior, la_r[1] * 0.7)),
                add(mul(left, side * 1.3 * s), mul(e3, up * 0.9 * s)),
            );
            let far = add(
                add(mouth, mul(posterior, 2.0 * s)),
                mul(left, side * 1.8 * s),
            );
            tube(&mut out, Tissue::Vessel, &[mouth, far], 0.55 * s);
        }
        out.extend([la_dome, ra_dome]);
        // Coronary sinus in the posterior atrioventricular groove, into the RA.
        tube(
            &mut out,
            Tissue::Vessel,
            &[
                add(mitral, add(mul(posterior, 2.2 * s), mul(left, 1.5 * s))),
                add(mitral, mul(posterior, 2.4 * s)),
                add(ra_c, mul(posterior, 1.0 * s)),
            ],
            0.45 * s,
        );
        // SVC from above and IVC from below into the RA; hepatic veins into the IVC.
        let up = [0.0, 0.0, 1.0];
        // Inside the RA's dome (narrower than the ball it replaced), so the cavae open into it.
        let ra_top = add(ra_c, mul(up, ra_r[2] * 0.65));
        tube(
            &mut out,
            Tissue::Vessel,
            &[ra_top, add(ra_top, [-0.3, -0.5, 5.0 * s])],
            0.9 * s,
        );
        let ivc_junction = add(ra_c, mul(up, -ra_r[2] * 0.65));
        // The IVC narrows on inspiration (breath > 0).
        let ivc_r = 0.95 * s * (1.0 - 0.3 * m.breath.max(0.0));
        let ivc_low = add(ivc_junction, [0.3, -1.5, -9.0]);
        vessel(
            &mut out,
            Tissue::Ivc,
            &[ivc_junction, add(ivc_junction, [0.1, -0.6, -3.0]), ivc_low],
            ivc_r,
        );

        // --- Outflow: LVOT, aortic root, ascending aorta, arch and its branches, descending --
        // Bounded by the septum and the anterior mitral leaflet: no wall of its own.
        tube(
            &mut out,
            Tissue::Lvot,
            // The last 2 cm below the valve, in front of the anterior mitral leaflet.
            &[add(aortic, mul(unit(sub(lv_c, aortic)), 2.2 * s)), aortic],
            1.0 * s,
        );
        // The root leaves the heart close to the base's direction and the ascending aorta then
        // turns cranial: PLAX shows the root running across the right of the picture above the
        // LA ("RVOT, root and LA roughly equal thirds"), not climbing to the top like an arch.
        let asc_dir = unit([-0.35, 0.25, 0.9]);
        let root_dir = unit(add(mul(asc_dir, 0.5), mul(e3, 0.5)));
        let sinus = add(aortic, mul(root_dir, 1.5 * s));
        let stj = add(aortic, mul(root_dir, 2.6 * s));
        let asc_top = add(stj, mul(asc_dir, 3.6 * s));
        out.push(Solid::sphere(Tissue::VesselWall, sinus, 1.85 * s));
        out.push(Solid::sphere(Tissue::Aorta, sinus, 1.7 * s));
        vessel(&mut out, Tissue::Aorta, &[sinus, stj, asc_top], 1.5 * s);
        // The arch turns from the ascending aorta back and left over the pulmonary artery to
        // the descending aorta, which runs down behind the left atrium.
        let back = [0.0, -1.0, 0.0];
        let desc_top = add(
            add(add(la_c, mul(back, 3.8 * s)), [1.2 * s, 0.0, 0.0]),
            [0.0, 0.0, 5.5 * s],
        );
        let desc_top = [desc_top[0], desc_top[1], desc_top[2].max(asc_top[2] - 0.5)];
        let crest = add(mul(add(asc_top, desc_top), 0.5), [0.0, 0.0, 3.0 * s]);
        let arch_pts: Vec<V3> = (0..=8)
            .map(|i| {
                // A quadratic Bezier from the ascending aorta's top over the crest to the descent.
                let t = i as f32 / 8.0;
                add(
                    add(
                        mul(asc_top, (1.0 - t) * (1.0 - t)),
                        mul(crest, 2.0 * t * (1.0 - t)),
                    ),
                    mul(desc_top, t * t),
                )
            })
            .collect();
        let arch_top = arch_pts[4];
        let arch_normal = unit(cross(sub(arch_pts[4], asc_top), sub(desc_top, asc_top)));
        // Branches from the arch's top: brachiocephalic, left carotid, left subclavian.
        for (i, lean) in [(3usize, -0.6f32), (4, 0.0), (5, 0.6)] {
            let root = arch_pts[i];
            tube(
                &mut out,
                Tissue::Vessel,
                &[root, add(root, [lean * s, 0.2, 4.0 * s])],
                0.45 * s,
            );
        }
        vessel(&mut out, Tissue::Aorta, &arch_pts, 1.35 * s);
        vessel(
            &mut out,
            Tissue::DescendingAorta,
            &[
                desc_top,
                add(desc_top, [0.2, 0.0, -10.0 * s]),
                add(desc_top, [0.0, 0.3, -22.0 * s]),
            ],
            1.2 * s,
        );
        // The spine behind it, a little toward the midline: vertebral bodies about 3.5 cm
        // across. Deep PLAX, apical and subcostal fans reach it: a bright arc and a shadow.
        let spine = add(desc_top, [-2.0 * s, -2.0 * s, 0.0]);
        tube(
            &mut out,
            Tissue::Bone,
            &[
                add(spine, [0.0, 0.0, 4.0 * s]),
                add(spine, [0.0, 0.0, -10.0 * s]),
                add(spine, [0.0, 0.3, -24.0 * s]),
            ],
            1.7 * s,
        );

        // --- Valves ------------------------------------------------------------------------
        // Mitral: anterior (toward the aortic valve) and posterior leaflets, hinged on the
        // annulus; closed they meet across it, open they point at the apex.
        let to_ao = unit(sub(aortic, mitral));
        let to_ao = unit(sub(to_ao, mul(e3, dot(to_ao, e3))));
        let commissures = cross(e3, to_ao);
        let av = m.av_open;
        let apexward = mul(e3, -1.0);
        for (hinge_side, len) in [(1.0f32, 2.3 * s), (-1.0, 1.3 * s)] {
            let hinge = add(mitral, mul(to_ao, hinge_side * 1.5 * s));
            let closed = blend(mul(to_ao, -hinge_side), apexward, 0.25);
            leaflet(
                &mut out,
                hinge,
                blend(closed, apexward, av),
                commissures,
                len,
                3.0 * s,
            );
        }
        // Chordae from the papillary tips to the leaflets' edges.
        for tip in &pm_tips {
            tube(
                &mut out,
                Tissue::Valve,
                &[*tip, add(mitral, mul(apexward, 1.2 * s))],
                0.06,
            );
        }
        // Tricuspid: septal, anterior (lateral, so A4C shows it opposite the septal one) and
        // posterior leaflets.
        let tv_in = mul(e3, -1.0);
        for (i, d) in [
            mul(e1, -1.0),
            unit(add(e1, mul(anterior, 0.35))),
            mul(e2, 1.0),
        ]
        .into_iter()
        .enumerate()
        {
            let d = unit(sub(d, mul(e3, dot(d, e3))));
            let hinge = add(tricuspid, mul(d, 1.35 * s));
            let closed = blend(mul(d, -1.0), tv_in, 0.25);
            let across = cross(e3, d);
            let len = [1.3, 1.7, 1.4][i] * s;
            leaflet(
                &mut out,
                hinge,
                blend(closed, tv_in, av),
                across,
                len,
                2.2 * s,
            );
        }
        // Aortic and pulmonary: three cusps each; closed they meet in the middle (a "Mercedes" in
        // PSAX-AV), open they lie along the vessel's wall.
        cusps(
            &mut out,
            aortic,
            unit(sub(sinus, aortic)),
            [1.25 * s, 1.2 * s, 1.6 * s],
            m.sl_open,
        );
        cusps(
            &mut out,
            pulmonary,
            unit(sub(trunk_end, pulmonary)),
            [1.05 * s, 1.0 * s, 1.4 * s],
            m.sl_open,
        );

        // --- Pericardium around the chambers' outer walls, with any effusion inside it ------
        // Painted under everything else, so only the heart's outline keeps the bright line.
        let grown = |w: &Solid, by: f32, t: Tissue| Solid {
            tissue: t,
            r: w.r.map(|x| x + by),
            ..w.clone()
        };
        // Around the ventricles (the atria's walls are thin and their sac faint on a scanner).
        // The RV's two bodies (the first two walls drawn) and the LV's.
        let walls: Vec<Solid> = out
            .iter()
            .filter(|w| w.tissue == Tissue::Myocardium)
            .take(2)
            .cloned()
            .chain([lv_wall])
            .collect();
        let pericardium = if body.pericardium_cm > 0.0 {
            body.pericardium_cm
        } else {
            0.14
        };
        let mut sac: Vec<Solid> = walls
            .iter()
            .map(|w| grown(w, p.effusion + pericardium, Tissue::Pericardium))
            .collect();
        if p.effusion > 0.01 {
            sac.extend(walls.iter().map(|w| grown(w, p.effusion, Tissue::Effusion)));
        }
        out.splice(0..0, sac);

        // --- Below the diaphragm: the liver (IVC and hepatic veins run through it) ---------
        // Its dome sits under the diaphragm just below the RA's floor, where the IVC enters; the
        // right lobe fills the right upper abdomen and the thinner left lobe crosses the midline
        // under the heart, behind the abdominal wall: the window a subcostal probe looks through.
        // Breathing in pushes it down. The capsule (drawn as pericardium) is the bright
        // diaphragm-and-capsule line where the liver meets the heart.
        let dome = ivc_junction[2] - 0.6 - 0.8 * m.breath.clamp(-1.0, 1.0);
        let lobes = [
            // (centre, long axis, radii)
            (
                [ivc_junction[0] - 2.5, ivc_junction[1] + 0.5, dome - 6.5],
                [1.0, 0.0, 0.15],
                [7.5, 6.5, 6.5],
            ),
            (
                // 7 cm across: wider, it filled the depth of PSAX fans beside the RV.
                [ivc_junction[0] + 1.5, ivc_junction[1] + 2.5, dome - 4.5],
                [1.0, 0.0, -0.3],
                [3.5, 3.0, 2.5],
            ),
        ];
        // The left lobe's edge under the xiphoid, where a subcostal probe presses in (its
        // window, `standard_plane("SC4C")`): liver across the whole near field of the
        // four-chamber plane's turn about the beam, not only the old plane's middle.
        let (crux, xiphoid) = (
            mul(add(mitral, tricuspid), 0.5),
            subcostal_window(ivc_junction),
        );
        let lobes = [
            lobes[0],
            lobes[1],
            (
                add(xiphoid, mul(unit(sub(crux, xiphoid)), 3.0)),
                sub(crux, xiphoid),
                [2.2, 2.4, 2.4],
            ),
        ];
        for (c, dir, r) in lobes {
            out.insert(0, Solid::along(Tissue::Liver, c, dir, r, [0.0, 1.0, 0.0]));
        }
        // The capsule round the lobes (the edge under the xiphoid lies within them).
        for &(c, dir, r) in &lobes[..2] {
            out.insert(
                0,
                Solid::along(
                    Tissue::Pericardium,
                    c,
                    dir,
                    r.map(|x| x + 0.25),
                    [0.0, 1.0, 0.0],
                ),
            );
        }
        // Behind the atria: the posterior mediastinum (fat, oesophagus, the descending aorta's
        // bed) between the lungs, above the diaphragm. It has no air, so it echoes: the bright
        // far field beyond an apical view's atria, below PLAX's left atrium. Painted under the
        // heart; the descending aorta runs through it.
        let mut mediastinum = Solid::along(
            Tissue::Mediastinum,
            add(la_c, [-0.5 * s, -3.2 * s, 0.0]),
            [1.0, 0.0, 0.0],
            [4.0 * s, 2.4 * s, 6.0 * s],
            [0.0, 1.0, 0.0],
        );
        mediastinum.clip = Some(([0.0, 0.0, -1.0], -(dome + 0.3)));
        out.insert(0, mediastinum);
        for (dx, dy) in [(-3.0f32, 1.0f32), (0.0, 2.0), (3.0, 1.5)] {
            tube(
                &mut out,
                Tissue::HepaticVein,
                &[add(ivc_low, [0.0, 0.0, 2.5]), add(ivc_low, [dx, dy, -2.0])],
                0.45,
            );
        }

        let _ = (hd, e2);
        let landmarks = Landmarks {
            apex: f.at([0.0, 0.0, 0.0]),
            mitral,
            tricuspid,
            aortic,
            pulmonary,
            axis: e3,
            to_rv: e1,
            papillary_level: level,
            apical_level: add(f.at([0.0, 0.0, 0.0]), mul(e3, apex_endo + 0.35 * long)),
            mitral_tips: add(mitral, mul(e3, -1.5 * s)),
            ivc_junction,
            arch_top,
            arch_normal,
            ascending: asc_dir,
        };
        Chest {
            solids: out,
            landmarks,
        }
    }

    /// The standard plane of a view, from the landmarks, with the probe at its window.
    pub fn standard_plane(&self, code: &str) -> Plane {
        let l = &self.landmarks;
        let axis = l.axis;
        // Apical window: the probe a little beyond the apex along the long axis.
        let apical_probe = sub(l.apex, mul(axis, 2.2));
        let crux = mul(add(l.mitral, l.tricuspid), 0.5);
        let a4c = {
            let v = sub(crux, apical_probe);
            // Screen right is the LV (tricuspid to mitral).
            Plane::new(apical_probe, v, sub(l.mitral, l.tricuspid))
        };
        // Parasternal: the beam runs front to back, perpendicular to the long axis, in the plane
        // through the long axis and the aortic valve; the probe sits about 3 cm in front of the RV.
        let lax_normal = unit(cross(sub(l.mitral, l.apex), sub(l.aortic, l.apex)));
        let front_to_back = {
            let d = cross(lax_normal, axis);
            // It must point backward (from the RV toward the LA).
            if dot(d, [0.0, 1.0, 0.0]) > 0.0 {
                mul(d, -1.0)
            } else {
                d
            }
        };
        // Aimed at the base (the mitral and aortic valves), as a sonographer centres PLAX: the
        // root and the LA sit mid-picture, the apex at the left edge or beyond it.
        let para_target = add(l.apex, mul(axis, 0.85 * norm(sub(l.mitral, l.apex))));
        let para_probe = sub(para_target, mul(front_to_back, 7.5));
        let short_axis = |centre: V3| {
            let probe = sub(centre, mul(front_to_back, 7.5));
            let beam = sub(centre, probe);
            // Seen from the apex: RV on the screen's left, so screen right points away from it.
            Plane::new(probe, beam, mul(l.to_rv, -1.0))
        };
        let project = |pt: V3| {
            // A point moved onto the LV axis's line at its level (PSAX planes centre on the LV).
            let t = dot(sub(pt, l.apex), axis);
            add(l.apex, mul(axis, t))
        };
        match code {
            "A4C" => a4c,
            "A5C" => {
                // Tilted forward from A4C to take in the LVOT and the aortic valve: the plane
                // through the probe, the aortic valve and the crux.
                let v = sub(mul(add(l.aortic, crux), 0.5), apical_probe);
                let n = cross(sub(l.aortic, apical_probe), sub(crux, apical_probe));
                let u = cross(unit(v), unit(n));
                let u = if dot(u, sub(l.mitral, l.tricuspid)) < 0.0 {
                    mul(u, -1.0)
                } else {
                    u
                };
                Plane::new(apical_probe, v, u)
            }
            "A2C" => {
                // Aimed at the mitral valve and turned about 60 degrees from A4C, away from A3C
                // (the three apical planes lie about 60 degrees apart around the LV axis): no
                // right heart, no outflow tract.
                let a3c = self.standard_plane("A3C");
                let beam = unit(sub(l.mitral, apical_probe));
                let turned = |deg: f32| {
                    let u = rotate(a4c.u, beam, deg.to_radians());
                    Plane::new(apical_probe, beam, u)
                };
                let closeness = |p: &Plane| dot(p.normal(), a3c.normal()).abs();
                let (a, b) = (turned(60.0), turned(-60.0));
                if closeness(&a) <= closeness(&b) {
                    a
                } else {
                    b
                }
            }
            "A3C" => {
                // The apical long axis: through the mitral and aortic valves.
                let v = sub(l.mitral, apical_probe);
                Plane::new(apical_probe, v, sub(l.aortic, l.mitral))
            }
            "PLAX" => {
                // Apex on the screen's left, aorta on the right.
                Plane::new(para_probe, front_to_back, axis)
            }
            "PSAX-AV" => short_axis(l.aortic),
            "PSAX-MV" => short_axis(project(l.mitral_tips)),
            "PSAX-PM" => short_axis(l.papillary_level),
            "PSAX-AP" => short_axis(l.apical_level),
            "SC4C" => {
                // From below the xiphoid, nearly flat, aimed at the left shoulder through the
                // four chambers; liver in the near field, the apex to the screen's right.
                // Turned about its beam to lie as near the four-chamber plane as the beam
                // allows: the plane through the beam and both valve centres lay 37-41 degrees
                // from it and cut the LV across, a round chamber, where a real subcostal view
                // lays the four chambers out lengthwise across the screen.
                let probe = subcostal_window(l.ivc_junction);
                let target = crux;
                let v = sub(target, probe);
                let n4 = a4c.normal();
                let n = unit(sub(n4, mul(unit(v), dot(n4, unit(v)))));
                let u = cross(v, n);
                let u = if dot(u, sub(l.apex, crux)) < 0.0 {
                    mul(u, -1.0)
                } else {
                    u
                };
                Plane::new(probe, v, u)
            }
            "SC-IVC" => {
                // Turned to the long axis of the IVC: head of the patient to the screen's right.
                let probe = add(l.ivc_junction, [0.0, 6.5, -6.0]);
                let target = add(l.ivc_junction, [0.0, 0.0, -1.5]);
                Plane::new(probe, sub(target, probe), [0.0, 0.0, 1.0])
            }
            "SSN" => {
                // From the suprasternal notch down into the arch's plane: ascending aorta left.
                let probe = add(l.arch_top, [0.0, 1.5, 4.5]);
                let target = add(l.arch_top, [0.0, -0.5, -3.0]);
                let v = sub(target, probe);
                let v = unit(sub(v, mul(l.arch_normal, dot(v, l.arch_normal))));
                let u_hint = mul(l.ascending, -1.0);
                let u = cross(v, l.arch_normal);
                let u = if dot(u, u_hint) < 0.0 {
                    mul(u, -1.0)
                } else {
                    u
                };
                Plane::new(probe, v, u)
            }
            other => panic!("no standard plane for `{other}`"),
        }
    }

    /// The 2-D scene where `plane` cuts the chest, in the image's (lateral, depth) coordinates.
    pub fn cut(&self, plane: &Plane) -> Scene {
        let shapes = self
            .solids
            .iter()
            .filter_map(|s| s.cut(plane).map(|g| Shape::new(s.tissue, g)))
            .collect();
        // The motion field centres on the heart's middle as seen in this cut.
        let centre3 = mul(add(self.landmarks.apex, self.landmarks.mitral), 0.5);
        let d = sub(centre3, plane.origin);
        Scene {
            shapes,
            background: Tissue::Background,
            centre: [dot(d, plane.u), dot(d, plane.v).max(2.0)],
            radius: 6.5,
        }
    }
}

//! Every parameter of a phantom clip, drawn from a seed. `Style::Default` draws the ranges training
//! uses; `Style::Shifted` draws nuisance settings from outside them, for testing robustness.

use crate::anatomy::{OtherCut, Patient};
use crate::imaging::Scanner;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    #[default]
    Default,
    Shifted,
}

impl std::str::FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Style::Default),
            "shifted" => Ok(Style::Shifted),
            other => Err(format!(
                "unknown style `{other}`; use `default` or `shifted`"
            )),
        }
    }
}

/// Which anatomy a clip shows: v1's views drawn in 2-D, or v2's cuts of the 3-D chest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Anatomy {
    #[default]
    Drawn,
    Cut,
}

impl std::str::FromStr for Anatomy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "drawn" | "v1" => Ok(Anatomy::Drawn),
            "cut" | "v2" => Ok(Anatomy::Cut),
            other => Err(format!(
                "unknown anatomy `{other}`; use `cut` (phantom v2, the 3-D chest) or `drawn` (v1)"
            )),
        }
    }
}

impl std::fmt::Display for Anatomy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Anatomy::Drawn => "drawn",
            Anatomy::Cut => "cut",
        })
    }
}

/// What an OTHER clip shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherKind {
    SpectralDoppler,
    MMode,
    Cut(#[serde(with = "cut_serde")] OtherCut),
}

mod cut_serde {
    use crate::anatomy::OtherCut;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(c: &OtherCut, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match c {
            OtherCut::Liver => "liver",
            OtherCut::Kidney => "kidney",
            OtherCut::OffAxis => "off-axis",
            OtherCut::Lung => "lung",
            OtherCut::SoftTissue => "soft-tissue",
            OtherCut::Bowel => "bowel",
        })
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OtherCut, D::Error> {
        Ok(match String::deserialize(d)?.as_str() {
            "liver" => OtherCut::Liver,
            "kidney" => OtherCut::Kidney,
            "lung" => OtherCut::Lung,
            "soft-tissue" => OtherCut::SoftTissue,
            "bowel" => OtherCut::Bowel,
            _ => OtherCut::OffAxis,
        })
    }
}

/// Things burnt into the screen around the image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Overlays {
    pub text: bool,
    pub depth_scale: bool,
    pub ecg: bool,
    pub colour_bar: bool,
    pub logo: bool,
    /// Colour Doppler box in sector coordinates: [angle0, angle1] radians, [depth0, depth1] cm.
    pub doppler_box: Option<[f32; 4]>,
    /// Text colour and ECG colour.
    pub text_rgb: [u8; 3],
    pub ecg_rgb: [u8; 3],
    /// Black bars: left, top, right, bottom, in pixels.
    pub letterbox: [usize; 4],
    pub patient_id: String,
}

/// All that determines a clip; written to the manifest so any clip can be regenerated.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClipParams {
    pub view: String,
    pub seed: u64,
    pub style: Style,
    pub width: usize,
    pub height: usize,
    pub fps: f32,
    pub duration_s: f32,
    pub heart_rate_bpm: f32,
    pub breaths_per_min: f32,
    pub cardiac_phase0: f32,
    pub patient: Patient,
    /// Pose of the anatomy in the cut: rotation (rad), scale, shift (cm).
    pub pose: [f32; 4],
    pub scanner: Scanner,
    /// Screen placement: apex x (fraction of width), apex y (fraction of height), rotation (rad), zoom.
    pub placement: [f32; 4],
    /// Left-right mirrored display (some labs show apical views with the LV on the left).
    pub mirrored: bool,
    /// Grey-map tint multiplier per channel.
    pub tint: [f32; 3],
    pub overlays: Overlays,
    pub other: Option<OtherKind>,
    /// Extra shapes for OTHER cuts: (x, y, size, angle).
    pub other_shapes: Vec<(f32, f32, f32, f32)>,
    /// For spectral Doppler and M-mode: the standard view shown in the small reference image.
    pub reference_view: Option<String>,
    /// What lies around the heart. Absent in manifests written before it existed (even grey).
    #[serde(default)]
    pub surroundings: Surroundings,
    /// Phantom v2: the view is cut from the 3-D chest ([`crate::chest`]) by a hand-jittered
    /// plane. Absent (the v1 drawn anatomy) in clips drawn without [`ClipParams::with_cut_anatomy`].
    #[serde(default)]
    pub cut: Option<Cut>,
}

/// How a v2 clip is cut from the 3-D chest: the person, the standard plane it starts from and
/// the hand's jitter away from it, and the jittered plane's distance from that standard plane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    pub body: crate::chest::Body,
    /// The standard view whose plane the jitter moves (for OTHER: the plane it left).
    pub from_view: String,
    pub jitter: crate::chest::Jitter,
    /// Angle (degrees) and offset (cm) of the cut from `from_view`'s standard plane.
    pub distance: (f32, f32),
    /// The hand's drift during the clip: tilt amplitude (radians), slide amplitude (cm),
    /// frequency (Hz) and phase. Absent in clips drawn before it existed (a still hand).
    #[serde(default)]
    pub hand: [f32; 4],
}

/// The tissue around the heart: a band of chest wall under the probe, then (for cardiac windows)
/// aerated lung, which returns almost nothing, so real sectors are dark around the heart.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Surroundings {
    /// Depth of the chest wall under the probe, cm.
    pub chest_wall_cm: f32,
    /// Echo of the surroundings beyond it, relative to soft tissue (1 = no lung).
    pub lung: f32,
}

impl Default for Surroundings {
    fn default() -> Self {
        Self {
            chest_wall_cm: 0.0,
            lung: 1.0,
        }
    }
}

fn typical_depth(view: &str) -> (f32, f32) {
    match view {
        "A4C" | "A5C" | "A3C" | "A2C" => (14.0, 19.0),
        "SC4C" | "SC-IVC" => (16.0, 22.0),
        "SSN" => (12.0, 16.0),
        "OTHER" => (12.0, 20.0),
        _ => (12.0, 16.0),
    }
}

const SIZES: [(usize, usize); 10] = [
    (112, 112),
    (128, 128),
    (160, 120),
    (224, 224),
    (320, 240),
    (400, 300),
    (480, 360),
    (640, 480),
    (800, 600),
    (1024, 768),
];
const SHIFTED_SIZES: [(usize, usize); 4] = [(96, 96), (200, 100), (720, 720), (1280, 720)];

/// A colour Doppler box in sector coordinates, inside the fan: [angle0, angle1, depth0, depth1].
/// `near_cm` is where the image starts (a curved or linear probe's face; 0 for a sector).
fn draw_doppler_box(r: &mut Rng, half_angle: f32, near_cm: f32, depth_cm: f32) -> [f32; 4] {
    let a0 = r.range(-half_angle * 0.8, 0.0);
    let shown = depth_cm - near_cm;
    let d0 = near_cm + r.range(0.2, 0.5) * shown;
    [
        a0,
        a0 + r.range(0.3, 0.9) * half_angle,
        d0,
        d0 + r.range(0.2, 0.4) * shown,
    ]
}

impl ClipParams {
    /// Draws every parameter of one clip of `view` from `seed`.
    pub fn draw(view: &str, seed: u64, style: Style) -> Self {
        let mut rng = Rng::new(seed ^ fxhash(view));
        let shifted = style == Style::Shifted;
        let mut r = rng.fork(1);
        let (width, height) = if shifted {
            *r.pick(&SHIFTED_SIZES)
        } else {
            // Favour the small sizes most exports are downsampled to, keep the big ones present.
            SIZES[(r.unit().powf(1.6) * SIZES.len() as f32) as usize % SIZES.len()]
        };
        let fps = r.range(20.0, 90.0);
        let duration_s = r.range(1.0, 5.0);
        let heart_rate_bpm = r.range(45.0, 140.0);
        let breaths_per_min = r.range(10.0, 22.0);
        let cardiac_phase0 = r.unit();

        let mut r = rng.fork(2);
        let patient = Patient {
            scale: r.range(0.85, 1.15),
            wall: r.range(0.8, 1.4),
            lv_dilation: if r.chance(0.15) {
                r.range(1.15, 1.4)
            } else {
                r.range(0.92, 1.08)
            },
            effusion: if r.chance(0.1) {
                r.range(0.3, 1.3)
            } else {
                0.0
            },
        };
        let pose = [
            r.range(-0.16, 0.16),
            patient.scale,
            r.range(-0.7, 0.7),
            r.range(-0.7, 0.7),
        ];

        let mut r = rng.fork(3);
        let (dlo, dhi) = typical_depth(view);
        let depth_cm = if shifted {
            r.range(dhi, dhi + 4.0)
        } else {
            r.range(dlo, dhi)
        };
        let half_angle = if shifted {
            if r.chance(0.5) {
                r.range(18.0, 27.0)
            } else {
                r.range(47.0, 56.0)
            }
        } else {
            r.range(30.0, 45.0)
        }
        .to_radians();
        let ribs = if r.chance(0.25) {
            (0..r.int(1, 2))
                .map(|_| [r.range(-half_angle, half_angle), r.range(0.05, 0.14)])
                .collect()
        } else {
            vec![]
        };
        let scanner = Scanner {
            depth_cm,
            half_angle,
            freq_mhz: r.range(1.7, 3.6),
            // Machines differ a lot in how bright they show tissue: a SonoSite's apical view
            // (../shared/fixtures/dicom) sits near the dark end of this range.
            gain_db: if shifted {
                if r.chance(0.5) {
                    r.range(-26.0, -22.0)
                } else {
                    r.range(6.0, 10.0)
                }
            } else {
                r.range(-20.0, 4.0)
            },
            dynamic_range_db: if shifted {
                if r.chance(0.5) {
                    r.range(30.0, 38.0)
                } else {
                    r.range(72.0, 85.0)
                }
            } else {
                r.range(45.0, 66.0)
            },
            tgc_residual_db_cm: r.range(-0.45, 0.45),
            noise_db: r.range(-78.0, -58.0),
            clutter: if r.chance(0.6) {
                r.range(0.05, 0.5)
            } else {
                0.0
            },
            ribs,
            rib_depth_cm: r.range(1.2, 2.8),
            window_loss_db: if r.chance(0.15) {
                r.range(4.0, 14.0)
            } else {
                0.0
            },
            gamma: r.range(0.8, 1.25),
            near_cm: 0.0,
            harmonic: false,
            gas: None,
        };

        let mut r = rng.fork(4);
        let apical = matches!(view, "A4C" | "A5C" | "A3C" | "A2C");
        let placement = [
            r.range(0.4, 0.6),
            r.range(0.03, 0.12),
            if shifted {
                *r.pick(&[-1.0f32, 1.0]) * r.range(10.0, 20.0)
            } else {
                r.range(-6.0, 6.0)
            }
            .to_radians(),
            if shifted {
                r.range(1.2, 1.5)
            } else {
                r.range(0.88, 1.15)
            },
        ];
        let mirrored = r.chance(if apical { 0.15 } else { 0.05 });
        let tint = if shifted {
            *r.pick(&[[1.0, 0.85, 0.6], [0.7, 0.9, 1.0], [1.0, 1.0, 0.75]])
        } else if r.chance(0.3) {
            [r.range(0.93, 1.0), r.range(0.93, 1.0), r.range(0.9, 1.0)]
        } else {
            [1.0; 3]
        };

        let mut r = rng.fork(5);
        let doppler_box = r
            .chance(if shifted { 0.4 } else { 0.15 })
            .then(|| draw_doppler_box(&mut r, half_angle, 0.0, depth_cm));
        let letterbox = if r.chance(0.2) {
            let side = r.int(0, width / 8);
            let top = r.int(0, height / 10);
            [side, top, side, top]
        } else {
            [0; 4]
        };
        let overlays = Overlays {
            text: r.chance(0.8),
            depth_scale: r.chance(0.7),
            ecg: r.chance(0.7),
            colour_bar: r.chance(0.6),
            logo: r.chance(0.4),
            doppler_box,
            text_rgb: if shifted {
                *r.pick(&[[0u8, 230, 230], [255, 160, 40], [255, 80, 200]])
            } else {
                *r.pick(&[[230u8, 230, 230], [200, 200, 200], [240, 240, 120]])
            },
            ecg_rgb: if shifted {
                *r.pick(&[[255u8, 140, 0], [0, 200, 255]])
            } else {
                *r.pick(&[[0u8, 220, 0], [60, 255, 60], [240, 240, 0]])
            },
            letterbox,
            patient_id: format!("{:08}", r.next_u64() % 100_000_000),
        };

        let mut r = rng.fork(6);
        let (other, reference_view) = if view == "OTHER" {
            let roll = r.unit();
            let kind = if roll < 0.25 {
                OtherKind::SpectralDoppler
            } else if roll < 0.45 {
                OtherKind::MMode
            } else if roll < 0.6 {
                OtherKind::Cut(OtherCut::Liver)
            } else if roll < 0.7 {
                OtherKind::Cut(OtherCut::Kidney)
            } else {
                OtherKind::Cut(OtherCut::OffAxis)
            };
            let reference = match kind {
                OtherKind::SpectralDoppler | OtherKind::MMode => {
                    Some(r.pick(&["A4C", "A5C", "PLAX", "PSAX-MV"]).to_string())
                }
                _ => None,
            };
            (Some(kind), reference)
        } else {
            (None, None)
        };
        let other_shapes = (0..r.int(1, 3))
            .map(|_| {
                (
                    r.range(-4.0, 4.0),
                    r.range(4.0, 12.0),
                    r.unit(),
                    r.range(0.0, std::f32::consts::PI),
                )
            })
            .collect();

        // Drawn last from its own stream, so every draw above is what it was before it existed.
        let mut r = rng.fork(7);
        let through_lung = match other {
            Some(OtherKind::Cut(OtherCut::Liver | OtherCut::Kidney)) => false,
            _ => !matches!(view, "SC4C" | "SC-IVC"),
        };
        let surroundings = Surroundings {
            chest_wall_cm: r.range(1.2, 3.0),
            lung: match (through_lung, shifted) {
                (false, _) => 1.0,
                (true, false) => r.range(0.01, 0.15),
                (true, true) => r.range(0.4, 1.0),
            },
        };

        ClipParams {
            view: view.to_string(),
            seed,
            style,
            width,
            height,
            fps,
            duration_s,
            heart_rate_bpm,
            breaths_per_min,
            cardiac_phase0,
            patient,
            pose,
            scanner,
            placement,
            mirrored,
            tint,
            overlays,
            other,
            other_shapes,
            reference_view,
            surroundings,
            cut: None,
        }
    }

    /// Phantom v2's OTHER beyond the heart, from the clip's own stream so every other draw stays
    /// as it was: a third of the spectral Doppler and M-mode screens become muscle-over-bone or
    /// bowel screens; and non-cardiac screens are imaged, as point-of-care scanners do, with a
    /// curved (convex) or linear probe as often as with the phased array of cardiac windows,
    /// whose fan has a point apex. A fan with a curved top or a near-rectangle is then a cue
    /// for OTHER, as on real screens.
    fn add_body_screens_and_probes(&mut self) {
        let mut q = Rng::new(self.seed ^ 0x50F7_B0E1);
        if matches!(
            self.other,
            Some(OtherKind::SpectralDoppler | OtherKind::MMode)
        ) && q.chance(1.0 / 3.0)
        {
            let cut = if q.chance(0.5) {
                OtherCut::SoftTissue
            } else {
                OtherCut::Bowel
            };
            self.other = Some(OtherKind::Cut(cut));
            self.reference_view = None;
            self.surroundings = Surroundings::default();
            self.overlays.ecg &= q.chance(0.3);
        }
        let Some(OtherKind::Cut(cut)) = self.other else {
            return;
        };
        if !cut.is_non_cardiac() {
            return;
        }
        // (share of convex, share of linear); the rest keep the phased array.
        let (convex, linear) = match cut {
            OtherCut::Lung => (0.35, 0.3),
            OtherCut::SoftTissue => (0.2, 0.8),
            OtherCut::Bowel => (0.5, 0.5),
            _ => (0.75, 0.0),
        };
        let u = q.unit();
        let sc = &mut self.scanner;
        let (old_depth, old_half) = (sc.depth_cm, sc.half_angle);
        if u < convex {
            sc.near_cm = q.range(2.5, 6.0);
            sc.half_angle = q.range(25.0, 38.0).to_radians();
            let shown = if cut == OtherCut::SoftTissue {
                q.range(5.0, 10.0)
            } else {
                q.range(8.0, 18.0)
            };
            sc.depth_cm = sc.near_cm + shown;
            sc.freq_mhz = q.range(2.5, 5.0);
        } else if u < convex + linear {
            sc.near_cm = q.range(15.0, 35.0);
            let width = q.range(3.5, 5.0);
            sc.half_angle = (0.5 * width / sc.near_cm).asin();
            sc.depth_cm = sc.near_cm + q.range(3.0, 8.0);
            sc.freq_mhz = q.range(6.0, 12.0);
        } else {
            return;
        }
        // A sector's rib shadows (angles from its apex) mean nothing under a wide face: the
        // lung screen draws its own ribs. A colour box, if any, moves into what is shown, as
        // it sat in the sector; and these images stand upright (only a sector is ever turned).
        sc.ribs.clear();
        self.placement[2] = 0.0;
        let (near, depth, half) = (sc.near_cm, sc.depth_cm, sc.half_angle);
        if let Some(b) = &mut self.overlays.doppler_box {
            let depth_to = |d: f32| near + d / old_depth * (depth - near);
            let angle_to = |a: f32| a / old_half * half;
            *b = [
                angle_to(b[0]),
                angle_to(b[1]),
                depth_to(b[2]),
                depth_to(b[3]),
            ];
        }
    }

    /// The same clip cut from the 3-D chest (phantom v2): a standard view's plane moved as a
    /// hand moves it, redrawn until [`crate::chest::label_for`] gives the clip its own label; an
    /// OTHER clip that is not a Doppler, M-mode, liver or kidney screen becomes an off-axis cut
    /// beyond every standard plane. Deterministic from the clip's seed.
    pub fn with_cut_anatomy(mut self) -> Self {
        use crate::chest::{label_for, Body, Chest, Jitter, STANDARD_VIEWS};
        let mut r = Rng::new(self.seed ^ 0xC0FF_EE00_D1CE).fork(fxhash(&self.view));
        let shifted = self.style == Style::Shifted;
        let body = Body {
            turn: r.range(-0.25, 0.25),
            rv: if r.chance(0.12) {
                r.range(1.3, 1.7)
            } else {
                r.range(0.9, 1.1)
            },
            contractility: if r.chance(0.15) {
                r.range(0.35, 0.6)
            } else if r.chance(0.1) {
                r.range(1.2, 1.4)
            } else {
                r.range(0.85, 1.1)
            },
            // Its own stream, so every other draw of the clip stays as it was.
            pericardium_cm: Rng::new(self.seed ^ 0x9E41_CA7D).range(0.15, 0.4),
            // Septum and posterior wall 6-10 mm at end-diastole (ANATOMY.md); one heart in
            // eight hypertrophied, 12-18 mm.
            lv_wall_cm: {
                let mut w = Rng::new(self.seed ^ 0x7A11_5EED);
                if w.chance(0.125) {
                    w.range(1.2, 1.8)
                } else {
                    w.range(0.6, 1.0)
                }
            },
            // One heart in twelve with an akinetic apex, from a third to over half of the LV
            // (its own stream).
            akinetic_apex: {
                let mut a = Rng::new(self.seed ^ 0x00A1_C1E7);
                if a.chance(1.0 / 12.0) {
                    a.range(0.3, 0.55)
                } else {
                    0.0
                }
            },
        };
        let rest = crate::anatomy::Motion::at(0.0, 0.0);
        let chest = Chest::build(&self.patient, &body, &rest);
        // v2's OTHER also holds lung screens (what POCUS clips show often): half of the liver
        // and kidney screens become one, from this clip's own stream.
        if matches!(
            self.other,
            Some(OtherKind::Cut(OtherCut::Liver | OtherCut::Kidney))
        ) && r.chance(0.5)
        {
            self.other = Some(OtherKind::Cut(OtherCut::Lung));
            // Aerated lung under the pleura returns next to nothing but its artefacts.
            self.surroundings = Surroundings {
                chest_wall_cm: 1.0,
                lung: r.range(0.02, 0.25),
            };
        }
        self.add_body_screens_and_probes();
        // Most adult echo is imaged with tissue harmonics, some (older machines, hand-held
        // devices, teaching archives) in the fundamental (its own stream).
        self.scanner.harmonic = Rng::new(self.seed ^ 0x4A2A_011C).chance(0.6);
        if matches!(self.view.as_str(), "SC4C" | "SC-IVC") {
            // A subcostal window looks up past the stomach and the transverse colon: on about
            // a third of screens their gas hides a wedge of the picture (its own stream).
            let mut g = Rng::new(self.seed ^ 0x06A5_57A7);
            if g.chance(0.35) {
                let half = self.scanner.half_angle;
                let side = if g.chance(0.5) { 1.0 } else { -1.0 };
                self.scanner.gas = Some([
                    side * g.range(0.35, 0.85) * half,
                    g.range(0.12, 0.3) * half,
                    g.range(2.0, 6.0),
                ]);
            }
        }
        let off_axis = matches!(self.other, Some(OtherKind::Cut(OtherCut::OffAxis)));
        let cardiac = self.other.is_none() || off_axis;
        if !cardiac {
            // Doppler, M-mode, liver and kidney screens keep their own pictures; the Doppler and
            // M-mode reference images are cut at their standard planes.
            self.cut = Some(Cut {
                body,
                from_view: self.reference_view.clone().unwrap_or_else(|| "A4C".into()),
                jitter: Jitter::default(),
                distance: (0.0, 0.0),
                hand: [0.0; 4],
            });
            return self;
        }
        if !shifted {
            // Around the heart a real window shows aerated lung, all but black, on half the
            // screens (standard-view screen captures hold less mid-grey than the phantom did:
            // the realism report's stills), and tissue up to as bright as myocardium (pericardial
            // fat, chest wall, liver) on the rest, as web clips do. Its own stream.
            let mut s = Rng::new(self.seed ^ 0x5_0AA0_D1C6);
            let log_range = |s: &mut Rng, lo: f32, hi: f32| s.range(lo.ln(), hi.ln()).exp();
            self.surroundings.lung = if s.unit() < 0.5 {
                log_range(&mut s, 0.01, 0.1)
            } else {
                log_range(&mut s, 0.1, 0.8)
            };
        }
        let spread = if shifted { 1.5 } else { 1.0 };
        for attempt in 0..64 {
            let (from, jitter) = if off_axis {
                let from = r.pick(&STANDARD_VIEWS).to_string();
                let sign = |r: &mut Rng| if r.chance(0.5) { 1.0 } else { -1.0 };
                let j = Jitter {
                    tilt: sign(&mut r) * r.range(20.0, 55.0).to_radians(),
                    rotation: sign(&mut r) * r.range(0.0, 60.0).to_radians(),
                    offset_cm: sign(&mut r) * r.range(0.0, 4.0),
                    slide_cm: r.range(-1.0, 1.0),
                };
                (from, j)
            } else {
                let clip = |x: f32, lim: f32| x.clamp(-lim, lim);
                let j = Jitter {
                    tilt: clip(r.normal() * 3.5 * spread, 9.0).to_radians(),
                    rotation: clip(r.normal() * 4.0 * spread, 9.0).to_radians(),
                    offset_cm: clip(r.normal() * 0.25 * spread, 0.7),
                    slide_cm: clip(r.normal() * 0.6, 1.5),
                };
                (
                    self.view.clone(),
                    if attempt == 63 { Jitter::default() } else { j },
                )
            };
            let standard = chest.standard_plane(&from);
            let plane = standard.jittered(&jitter);
            if label_for(&plane, &chest).as_deref() == Some(self.view.as_str())
                || (!off_axis && attempt == 63)
            {
                // A hand drifts a little while it holds the probe: about a degree and a
                // millimetre or two, a slow sway (drawn after the cut, so it changes no cut).
                let mut hand_rng = Rng::new(self.seed ^ 0x4A4D_D21F);
                let hand = [
                    hand_rng.range(0.0, 1.5).to_radians(),
                    hand_rng.range(0.0, 0.15),
                    hand_rng.range(0.1, 0.5),
                    hand_rng.range(0.0, std::f32::consts::TAU),
                ];
                self.cut = Some(Cut {
                    body,
                    from_view: from,
                    distance: plane.distance_to(&standard),
                    jitter,
                    hand,
                });
                break;
            }
        }
        // Pose in the picture: the cut already has the patient's size.
        self.pose[1] = 1.0;
        self.deepen_to_show_the_atria(&chest);
        self
    }

    /// An apical view's depth is set to take in both atria: a sonographer deepens the picture
    /// until the atrial roofs show, with a centimetre or two to spare. Drawn blind, a third of
    /// the apical clips cut the atria off at the fan's edge, which no real clip in hand does.
    /// One clip in ten keeps its drawn depth (a hurried or zoomed picture).
    fn deepen_to_show_the_atria(&mut self, chest: &crate::chest::Chest) {
        let apical = matches!(self.view.as_str(), "A4C" | "A5C" | "A3C" | "A2C");
        let (Some(cut), true) = (&self.cut, apical && self.other.is_none()) else {
            return;
        };
        let mut r = Rng::new(self.seed ^ 0xA7_21A5);
        if !r.chance(0.9) {
            return;
        }
        let plane = chest.standard_plane(&cut.from_view).jittered(&cut.jitter);
        let [angle, _, sx, sy] = self.pose;
        let scene = chest.cut(&plane).posed(angle, 1.0, [sx, sy]);
        let half = self.scanner.half_angle;
        let roof = (0..=40)
            .flat_map(|k| {
                let th = half * (k as f32 / 20.0 - 1.0);
                (1..=300).map(move |d| (th, d as f32 * 0.1))
            })
            .filter(|&(th, d)| {
                let t = scene.tissue_at([d * th.sin(), d * th.cos()]);
                matches!(t, crate::anatomy::Tissue::La | crate::anatomy::Tissue::Ra)
            })
            .map(|(_, d)| d)
            .fold(0.0f32, f32::max);
        if roof > 0.0 {
            // At rest; breathing lifts the heart up to 0.6 cm, so at least a centimetre to spare.
            let depth = roof + r.range(1.0, 2.5);
            self.scanner.depth_cm = self.scanner.depth_cm.max(depth);
        }
    }

    /// The clip with the given anatomy: [`Anatomy::Cut`] applies [`Self::with_cut_anatomy`].
    pub fn with_anatomy(self, anatomy: Anatomy) -> Self {
        match anatomy {
            Anatomy::Drawn => self,
            Anatomy::Cut => self.with_cut_anatomy(),
        }
    }

    /// Gives a clip drawn without a colour Doppler box one, placed as [`draw`](Self::draw) places
    /// them, from its own `seed` (every other parameter stays as drawn); training uses it to show
    /// boxes more often than the default style's 15 %.
    pub fn with_doppler_box(mut self, seed: u64) -> Self {
        if self.overlays.doppler_box.is_none() {
            let mut r = Rng::new(seed);
            let sc = &self.scanner;
            self.overlays.doppler_box = Some(draw_doppler_box(
                &mut r,
                sc.half_angle,
                sc.near_cm,
                sc.depth_cm,
            ));
        }
        self
    }

    /// Shrinks the canvas so its longer side is at most `side` pixels (aspect, letterbox and
    /// layout scaled with it); used where only a downsampled view of the screen is needed.
    pub fn with_max_side(mut self, side: usize) -> Self {
        let longer = self.width.max(self.height);
        if longer > side {
            self.width = ((self.width * side / longer) & !1).max(16);
            self.height = ((self.height * side / longer) & !1).max(16);
            self.overlays.letterbox = self.overlays.letterbox.map(|v| v * side / longer);
        }
        self
    }

    /// Number of frames in the clip.
    pub fn frame_count(&self) -> usize {
        ((self.duration_s * self.fps).round() as usize).max(1)
    }

    /// Display time of every frame.
    pub fn frame_times(&self) -> Vec<f64> {
        (0..self.frame_count())
            .map(|i| i as f64 / self.fps as f64)
            .collect()
    }
}

/// A stable string hash (FNV-1a), so view names perturb seeds the same way everywhere.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

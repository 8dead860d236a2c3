//! Phantom v2: views cut from the 3-D chest. The standard planes are told apart, every drawn cut
//! earns its label by the plane-to-label rule, and the label maps show each view's anatomy.

use tte_phantom::anatomy::{Motion, Tissue};
use tte_phantom::chest::{label_for, Body, Chest, LABEL_WITHIN, OTHER_BEYOND, STANDARD_VIEWS};
use tte_phantom::{ClipParams, OtherKind, Renderer, Style};

/// A normal heart: no turn, normal RV, contraction and walls.
fn normal_body() -> Body {
    Body {
        turn: 0.0,
        rv: 1.0,
        contractility: 1.0,
        pericardium_cm: 0.25,
        lv_wall_cm: 0.8,
        akinetic_apex: 0.0,
    }
}

fn rest_chest(p: &ClipParams) -> Chest {
    let body = p.cut.as_ref().map(|c| c.body).unwrap_or_else(normal_body);
    Chest::build(&p.patient, &body, &Motion::at(0.0, 0.0))
}

#[test]
fn standard_planes_are_told_apart_and_label_themselves() {
    for seed in [1u64, 2, 3] {
        let p = ClipParams::draw("A4C", seed, Style::Default).with_cut_anatomy();
        let chest = rest_chest(&p);
        for a in STANDARD_VIEWS {
            let pa = chest.standard_plane(a);
            assert_eq!(label_for(&pa, &chest).as_deref(), Some(a), "seed {seed}");
            for b in STANDARD_VIEWS.iter().filter(|&&b| b != a) {
                let (angle, offset) = pa.distance_to(&chest.standard_plane(b));
                assert!(
                    angle > LABEL_WITHIN.0 || offset > LABEL_WITHIN.1,
                    "seed {seed}: {a} is within {angle:.1} degrees and {offset:.2} cm of {b}"
                );
            }
        }
    }
}

#[test]
fn every_drawn_cut_meets_the_plane_to_label_rule() {
    let (mut off_axis, mut views) = (0, 0);
    for class in tte_phantom::classes() {
        for seed in 0..12u64 {
            for style in [Style::Default, Style::Shifted] {
                let p = ClipParams::draw(&class, 1000 + seed, style).with_cut_anatomy();
                let cut = p.cut.clone().expect("a v2 clip has a cut");
                if matches!(
                    p.other,
                    Some(OtherKind::SpectralDoppler | OtherKind::MMode | OtherKind::Cut(_))
                ) && !matches!(
                    p.other,
                    Some(OtherKind::Cut(tte_phantom::anatomy::OtherCut::OffAxis))
                ) {
                    continue;
                }
                let chest = rest_chest(&p);
                let plane = chest.standard_plane(&cut.from_view).jittered(&cut.jitter);
                assert_eq!(
                    label_for(&plane, &chest).as_deref(),
                    Some(class.as_str()),
                    "{class} seed {seed}"
                );
                if class == "OTHER" {
                    off_axis += 1;
                    for v in STANDARD_VIEWS {
                        let (a, o) = plane.distance_to(&chest.standard_plane(v));
                        assert!(
                            a > OTHER_BEYOND.0 || o > OTHER_BEYOND.1,
                            "off-axis cut {a:.1} deg {o:.2} cm from {v}"
                        );
                    }
                } else {
                    views += 1;
                    let (a, o) = cut.distance;
                    assert!(
                        a <= LABEL_WITHIN.0 && o <= LABEL_WITHIN.1,
                        "{class}: {a:.1} deg {o:.2} cm"
                    );
                    // Hands are not perfect: most cuts are off the standard plane a little.
                    assert_eq!(cut.from_view, class);
                }
            }
        }
    }
    assert!(
        off_axis >= 3 && views > 200,
        "{off_axis} off-axis cuts, {views} views"
    );
}

/// The label map of a v2 clip's cut at time `t`, sampled every 1.5 mm over 16 cm either side
/// of the beam and 17 cm deep (image coordinates, before any screen placement), and its size.
fn label_map(view: &str, seed: u64, t: f64) -> (Vec<Tissue>, usize, usize) {
    let mut p = ClipParams::draw(view, seed, Style::Default).with_cut_anatomy();
    p.pose = [0.0, 1.0, 0.0, 0.0];
    let scene = Renderer::new(p.with_max_side(64)).scene_at(t);
    let (w, h) = (107, 113);
    let map = (0..w * h)
        .map(|i| scene.tissue_at([((i % w) as f32 - 53.0) * 0.15, (i / w) as f32 * 0.15]))
        .collect();
    (map, w, h)
}

/// Pixel count and mean (x, y) of a tissue in a label map.
fn stats(map: &[Tissue], w: usize, t: Tissue) -> (usize, f32, f32) {
    let (mut n, mut sx, mut sy) = (0usize, 0f32, 0f32);
    for (i, &m) in map.iter().enumerate() {
        if m == t {
            n += 1;
            sx += (i % w) as f32;
            sy += (i / w) as f32;
        }
    }
    (n, sx / n.max(1) as f32, sy / n.max(1) as f32)
}

/// Connected groups of a tissue's pixels (4-neighbour), ignoring specks under `min` pixels.
fn blobs(map: &[Tissue], w: usize, t: Tissue, min: usize) -> usize {
    let mut seen = vec![false; map.len()];
    let mut count = 0;
    for start in 0..map.len() {
        if seen[start] || map[start] != t {
            continue;
        }
        let (mut stack, mut size) = (vec![start], 0);
        seen[start] = true;
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            let mut near = vec![];
            if x > 0 {
                near.push(i - 1)
            }
            if x + 1 < w {
                near.push(i + 1)
            }
            if y > 0 {
                near.push(i - w)
            }
            if i + w < map.len() {
                near.push(i + w)
            }
            for j in near {
                if !seen[j] && map[j] == t {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        count += usize::from(size >= min);
    }
    count
}

#[test]
fn apical_four_chamber_shows_four_chambers_and_both_av_valves() {
    for seed in 0..4 {
        let (m, w, _) = label_map("A4C", seed, 0.0);
        let [lv, rv, la, ra] =
            [Tissue::Lv, Tissue::Rv, Tissue::La, Tissue::Ra].map(|t| stats(&m, w, t));
        for (name, s) in [("LV", lv), ("RV", rv), ("LA", la), ("RA", ra)] {
            assert!(s.0 > 40, "seed {seed}: {name} has {} pixels", s.0);
        }
        // Standard convention: LV on the screen's right, atria beyond the ventricles.
        assert!(
            lv.1 > rv.1 && la.1 > ra.1,
            "seed {seed}: LV x {} RV x {}",
            lv.1,
            rv.1
        );
        assert!(la.2 > lv.2 && ra.2 > rv.2, "seed {seed}: atria not deeper");
        // Mitral and tricuspid leaflets: valve tissue on each side of the septum.
        let septum = 0.5 * (lv.1 + rv.1);
        let valve: Vec<usize> = (0..m.len()).filter(|&i| m[i] == Tissue::Valve).collect();
        let left = valve.iter().filter(|&&i| ((i % w) as f32) < septum).count();
        assert!(
            left > 0 && valve.len() > left,
            "seed {seed}: valve pixels {left} left of {}",
            valve.len()
        );
        assert_eq!(
            stats(&m, w, Tissue::Lvot).0 + stats(&m, w, Tissue::Aorta).0,
            0,
            "seed {seed}: A4C shows the outflow"
        );
    }
}

#[test]
fn each_view_shows_its_defining_anatomy() {
    for seed in 0..3 {
        let n = |view: &str, t: Tissue| {
            let (m, w, _) = label_map(view, seed, 0.0);
            stats(&m, w, t).0
        };
        // A2C: left heart only.
        assert!(
            n("A2C", Tissue::Lv) > 200 && n("A2C", Tissue::La) > 40,
            "seed {seed}: A2C"
        );
        assert!(
            n("A2C", Tissue::Rv) + n("A2C", Tissue::Ra) < 30,
            "seed {seed}: A2C shows the right heart"
        );
        // A5C and A3C: the outflow tract.
        assert!(
            n("A5C", Tissue::Lvot) + n("A5C", Tissue::Aorta) > 20,
            "seed {seed}: A5C without LVOT"
        );
        assert!(
            n("A3C", Tissue::Lvot) + n("A3C", Tissue::Aorta) > 20,
            "seed {seed}: A3C without LVOT"
        );
        // A3C: of the right heart, at most the outflow beside the aortic root, toward the base;
        // no right ventricle alongside the LV (its middle 2 cm nearer the base than the LV's,
        // where a front wrapping the whole LV had it 1.5 cm).
        let (m, w, _) = label_map("A3C", seed, 0.0);
        let (rv, lv) = (stats(&m, w, Tissue::Rv), stats(&m, w, Tissue::Lv));
        assert!(
            rv.0 < 20 || rv.2 > lv.2 + 13.0,
            "seed {seed}: A3C RV {rv:?} beside the LV {lv:?}"
        );
        // PLAX: RV in front (nearer the probe) of the LV, aortic root and LA.
        let (m, w, _) = label_map("PLAX", seed, 0.0);
        let (rv, lv) = (stats(&m, w, Tissue::Rv), stats(&m, w, Tissue::Lv));
        assert!(
            rv.0 > 20 && lv.0 > 200 && rv.2 < lv.2,
            "seed {seed}: PLAX RV {rv:?} LV {lv:?}"
        );
        assert!(
            stats(&m, w, Tissue::La).0 > 20
                && stats(&m, w, Tissue::Lvot).0 + stats(&m, w, Tissue::Aorta).0 > 20
        );
        // PSAX-PM: two papillary muscles in the LV.
        let (m, w, _) = label_map("PSAX-PM", seed, 0.0);
        assert_eq!(
            blobs(&m, w, Tissue::Papillary, 4),
            2,
            "seed {seed}: PSAX-PM"
        );
        // PSAX-AV: the aorta in the middle with the atria behind it and the right ventricle's
        // outflow in front of it (nearer the probe).
        let (m, w, _) = label_map("PSAX-AV", seed, 0.0);
        let (aorta, la, rvot) = (
            stats(&m, w, Tissue::Aorta),
            stats(&m, w, Tissue::La),
            stats(&m, w, Tissue::Rv),
        );
        assert!(
            aorta.0 > 60 && la.0 > 20 && la.2 > aorta.2,
            "seed {seed}: PSAX-AV aorta {aorta:?} LA {la:?}"
        );
        assert!(
            rvot.0 > 60 && rvot.2 < aorta.2,
            "seed {seed}: PSAX-AV outflow {rvot:?} aorta {aorta:?}"
        );
        // Subcostal: liver nearer the probe than the heart.
        let (m, w, _) = label_map("SC4C", seed, 0.0);
        let (liver, rv) = (stats(&m, w, Tissue::Liver), stats(&m, w, Tissue::Rv));
        assert!(
            liver.0 > 100 && liver.2 < rv.2,
            "seed {seed}: SC4C liver {liver:?} RV {rv:?}"
        );
        assert!(n("SC-IVC", Tissue::Ivc) > 40, "seed {seed}: SC-IVC");
        // SSN: the arch, with the pulmonary artery beneath it or the descending aorta beside it
        // (a cut tilted a few degrees can miss one of them, not both).
        let beneath = n("SSN", Tissue::DescendingAorta) + n("SSN", Tissue::PulmonaryArtery);
        assert!(
            n("SSN", Tissue::Aorta) > 150 && beneath > 20,
            "seed {seed}: SSN"
        );
    }
}

#[test]
fn the_lv_shrinks_in_systole_in_the_cut() {
    let mut p = ClipParams::draw("A4C", 5, Style::Default).with_cut_anatomy();
    p.cardiac_phase0 = 0.0;
    p.heart_rate_bpm = 60.0;
    (p.width, p.height) = (128, 112);
    let r = Renderer::new(p);
    let lv = |t: f64| r.label_map(t).iter().filter(|&&x| x == Tissue::Lv).count();
    // 0 s: end-diastole; 0.33 s: end-systole at 60 beats a minute.
    let (ed, es) = (lv(0.0), lv(0.33));
    assert!(
        (es as f32) < 0.8 * ed as f32,
        "LV {ed} pixels at end-diastole, {es} at end-systole"
    );
}

#[test]
fn v2_clips_are_deterministic_and_render() {
    let a = Renderer::new(
        ClipParams::draw("PLAX", 77, Style::Default)
            .with_max_side(96)
            .with_cut_anatomy(),
    );
    let b = Renderer::new(
        ClipParams::draw("PLAX", 77, Style::Default)
            .with_max_side(96)
            .with_cut_anatomy(),
    );
    assert_eq!(a.frame_rgb(0.1), b.frame_rgb(0.1));
    let lit = a.frame_rgb(0.1).iter().filter(|&&v| v > 30).count();
    assert!(lit > 500, "a dark frame: {lit} lit values");
}

#[test]
fn v2_other_holds_lung_screens_with_a_pleural_line() {
    use tte_phantom::anatomy::OtherCut;
    let lungs: Vec<u64> = (0..120u64)
        .filter(|&s| {
            let p = ClipParams::draw("OTHER", s, Style::Default).with_cut_anatomy();
            p.other == Some(OtherKind::Cut(OtherCut::Lung))
        })
        .collect();
    assert!(
        lungs.len() >= 3,
        "{} lung screens in 120 OTHER clips",
        lungs.len()
    );
    // v1 never draws them: its OTHER clips stay as they were.
    assert!(
        (0..120u64).all(|s| ClipParams::draw("OTHER", s, Style::Default).other
            != Some(OtherKind::Cut(OtherCut::Lung)))
    );
    let (m, w, h) = label_map("OTHER", lungs[0], 0.0);
    // Down the middle: soft tissue, then the bright pleural line, then dark lung with A-lines.
    let column: Vec<Tissue> = (0..h).map(|y| m[y * w + w / 2]).collect();
    let pleura = column
        .iter()
        .position(|&t| t == Tissue::Pericardium)
        .unwrap_or_else(|| panic!("no pleural line: {:?}", &column[..40]));
    assert!(
        column[..pleura]
            .iter()
            .all(|&t| t == Tissue::Liver || t == Tissue::Pericardium),
        "{:?}",
        &column[..pleura]
    );
    // Beside any B-line (they stand within 3.2 cm of the middle): dark lung and A-lines.
    let side: Vec<Tissue> = (0..h).map(|y| m[y * w + 10]).collect();
    let below = &side[pleura + 2..];
    assert!(below.iter().filter(|&&t| t == Tissue::Background).count() > below.len() / 2);
    assert!(below.contains(&Tissue::Valve), "no A-line under the pleura");
}

#[test]
fn v2_body_screens_use_curved_and_linear_probes_and_show_nothing_above_the_face() {
    use tte_phantom::anatomy::OtherCut;
    let mut seen = [0usize; 3]; // phased, convex, linear
    let mut body = 0;
    for s in 0..200u64 {
        let p = ClipParams::draw("OTHER", s, Style::Default).with_cut_anatomy();
        let Some(OtherKind::Cut(cut)) = p.other else {
            assert_eq!(
                p.scanner.near_cm, 0.0,
                "Doppler and M-mode keep the phased array"
            );
            continue;
        };
        body += matches!(cut, OtherCut::SoftTissue | OtherCut::Bowel) as usize;
        let sc = &p.scanner;
        if cut == OtherCut::OffAxis {
            assert_eq!(sc.near_cm, 0.0, "hearts are imaged with a phased array");
            continue;
        }
        // A colour box sits inside what is shown, and training's own boxes too.
        let boxed = p.clone().with_doppler_box(s ^ 0xB0C5);
        for b in [p.overlays.doppler_box, boxed.overlays.doppler_box]
            .into_iter()
            .flatten()
        {
            assert!(
                b[2] >= sc.near_cm - 1e-4 && b[3] <= sc.depth_cm + 1e-4,
                "seed {s}: {b:?}"
            );
            assert!(b[0].abs() <= sc.half_angle + 1e-4 && b[1].abs() <= sc.half_angle + 1e-4);
        }
        if sc.near_cm > 0.0 {
            assert!(
                sc.ribs.is_empty(),
                "seed {s}: a sector's rib shadows under a wide face"
            );
        }
        let kind = match sc.near_cm {
            n if n == 0.0 => 0,
            n if n < 10.0 => 1,
            _ => 2,
        };
        seen[kind] += 1;
        if kind == 0 || seen[kind] > 3 {
            continue;
        }
        // The label map is empty above the probe's face and inside the fan below it.
        let r = Renderer::new(ClipParams {
            width: 160,
            height: 120,
            ..p.clone()
        });
        let map = r.label_map(0.0);
        let pl = r.placement();
        let (mut above, mut shown) = (0, 0);
        for y in 0..120 {
            for x in 0..160 {
                let (depth, th, _) = pl.to_sector(x as f32 + 0.5, y as f32 + 0.5);
                if th.abs() > sc.half_angle || depth > sc.depth_cm {
                    continue;
                }
                if depth < sc.near_cm {
                    above += (map[y * 160 + x] != Tissue::Background) as usize;
                } else {
                    shown += 1;
                }
            }
        }
        assert_eq!(above, 0, "seed {s}: anatomy above the face");
        assert!(shown > 160 * 120 / 8, "seed {s}: only {shown} pixels shown");
        // The image's box is what DICOM would declare, and it lies on the canvas.
        let b = r.sector_rect();
        assert!(b.x1 > b.x0 + 40 && b.y1 > b.y0 + 40, "seed {s}: {b:?}");
    }
    assert!(
        seen.iter().all(|&n| n >= 3),
        "phased, convex, linear: {seen:?}"
    );
    assert!(
        body >= 5,
        "{body} muscle or bowel screens in 200 OTHER clips"
    );
    // v1 keeps its phased array everywhere.
    assert!((0..60u64).all(|s| ClipParams::draw("OTHER", s, Style::Default).scanner.near_cm == 0.0));
}

/// The standard A4C cut of a seed's chest at rest, with its landmarks in image coordinates and
/// the LV's axis (unit `along`, apex to mitral ring, `len` cm long; `across` turned a quarter).
struct FourChamberCut {
    scene: tte_phantom::anatomy::Scene,
    apex: [f32; 2],
    base: [f32; 2],
    tricuspid: [f32; 2],
    along: [f32; 2],
    across: [f32; 2],
    len: f32,
}

fn four_chamber_cut(seed: u64) -> FourChamberCut {
    let p = ClipParams::draw("A4C", seed, Style::Default).with_cut_anatomy();
    let chest = rest_chest(&p);
    let plane = chest.standard_plane("A4C");
    let l = &chest.landmarks;
    let (apex, base) = (in_plane(&plane, l.apex), in_plane(&plane, l.mitral));
    let axis = [base[0] - apex[0], base[1] - apex[1]];
    let len = (axis[0] * axis[0] + axis[1] * axis[1]).sqrt();
    FourChamberCut {
        scene: chest.cut(&plane),
        apex,
        base,
        tricuspid: in_plane(&plane, l.tricuspid),
        along: [axis[0] / len, axis[1] / len],
        across: [-axis[1] / len, axis[0] / len],
        len,
    }
}

/// A point of the chest in a plane's image coordinates (across, depth), cm.
fn in_plane(plane: &tte_phantom::chest::Plane, x: [f32; 3]) -> [f32; 2] {
    let d = [
        x[0] - plane.origin[0],
        x[1] - plane.origin[1],
        x[2] - plane.origin[2],
    ];
    let dot = |a: [f32; 3]| a[0] * d[0] + a[1] * d[1] + a[2] * d[2];
    [dot(plane.u), dot(plane.v)]
}

#[test]
fn the_lv_is_a_bullet_widest_near_its_base_in_the_four_chamber_cut() {
    // Half an ellipsoid from the apex, ending flat at the base: a real LV's shape in A4C, where
    // an egg (an ellipsoid centred mid-cavity) narrows again towards the mitral annulus.
    for seed in [1u64, 2, 3] {
        let FourChamberCut {
            scene,
            apex,
            along,
            across,
            len,
            ..
        } = four_chamber_cut(seed);
        // The cavity's width across the axis at a share of the way from apex to annulus.
        let width = |f: f32| {
            let c = [apex[0] + along[0] * len * f, apex[1] + along[1] * len * f];
            (-400..=400)
                .filter(|&k| {
                    let o = k as f32 * 0.01;
                    scene.tissue_at([c[0] + across[0] * o, c[1] + across[1] * o]) == Tissue::Lv
                })
                .count() as f32
                * 0.01
        };
        let (mid, near_base) = (width(0.5), width(0.85));
        assert!(mid > 2.5, "seed {seed}: LV {mid} cm wide half-way");
        assert!(
            near_base >= mid,
            "seed {seed}: {near_base} cm near the base, {mid} half-way"
        );
    }
}

#[test]
fn the_la_hangs_from_the_mitral_ring_and_the_pericardium_wraps_the_lv() {
    // An apical view's left atrium is a dome on the far side of the AV plane, about as wide at
    // the ring as anywhere (a ball touching the ring only at a neck looked like a balloon on a
    // string); and the bright pericardium runs outside the LV's lateral wall too.
    for seed in [1u64, 2, 3] {
        let FourChamberCut {
            scene,
            apex,
            base,
            tricuspid: tri,
            along,
            len,
            ..
        } = four_chamber_cut(seed);
        let mut across = [-along[1], along[0]];
        // Across, pointing away from the RV (the LV's lateral wall).
        if (tri[0] - base[0]) * across[0] + (tri[1] - base[1]) * across[1] > 0.0 {
            across = [-across[0], -across[1]];
        }
        let at = |from: [f32; 2], a: f32, c: f32| {
            scene.tissue_at([
                from[0] + along[0] * a + across[0] * c,
                from[1] + along[1] * a + across[1] * c,
            ])
        };
        // The LA's width across the axis, `a` cm past the mitral ring.
        let la_width = |a: f32| {
            (-400..=400)
                .filter(|&k| at(base, a, k as f32 * 0.01) == Tissue::La)
                .count() as f32
                * 0.01
        };
        let widths: Vec<f32> = (1..=12).map(|k| la_width(0.5 * k as f32)).collect();
        let widest = widths.iter().cloned().fold(0.0, f32::max);
        let deep = widths
            .iter()
            .rposition(|&w| w > 0.5)
            .map_or(0.0, |k| 0.5 * (k + 1) as f32);
        assert!(widest > 2.5, "seed {seed}: LA at most {widest} cm wide");
        assert!(
            widths[0] >= 0.85 * widest,
            "seed {seed}: LA {} cm wide 0.5 cm past the ring, {widest} at its widest",
            widths[0]
        );
        assert!(
            deep >= 3.5,
            "seed {seed}: LA reaches {deep} cm past the ring"
        );
        // From mid-cavity out through the lateral wall: LV, myocardium, then pericardium.
        let mid = [
            apex[0] + along[0] * len * 0.5,
            apex[1] + along[1] * len * 0.5,
        ];
        let out: Vec<Tissue> = (0..600).map(|k| at(mid, 0.0, k as f32 * 0.01)).collect();
        let wall = out.iter().position(|&t| t == Tissue::Myocardium);
        let sac = out.iter().position(|&t| t == Tissue::Pericardium);
        assert!(
            matches!((wall, sac), (Some(w), Some(s)) if s > w && s - w < 250),
            "seed {seed}: no pericardium within 2.5 cm outside the lateral wall ({wall:?}, {sac:?})"
        );
    }
}

#[test]
fn apical_clips_are_deep_enough_to_show_both_atria() {
    // A sonographer deepens an apical picture until the atrial roofs show; drawn blind, a third
    // of the phantom's apical clips cut them off at the fan's edge.
    let (mut cut_off, mut clips) = (0, 0);
    for view in ["A4C", "A2C"] {
        for seed in 0..20u64 {
            let p = ClipParams::draw(view, 900 + seed, Style::Default)
                .with_cut_anatomy()
                .with_max_side(64);
            let (depth, half) = (p.scanner.depth_cm, p.scanner.half_angle);
            let scene = Renderer::new(p).scene_at(0.0);
            let at_edge = (0..=40).any(|k| {
                let th = half * (k as f32 / 20.0 - 1.0);
                (0..10).any(|j| {
                    let d = depth * (0.96 + 0.004 * j as f32);
                    matches!(
                        scene.tissue_at([d * th.sin(), d * th.cos()]),
                        Tissue::La | Tissue::Ra
                    )
                })
            });
            cut_off += usize::from(at_edge);
            clips += 1;
        }
    }
    assert!(
        cut_off * 5 <= clips,
        "{cut_off} of {clips} apical clips cut an atrium off at the fan's edge"
    );
}

#[test]
fn subcostal_windows_look_through_the_liver() {
    // A subcostal probe sits under the xiphoid on the abdomen and looks up through the left lobe
    // of the liver: its near field (2-5 cm deep, within 20 degrees of the beam's axis) is liver,
    // and the heart lies beyond it. (Before the liver reached the diaphragm, the near field of
    // most subcostal cuts was empty and the liver lay beside the sector.)
    for view in ["SC4C", "SC-IVC"] {
        let mut mostly_liver = 0;
        for seed in 0..10u64 {
            let (m, w, _) = label_map(view, 300 + seed, 0.0);
            let near: Vec<Tissue> = m
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    let (x, y) = (((i % w) as f32 - 53.0) * 0.15, (i / w) as f32 * 0.15);
                    let depth = (x * x + y * y).sqrt();
                    (2.0..5.0).contains(&depth) && x.abs() < y * 20f32.to_radians().tan()
                })
                .map(|(_, &t)| t)
                .collect();
            let liver = near.iter().filter(|&&t| t == Tissue::Liver).count();
            if liver * 10 >= near.len() * 7 {
                mostly_liver += 1;
            }
        }
        assert!(
            mostly_liver >= 8,
            "{view}: the near field is mostly liver in {mostly_liver} of 10 cuts"
        );
    }
}

/// Share of a 15 cm deep, 80-degree fan that is liver, for a clip of `view`.
fn liver_share_in_fan(view: &str, seed: u64) -> f32 {
    let (m, w, _) = label_map(view, seed, 0.0);
    let (mut fan, mut liver) = (0usize, 0usize);
    for (i, &t) in m.iter().enumerate() {
        let (x, y) = (((i % w) as f32 - 53.0) * 0.15, (i / w) as f32 * 0.15);
        if (x * x + y * y).sqrt() < 15.0 && x.abs() < y * 40f32.to_radians().tan() {
            fan += 1;
            liver += (t == Tissue::Liver) as usize;
        }
    }
    liver as f32 / fan.max(1) as f32
}

#[test]
fn parasternal_and_apical_fans_keep_the_liver_at_their_edge() {
    // Parasternal beams run front to back above the diaphragm: the liver shows at most at a
    // deep corner of a wide fan, never in PLAX or A3C. (With the heart's front turned up
    // toward the head, PSAX beams ran 54 degrees caudal and a fifth of each PSAX-MV, PSAX-PM
    // and A2C fan was liver.)
    for view in ["PLAX", "A3C"] {
        let most = (0..10u64)
            .map(|s| liver_share_in_fan(view, 400 + s))
            .fold(0.0, f32::max);
        assert!(most < 0.01, "{view}: liver fills {most:.3} of a fan");
    }
    for view in [
        "PSAX-AV", "PSAX-MV", "PSAX-PM", "PSAX-AP", "A4C", "A5C", "A2C",
    ] {
        let mean = (0..10u64)
            .map(|s| liver_share_in_fan(view, 400 + s))
            .sum::<f32>()
            / 10.0;
        assert!(mean < 0.13, "{view}: liver fills {mean:.3} of the mean fan");
    }
}

#[test]
fn parasternal_beams_run_front_to_back_and_down() {
    // From the left parasternal window the beam crosses the LV long axis at right angles and
    // points backward, tilted toward the feet because the apex lies forward of the base.
    for seed in 0..10u64 {
        let p = ClipParams::draw("PLAX", 400 + seed, Style::Default).with_cut_anatomy();
        let chest = rest_chest(&p);
        for view in ["PLAX", "PSAX-AV", "PSAX-MV", "PSAX-PM", "PSAX-AP"] {
            let v = chest.standard_plane(view).v;
            let caudal = (-v[2]).asin().to_degrees();
            assert!(
                v[1] < -0.6,
                "seed {seed} {view}: beam {v:.2?} is not backward"
            );
            assert!(
                (20.0..45.0).contains(&caudal),
                "seed {seed} {view}: beam {caudal:.0} degrees caudal"
            );
        }
    }
}

#[test]
fn the_septum_is_one_wall_down_the_apical_half_of_the_four_chamber_cut() {
    // Walking from the LV's cavity toward the RV's side, a row crosses heart (wall, RV) until
    // it leaves the heart for good, never a sliver of the grey outside it between two walls:
    // the RV's body ends short of the apex, and its wall and the LV's used to part round a wedge.
    let heart = |t: Tissue| matches!(t, Tissue::Myocardium | Tissue::Pericardium | Tissue::Rv);
    let mut slivers = Vec::new();
    for seed in 0..6 {
        let (m, w, h) = label_map("A4C", seed, 0.0);
        let toward_rv = stats(&m, w, Tissue::Rv).1 > stats(&m, w, Tissue::Lv).1;
        // The apical half of the LV, from a centimetre below its tip (where the two pericardia
        // meet round the apex) to its middle.
        let lv_rows: Vec<usize> = (0..h)
            .filter(|&y| m[y * w..(y + 1) * w].contains(&Tissue::Lv))
            .collect();
        let (top, bottom) = (lv_rows[0], *lv_rows.last().unwrap());
        for y in top + 7..(top + bottom) / 2 {
            let row = &m[y * w..(y + 1) * w];
            let lv: Vec<usize> = (0..w).filter(|&x| row[x] == Tissue::Lv).collect();
            let (Some(&first), Some(&last)) = (lv.first(), lv.last()) else {
                continue;
            };
            let walk: Vec<Tissue> = if toward_rv {
                row[last + 1..].to_vec()
            } else {
                row[..first].iter().rev().copied().collect()
            };
            let Some(out) = walk.iter().position(|&t| !heart(t)) else {
                continue;
            };
            // Heart again within a centimetre (the map's pixels are 1.5 mm).
            if walk[out..].iter().take(7).any(|&t| heart(t)) {
                slivers.push((seed, y));
            }
        }
    }
    // (Six rows of these seeds did before the apical septum was filled.)
    assert!(slivers.is_empty(), "grey between walls on rows {slivers:?}");
}

#[test]
fn gas_hides_a_wedge_of_some_subcostal_screens_and_of_no_other_view() {
    let with_gas = |view: &str| {
        (0..60u64)
            .filter(|&s| {
                let p = ClipParams::draw(view, s, Style::Default).with_cut_anatomy();
                p.scanner.gas.is_some_and(|[centre, half, _]| {
                    // A wedge to one side: the heart's middle stays in view.
                    centre.abs() > half && centre.abs() < p.scanner.half_angle
                })
            })
            .count()
    };
    let subcostal = with_gas("SC4C") + with_gas("SC-IVC");
    assert!(
        (25..=60).contains(&subcostal),
        "{subcostal} of 120 subcostal screens"
    );
    for view in ["A4C", "PLAX", "PSAX-MV", "SSN"] {
        assert_eq!(with_gas(view), 0, "{view}");
    }
}

#[test]
fn most_screens_are_harmonic_and_some_fundamental() {
    let harmonic = (0..80u64)
        .filter(|&s| {
            ClipParams::draw(
                ["A4C", "PLAX", "OTHER", "SC4C"][s as usize % 4],
                s,
                Style::Default,
            )
            .with_cut_anatomy()
            .scanner
            .harmonic
        })
        .count();
    assert!((36..=62).contains(&harmonic), "{harmonic} of 80");
}

#[test]
fn the_spine_lies_behind_the_heart_in_every_cut_that_reaches_it() {
    let mut reached = 0;
    for view in ["PLAX", "A4C", "SC4C", "SC-IVC"] {
        for seed in 1..6u64 {
            let mut p = ClipParams::draw(view, seed, Style::Default).with_cut_anatomy();
            p.pose = [0.0, 1.0, 0.0, 0.0];
            let scene = Renderer::new(p.with_max_side(64)).scene_at(0.0);
            // 24 cm wide and deep at 2 mm a pixel, probe at the top middle.
            let (w, h) = (120, 120);
            let map: Vec<Tissue> = (0..w * h)
                .map(|i| scene.tissue_at([((i % w) as f32 - 60.0) * 0.2, (i / w) as f32 * 0.2]))
                .collect();
            let (bone, _, bone_y) = stats(&map, w, Tissue::Bone);
            if bone < 20 {
                continue;
            }
            reached += 1;
            for chamber in [Tissue::Lv, Tissue::Rv, Tissue::La, Tissue::Ra] {
                let (n, _, y) = stats(&map, w, chamber);
                assert!(
                    n < 20 || bone_y > y + 5.0,
                    "{view} seed {seed}: spine at {:.1} cm, {chamber:?} at {:.1} cm",
                    bone_y * 0.2,
                    y * 0.2
                );
            }
        }
    }
    assert!(
        reached >= 5,
        "only {reached} of 20 cuts reach the spine within 24 cm"
    );
}

#[test]
fn an_akinetic_apex_keeps_its_size_through_systole_while_a_normal_one_shrinks() {
    let p = ClipParams::draw("A4C", 3, Style::Default);
    // LV pixels of the A4C cut at 1 mm, within `rows` of the probe: (count, first row, last row).
    let lv = |body: &Body, contraction: f32, rows: usize| {
        let m = Motion {
            contraction,
            ..Motion::at(0.0, 0.0)
        };
        let chest = Chest::build(&p.patient, body, &m);
        let scene = chest.cut(&chest.standard_plane("A4C"));
        let (mut n, mut first, mut last) = (0, usize::MAX, 0);
        for row in 0..rows {
            for col in 0..200 {
                if scene.tissue_at([(col as f32 - 100.0) * 0.1, row as f32 * 0.1]) == Tissue::Lv {
                    n += 1;
                    first = first.min(row);
                    last = last.max(row);
                }
            }
        }
        (n, first, last)
    };
    let normal = normal_body();
    let akinetic = Body {
        akinetic_apex: 0.45,
        ..normal
    };
    // The apical third of the diastolic LV, from its apex down.
    let (_, apex, base) = lv(&normal, 0.0, 250);
    let apical = apex + (base - apex) / 3;
    let shrink = |body: &Body| lv(body, 1.0, apical).0 as f32 / lv(body, 0.0, apical).0 as f32;
    let (n, a) = (shrink(&normal), shrink(&akinetic));
    assert!(n < 0.75, "a normal apex keeps {n} of its diastolic area");
    assert!(a > 0.95, "an akinetic apex keeps {a} of its diastolic area");
}

#[test]
fn the_subcostal_four_chamber_plane_lies_near_the_apical_one_and_cuts_the_lv_along() {
    // Both show the four chambers: the subcostal plane is the four-chamber plane seen from
    // below, turned about its beam as far toward it as the beam allows. (The plane through the
    // beam and both valve centres lay 37-41 degrees from it and cut the LV into a round chamber.)
    for seed in 0..6u64 {
        let p = ClipParams::draw("SC4C", seed, Style::Default).with_cut_anatomy();
        let chest = rest_chest(&p);
        let (sc, a4) = (chest.standard_plane("SC4C"), chest.standard_plane("A4C"));
        let (n, m) = (sc.normal(), a4.normal());
        let cos = (n[0] * m[0] + n[1] * m[1] + n[2] * m[2]).abs();
        let degrees = cos.clamp(-1.0, 1.0).acos().to_degrees();
        assert!(degrees < 25.0, "seed {seed}: {degrees:.0} degrees apart");
        // The LV's cut is long and narrow (second moments' axes), not a round chamber.
        let scene = chest.cut(&sc);
        let pts: Vec<[f32; 2]> = (0..200 * 200)
            .map(|i| [((i % 200) as f32 - 100.0) * 0.1, (i / 200) as f32 * 0.1])
            .filter(|&q| scene.tissue_at(q) == Tissue::Lv)
            .collect();
        let n = pts.len() as f32;
        let (mx, my) = (
            pts.iter().map(|q| q[0]).sum::<f32>() / n,
            pts.iter().map(|q| q[1]).sum::<f32>() / n,
        );
        let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for q in &pts {
            let (dx, dy) = (q[0] - mx, q[1] - my);
            (sxx, syy, sxy) = (sxx + dx * dx / n, syy + dy * dy / n, sxy + dx * dy / n);
        }
        let (mean, diff) = (
            (sxx + syy) / 2.0,
            (((sxx - syy) / 2.0f32).powi(2) + sxy * sxy).sqrt(),
        );
        let elongation = ((mean + diff) / (mean - diff)).sqrt();
        assert!(
            elongation > 1.45,
            "seed {seed}: the LV's cut is {elongation:.2} times as long as wide"
        );
    }
}

#[test]
fn a_quarter_of_v2_hearts_lie_beside_all_but_black_lung() {
    // Half the screens draw aerated lung at 1-10 % of soft tissue's echo, the rest 10-80 %
    // (it was 3-80 %, log-uniform: never under 3 %).
    let lungs: Vec<f32> = (0..100u64)
        .map(|s| {
            ClipParams::draw("A4C", s, Style::Default)
                .with_cut_anatomy()
                .surroundings
                .lung
        })
        .collect();
    let black = lungs.iter().filter(|&&l| l < 0.03).count();
    let bright = lungs.iter().filter(|&&l| l > 0.3).count();
    assert!(
        (12..=38).contains(&black),
        "{black} of 100 under 3 %: {lungs:?}"
    );
    assert!(bright >= 10, "{bright} of 100 over 30 %");
}

//! A synthetic echo phantom: beating-heart anatomy per view, B-mode image formation, and the
//! screen around it. Deterministic from a seed; no Burn, no I/O.
//!
//! ```
//! use tte_phantom::{ClipParams, Renderer, Style};
//! let clip = Renderer::new(ClipParams::draw("A4C", 7, Style::Default));
//! let frames = clip.frames_at(&[0.0, 0.05]);
//! assert_eq!(frames.len(), 2);
//! ```

pub mod anatomy;
pub mod chest;
pub mod font;
pub mod imaging;
pub mod params;
mod rng;
pub mod screen;

pub use params::{Anatomy, ClipParams, Cut, OtherKind, Style, Surroundings};
pub use screen::Renderer;

use tte_frames::{Frame, PixelFormat};

/// The classes the phantom can draw, in catalogue order (12 views and OTHER).
pub fn classes() -> Vec<String> {
    tte_views::codes()
}

impl Renderer {
    /// Frames shown at the given times (seconds), as RGB.
    pub fn frames_at(&self, times: &[f64]) -> Vec<Frame> {
        times
            .iter()
            .map(|&t| {
                Frame::new(
                    self.params.width,
                    self.params.height,
                    PixelFormat::Rgb,
                    self.frame_rgb(t),
                    t,
                )
                .expect("renderer sizes its own frames")
            })
            .collect()
    }

    /// The sector's bounding box on the canvas (what DICOM's ultrasound region declares).
    pub fn sector_rect(&self) -> tte_frames::Rect {
        let pl = self.placement();
        let sc = &self.params.scanner;
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for i in 0..=64 {
            let th = -sc.half_angle + 2.0 * sc.half_angle * i as f32 / 64.0;
            for r in [sc.near_cm, sc.depth_cm] {
                let [x, y] = pl.to_canvas(r, th);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
        let (w, h) = (self.params.width as f32, self.params.height as f32);
        tte_frames::Rect {
            x0: x0.clamp(0.0, w) as usize,
            y0: y0.clamp(0.0, h) as usize,
            x1: x1.ceil().clamp(0.0, w) as usize,
            y1: y1.ceil().clamp(0.0, h) as usize,
        }
    }

    /// What a scanner's DICOM would declare in its Sequence of Ultrasound Regions: the 2-D image
    /// and, on a spectral Doppler or M-mode screen, the trace (spatial format 3 or 2).
    pub fn regions(&self) -> Vec<tte_frames::UltrasoundRegion> {
        let image = tte_frames::UltrasoundRegion {
            rect: self.sector_rect(),
            spatial_format: 1,
            data_type: 1,
        };
        let trace = self.trace_rect().map(|rect| {
            let (spatial_format, data_type) = match self.params.other {
                Some(OtherKind::SpectralDoppler) => (3, 3),
                _ => (2, 1),
            };
            tte_frames::UltrasoundRegion {
                rect,
                spatial_format,
                data_type,
            }
        });
        std::iter::once(image).chain(trace).collect()
    }

    /// Every frame of the clip.
    pub fn all_frames(&self) -> Vec<Frame> {
        self.frames_at(&self.params.frame_times())
    }

    /// Which tissue each canvas pixel shows at time `t` (Background outside the sector): the
    /// simulator's own label map, for geometry tests and teaching overlays.
    pub fn label_map(&self, t: f64) -> Vec<anatomy::Tissue> {
        let scene = self.scene_at(t);
        let pl = self.placement();
        let sc = &self.params.scanner;
        let (w, h) = (self.params.width, self.params.height);
        let mut out = vec![anatomy::Tissue::Background; w * h];
        for y in 0..h {
            for x in 0..w {
                let (r, th, pt) = pl.to_sector(x as f32 + 0.5, y as f32 + 0.5);
                if r <= sc.depth_cm && r >= sc.near_cm && th.abs() <= sc.half_angle {
                    out[y * w + x] = scene.tissue_at(pt);
                }
            }
        }
        out
    }
}

/// One frame of each class under a few settings, tiled into an RGB image (`cols` x rows of
/// `tile` x `tile` pixels), with the class code written over each tile.
pub fn contact_sheet(seeds: &[u64], tile: usize, anatomy: Anatomy) -> (usize, usize, Vec<u8>) {
    let classes = classes();
    let (cols, rows) = (classes.len(), seeds.len());
    let (w, h) = (cols * tile, rows * tile);
    let mut sheet = vec![0u8; w * h * 3];
    for (row, &seed) in seeds.iter().enumerate() {
        for (col, view) in classes.iter().enumerate() {
            let mut p = ClipParams::draw(view, seed, Style::Default).with_anatomy(anatomy);
            p.width = tile;
            p.height = tile;
            p.overlays.letterbox = [0; 4];
            let r = Renderer::new(p);
            let img = r.frame_rgb(0.12);
            for y in 0..tile {
                let dst = ((row * tile + y) * w + col * tile) * 3;
                sheet[dst..dst + tile * 3].copy_from_slice(&img[y * tile * 3..(y + 1) * tile * 3]);
            }
            font::draw_text(
                &mut sheet,
                w,
                h,
                col * tile + 3,
                row * tile + tile - 10,
                view,
                1,
                [255, 255, 0],
            );
        }
    }
    (w, h, sheet)
}

#[cfg(test)]
mod tests {
    use super::anatomy::Tissue;
    use super::*;

    fn centroid(map: &[Tissue], w: usize, t: Tissue) -> Option<(f32, f32, usize)> {
        let (mut sx, mut sy, mut n) = (0f32, 0f32, 0usize);
        for (i, &m) in map.iter().enumerate() {
            if m == t {
                sx += (i % w) as f32;
                sy += (i / w) as f32;
                n += 1;
            }
        }
        (n > 0).then(|| (sx / n as f32, sy / n as f32, n))
    }

    /// Connected regions of one tissue in a label map.
    fn components(map: &[Tissue], w: usize, t: Tissue) -> usize {
        let mut seen = vec![false; map.len()];
        let mut count = 0;
        for s in 0..map.len() {
            if map[s] != t || seen[s] {
                continue;
            }
            count += 1;
            let mut stack = vec![s];
            seen[s] = true;
            while let Some(i) = stack.pop() {
                let (x, y) = (i % w, i / w);
                let mut n = vec![];
                if x > 0 {
                    n.push(i - 1);
                }
                if x + 1 < w {
                    n.push(i + 1);
                }
                if y > 0 {
                    n.push(i - w);
                }
                if i + w < map.len() {
                    n.push(i + w);
                }
                for j in n {
                    if map[j] == t && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        count
    }

    fn upright(view: &str, seed: u64) -> Renderer {
        let mut p = ClipParams::draw(view, seed, Style::Default);
        p.width = 256;
        p.height = 256;
        p.mirrored = false;
        p.placement[2] = 0.0;
        p.placement[3] = 1.0;
        Renderer::new(p)
    }

    #[test]
    fn boundary_normals_point_out_of_the_shape() {
        use super::anatomy::Geom;
        let close =
            |a: [f32; 2], b: [f32; 2]| (a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4;
        // An ellipse 4 wide, 1 tall, turned 90 degrees: its flat side faces +x.
        let e = Geom::Ellipse {
            c: [1.0, 2.0],
            a: 2.0,
            b: 0.5,
            rot: std::f32::consts::FRAC_PI_2,
        };
        assert!(
            close(e.normal_at([1.4, 2.0]), [1.0, 0.0]),
            "{:?}",
            e.normal_at([1.4, 2.0])
        );
        assert!(close(e.normal_at([1.0, 3.9]), [0.0, 1.0]));
        // A capsule along x: above its middle the normal is +y, past its end along +x.
        let c = Geom::Capsule {
            p: [0.0, 0.0],
            q: [4.0, 0.0],
            r: 0.3,
        };
        assert!(close(c.normal_at([2.0, 0.2]), [0.0, 1.0]));
        assert!(close(c.normal_at([4.2, 0.0]), [1.0, 0.0]));
    }

    #[test]
    fn tissue_list_is_in_declaration_order() {
        for (i, t) in Tissue::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i, "{t:?}");
        }
    }

    #[test]
    fn scene_index_answers_what_the_scene_answers() {
        for (k, view) in classes().iter().enumerate() {
            for style in [Style::Default, Style::Shifted] {
                let r = Renderer::new(ClipParams::draw(view, 40 + k as u64, style));
                let scene = r.scene_at(0.21);
                let index = anatomy::SceneIndex::new(&scene);
                let (mut rng, mut inside) = (rng::Rng::new(k as u64), 0);
                for _ in 0..20_000 {
                    let p = [rng.range(-12.0, 12.0), rng.range(-2.0, 26.0)];
                    let t = scene.tissue_at(p);
                    assert_eq!(index.tissue_at(p), t, "{view} at {p:?}");
                    inside += (t != scene.background) as usize;
                }
                assert!(inside > 300, "{view}: only {inside} points hit a shape");
            }
        }
    }

    #[test]
    fn same_seed_same_pixels_other_seed_other_pixels() {
        for view in ["A4C", "OTHER", "SC-IVC"] {
            let a =
                Renderer::new(ClipParams::draw(view, 11, Style::Default)).frames_at(&[0.0, 0.1]);
            let b =
                Renderer::new(ClipParams::draw(view, 11, Style::Default)).frames_at(&[0.0, 0.1]);
            assert_eq!(a, b, "{view}");
            let c = Renderer::new(ClipParams::draw(view, 12, Style::Default)).frames_at(&[0.0]);
            assert_ne!(a[0].data, c[0].data);
        }
    }

    #[test]
    fn an_added_doppler_box_lies_in_the_fan_shows_flow_colour_and_changes_nothing_else() {
        let flow_pixels = |p: &ClipParams| {
            let r = Renderer::new(p.clone().with_max_side(256));
            r.frames_at(&[0.0, 0.15, 0.3, 0.45])
                .iter()
                .flat_map(|f| {
                    f.data
                        .chunks(3)
                        .map(|c| [c[0], c[1], c[2]])
                        .collect::<Vec<_>>()
                })
                .filter(|&[r, g, b]| (r > 100 && g < 60 && b == 0) || (r == 0 && g < 80 && b > 100))
                .count()
        };
        let plain = (0..40)
            .map(|seed| ClipParams::draw("A4C", seed, Style::Default))
            .find(|p| p.overlays.doppler_box.is_none())
            .unwrap();
        let boxed = plain.clone().with_doppler_box(7);
        let [a0, a1, d0, d1] = boxed.overlays.doppler_box.expect("a box is added");
        let (half, depth) = (plain.scanner.half_angle, plain.scanner.depth_cm);
        assert!(
            -half <= a0 && a0 < a1 && a1 <= half,
            "{a0}..{a1} in ±{half}"
        );
        assert!(
            0.0 < d0 && d0 < d1 && d1 <= depth,
            "{d0}..{d1} cm of {depth}"
        );
        assert_eq!(flow_pixels(&plain), 0);
        assert!(flow_pixels(&boxed) > 0, "the box shows no flow colour");
        let mut same = boxed.clone();
        same.overlays.doppler_box = None;
        assert_eq!(
            serde_json::to_string(&same).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        // A clip that already has a box keeps it.
        assert_eq!(
            boxed.clone().with_doppler_box(8).overlays.doppler_box,
            boxed.overlays.doppler_box
        );
    }

    #[test]
    fn every_class_renders_a_non_blank_sector() {
        for view in classes() {
            for seed in 0..3 {
                let r = Renderer::new(ClipParams::draw(&view, seed, Style::Default));
                let f = &r.frames_at(&[0.2])[0];
                let mean = f.data.iter().map(|&v| v as f64).sum::<f64>() / f.data.len() as f64;
                // Real screens are mostly black (a SonoSite A4C frame averages 10/255): ask for
                // bright structure and not a white-out, rather than for a bright mean.
                let mut sorted = f.data.clone();
                sorted.sort_unstable();
                let p99 = sorted[sorted.len() * 99 / 100];
                assert!(
                    p99 > 80 && mean > 3.0 && mean < 200.0,
                    "{view} seed {seed}: mean {mean}, 99th percentile {p99}"
                );
            }
        }
    }

    #[test]
    fn a4c_has_four_chambers_in_the_standard_arrangement() {
        for seed in 0..5 {
            let r = upright("A4C", seed);
            let map = r.label_map(0.0);
            let c = |t| centroid(&map, 256, t).unwrap_or_else(|| panic!("seed {seed}: no {t:?}"));
            let (lv, rv, la, ra) = (c(Tissue::Lv), c(Tissue::Rv), c(Tissue::La), c(Tissue::Ra));
            assert!(lv.0 > rv.0, "LV right of RV");
            assert!(la.0 > ra.0, "LA right of RA");
            assert!(la.1 > lv.1 && ra.1 > rv.1, "atria below ventricles");
            assert!(lv.2 > rv.2, "LV larger than RV");
            assert!(
                centroid(&map, 256, Tissue::Lvot).is_none(),
                "A4C shows no outflow tract"
            );
        }
    }

    #[test]
    fn a5c_adds_the_outflow_tract_between_the_av_valves() {
        let map = upright("A5C", 3).label_map(0.0);
        let lvot = centroid(&map, 256, Tissue::Lvot).expect("A5C shows the LVOT");
        let (la, ra) = (
            centroid(&map, 256, Tissue::La).unwrap(),
            centroid(&map, 256, Tissue::Ra).unwrap(),
        );
        assert!(lvot.0 > ra.0 && lvot.0 < la.0);
    }

    #[test]
    fn two_and_three_chamber_views_have_no_right_heart() {
        for view in ["A2C", "A3C"] {
            let map = upright(view, 2).label_map(0.0);
            assert!(
                centroid(&map, 256, Tissue::Rv).is_none()
                    && centroid(&map, 256, Tissue::Ra).is_none(),
                "{view}"
            );
            assert!(
                centroid(&map, 256, Tissue::Lv).is_some()
                    && centroid(&map, 256, Tissue::La).is_some(),
                "{view}"
            );
        }
        let a3c = upright("A3C", 2).label_map(0.0);
        let (ao, la) = (
            centroid(&a3c, 256, Tissue::Aorta).unwrap(),
            centroid(&a3c, 256, Tissue::La).unwrap(),
        );
        assert!(ao.0 > la.0, "A3C: aorta to the right of the LA");
    }

    #[test]
    fn psax_pm_shows_two_papillary_muscles_and_the_other_levels_none() {
        for seed in 0..4 {
            let map = upright("PSAX-PM", seed).label_map(0.0);
            assert_eq!(components(&map, 256, Tissue::Papillary), 2, "seed {seed}");
            let lv = centroid(&map, 256, Tissue::Lv).unwrap();
            let pm = centroid(&map, 256, Tissue::Papillary).unwrap();
            assert!(
                pm.1 > lv.1,
                "papillary muscles sit in the lower half of the ring"
            );
        }
        for view in ["PSAX-MV", "PSAX-AP", "PSAX-AV"] {
            assert_eq!(
                components(&upright(view, 1).label_map(0.0), 256, Tissue::Papillary),
                0,
                "{view}"
            );
        }
    }

    #[test]
    fn psax_av_closes_in_a_mercedes_y_and_opens_in_systole() {
        let r = upright("PSAX-AV", 5);
        let period = 60.0 / r.params.heart_rate_bpm as f64;
        let phase0 = r.params.cardiac_phase0 as f64;
        let at_phase = |ph: f64| ((ph - phase0).rem_euclid(1.0)) * period;
        let valve = |t: f64| centroid(&r.label_map(t), 256, Tissue::Valve).map_or(0, |c| c.2);
        let (diastole, systole) = (valve(at_phase(0.7)), valve(at_phase(0.2)));
        assert!(
            diastole > systole,
            "closed cusps ({diastole} px) span more than open ones ({systole} px)"
        );
    }

    #[test]
    fn the_lv_shrinks_in_systole() {
        let r = upright("PSAX-MV", 9);
        let period = 60.0 / r.params.heart_rate_bpm as f64;
        let at_phase = |ph: f64| ((ph - r.params.cardiac_phase0 as f64).rem_euclid(1.0)) * period;
        let area = |t: f64| centroid(&r.label_map(t), 256, Tissue::Lv).unwrap().2;
        assert!((area(at_phase(0.32)) as f32) < 0.8 * area(at_phase(0.9)) as f32);
    }

    #[test]
    fn subcostal_views_have_liver_in_the_near_field() {
        let sc4c = upright("SC4C", 4).label_map(0.0);
        let (liver, rv) = (
            centroid(&sc4c, 256, Tissue::Liver).unwrap(),
            centroid(&sc4c, 256, Tissue::Rv).unwrap(),
        );
        let lv = centroid(&sc4c, 256, Tissue::Lv).unwrap();
        assert!(liver.1 < rv.1, "SC4C: liver above the heart");
        assert!(rv.1 < lv.1, "SC4C: the RV is the chamber nearest the liver");
        let ivc = upright("SC-IVC", 4);
        let map = ivc.label_map(0.0);
        // The near field (top quarter of the sector) is mostly liver; the IVC runs across below it.
        let top = (ivc.placement().apex[1]
            + ivc.placement().px_per_cm * ivc.params.scanner.depth_cm * 0.3)
            as usize;
        let near: Vec<Tissue> = map[..top * 256]
            .iter()
            .copied()
            .filter(|&t| t != Tissue::Background)
            .collect();
        let liver_share =
            near.iter().filter(|&&t| t == Tissue::Liver).count() as f32 / near.len().max(1) as f32;
        assert!(
            liver_share > 0.6,
            "SC-IVC near field is {liver_share} liver"
        );
        assert!(centroid(&map, 256, Tissue::Ivc).unwrap().1 > top as f32);
    }

    #[test]
    fn ssn_shows_the_arch_with_the_rpa_beneath() {
        let map = upright("SSN", 6).label_map(0.0);
        let (ao, pa) = (
            centroid(&map, 256, Tissue::Aorta).unwrap(),
            centroid(&map, 256, Tissue::PulmonaryArtery).unwrap(),
        );
        assert!(pa.1 > ao.1 - 5.0);
        assert!(
            components(&map, 256, Tissue::Vessel) >= 3,
            "head and neck vessels"
        );
    }

    #[test]
    fn shifted_style_draws_outside_the_default_ranges() {
        for seed in 0..20 {
            let d = ClipParams::draw("A4C", seed, Style::Default);
            let s = ClipParams::draw("A4C", seed, Style::Shifted);
            let deg = |p: &ClipParams| p.scanner.half_angle.to_degrees();
            assert!((30.0..=45.0).contains(&deg(&d)));
            assert!(!(28.0..=46.0).contains(&deg(&s)));
            assert!((-20.0..=4.0).contains(&d.scanner.gain_db));
            assert!(!(-21.0..=5.0).contains(&s.scanner.gain_db));
            // Through the lung default clips are dark around the heart; shifted ones are not.
            assert!(d.surroundings.lung <= 0.15 && s.surroundings.lung >= 0.4);
        }
    }
}

//! The screen around the image, as machines export it: the sector scan-converted onto a canvas,
//! colour Doppler, text, depth marks, ECG, colour bar, logo, letterboxing; and the spectral
//! Doppler and M-mode displays among OTHER.

use crate::anatomy::{self, Motion, Scene, Tissue, V2};
use crate::font::{draw_text, text_width};
use crate::imaging::{form_image, Beam, Deformation, PolarGrid, Scatterers, Tap, WallLook};
use crate::params::{ClipParams, OtherKind};
use crate::rng::Rng;

/// Where the sector sits on the canvas.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    pub apex: [f32; 2],
    pub px_per_cm: f32,
    pub rotation: f32,
    pub mirrored: bool,
}

impl Placement {
    /// Canvas pixel centre to (depth cm, angle rad) in the scanner's frame, and the point in cm.
    #[inline]
    pub fn to_sector(&self, x: f32, y: f32) -> (f32, f32, [f32; 2]) {
        let (dx, dy) = (
            (x - self.apex[0]) / self.px_per_cm,
            (y - self.apex[1]) / self.px_per_cm,
        );
        let (s, c) = (-self.rotation).sin_cos();
        let (mut u, v) = (dx * c - dy * s, dx * s + dy * c);
        if self.mirrored {
            u = -u;
        }
        (
            (u * u + v * v).sqrt(),
            crate::imaging::fast_atan2(u, v),
            [u, v],
        )
    }

    /// (depth cm, angle rad) to canvas pixels.
    pub fn to_canvas(&self, r: f32, th: f32) -> [f32; 2] {
        let (mut u, v) = (r * th.sin(), r * th.cos());
        if self.mirrored {
            u = -u;
        }
        let (s, c) = self.rotation.sin_cos();
        [
            self.apex[0] + (u * c - v * s) * self.px_per_cm,
            self.apex[1] + (u * s + v * c) * self.px_per_cm,
        ]
    }
}

/// Everything fixed for a clip, so each frame only forms its echo and draws.
pub struct Renderer {
    pub params: ClipParams,
    scatterers: Scatterers,
    grid: PolarGrid,
    beam: Beam,
    /// Scan conversion: the canvas pixels inside the sector and where each reads the echo.
    taps: Vec<Tap>,
    /// Each scatterer's share of the heart's motion, for the centre and radius it was worked
    /// out for (every view keeps them fixed through the clip).
    falloff: (V2, f32, Vec<f32>),
    placement: Placement,
    /// The area left for the image after letterboxing: x, y, w, h.
    content: [usize; 4],
    /// For spectral Doppler and M-mode: the trace area x, y, w, h.
    trace: Option<[usize; 4]>,
    /// Echo gain of myocardium, bright reflectors, organs, surroundings, blood and vessel walls.
    tissue_jitter: [f32; 6],
    wall_look: WallLook,
    /// Speckle-reduction smoothing a scanner applies (Gaussian sigma, pixels; 0 = none).
    smooth_px: f32,
    /// Whether the screen's text is drawn (see [`Renderer::new`]), decided once per clip.
    text_shown: bool,
    /// Phantom v2: the clip's image plane in the chest (fixed while the heart beats).
    cut_plane: Option<crate::chest::Plane>,
}

impl Renderer {
    pub fn new(params: ClipParams) -> Self {
        let (w, h) = (params.width, params.height);
        let lb = params.overlays.letterbox;
        let content = [
            lb[0],
            lb[1],
            w.saturating_sub(lb[0] + lb[2]).max(16),
            h.saturating_sub(lb[1] + lb[3]).max(16),
        ];
        let sc = &params.scanner;
        let (image, trace) = match trace_layout(&params, content) {
            Some((image, trace)) => (image, Some(trace)),
            None => (content, None),
        };
        let [fx, fy, rot, zoom] = params.placement;
        let apex = [
            image[0] as f32 + fx * image[2] as f32,
            image[1] as f32 + fy * image[3] as f32,
        ];
        // Only the depth below a curved or linear probe's face is shown (`near_cm`).
        // (A convex face's ends sit higher than its middle, at near x cos(half-angle).)
        let face_top = sc.near_cm * sc.half_angle.cos();
        let fit_depth = image[3] as f32 * (1.0 - fy) * 0.93 / (sc.depth_cm - face_top);
        // Real screens leave side panels for text and controls: the fan spans 70-98 % of the
        // width, so a crop around it holds little of the text (v2 only; v1 keeps its layout).
        let fan_share = if params.cut.is_some() {
            Rng::new(params.seed ^ 0xFA_2E1D).range(0.75, 1.0)
        } else {
            1.0
        };
        let fit_width = 0.49 * fan_share * image[2] as f32 / (sc.depth_cm * sc.half_angle.sin());
        let px_per_cm = fit_depth.min(fit_width) * zoom;
        let apex = [apex[0], apex[1] - face_top * px_per_cm];
        let mut placement = Placement {
            apex,
            px_per_cm,
            rotation: rot,
            mirrored: params.mirrored,
        };
        if let Some((magnify, [r, th])) = region_zoom(&params) {
            // The scanner's zoom: a region of the fan magnified to fill the screen, the fan's
            // apex and edges off it (teaching atlases zoom on the valves: 3 of the 32
            // standard-view stills of the real set's tte47 are such zooms).
            placement.px_per_cm *= magnify;
            let depth = sc.near_cm + r * (sc.depth_cm - sc.near_cm);
            let at = placement.to_canvas(depth, th * sc.half_angle);
            let centre = [
                image[0] as f32 + 0.5 * image[2] as f32,
                image[1] as f32 + 0.5 * image[3] as f32,
            ];
            placement.apex = [
                placement.apex[0] + centre[0] - at[0],
                placement.apex[1] + centre[1] - at[1],
            ];
        }
        // The echo is formed at the unzoomed screen's resolution and magnified for display, as
        // a scanner's read zoom does (and as fast: a zoomed screen shows only part of the fan).
        let grid = PolarGrid::for_display(
            px_per_cm * sc.depth_cm,
            sc.half_angle,
            sc.near_cm / sc.depth_cm,
        );
        let mut rng = Rng::new(params.seed.wrapping_mul(31).wrapping_add(7));
        let scatterers = Scatterers::seed(&mut rng, sc, grid);
        let beam = Beam::new(sc, grid);
        let mut taps = Vec::new();
        for y in image[1]..(image[1] + image[3]).min(h) {
            for x in image[0]..(image[0] + image[2]).min(w) {
                let (r, th, _) = placement.to_sector(x as f32 + 0.5, y as f32 + 0.5);
                taps.extend(Tap::new(y * w + x, grid, sc, r, th));
            }
        }
        let mut smooth_px = 0.0;
        let mut tissue_jitter = [
            rng.range(0.8, 1.2),
            rng.range(0.8, 1.25),
            rng.range(0.7, 1.3),
            rng.range(0.85, 1.15),
            1.0,
            1.0,
        ];
        if params.cut.is_some() {
            // Phantom v2 randomises appearance widely (as SynthSeg does for MRI), so a network
            // learns the anatomy's layout, not one rendering of it: myocardium from dark to
            // bright, reflectors from faint to glaring, blood from black to hazy grey. Its own
            // stream, so every other draw stays as it was.
            let mut a = Rng::new(params.seed ^ 0xA9_9EA2_A11C);
            let log_range = |a: &mut Rng, lo: f32, hi: f32| (a.range(lo.ln(), hi.ln())).exp();
            smooth_px = smoothing_px(a.unit(), px_per_cm, params.width.max(params.height));
            tissue_jitter = [
                // Myocardium 0.12-1.5x, not 0.25-1.8x, and reflectors up to 2x, not 1.5x: on real
                // screens the valves and the rims square to the beam set the top of the grey
                // scale and muscle sits well below it (the realism report's stills: phantom ones
                // held twice the real share of grey 0.3-0.7, and less of 0.05-0.15).
                log_range(&mut a, 0.12, 1.5),
                // Pericardium and valves: up to 2x, their specular fall-off keeps the rim round
                // a heart from glaring except where the beam meets it square-on.
                log_range(&mut a, 0.4, 2.0),
                log_range(&mut a, 0.4, 2.5),
                // Tissue around the heart from dim to as bright as myocardium (0.5-3.0 lit
                // more of the fan than real screens show).
                log_range(&mut a, 0.3, 2.0),
                // Blood is 35-50 dB below myocardium on most screens, black at the gain a
                // sonographer sets (at 30-40 dB, the phantom's cavities were a speckled grey,
                // median 68 of 255, where real ones are near black); haze from clutter and high
                // gain lifts it on some, rarely to the myocardium's grey.
                match a.unit() {
                    u if u < 0.7 => log_range(&mut a, 0.3, 1.5),
                    u if u < 0.95 => log_range(&mut a, 1.5, 6.0),
                    _ => log_range(&mut a, 6.0, 25.0),
                },
                // Vessel walls from half as bright as myocardium to three times it: always
                // 2.6 times, every vessel in a cut was ringed in white, where a real screen's
                // pulmonary artery and descending aorta often show no wall at all (own stream).
                log_range(&mut Rng::new(params.seed ^ 0x7E55_E1A1), 0.2, 1.2),
            ];
        }
        let mut scatterers =
            scatterers.with_surroundings(&mut rng.fork(0x5EED), sc, params.surroundings);
        let mut wall_look = WallLook::default();
        if params.cut.is_some() {
            // Patchy, angle-dependent myocardium (v2), from its own stream.
            let mut w = Rng::new(params.seed ^ 0x3A11_7E47);
            let (cell, sigma) = (w.range(0.5, 1.5), w.range(0.35, 0.9));
            // Real walls running along the beam stay a grey band, dimmer than across it but
            // never gone (0.85 had lateral walls darker than the rims around them).
            wall_look.anisotropy = w.range(0.2, 0.6);
            scatterers = scatterers.with_wall_texture(&mut w, sc, cell, sigma);
            // Real screens' tissue is grainy and mottled (the realism report's stills: phantom
            // ones held twice the real share of mid-grey, an even sand of speckle, and less
            // fine detail): strong scatterers among weak ones, and surroundings varying over
            // millimetres. Each from its own stream.
            let mut g = Rng::new(params.seed ^ 0x6A_A1_4E);
            let grain = g.range(0.3, 1.6);
            scatterers = scatterers.with_grain(&mut g, grain);
            let mut t = Rng::new(params.seed ^ 0x5077_7E47);
            let (cell, sigma) = (t.range(0.25, 1.0), t.range(0.3, 1.0));
            scatterers = scatterers.with_surroundings_texture(&mut t, sc, cell, sigma);
        }
        let cut_plane = params.cut.as_ref().map(|c| cut_plane(&params.patient, c));
        // A real screen's text is a line of 1-2 % of its height; at the small sizes training
        // renders, the smallest font is 4 %, and a crop around the fan would hold far more text
        // than a real one. Phantom v2 draws it on a third of its small screens.
        let text_shown = params.cut.is_none()
            || params.width >= 400
            || Rng::new(params.seed ^ 0x7E_C7).chance(0.35);
        let mut renderer = Self {
            params,
            scatterers,
            grid,
            beam,
            taps,
            falloff: (V2::default(), 0.0, Vec::new()),
            placement,
            content,
            trace,
            tissue_jitter,
            wall_look,
            smooth_px,
            text_shown,
            cut_plane,
        };
        let scene = renderer.scene_at(0.0);
        renderer.falloff = (
            scene.centre,
            scene.radius,
            Deformation::falloff(scene.centre, scene.radius, &renderer.scatterers),
        );
        renderer
    }

    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// For spectral Doppler and M-mode screens: the trace area on the canvas.
    pub fn trace_rect(&self) -> Option<tte_frames::Rect> {
        self.trace.map(|[x, y, w, h]| tte_frames::Rect {
            x0: x,
            y0: y,
            x1: (x + w).min(self.params.width),
            y1: (y + h).min(self.params.height),
        })
    }

    /// Cardiac and breathing state at time `t`.
    pub fn motion_at(&self, t: f64) -> (f32, Motion) {
        let p = &self.params;
        let phase = p.cardiac_phase0 + (t as f32) * p.heart_rate_bpm / 60.0;
        (
            phase,
            Motion::at(phase, (t as f32) * p.breaths_per_min / 60.0),
        )
    }

    /// The anatomy the sector shows at time `t`, posed as in the clip.
    pub fn scene_at(&self, t: f64) -> Scene {
        let p = &self.params;
        let (_, m) = self.motion_at(t);
        if let Some(cut) = &p.cut {
            if !matches!(p.other, Some(OtherKind::Cut(c)) if c.is_non_cardiac()) {
                let [angle, _, sx, sy] = p.pose;
                let plane = self.cut_plane.unwrap_or_else(|| cut_plane(&p.patient, cut));
                let [tilt, slide, hz, phase] = cut.hand;
                let sway = (std::f32::consts::TAU * hz * t as f32 + phase).sin();
                let plane = plane.jittered(&crate::chest::Jitter {
                    tilt: tilt * sway,
                    rotation: 0.5 * tilt * sway,
                    offset_cm: slide * sway,
                    slide_cm: slide * sway,
                });
                return crate::chest::Chest::build(&p.patient, &cut.body, &m)
                    .cut(&plane)
                    .posed(angle, 1.0, [sx, sy]);
            }
        }
        let view = p.reference_view.as_deref().unwrap_or(&p.view);
        let scene = match (anatomy::standard_view(view, &p.patient, &m), p.other) {
            (_, Some(OtherKind::Cut(cut))) => {
                anatomy::other_anatomy(cut, &p.other_shapes, &p.patient, &m)
            }
            (Some(s), _) => s,
            (None, _) => {
                anatomy::other_anatomy(anatomy::OtherCut::OffAxis, &p.other_shapes, &p.patient, &m)
            }
        };
        let [angle, scale, sx, sy] = p.pose;
        // A curved or linear probe's face lies `near_cm` from the sector's centre: the
        // anatomy starts below it.
        scene.posed(angle, scale, [sx, sy + p.scanner.near_cm])
    }

    /// Renders the frame shown at time `t` seconds as packed RGB.
    pub fn frame_rgb(&self, t: f64) -> Vec<u8> {
        let p = &self.params;
        let (w, h) = (p.width, p.height);
        let mut img = vec![0u8; w * h * 3];
        let scene = self.scene_at(t);
        let (phase, m) = self.motion_at(t);
        let polar = self.form(&scene, phase, m, t);
        self.scan_convert(&polar, &scene, &m, t, &mut img);
        if self.smooth_px > 0.0 {
            gaussian_blur_rgb(&mut img, w, h, self.smooth_px);
        }
        if let Some(area) = self.trace {
            match p.other {
                Some(OtherKind::SpectralDoppler) => self.draw_spectral(&mut img, area, t),
                Some(OtherKind::MMode) => self.draw_mmode(&mut img, area, t),
                _ => {}
            }
            self.draw_cursor_line(&mut img);
        }
        self.draw_overlays(&mut img, t);
        img
    }

    fn form(&self, scene: &Scene, phase: f32, m: Motion, t: f64) -> Vec<f32> {
        let j = self.tissue_jitter;
        let gain = move |tissue: Tissue| {
            let e = tissue.echo();
            match tissue {
                Tissue::Myocardium | Tissue::Papillary => e * j[0],
                Tissue::Pericardium | Tissue::Valve => e * j[1],
                Tissue::Liver | Tissue::Kidney | Tissue::Mediastinum => e * j[2],
                Tissue::Background => e * j[3],
                Tissue::VesselWall => e * j[5],
                t if t.is_blood() && t != Tissue::Effusion => e * j[4],
                _ => e,
            }
        };
        let ang = std::f32::consts::TAU * phase;
        let deform = Deformation {
            centre: scene.centre,
            radius: scene.radius,
            squeeze: 0.07 * m.contraction,
            shift: [0.22 * ang.sin(), 0.12 * ang.cos() + 0.1 * m.breath],
        };
        let mut noise =
            Rng::new(self.params.seed ^ ((t * 1000.0).round() as u64).wrapping_mul(0x9E37_79B9));
        let fresh;
        let falloff = match &self.falloff {
            (c, r, f) if *c == scene.centre && *r == scene.radius => f,
            _ => {
                fresh = Deformation::falloff(scene.centre, scene.radius, &self.scatterers);
                &fresh
            }
        };
        form_image(
            scene,
            &gain,
            &self.scatterers,
            deform,
            falloff,
            &self.params.scanner,
            self.grid,
            &self.beam,
            &mut noise,
            self.params.cut.is_some(),
            self.wall_look,
        )
    }

    fn scan_convert(&self, polar: &[f32], scene: &Scene, m: &Motion, t: f64, img: &mut [u8]) {
        let p = &self.params;
        let tint = p.tint;
        for tap in &self.taps {
            let g = tap.sample(polar) * 255.0;
            let px = &mut img[tap.pixel as usize * 3..][..3];
            px[0] = (g * tint[0]) as u8;
            px[1] = (g * tint[1]) as u8;
            px[2] = (g * tint[2]) as u8;
        }
        if let Some([a0, a1, d0, d1]) = p.overlays.doppler_box {
            let mut colour_rng = Rng::new(p.seed ^ 0xC0FFEE ^ ((t * 1000.0) as u64));
            for tap in &self.taps {
                let (x, y) = (tap.pixel as usize % p.width, tap.pixel as usize / p.width);
                let (r, th, pt) = self.placement.to_sector(x as f32 + 0.5, y as f32 + 0.5);
                if th >= a0 && th <= a1 && r >= d0 && r <= d1 {
                    if let Some(rgb) = doppler_colour(scene.tissue_at(pt), m, &mut colour_rng) {
                        img[tap.pixel as usize * 3..][..3].copy_from_slice(&rgb);
                    }
                }
            }
            self.draw_box_outline(img, a0, a1, d0, d1);
        }
    }

    fn draw_box_outline(&self, img: &mut [u8], a0: f32, a1: f32, d0: f32, d1: f32) {
        let steps = 200;
        for i in 0..=steps {
            let f = i as f32 / steps as f32;
            let pts = [
                (d0, a0 + (a1 - a0) * f),
                (d1, a0 + (a1 - a0) * f),
                (d0 + (d1 - d0) * f, a0),
                (d0 + (d1 - d0) * f, a1),
            ];
            for (r, th) in pts {
                let [x, y] = self.placement.to_canvas(r, th);
                put(
                    img,
                    self.params.width,
                    self.params.height,
                    x as isize,
                    y as isize,
                    [170, 170, 170],
                );
            }
        }
    }

    /// The cursor line of spectral Doppler and M-mode through the small image.
    fn draw_cursor_line(&self, img: &mut [u8]) {
        let sc = &self.params.scanner;
        for i in 0..200 {
            let r = sc.depth_cm * i as f32 / 200.0;
            let [x, y] = self.placement.to_canvas(r, 0.08);
            if i % 6 < 4 {
                put(
                    img,
                    self.params.width,
                    self.params.height,
                    x as isize,
                    y as isize,
                    [230, 230, 230],
                );
            }
        }
    }

    /// A sweeping spectral Doppler trace: velocity envelopes filled with speckled grey.
    fn draw_spectral(&self, img: &mut [u8], [ax, ay, aw, ah]: [usize; 4], t: f64) {
        let p = &self.params;
        let look = SpectralLook::draw(p);
        let sweep = look.sweep_s;
        let baseline =
            ay + ((ah as f32 * look.baseline) as usize).clamp(1, ah.saturating_sub(2).max(1));
        let cursor = ((t % sweep) / sweep * aw as f64) as usize;
        let mut rng = Rng::new(p.seed ^ 0x5EC7);
        let tex: Vec<f32> = (0..512).map(|_| rng.unit()).collect();
        let edge_px = (ah / 60).max(1) as f32;
        for col in 0..aw {
            if col.abs_diff(cursor) < 3 {
                continue;
            }
            // The time this column was written: columns behind the cursor are older, from before
            // the clip began (a scanner sweeps all along; at t = 0 a real trace is full).
            let back = (cursor + aw - col) % aw;
            let tc = t - back as f64 / aw as f64 * sweep;
            let (phase, m) = self.motion_at(tc);
            let (up, down) = look.velocities(phase, m);
            for row in 0..ah {
                let y = ay + row;
                let (v, dir, span) = if y < baseline {
                    (
                        (baseline - y) as f32 / (baseline - ay) as f32,
                        up,
                        (baseline - ay) as f32,
                    )
                } else {
                    let span = (ay + ah - baseline).max(1) as f32;
                    ((y - baseline) as f32 / span, down, span)
                };
                let speck = tex[(col * 7 + row * 13) % 512];
                let bright = if v <= dir {
                    let at_edge = (dir - v) * span <= edge_px;
                    let level = if at_edge { 1.0 } else { look.fill };
                    level * (0.35 + 0.65 * (v / dir.max(1e-3))) * (0.5 + 0.5 * speck)
                } else {
                    look.haze * speck
                };
                if bright > 0.0 {
                    let g = (bright.min(1.0) * 235.0) as u8;
                    put(
                        img,
                        p.width,
                        p.height,
                        (ax + col) as isize,
                        y as isize,
                        [g, g, g],
                    );
                }
            }
        }
        for col in 0..aw {
            put(
                img,
                p.width,
                p.height,
                (ax + col) as isize,
                baseline as isize,
                [150, 150, 150],
            );
        }
        for k in 0..5 {
            let y = ay + k * ah / 4;
            for dx in 0..4 {
                put(
                    img,
                    p.width,
                    p.height,
                    (ax + aw + dx) as isize,
                    y as isize,
                    [200, 200, 200],
                );
            }
        }
    }

    /// M-mode: one scan line of the anatomy swept over time.
    fn draw_mmode(&self, img: &mut [u8], [ax, ay, aw, ah]: [usize; 4], t: f64) {
        let p = &self.params;
        let sweep = 3.0f64;
        let cursor = ((t % sweep) / sweep * aw as f64) as usize;
        let mut rng = Rng::new(p.seed ^ 0x3303);
        let tex: Vec<f32> = (0..ah).map(|_| 0.35 + 0.65 * rng.unit()).collect();
        let depth = p.scanner.depth_cm;
        // Sample the anatomy a few times per second of sweep and hold between samples, for speed.
        let step = (aw / 120).max(1);
        for col0 in (0..aw).step_by(step) {
            let back = (cursor + aw - col0) % aw;
            let tc = t - back as f64 / aw as f64 * sweep;
            let scene = self.scene_at(tc);
            for row in 0..ah {
                let r = depth * row as f32 / ah as f32;
                let pt = [r * 0.08f32.sin(), r * 0.08f32.cos()];
                let e = scene.tissue_at(pt).echo();
                let g = ((e.min(1.2) / 1.2).powf(0.6) * tex[row] * 255.0) as u8;
                for col in col0..(col0 + step).min(aw) {
                    if col.abs_diff(cursor) >= 2 {
                        put(
                            img,
                            p.width,
                            p.height,
                            (ax + col) as isize,
                            (ay + row) as isize,
                            [g, g, g],
                        );
                    }
                }
            }
        }
    }

    fn draw_overlays(&self, img: &mut [u8], t: f64) {
        let p = &self.params;
        let o = &p.overlays;
        let (w, h) = (p.width, p.height);
        let [cx, cy, cw, ch] = self.content;
        let scale = if w >= 600 { 2 } else { 1 };
        if o.text && w >= 96 && self.text_shown {
            let lines = [
                format!("ID {}", o.patient_id),
                "TTE PHANTOM".to_string(),
                format!("{:.1}MHZ", p.scanner.freq_mhz),
            ];
            for (i, line) in lines.iter().enumerate() {
                draw_text(
                    img,
                    w,
                    h,
                    cx + 3,
                    cy + 3 + i * 9 * scale,
                    line,
                    scale,
                    o.text_rgb,
                );
            }
            let right = [
                format!("HR {:.0}", p.heart_rate_bpm),
                format!("DR {:.0}", p.scanner.dynamic_range_db),
                format!("{:.0}CM", p.scanner.depth_cm - p.scanner.near_cm),
            ];
            for (i, line) in right.iter().enumerate() {
                let tw = text_width(line, scale);
                if cw > tw + 6 {
                    draw_text(
                        img,
                        w,
                        h,
                        cx + cw - tw - 3,
                        cy + 3 + i * 9 * scale,
                        line,
                        scale,
                        o.text_rgb,
                    );
                }
            }
        }
        if o.depth_scale {
            let sc = &p.scanner;
            let mut cm = 0.0;
            while cm <= sc.depth_cm - sc.near_cm {
                let [x, y] = self
                    .placement
                    .to_canvas(sc.near_cm + cm, sc.half_angle + 0.05);
                let major = (cm as usize) % 5 == 0;
                for d in 0..(if major { 4 } else { 2 }) {
                    put(img, w, h, x as isize + d, y as isize, [210, 210, 210]);
                }
                cm += 1.0;
            }
        }
        if o.colour_bar && cw > 60 {
            let (bx, by, bh) = (cx + cw - 10 - 2 * scale, cy + ch / 4, ch / 4);
            for dy in 0..bh {
                let f = 1.0 - dy as f32 / bh.max(1) as f32;
                let rgb = if o.doppler_box.is_some() {
                    if f > 0.5 {
                        [(255.0 * (f - 0.5) * 2.0) as u8, 0, 0]
                    } else {
                        [0, 0, (255.0 * (0.5 - f) * 2.0) as u8]
                    }
                } else {
                    let g = (f * 255.0) as u8;
                    [g, g, g]
                };
                for dx in 0..5 {
                    put(img, w, h, (bx + dx) as isize, (by + dy) as isize, rgb);
                }
            }
        }
        if o.logo && cw > 80 {
            let (lx, ly) = (cx + 3, cy + ch.saturating_sub(14 * scale));
            for dy in 0..(11 * scale) {
                for dx in 0..(22 * scale) {
                    put(
                        img,
                        w,
                        h,
                        (lx + dx) as isize,
                        (ly + dy) as isize,
                        [40, 60, 110],
                    );
                }
            }
            draw_text(
                img,
                w,
                h,
                lx + 2 * scale,
                ly + 2 * scale,
                "PH",
                scale,
                [230, 230, 230],
            );
        }
        if o.ecg && self.trace.is_none() {
            self.draw_ecg(img, t);
        }
    }

    /// A sweeping ECG along the bottom of the content area.
    fn draw_ecg(&self, img: &mut [u8], t: f64) {
        let p = &self.params;
        let [cx, cy, cw, ch] = self.content;
        let base = cy + ch - (ch / 14).max(4);
        let amp = (ch / 18).max(2) as f32;
        let sweep = 4.0f64;
        let cursor = ((t % sweep) / sweep * cw as f64) as usize;
        let mut prev: Option<isize> = None;
        for col in 0..cw {
            if col.abs_diff(cursor) < 4 {
                prev = None;
                continue;
            }
            let back = (cursor + cw - col) % cw;
            let tc = t - back as f64 / cw as f64 * sweep;
            let phase = (p.cardiac_phase0 as f64 + tc * p.heart_rate_bpm as f64 / 60.0)
                .rem_euclid(1.0) as f32;
            let y = base as isize - (ecg_wave(phase) * amp) as isize;
            let from = prev.unwrap_or(y);
            for yy in from.min(y)..=from.max(y) {
                put(
                    img,
                    p.width,
                    p.height,
                    (cx + col) as isize,
                    yy,
                    p.overlays.ecg_rgb,
                );
            }
            prev = Some(y);
        }
    }
}

/// An ECG beat as a function of phase from the R wave: R, S, T, then P before the next R.
pub fn ecg_wave(phase: f32) -> f32 {
    let g = |c: f32, w: f32, a: f32| {
        a * (-((phase - c) / w).powi(2)).exp() + a * (-((phase - 1.0 - c) / w).powi(2)).exp()
    };
    g(0.0, 0.012, 1.0)
        + g(0.025, 0.012, -0.25)
        + g(0.3, 0.05, 0.3)
        + g(0.88, 0.03, 0.15)
        + g(-0.02, 0.01, -0.1)
}

fn doppler_colour(tissue: Tissue, m: &Motion, rng: &mut Rng) -> Option<[u8; 3]> {
    if !tissue.is_blood() || tissue == Tissue::Effusion {
        return None;
    }
    use Tissue::*;
    let v = match tissue {
        Lv | Rv | La | Ra => 0.9 * m.av_open - 0.7 * m.sl_open,
        Lvot | Aorta | PulmonaryArtery | DescendingAorta => -1.1 * m.sl_open,
        Ivc | HepaticVein => 0.35,
        _ => 0.4 * m.av_open,
    } + 0.12 * rng.normal();
    if v.abs() < 0.18 {
        return None;
    }
    let a = v.abs().min(1.2);
    Some(if a > 0.95 {
        // Aliasing mosaic.
        if rng.chance(0.5) {
            [255, 230, 80]
        } else {
            [80, 230, 255]
        }
    } else if v > 0.0 {
        [(120.0 + 135.0 * a) as u8, (40.0 * a) as u8, 0]
    } else {
        [0, (60.0 * a) as u8, (120.0 + 135.0 * a) as u8]
    })
}

#[inline]
fn put(img: &mut [u8], w: usize, h: usize, x: isize, y: isize, rgb: [u8; 3]) {
    if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
        img[(y as usize * w + x as usize) * 3..][..3].copy_from_slice(&rgb);
    }
}

/// Phantom v2: the clip's plane, the standard plane of its view in the chest at rest moved by
/// the hand's jitter (the probe holds still while the heart beats through it).
fn cut_plane(patient: &crate::anatomy::Patient, cut: &crate::Cut) -> crate::chest::Plane {
    let rest = crate::chest::Chest::build(patient, &cut.body, &Motion::at(0.0, 0.0));
    rest.standard_plane(&cut.from_view).jittered(&cut.jitter)
}

/// How a spectral Doppler trace looks. Phantom v1: mitral inflow above a baseline a third of
/// the way down, LV outflow below, following the valves' opening, filled. Real traces vary: the
/// baseline anywhere in the middle, peaked waves (E and A, the systolic jet) of any height on
/// either side, tissue Doppler's bright thin envelopes over a faint fill, and background noise;
/// phantom v2 draws them from its own stream.
struct SpectralLook {
    /// The baseline's share of the trace's height from its top.
    baseline: f32,
    /// The grey inside an envelope against its edge (1: filled).
    fill: f32,
    /// Noise outside the envelopes.
    haze: f32,
    /// Seconds the trace takes to cross the screen (50-100 mm/s on a real one).
    sweep_s: f64,
    /// Peak velocities of E, A and the systolic wave as shares of their side's span, and
    /// whether inflow (E and A) is drawn below the baseline; `None` in v1.
    waves: Option<([f32; 3], bool)>,
}

impl SpectralLook {
    fn draw(p: &ClipParams) -> Self {
        if p.cut.is_none() {
            return Self {
                baseline: 1.0 / 3.0,
                fill: 1.0,
                haze: 0.0,
                sweep_s: 3.0,
                waves: None,
            };
        }
        let mut s = Rng::new(p.seed ^ 0x5EC7_5A1E);
        Self {
            baseline: s.range(0.25, 0.75),
            fill: if s.chance(0.4) {
                s.range(0.0, 0.35)
            } else {
                1.0
            },
            haze: if s.chance(0.5) {
                s.range(0.0, 0.2)
            } else {
                0.0
            },
            sweep_s: s.range(1.5, 3.5) as f64,
            waves: Some((
                [s.range(0.3, 0.9), s.range(0.2, 0.8), s.range(0.3, 0.95)],
                s.chance(0.5),
            )),
        }
    }

    /// The envelope's height above and below the baseline, as shares of each side's span.
    fn velocities(&self, phase: f32, m: Motion) -> (f32, f32) {
        let Some(([e, a, s], flipped)) = self.waves else {
            return (m.av_open * 0.55, m.sl_open * 0.9);
        };
        // A wave rising fast and falling slower between two phases of the cycle.
        let wave = |p: f32, from: f32, to: f32| {
            let x = (p - from) / (to - from);
            if (0.0..1.0).contains(&x) {
                let peak = 0.35;
                if x < peak {
                    (x / peak).powf(0.8)
                } else {
                    ((1.0 - x) / (1.0 - peak)).powf(1.3)
                }
            } else {
                0.0
            }
        };
        let p = phase.rem_euclid(1.0);
        let inflow = (e * wave(p, 0.4, 0.6)).max(a * wave(p, 0.82, 0.97));
        let outflow = s * wave(p, 0.06, 0.34);
        if flipped {
            (outflow, inflow)
        } else {
            (inflow, outflow)
        }
    }
}

/// Where a spectral Doppler or M-mode screen puts its 2-D image and its trace, as
/// `[x, y, width, height]` on the canvas: `None` on other screens. Phantom v1 keeps one layout
/// (image on the upper 40 %, trace below). Real screens vary far more, and phantom v2 draws
/// three from its own stream: the image above the trace; the trace above a small image (as
/// point-of-care machines show it); and a thumbnail of the fan over a trace across the screen
/// (as cart scanners and the real set's tte47 Doppler stills do), where the 2-D picture is a
/// small part of the screen and a classifier must read the trace, not look for a heart.
fn trace_layout(params: &ClipParams, content: [usize; 4]) -> Option<([usize; 4], [usize; 4])> {
    if !matches!(
        params.other,
        Some(OtherKind::SpectralDoppler | OtherKind::MMode)
    ) {
        return None;
    }
    let [cx, cy, cw, ch] = content;
    let share = |n: usize, f: f32| ((n as f32 * f) as usize).max(4);
    // Where a box `width` wide starts along the content's width, `u` of the way across.
    let left = |width: usize, u: f32| {
        let free = cw - width.min(cw);
        cx + share(free, u).min(free)
    };
    if params.cut.is_none() {
        let top = share(ch, 0.4);
        let trace = [
            cx + cw / 20,
            cy + top + ch / 20,
            cw * 9 / 10,
            ch - top - ch / 10,
        ];
        return Some(([cx, cy, cw, top], trace));
    }
    let mut r = Rng::new(params.seed ^ 0x7ACE_1A40);
    let trace_w = share(cw, r.range(0.75, 0.95));
    let trace_x = left(trace_w, r.unit());
    let gap = share(ch, r.range(0.02, 0.08));
    match r.unit() {
        u if u < 0.35 => {
            let top = share(ch, r.range(0.3, 0.5));
            let trace_h = (ch - top).saturating_sub(gap + ch / 20).max(4);
            Some((
                [cx, cy, cw, top],
                [trace_x, cy + top + gap, trace_w, trace_h],
            ))
        }
        u if u < 0.6 => {
            let trace_h = share(ch, r.range(0.3, 0.5));
            let trace_y = cy + share(ch, r.range(0.02, 0.06));
            let image_y = trace_y + trace_h + gap;
            let image_w = share(cw, r.range(0.45, 1.0));
            let image_x = left(image_w, r.unit());
            let image_h = (cy + ch).saturating_sub(image_y).max(4);
            Some((
                [image_x, image_y, image_w, image_h],
                [trace_x, trace_y, trace_w, trace_h],
            ))
        }
        _ => {
            let image_h = share(ch, r.range(0.16, 0.32));
            let image_w = share(cw, r.range(0.15, 0.4));
            let image_x = left(image_w, r.unit());
            let trace_y = cy + image_h + share(ch, r.range(0.05, 0.2));
            let trace_h = (cy + ch).saturating_sub(trace_y + ch / 20).max(4);
            Some((
                [image_x, cy, image_w, image_h],
                [trace_x, trace_y, trace_w, trace_h],
            ))
        }
    }
}

/// Whether a clip's screen is zoomed on a region of its fan (phantom v2, one screen in eight,
/// not Doppler or M-mode traces): the magnification, and the region's centre as shares of the
/// depth shown (below a curved or linear probe's face) and of the half-angle. From its own
/// stream.
fn region_zoom(params: &ClipParams) -> Option<(f32, [f32; 2])> {
    let traces = matches!(
        params.other,
        Some(OtherKind::SpectralDoppler | OtherKind::MMode)
    );
    if params.cut.is_none() || traces {
        return None;
    }
    zoom_draw(params.seed)
}

fn zoom_draw(seed: u64) -> Option<(f32, [f32; 2])> {
    let mut z = Rng::new(seed ^ 0x200B_F0CA);
    z.chance(0.125).then(|| {
        (
            z.range(1.5, 2.6),
            [z.range(0.35, 0.75), z.range(-0.45, 0.45)],
        )
    })
}

/// How much the picture is smoothed, as a Gaussian sigma in display pixels, for `t` in 0..1.
/// Real pictures come down two chains. Half are recorded clips (web videos, GIFs, H.264 at a
/// low bit rate), smoothed by a share of the picture's size: 1.2-4 pixels per 320, which the
/// realism report's real clips match. Half are captures of the screen (stills and exports),
/// smoothed only by the scanner, under a millimetre, so speckle keeps its grain on a large
/// screen (the first chain alone made an 800-pixel screen as smooth as a cartoon at the
/// network's input, where real 800-pixel stills are grainy), plus part of a pixel for a small
/// screen's averaging.
fn smoothing_px(t: f32, px_per_cm: f32, side: usize) -> f32 {
    if t < 0.5 {
        (1.2 + 5.6 * t) * (side as f32 / 320.0).max(0.4)
    } else {
        let u = 2.0 * (t - 0.5);
        let physical = (0.015 + 0.05 * u) * px_per_cm;
        physical.hypot(0.35 + 0.35 * u)
    }
}

/// A separable Gaussian blur of packed RGB in place (edges clamped).
fn gaussian_blur_rgb(img: &mut [u8], w: usize, h: usize, sigma: f32) {
    let r = (2.5 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0f32; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut acc = 0.0;
                for (j, kv) in k.iter().enumerate() {
                    let xx = (x as isize + j as isize - r).clamp(0, w as isize - 1) as usize;
                    acc += kv * img[(y * w + xx) * 3 + c] as f32;
                }
                tmp[(y * w + x) * 3 + c] = acc;
            }
        }
    }
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut acc = 0.0;
                for (j, kv) in k.iter().enumerate() {
                    let yy = (y as isize + j as isize - r).clamp(0, h as isize - 1) as usize;
                    acc += kv * tmp[(yy * w + x) * 3 + c];
                }
                img[(y * w + x) * 3 + c] = acc.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{smoothing_px, trace_layout, Renderer, SpectralLook};
    use crate::params::OtherKind;
    use crate::{ClipParams, Style};

    fn spectral_screens(n: usize) -> impl Iterator<Item = ClipParams> {
        (0u64..)
            .map(|seed| {
                ClipParams::draw("OTHER", seed, Style::Default)
                    .with_cut_anatomy()
                    .with_max_side(160)
            })
            .filter(|p| p.other == Some(OtherKind::SpectralDoppler))
            .take(n)
    }

    #[test]
    fn doppler_screens_put_the_picture_above_below_or_beside_a_trace_that_never_covers_it() {
        let (mut above, mut below, mut thumbnail) = (0, 0, 0);
        for p in spectral_screens(40) {
            let content = Renderer::new(p.clone()).content;
            let ([ix, iy, iw, ih], [tx, ty, tw, th]) = trace_layout(&p, content).unwrap();
            let inside = |x: usize, y: usize, w: usize, h: usize| {
                x >= content[0]
                    && y >= content[1]
                    && x + w <= content[0] + content[2]
                    && y + h <= content[1] + content[3]
            };
            assert!(
                inside(ix, iy, iw, ih) && inside(tx, ty, tw, th),
                "seed {}",
                p.seed
            );
            assert!(
                iy + ih <= ty || ty + th <= iy,
                "seed {}: picture and trace overlap",
                p.seed
            );
            match () {
                _ if ty + th <= iy => below += 1,
                _ if iw * 2 < content[2] => thumbnail += 1,
                _ => above += 1,
            }
        }
        assert!(
            above >= 5 && below >= 5 && thumbnail >= 5,
            "{above} {below} {thumbnail}"
        );
    }

    #[test]
    fn a_doppler_trace_is_full_from_the_first_frame() {
        // A scanner sweeps before the recording starts: a real trace is never blank behind its
        // cursor, so the phantom's first frame shows envelopes across the whole width.
        for p in spectral_screens(6) {
            let r = Renderer::new(p.clone());
            let [tx, ty, tw, th] = r.trace.unwrap();
            let img = r.frame_rgb(0.0);
            // The baseline itself is drawn across the whole width: look above and below it.
            let baseline = ty + (th as f32 * SpectralLook::draw(&p).baseline) as usize;
            let lit_columns = (tx..tx + tw)
                .filter(|&x| {
                    (ty..ty + th)
                        .filter(|y| y.abs_diff(baseline) > 2)
                        .any(|y| img[(y * p.width + x) * 3] > 60)
                })
                .count();
            assert!(
                lit_columns * 10 >= tw * 3,
                "seed {}: {lit_columns} of {tw} trace columns lit at t = 0",
                p.seed
            );
        }
    }

    #[test]
    fn one_screen_in_eight_is_zoomed_on_a_region_that_fills_it() {
        let (mut zoomed, mut shares, mut apex_off) = (0, vec![], 0);
        for seed in 0..160u64 {
            let p = ClipParams::draw(["A4C", "PLAX"][seed as usize % 2], seed, Style::Default)
                .with_cut_anatomy()
                .with_max_side(96);
            let r = Renderer::new(p);
            // Share of the picture inside the fan.
            let share = r.taps.len() as f32 / (r.content[2] * r.content[3]) as f32;
            let apex = r.placement().apex;
            if super::region_zoom(&r.params).is_some() {
                zoomed += 1;
                shares.push(share);
                // The fan's apex off the screen, above it or beside it.
                let on_screen = apex[0] >= r.content[0] as f32
                    && apex[0] <= (r.content[0] + r.content[2]) as f32
                    && apex[1] >= r.content[1] as f32;
                apex_off += usize::from(!on_screen);
            } else {
                assert!(share < 0.75, "seed {seed}: an unzoomed fan fills {share}");
            }
        }
        assert!(zoomed >= 8, "{zoomed} of 160 zoomed");
        assert!(
            apex_off * 3 >= zoomed * 2,
            "apex off the screen on {apex_off} of {zoomed}"
        );
        let mean = shares.iter().sum::<f32>() / zoomed as f32;
        assert!(mean > 0.75, "zoomed screens' fan shares {shares:?}");
        let rate = (0..2000u64)
            .filter(|&seed| super::zoom_draw(seed).is_some())
            .count();
        assert!((180..=320).contains(&rate), "{rate} of 2000 zoomed");
    }

    #[test]
    fn vessel_walls_range_from_dimmer_to_brighter_than_myocardium_in_v2_only() {
        let ratios: Vec<f32> = (0..40u64)
            .map(|seed| {
                let p = ClipParams::draw("PLAX", seed, Style::Default).with_cut_anatomy();
                let j = Renderer::new(p.with_max_side(64)).tissue_jitter;
                // Echo of a vessel wall over that of myocardium on this clip's screen.
                use crate::anatomy::Tissue;
                (Tissue::VesselWall.echo() * j[5]) / (Tissue::Myocardium.echo() * j[0])
            })
            .collect();
        assert!(ratios.iter().any(|&r| r < 0.8), "{ratios:?}");
        assert!(ratios.iter().any(|&r| r > 2.5), "{ratios:?}");
        let v1 = Renderer::new(ClipParams::draw("PLAX", 1, Style::Default).with_max_side(64));
        assert_eq!(v1.tissue_jitter[5], 1.0);
    }

    #[test]
    fn half_the_screens_keep_speckle_grain_and_half_are_smoothed_as_recorded_clips() {
        // An 800x600 screen showing 16 cm: about 27 pixels per cm.
        let (px_per_cm, side) = (27.0, 800);
        let sigmas: Vec<f32> = (0..100)
            .map(|i| smoothing_px((i as f32 + 0.5) / 100.0, px_per_cm, side))
            .collect();
        // A millimetre of speckle is 2.7 pixels here: a capture must not blur it away.
        let sharp = sigmas.iter().filter(|&&s| s < 2.0).count();
        assert_eq!(sharp, 50, "{sigmas:?}");
        assert!(sigmas.iter().all(|&s| s > 0.35 && s < 10.1));
        // A recorded clip is smoothed by a share of its size, whatever it shows.
        assert_eq!(smoothing_px(0.25, 5.0, 800), smoothing_px(0.25, 50.0, 800));
        assert!(smoothing_px(0.25, 27.0, 800) > 2.0 * smoothing_px(0.25, 27.0, 320));
        // A small screen's capture still averages part of a pixel.
        assert!(smoothing_px(0.75, 6.0, 112) >= 0.5);
    }
}

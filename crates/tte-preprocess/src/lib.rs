//! Turns frames of any size and rate into the fixed clip tensor a model expects (no Burn).
//!
//! Steps, in order: choose frames by time ([`sample`]), find the ultrasound image on the screen
//! ([`sector`], or the DICOM regions when present, narrowed to their lit part when nearly black),
//! resize it into a padded square ([`resize`]), normalise (and, for models trained so, blank colour
//! flow and overlays, level the grey scale: [`levels`], and show local contrast: [`contrast`];
//! the last two are [`represent`], which training applies to its augmented clips). The result is laid out
//! `[channels, frames, size, size]`, ready to become a tensor.

pub mod contrast;
pub mod levels;
pub mod resize;
pub mod sample;
pub mod sector;
pub mod tissue;

use serde::{Deserialize, Serialize};
use tte_frames::{Clip, Frame, Rect};

/// What the model wants to receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClipSpec {
    /// Frames in the clip tensor (the model's Fast-pathway length).
    pub frames: usize,
    /// Side of the square crop.
    pub size: usize,
    /// 3 for RGB, 1 for luminance.
    pub channels: usize,
    /// Seconds to spread the frames over (0 or longer than the clip: the whole clip).
    pub window_s: f64,
    /// Normalisation: `(x / 255 - mean) / std`.
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Scale each clip's grey levels to a fixed 99th percentile ([`levels::auto_levels`]).
    #[serde(default)]
    pub auto_levels: bool,
    /// Count pixels of saturated colour as black before resizing: colour Doppler paints over blood,
    /// which the grey (B-mode) image shows black, and coloured text and traces are not the view.
    #[serde(default)]
    pub blank_colour: bool,
    /// After levelling, show the network each pixel's grey relative to its surroundings over
    /// this many pixels ([`contrast::local_contrast`]; 0 = off): a representation in which the
    /// phantom and real screens differ less.
    #[serde(default)]
    pub local_contrast_px: usize,
    /// After levelling, show the network a tissue map instead of grey: the picture smoothed over
    /// this many pixels and cut softly at the clip's own tissue/blood threshold
    /// ([`tissue::tissue_map`]; 0 = off).
    #[serde(default)]
    pub tissue_map_px: usize,
}

impl Default for ClipSpec {
    fn default() -> Self {
        Self {
            frames: 16,
            size: 112,
            channels: 3,
            window_s: 1.0,
            mean: [0.5; 3],
            std: [0.25; 3],
            auto_levels: false,
            blank_colour: false,
            local_contrast_px: 0,
            tissue_map_px: 0,
        }
    }
}

/// A clip ready for the network, and how it was made.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// `[channels, frames, size, size]`, row-major.
    pub data: Vec<f32>,
    pub spec: ClipSpec,
    /// The part of the screen that was used.
    pub sector: Rect,
    /// Which frames of the input were used, in order.
    pub indices: Vec<usize>,
    /// Whether the sector came from DICOM metadata rather than image analysis (a declared region
    /// whose picture is nearly black is narrowed to the lit part the image analysis finds in it).
    pub sector_from_metadata: bool,
    /// Share of the picture's pixels showing an echo, before levelling ([`levels::echo_share`]).
    pub echo_share: f32,
}

impl Prepared {
    /// `[channels, frames, size, size]`.
    pub fn shape(&self) -> [usize; 4] {
        [
            self.spec.channels,
            self.spec.frames,
            self.spec.size,
            self.spec.size,
        ]
    }
}

/// Why a clip could not be prepared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrepError {
    NoFrames,
    MixedSizes {
        first: (usize, usize),
        other: (usize, usize),
    },
    BadSpec(&'static str),
}

impl std::fmt::Display for PrepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrepError::NoFrames => write!(f, "the clip has no frames"),
            PrepError::MixedSizes { first, other } => {
                write!(
                    f,
                    "frames change size mid-clip ({}x{} then {}x{})",
                    first.0, first.1, other.0, other.1
                )
            }
            PrepError::BadSpec(why) => write!(f, "invalid clip spec: {why}"),
        }
    }
}

impl std::error::Error for PrepError {}

/// Which frames (by index) a clip with these display times contributes; decoders can use this to
/// decode only what is needed.
pub fn plan(times: &[f64], spec: &ClipSpec) -> Vec<usize> {
    sample::sample_indices(times, spec.frames, spec.window_s, 0.0)
}

/// Samples, crops, resizes and normalises a decoded clip.
pub fn prepare(clip: &Clip, spec: &ClipSpec) -> Result<Prepared, PrepError> {
    let times: Vec<f64> = clip.frames.iter().map(|f| f.time_s).collect();
    prepare_frames(&clip.frames, &times, &clip.regions, spec, 0.0)
}

/// As [`prepare`], with the window starting `start_s` seconds into the clip (used by augmentation).
pub fn prepare_frames(
    frames: &[Frame],
    times: &[f64],
    regions: &[tte_frames::UltrasoundRegion],
    spec: &ClipSpec,
    start_s: f64,
) -> Result<Prepared, PrepError> {
    if spec.frames == 0 || spec.size == 0 || !(spec.channels == 1 || spec.channels == 3) {
        return Err(PrepError::BadSpec(
            "frames and size must be positive and channels 1 or 3",
        ));
    }
    let first = frames.first().ok_or(PrepError::NoFrames)?;
    if let Some(other) = frames
        .iter()
        .find(|f| (f.width, f.height) != (first.width, first.height))
    {
        return Err(PrepError::MixedSizes {
            first: (first.width, first.height),
            other: (other.width, other.height),
        });
    }
    let indices = sample::sample_indices(times, spec.frames, spec.window_s, start_s);
    let declared = sector::region_from_dicom(regions, first.width, first.height);
    let mut sector = declared.unwrap_or_else(|| find_sector_in(frames, &indices));
    let (mut data, echo_share) = crop_and_normalise(frames, &indices, sector, spec);
    if declared.is_some() && echo_share < DARK_SHARE {
        // A nearly black fan, cropped whole, leaves its few lit structures a few pixels wide; the
        // lit part the motion search finds inside it is what the same clip as MP4 or AVI gets.
        if let Some(lit) = lit_part(sector, find_sector_in(frames, &indices)) {
            sector = lit;
            data = crop_and_normalise(frames, &indices, sector, spec).0;
        }
    }
    represent(&mut data, spec);
    Ok(Prepared {
        data,
        spec: spec.clone(),
        sector,
        indices,
        sector_from_metadata: declared.is_some(),
        echo_share,
    })
}

/// The last steps every prepared clip takes (training's augmented ones too): grey levels levelled,
/// then local contrast or the tissue map, as the spec asks.
pub fn represent(data: &mut [f32], spec: &ClipSpec) {
    if spec.auto_levels {
        levels::auto_levels(data, spec.channels, spec.mean, spec.std);
    }
    let shape = [spec.channels, spec.frames, spec.size, spec.size];
    contrast::local_contrast(data, shape, spec.mean, spec.std, spec.local_contrast_px);
    tissue::tissue_map(data, shape, spec.mean, spec.std, spec.tissue_map_px);
}

/// The part of a nearly black declared fan worth cropping to: what the motion search `found`
/// inside it, unless that is the whole fan or too thin to show more than the fan does (one lit
/// line stretched over the whole input).
fn lit_part(declared: Rect, found: Rect) -> Option<Rect> {
    let lit = found.intersection(&declared);
    (sector::big_enough(&lit) && lit != declared).then_some(lit)
}

/// The sampled frames' `sector`, resized into the clip tensor and normalised, and the share of
/// its picture showing an echo.
fn crop_and_normalise(
    frames: &[Frame],
    indices: &[usize],
    sector: Rect,
    spec: &ClipSpec,
) -> (Vec<f32>, f32) {
    let plane = spec.size * spec.size;
    let mut data = vec![0f32; spec.channels * spec.frames * plane];
    for (t, &i) in indices.iter().enumerate() {
        let planes = resize::resize_region(
            &frames[i],
            sector,
            spec.size,
            spec.channels,
            spec.blank_colour,
        );
        for (c, p) in planes.iter().enumerate() {
            let (m, s) = (spec.mean[c], spec.std[c]);
            let out = &mut data[(c * spec.frames + t) * plane..][..plane];
            for (o, v) in out.iter_mut().zip(p) {
                *o = (v / 255.0 - m) / s;
            }
        }
    }
    let shape = [spec.channels, spec.frames, spec.size, spec.size];
    let shown = sector.clamp(frames[0].width, frames[0].height);
    let picture = resize::fit(shown.width(), shown.height(), spec.size);
    let echo_share = levels::echo_share(&data, shape, spec.mean, spec.std, picture);
    (data, echo_share)
}

/// Below this share of the picture showing an echo, a clip is too dark for its answer to be
/// trusted. Every default-style phantom clip shows more; only low gain with a narrow dynamic range
/// leaves this little, and there even a model trained on that style errs often (model card, "Dark
/// pictures").
pub const DARK_SHARE: f32 = 0.05;

/// The warning a user sees with the answer for a clip this dark, or None.
pub fn dark_picture_warning(p: &Prepared) -> Option<String> {
    (p.echo_share < DARK_SHARE).then(|| {
        format!(
            "the picture is nearly black (echoes on {:.1} % of it): the view may well be wrong; \
             a recording with more gain or a wider dynamic range classifies more reliably",
            p.echo_share * 100.0
        )
    })
}

/// Sector search over up to eight of the chosen frames, spread over the clip.
fn find_sector_in(frames: &[Frame], indices: &[usize]) -> Rect {
    let mut picks: Vec<usize> = indices.to_vec();
    picks.dedup();
    let step = picks.len().div_ceil(8).max(1);
    let chosen: Vec<&Frame> = picks.iter().step_by(step).map(|&i| &frames[i]).collect();
    sector::find_sector(&chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_capture_becomes_a_normalised_tensor_of_the_fan() {
        let (frames, truth) =
            sector::tests::screen(400, 300, (200.0, 20.0), 240.0, 40.0, 0.0, 45, 3);
        let clip = Clip {
            frames,
            regions: vec![],
        };
        let spec = ClipSpec::default();
        let p = prepare(&clip, &spec).unwrap();
        assert_eq!(p.shape(), [3, 16, 112, 112]);
        assert_eq!(p.data.len(), 3 * 16 * 112 * 112);
        assert!(p.sector.iou(&truth) > 0.8, "{:?} vs {truth:?}", p.sector);
        assert!(!p.sector_from_metadata);
        // Padding maps to (0 - mean) / std; pixels stay inside the normalised 0-255 range.
        let lo = (0.0 - 0.5) / 0.25;
        let hi = (1.0 - 0.5) / 0.25;
        assert!(p.data.iter().all(|&v| v >= lo - 1e-4 && v <= hi + 1e-4));
        // 45 frames at 30 fps is 1.5 s: a one-second window uses about 30 of them.
        assert!(
            *p.indices.last().unwrap() >= 27 && *p.indices.last().unwrap() <= 30,
            "{:?}",
            p.indices
        );
    }

    #[test]
    fn levelled_clips_look_alike_whatever_the_gain() {
        let (frames, _) = sector::tests::screen(200, 150, (100.0, 10.0), 120.0, 40.0, 0.0, 20, 5);
        let dimmed: Vec<Frame> = frames
            .iter()
            .map(|f| Frame {
                data: f.data.iter().map(|&v| v / 3).collect(),
                ..f.clone()
            })
            .collect();
        let levelled = ClipSpec {
            auto_levels: true,
            ..ClipSpec::default()
        };
        let prep = |frames: Vec<Frame>, spec: &ClipSpec| {
            let clip = Clip {
                frames,
                regions: vec![],
            };
            prepare(&clip, spec).unwrap().data
        };
        let mean_gap = |a: &[f32], b: &[f32]| {
            a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32 * 0.25 * 255.0
        };
        let (bright, dim) = (
            prep(frames.clone(), &levelled),
            prep(dimmed.clone(), &levelled),
        );
        let plain = (
            prep(frames, &ClipSpec::default()),
            prep(dimmed, &ClipSpec::default()),
        );
        let (with, without) = (mean_gap(&bright, &dim), mean_gap(&plain.0, &plain.1));
        assert!(
            with < 3.0 && without > 4.0 * with,
            "mean grey-level gap {with:.2} levelled, {without:.2} not"
        );
    }

    #[test]
    fn a_declared_fan_that_is_nearly_black_is_cropped_to_its_lit_part() {
        let (frames, fan) = sector::tests::screen(200, 150, (100.0, 10.0), 120.0, 40.0, 0.0, 20, 3);
        let regions = vec![tte_frames::UltrasoundRegion {
            rect: fan,
            spatial_format: 1,
            data_type: 1,
        }];
        // Low gain: inside the fan only one moving wall still shows, a ring in its middle.
        let lit = |x: usize, y: usize| {
            let r = (x as f64 - 100.0).hypot(y as f64 - 80.0);
            (26.0..30.0).contains(&r)
        };
        let dark: Vec<Frame> = frames
            .iter()
            .map(|f| {
                let mut g = f.clone();
                for y in fan.y0..fan.y1 {
                    for x in fan.x0..fan.x1 {
                        if !lit(x, y) {
                            g.data[(y * g.width + x) * 3..][..3].fill(0);
                        }
                    }
                }
                g
            })
            .collect();
        let spec = ClipSpec::default();
        let prep = |frames: Vec<Frame>| {
            prepare(
                &Clip {
                    frames,
                    regions: regions.clone(),
                },
                &spec,
            )
            .unwrap()
        };
        let (normal, dark) = (prep(frames), prep(dark));
        assert_eq!(normal.sector, fan);
        assert!(dark.echo_share < DARK_SHARE, "{}", dark.echo_share);
        let s = dark.sector;
        assert!(
            s.intersection(&fan) == s && s.area() * 4 < fan.area(),
            "{s:?} in {fan:?}"
        );
        assert!(
            s.x0 <= 72 && s.x1 >= 128 && s.y0 <= 52 && s.y1 >= 108,
            "{s:?}"
        );
        // The warning still speaks of the whole picture.
        assert!(dark_picture_warning(&dark).is_some());
    }

    #[test]
    fn a_nearly_black_fan_is_narrowed_only_to_a_lit_part_worth_showing() {
        let r = |x0, y0, x1, y1| Rect { x0, y0, x1, y1 };
        let fan = r(20, 10, 180, 130);
        assert_eq!(
            lit_part(fan, r(60, 40, 140, 110)),
            Some(r(60, 40, 140, 110))
        );
        // Only the overlap counts: a find reaching past the fan is cut to it.
        assert_eq!(lit_part(fan, r(0, 100, 60, 150)), Some(r(20, 100, 60, 130)));
        // A sliver, a miss, or the whole fan again: keep the fan.
        assert_eq!(lit_part(fan, r(60, 80, 140, 83)), None);
        assert_eq!(lit_part(fan, r(176, 20, 200, 60)), None);
        assert_eq!(lit_part(fan, r(190, 0, 200, 10)), None);
        assert_eq!(lit_part(fan, r(0, 0, 200, 150)), None);
    }

    #[test]
    fn a_nearly_black_picture_gets_a_warning_and_a_normal_one_does_not() {
        let (frames, _) = sector::tests::screen(200, 150, (100.0, 10.0), 120.0, 40.0, 0.0, 20, 9);
        let spec = ClipSpec::default();
        let prep = |frames: Vec<Frame>| {
            prepare(
                &Clip {
                    frames,
                    regions: vec![],
                },
                &spec,
            )
            .unwrap()
        };
        // Low gain: all but the brightest two percent of echoes fall to black.
        let mut levels: Vec<u8> = frames.iter().flat_map(|f| f.data.clone()).collect();
        levels.sort_unstable();
        let top = levels[levels.len() * 98 / 100].max(1);
        let dark: Vec<Frame> = frames
            .iter()
            .map(|f| Frame {
                data: f
                    .data
                    .iter()
                    .map(|&v| if v >= top { v } else { 0 })
                    .collect(),
                ..f.clone()
            })
            .collect();
        let (normal, dark) = (prep(frames), prep(dark));
        assert!(
            normal.echo_share > 2.0 * DARK_SHARE,
            "{}",
            normal.echo_share
        );
        assert_eq!(dark_picture_warning(&normal), None);
        assert!(dark.echo_share < DARK_SHARE, "{}", dark.echo_share);
        let warning = dark_picture_warning(&dark).expect("a warning");
        assert!(
            warning.contains("nearly black") && warning.contains("gain"),
            "{warning}"
        );
    }

    #[test]
    fn empty_and_mixed_clips_are_refused_clearly() {
        let spec = ClipSpec::default();
        assert_eq!(
            prepare(&Clip::default(), &spec).unwrap_err(),
            PrepError::NoFrames
        );
        let a = Frame::new(4, 4, tte_frames::PixelFormat::Gray, vec![0; 16], 0.0).unwrap();
        let b = Frame::new(5, 4, tte_frames::PixelFormat::Gray, vec![0; 20], 0.1).unwrap();
        let err = prepare(
            &Clip {
                frames: vec![a, b],
                regions: vec![],
            },
            &spec,
        )
        .unwrap_err();
        assert!(err.to_string().contains("4x4 then 5x4"));
    }
}

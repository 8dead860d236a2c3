//! Decoded video frames and ultrasound-region metadata: what the media crate hands to preprocessing.

use serde::{Deserialize, Serialize};

pub mod yuv;

/// Pixel layout of a decoded frame, 8 bits per sample, rows packed without padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PixelFormat {
    Gray,
    Rgb,
    Rgba,
}

impl PixelFormat {
    pub fn channels(self) -> usize {
        match self {
            PixelFormat::Gray => 1,
            PixelFormat::Rgb => 3,
            PixelFormat::Rgba => 4,
        }
    }
}

/// How long frames with these display times are on screen: the span plus one average interval
/// (a single frame counts as one frame at 30 frames/s). One rule for every container and for
/// sampling, so a probe's duration and the sampler's window agree.
pub fn clip_duration(times: &[f64]) -> f64 {
    match times.len() {
        0 => 0.0,
        1 => 1.0 / 30.0,
        n => {
            let span = times[n - 1] - times[0];
            span + span / (n - 1) as f64
        }
    }
}

/// One decoded frame and the time it is shown, in seconds from the start of the clip.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub format: PixelFormat,
    pub data: Vec<u8>,
    pub time_s: f64,
}

impl Frame {
    /// Wraps packed pixels; `None` when the buffer does not hold exactly `width * height` pixels.
    pub fn new(
        width: usize,
        height: usize,
        format: PixelFormat,
        data: Vec<u8>,
        time_s: f64,
    ) -> Option<Self> {
        (data.len() == width.checked_mul(height)?.checked_mul(format.channels())?).then_some(Self {
            width,
            height,
            format,
            data,
            time_s,
        })
    }

    /// The pixel at (x, y) as RGB (grey is replicated, alpha dropped).
    #[inline]
    pub fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let c = self.format.channels();
        let i = (y * self.width + x) * c;
        match self.format {
            PixelFormat::Gray => [self.data[i]; 3],
            _ => [self.data[i], self.data[i + 1], self.data[i + 2]],
        }
    }
}

/// Pixel aspect ratios within this of 1 are treated as square: a 720x540 picture declared
/// 615:614 (0.16 % wide) is not worth resampling, and leaving it keeps every edge's pixels alike.
pub const SQUARE_PIXEL_TOLERANCE: f64 = 0.01;

impl Frame {
    /// The frame resampled to square pixels, given its pixel aspect ratio (width of a pixel over
    /// its height, as a bitstream's sample aspect ratio says): wide pixels widen the picture,
    /// tall ones heighten it, linearly along that one axis. Native decoding and the web page
    /// both call this with the aspect their decoder reports, so both see the same pixels.
    pub fn to_square_pixels(&self, pixel_aspect: f64) -> Frame {
        if !pixel_aspect.is_finite()
            || pixel_aspect <= 0.0
            || (pixel_aspect - 1.0).abs() <= SQUARE_PIXEL_TOLERANCE
        {
            return self.clone();
        }
        let c = self.format.channels();
        let (w, h) = (self.width, self.height);
        // Grow one side, never shrink the other: no detail is thrown away.
        let (nw, nh) = if pixel_aspect > 1.0 {
            (((w as f64 * pixel_aspect).round() as usize).max(1), h)
        } else {
            (w, ((h as f64 / pixel_aspect).round() as usize).max(1))
        };
        let mut out = vec![0u8; nw * nh * c];
        let src = |x: usize, y: usize, k: usize| self.data[(y * w + x) * c + k] as f32;
        let taps = |n_out: usize, n_in: usize| -> Vec<(usize, usize, f32)> {
            (0..n_out)
                .map(|i| {
                    let f = ((i as f64 + 0.5) * n_in as f64 / n_out as f64 - 0.5).max(0.0);
                    let a = (f.floor() as usize).min(n_in - 1);
                    let b = (a + 1).min(n_in - 1);
                    (a, b, (f - a as f64) as f32)
                })
                .collect()
        };
        if nw != w {
            let t = taps(nw, w);
            for y in 0..nh {
                for (x, &(a, b, f)) in t.iter().enumerate() {
                    for k in 0..c {
                        let v = src(a, y, k) * (1.0 - f) + src(b, y, k) * f;
                        out[(y * nw + x) * c + k] = v.round() as u8;
                    }
                }
            }
        } else {
            let t = taps(nh, h);
            for (y, &(a, b, f)) in t.iter().enumerate() {
                for x in 0..nw {
                    for k in 0..c {
                        let v = src(x, a, k) * (1.0 - f) + src(x, b, k) * f;
                        out[(y * nw + x) * c + k] = v.round() as u8;
                    }
                }
            }
        }
        Frame {
            width: nw,
            height: nh,
            format: self.format,
            data: out,
            time_s: self.time_s,
        }
    }
}

/// A rectangle in pixel coordinates, `x0..x1` by `y0..y1` (exclusive ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Rect {
    pub fn width(&self) -> usize {
        self.x1.saturating_sub(self.x0)
    }
    pub fn height(&self) -> usize {
        self.y1.saturating_sub(self.y0)
    }
    pub fn area(&self) -> usize {
        self.width() * self.height()
    }
    /// Intersection over union with another rectangle (0 when disjoint).
    pub fn iou(&self, other: &Rect) -> f64 {
        let i = self.intersection(other).area();
        let u = self.area() + other.area() - i;
        if u == 0 {
            0.0
        } else {
            i as f64 / u as f64
        }
    }
    /// The part both cover (zero area when disjoint).
    pub fn intersection(&self, other: &Rect) -> Rect {
        Rect {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        }
    }
    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        Rect {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
    /// Clamps to an image of the given size.
    pub fn clamp(&self, width: usize, height: usize) -> Rect {
        Rect {
            x0: self.x0.min(width),
            y0: self.y0.min(height),
            x1: self.x1.min(width),
            y1: self.y1.min(height),
        }
    }
}

/// What a DICOM Sequence of Ultrasound Regions says about one region of the screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UltrasoundRegion {
    pub rect: Rect,
    /// Region Spatial Format (0018,6012): 1 = 2-D (B-mode), 2 = M-mode, 3 = spectral, ...
    pub spatial_format: u16,
    /// Region Data Type (0018,6014): 1 = tissue, 2 = colour flow, 3 = PW Doppler, ...
    pub data_type: u16,
}

impl UltrasoundRegion {
    /// A 2-D image region (B-mode or colour flow), the one a view classifier should look at.
    pub fn is_2d_image(&self) -> bool {
        self.spatial_format == 1
    }
    /// An M-mode or spectral Doppler trace.
    pub fn is_trace(&self) -> bool {
        matches!(self.spatial_format, 2 | 3)
    }
}

/// A decoded clip: its frames in display order and whatever the container said about its regions.
#[derive(Clone, Debug, Default)]
pub struct Clip {
    pub frames: Vec<Frame>,
    pub regions: Vec<UltrasoundRegion>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn square_pixels_widen_wide_pixels_and_leave_near_square_ones() {
        let f = Frame::new(
            4,
            2,
            PixelFormat::Gray,
            vec![0, 100, 200, 250, 10, 10, 10, 10],
            0.5,
        )
        .unwrap();
        assert_eq!(f.to_square_pixels(1.005), f);
        let wide = f.to_square_pixels(2.0);
        assert_eq!((wide.width, wide.height, wide.time_s), (8, 2, 0.5));
        assert_eq!(&wide.data[0..8], &[0, 25, 75, 125, 175, 213, 238, 250]);
        assert_eq!(&wide.data[8..16], &[10; 8]);
        let tall = f.to_square_pixels(0.5);
        assert_eq!((tall.width, tall.height), (4, 4));
        // Rows blend from the first (0, 100, ...) to the second (10, ...).
        assert_eq!(&tall.data[0..4], &[0, 100, 200, 250]);
        assert_eq!(&tall.data[12..16], &[10; 4]);
    }

    use super::*;

    #[test]
    fn duration_is_the_span_plus_one_interval() {
        assert_eq!(clip_duration(&[]), 0.0);
        assert!((clip_duration(&[0.5]) - 1.0 / 30.0).abs() < 1e-12);
        // 30 frames at 30 fps: 0 .. 29/30 s on screen for a whole second.
        let times: Vec<f64> = (0..30).map(|i| i as f64 / 30.0).collect();
        assert!((clip_duration(&times) - 1.0).abs() < 1e-12);
    }
}

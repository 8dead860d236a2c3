//! Decoded video frames and ultrasound-region metadata: what the media crate hands to preprocessing.

use serde::{Deserialize, Serialize};

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
    use super::clip_duration;

    #[test]
    fn duration_is_the_span_plus_one_interval() {
        assert_eq!(clip_duration(&[]), 0.0);
        assert!((clip_duration(&[0.5]) - 1.0 / 30.0).abs() < 1e-12);
        // 30 frames at 30 fps: 0 .. 29/30 s on screen for a whole second.
        let times: Vec<f64> = (0..30).map(|i| i as f64 / 30.0).collect();
        assert!((clip_duration(&times) - 1.0).abs() < 1e-12);
    }
}

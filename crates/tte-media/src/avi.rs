//! AVI (RIFF) with Motion-JPEG video, as EchoNet-style exports and many carts write.

use crate::{jpeg, uniform_times, Format, Limits, MediaError, Probe};
use tte_frames::Frame;

pub(crate) struct AviClip {
    bytes: Vec<u8>,
    /// Byte ranges of the video frames, in order.
    frames: Vec<(usize, usize)>,
    width: usize,
    height: usize,
    interval_s: f64,
    codec: String,
    pub(crate) warnings: Vec<String>,
}

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().unwrap()))
}

impl AviClip {
    pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Self, MediaError> {
        let mut clip = AviClip {
            bytes: Vec::new(),
            frames: Vec::new(),
            width: 0,
            height: 0,
            interval_s: 1.0 / 30.0,
            codec: String::new(),
            warnings: Vec::new(),
        };
        let mut declared_frames = None;
        let mut pos = 0;
        // Top-level RIFF chunks: "RIFF AVI " and, in big OpenDML files, "RIFF AVIX".
        while pos + 12 <= bytes.len() {
            if &bytes[pos..pos + 4] != b"RIFF" {
                break;
            }
            let size = u32le(&bytes, pos + 4).unwrap() as usize;
            let end = (pos + 8).saturating_add(size).min(bytes.len());
            if pos + 8 + size > bytes.len() {
                clip.warnings.push(format!("RIFF chunk declares {size} bytes but the file ends early; reading what is there"));
            }
            clip.walk(&bytes, pos + 12, end, &mut declared_frames, limits)?;
            pos = end + (size & 1);
        }
        if clip.width == 0 {
            return Err(MediaError::Corrupt(
                "AVI has no video stream header (strf)".into(),
            ));
        }
        if !clip.codec.eq_ignore_ascii_case("MJPG")
            && !clip.codec.eq_ignore_ascii_case("JPEG")
            && !clip.codec.is_empty()
        {
            return Err(MediaError::Unsupported(format!(
                "AVI video codec `{}`; tteview reads Motion-JPEG AVI",
                clip.codec
            )));
        }
        if clip.frames.is_empty() {
            return Err(MediaError::Truncated("AVI contains no video frames".into()));
        }
        if let Some(n) = declared_frames {
            if n as usize != clip.frames.len() {
                clip.warnings.push(format!(
                    "header declares {n} frames, file holds {}",
                    clip.frames.len()
                ));
            }
        }
        limits.check(
            clip.width as u64,
            clip.height as u64,
            clip.frames.len() as u64,
            3,
        )?;
        clip.bytes = bytes;
        Ok(clip)
    }

    /// Walks the chunks in [start, end): LISTs are entered, headers read, frames indexed.
    fn walk(
        &mut self,
        b: &[u8],
        start: usize,
        end: usize,
        declared: &mut Option<u32>,
        limits: &Limits,
    ) -> Result<(), MediaError> {
        let mut pos = start;
        while pos + 8 <= end {
            let id = &b[pos..pos + 4];
            let size = u32le(b, pos + 4).unwrap() as usize;
            let body = pos + 8;
            let body_end = body.saturating_add(size).min(end);
            // A header is read only when its bytes are there, not merely declared: a chunk cut
            // short by its parent's end keeps its declared size.
            let held = body_end - body;
            match id {
                b"LIST" if body + 4 <= body_end => {
                    self.walk(b, body + 4, body_end, declared, limits)?
                }
                b"avih" if held >= 40 => {
                    let us = u32le(b, body).unwrap_or(0);
                    if us > 0 {
                        self.interval_s = us as f64 / 1e6;
                    }
                    *declared = u32le(b, body + 16);
                }
                b"strh" if held >= 32 && &b[body..body + 4] == b"vids" => {
                    self.codec = String::from_utf8_lossy(&b[body + 4..body + 8])
                        .trim_end_matches('\0')
                        .to_string();
                    let (scale, rate) = (
                        u32le(b, body + 20).unwrap_or(0),
                        u32le(b, body + 24).unwrap_or(0),
                    );
                    if scale > 0 && rate > 0 {
                        self.interval_s = scale as f64 / rate as f64;
                    }
                }
                b"strf" if held >= 40 && self.width == 0 => {
                    let w = i32::from_le_bytes(b[body + 4..body + 8].try_into().unwrap())
                        .unsigned_abs() as usize;
                    let h = i32::from_le_bytes(b[body + 8..body + 12].try_into().unwrap())
                        .unsigned_abs() as usize;
                    limits.check(w as u64, h as u64, 1, 3)?;
                    self.width = w;
                    self.height = h;
                    let comp = &b[body + 16..body + 20];
                    if self.codec.is_empty() || self.codec == "\0\0\0\0" {
                        self.codec = String::from_utf8_lossy(comp).to_string();
                    }
                }
                _ if id[2..4] == *b"dc" || id[2..4] == *b"db" => {
                    if body < body_end && (body_end - body) > 0 && id[0..2] == *b"00" {
                        self.frames.push((body, body_end));
                        if self.frames.len() as u64 > limits.max_frames {
                            return Err(MediaError::TooLarge(format!(
                                "more than {} frames",
                                limits.max_frames
                            )));
                        }
                    }
                }
                _ => {}
            }
            if size > end - body.min(end) {
                break;
            }
            pos = body + size + (size & 1);
        }
        Ok(())
    }

    pub(crate) fn probe(&self) -> Probe {
        Probe {
            format: Format::Avi,
            codec: "mjpeg".into(),
            frames: self.frames.len(),
            width: self.width,
            height: self.height,
            duration_s: self.frames.len() as f64 * self.interval_s,
            photometric: None,
            has_regions: false,
        }
    }

    pub(crate) fn times(&self) -> Vec<f64> {
        uniform_times(self.frames.len(), self.interval_s)
    }

    pub(crate) fn jpeg(&self, i: usize) -> Option<&[u8]> {
        self.frames.get(i).map(|&(a, b)| &self.bytes[a..b])
    }

    pub(crate) fn decode(&mut self, indices: &[usize]) -> Result<Vec<Frame>, MediaError> {
        let limits = Limits::default();
        indices
            .iter()
            .map(|&i| {
                let (a, b) = self.frames[i];
                jpeg::decode(&self.bytes[a..b], &limits, &format!("frame {i}"))
            })
            .collect()
    }
}

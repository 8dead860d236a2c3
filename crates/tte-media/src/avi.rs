//! AVI (RIFF): Motion-JPEG (as EchoNet-style exports and many carts write) and uncompressed
//! RGB or grey frames are read here, in every build; MPEG-4 Part 2 (`FMP4`, `XVID`, `DIVX`, as
//! research data sets keep), H.264 and HEVC frames become a [`VideoClip`] for libavcodec.

use crate::isobmff::Codec;
use crate::video::{Packet, VideoClip};
use crate::{jpeg, uniform_times, Format, Limits, MediaError, Probe};
use tte_frames::{Frame, PixelFormat};

/// What an AVI opens as: frames this module decodes itself, or a compressed video track.
pub(crate) enum Opened {
    Frames(AviClip),
    Video(VideoClip),
}

/// How the frames are coded.
#[derive(Clone, Debug, PartialEq)]
enum Coding {
    Mjpeg,
    /// Uncompressed DIB rows: 8-bit (palette or grey), 24-bit BGR or 32-bit BGRX.
    Raw {
        bits: u16,
        bottom_up: bool,
    },
    Compressed(Codec),
}

/// Reads an AVI's headers and frame index.
pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Opened, MediaError> {
    let clip = AviClip::open(bytes, limits)?;
    let Coding::Compressed(codec) = clip.coding.clone() else {
        return Ok(Opened::Frames(clip));
    };
    let packets = clip
        .frames
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| Packet {
            start,
            end,
            pts: None,
            key: i == 0,
            shown: true,
        })
        .collect();
    // The timescale makes frame k's time k x interval, as for the other AVI codings.
    Ok(Opened::Video(VideoClip::new(
        Format::Avi,
        codec,
        None,
        clip.extradata,
        (clip.width, clip.height),
        clip.bytes,
        packets,
        1.0 / clip.interval_s,
        (1, 1),
        clip.warnings,
    )))
}

pub(crate) struct AviClip {
    bytes: Vec<u8>,
    /// Byte ranges of the video frames, in order.
    frames: Vec<(usize, usize)>,
    width: usize,
    height: usize,
    interval_s: f64,
    codec: String,
    coding: Coding,
    /// Bytes after the 40-byte BITMAPINFOHEADER: a palette, or a codec's configuration.
    extradata: Vec<u8>,
    palette: Vec<[u8; 3]>,
    compression: [u8; 4],
    raw_bits: u16,
    raw_bottom_up: bool,
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
            coding: Coding::Mjpeg,
            extradata: Vec::new(),
            palette: Vec::new(),
            compression: [0; 4],
            raw_bits: 0,
            raw_bottom_up: false,
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
        clip.coding = coding(
            &clip.codec,
            clip.compression,
            clip.raw_bits,
            clip.raw_bottom_up,
        )?;
        if matches!(clip.coding, Coding::Raw { bits: 8, .. }) {
            // An 8-bit DIB's palette follows the header; without one the levels are grey.
            clip.palette = clip
                .extradata
                .chunks_exact(4)
                .map(|q| [q[2], q[1], q[0]])
                .collect();
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
                    self.raw_bottom_up =
                        i32::from_le_bytes(b[body + 8..body + 12].try_into().unwrap()) > 0;
                    self.raw_bits = u16::from_le_bytes([b[body + 14], b[body + 15]]);
                    self.compression = b[body + 16..body + 20].try_into().unwrap();
                    // A palette or a codec's configuration follows the 40-byte header.
                    self.extradata = b[body + 40..body_end].to_vec();
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
            codec: match self.coding {
                Coding::Mjpeg => "mjpeg".into(),
                Coding::Raw { bits, .. } => format!("rawvideo ({bits}-bit)"),
                Coding::Compressed(ref c) => c.name().into(),
            },
            frames: self.frames.len(),
            width: self.width,
            height: self.height,
            duration_s: self.frames.len() as f64 * self.interval_s,
            photometric: None,
            has_regions: false,
            still: false,
        }
    }

    pub(crate) fn times(&self) -> Vec<f64> {
        uniform_times(self.frames.len(), self.interval_s)
    }

    pub(crate) fn jpeg(&self, i: usize) -> Option<&[u8]> {
        (self.coding == Coding::Mjpeg)
            .then(|| self.frames.get(i).map(|&(a, b)| &self.bytes[a..b]))
            .flatten()
    }

    pub(crate) fn decode(&mut self, indices: &[usize]) -> Result<Vec<Frame>, MediaError> {
        let limits = Limits::default();
        indices
            .iter()
            .map(|&i| {
                let (a, b) = self.frames[i];
                let what = format!("frame {i}");
                match self.coding {
                    Coding::Raw { bits, bottom_up } => {
                        self.raw(&self.bytes[a..b], bits, bottom_up, &what)
                    }
                    _ => jpeg::decode(&self.bytes[a..b], &limits, &what),
                }
            })
            .collect()
    }

    /// An uncompressed DIB frame: rows padded to 4 bytes, bottom-up unless the height was
    /// negative, BGR(X) order, or 8-bit indices into the palette (grey when there is none).
    fn raw(
        &self,
        data: &[u8],
        bits: u16,
        bottom_up: bool,
        what: &str,
    ) -> Result<Frame, MediaError> {
        let (w, h) = (self.width, self.height);
        let stride = (w * bits as usize).div_ceil(32) * 4;
        if data.len() < stride * h {
            return Err(MediaError::Truncated(format!(
                "{what}: {} bytes of an uncompressed {w}x{h} {bits}-bit frame that needs {}",
                data.len(),
                stride * h
            )));
        }
        let grey = bits == 8
            && self
                .palette
                .iter()
                .enumerate()
                .all(|(i, p)| *p == [i as u8; 3]);
        let (format, c) = if grey {
            (PixelFormat::Gray, 1)
        } else {
            (PixelFormat::Rgb, 3)
        };
        let mut out = Vec::with_capacity(w * h * c);
        for y in 0..h {
            let row = if bottom_up { h - 1 - y } else { y };
            let r = &data[row * stride..row * stride + stride];
            match bits {
                8 if grey => out.extend_from_slice(&r[..w]),
                8 => r[..w].iter().for_each(|&i| {
                    out.extend_from_slice(self.palette.get(i as usize).unwrap_or(&[0, 0, 0]))
                }),
                24 => r[..w * 3]
                    .chunks_exact(3)
                    .for_each(|p| out.extend_from_slice(&[p[2], p[1], p[0]])),
                _ => r[..w * 4]
                    .chunks_exact(4)
                    .for_each(|p| out.extend_from_slice(&[p[2], p[1], p[0]])),
            }
        }
        Frame::new(w, h, format, out, 0.0)
            .ok_or_else(|| MediaError::Corrupt(format!("{what}: wrong size")))
    }
}

/// What codes an AVI's frames, from the bitmap header's compression (BI_RGB is 0) and the
/// stream header's handler.
fn coding(
    handler: &str,
    compression: [u8; 4],
    bits: u16,
    bottom_up: bool,
) -> Result<Coding, MediaError> {
    let named = |f: &[u8]| -> Option<Coding> {
        let up: Vec<u8> = f.iter().map(u8::to_ascii_uppercase).collect();
        Some(match &up[..] {
            b"MJPG" | b"JPEG" | b"AVRN" | b"DMB1" => Coding::Mjpeg,
            b"FMP4" | b"XVID" | b"DIVX" | b"DX50" | b"MP4V" | b"M4S2" | b"3IV2" => {
                Coding::Compressed(Codec::Mpeg4Part2)
            }
            b"H264" | b"X264" | b"AVC1" => Coding::Compressed(Codec::H264),
            b"HEVC" | b"H265" | b"HVC1" => Coding::Compressed(Codec::Hevc),
            b"Y800" | b"Y8  " | b"GREY" => Coding::Raw {
                bits: 8,
                bottom_up: false,
            },
            _ => return None,
        })
    };
    let raw = |bits: u16| -> Result<Coding, MediaError> {
        match bits {
            8 | 24 | 32 => Ok(Coding::Raw { bits, bottom_up }),
            _ => Err(MediaError::Unsupported(format!(
                "uncompressed AVI with {bits} bits per pixel; tteview reads 8-, 24- and 32-bit frames"
            ))),
        }
    };
    if compression == [0; 4] || &compression == b"DIB " || &compression == b"RGB " {
        return raw(bits);
    }
    if let Some(c) = named(&compression).or_else(|| named(handler.as_bytes())) {
        return Ok(c);
    }
    if handler.is_empty() && compression == [0; 4] {
        return raw(bits);
    }
    Err(MediaError::Unsupported(format!(
        "AVI video codec `{}`; tteview reads Motion-JPEG, MPEG-4 Part 2 (XVID/DIVX/FMP4), H.264, HEVC and uncompressed AVI",
        String::from_utf8_lossy(&compression).trim_end_matches('\0')
    )))
}

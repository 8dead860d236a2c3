//! A compressed video track, whatever its container (MP4, QuickTime, fragmented MP4, WebM,
//! AVI): coded pictures in decode order with their presentation times. Natively decoded with
//! libavcodec (the `ffmpeg` feature); in the browser handed to WebCodecs as an [`EncodedTrack`].
//! Either way only the span of pictures the wanted frames depend on is decoded.

use crate::isobmff::{self, Codec, VideoTrack};
use crate::{Chunk, EncodedTrack, Format, MediaError, Probe};
use tte_frames::Frame;

/// One coded picture: its bytes in the file and when it is shown.
#[derive(Clone, Debug)]
pub(crate) struct Packet {
    pub start: usize,
    pub end: usize,
    /// Presentation time in `timescale` units; `None` where the container keeps none (AVI:
    /// pictures come out of the decoder in presentation order and are counted).
    pub pts: Option<i64>,
    pub key: bool,
    /// False for pictures an edit list cuts off: decoded as references, never presented.
    pub shown: bool,
}

pub(crate) struct VideoClip {
    format: Format,
    codec: Codec,
    /// WebCodecs codec string, where the browser may know the codec.
    codec_string: Option<String>,
    config: Vec<u8>,
    width: usize,
    height: usize,
    bytes: Vec<u8>,
    packets: Vec<Packet>,
    /// Indices of shown packets, in presentation order.
    display: Vec<usize>,
    timescale: f64,
    /// Sample aspect ratio: the container's `pasp`, replaced by the bitstream's once decoded.
    pixel_aspect: (u32, u32),
    pub(crate) warnings: Vec<String>,
}

impl VideoClip {
    /// An MP4 / QuickTime / fragmented MP4 file's video track.
    pub(crate) fn from_isobmff(bytes: Vec<u8>, limits: &crate::Limits) -> Result<Self, MediaError> {
        let t: VideoTrack = isobmff::read(&bytes, limits)?;
        limits.check(t.width as u64, t.height as u64, t.samples.len() as u64, 3)?;
        let codec_string = isobmff::codec_string(&t.codec, &t.fourcc, &t.config);
        let packets = t
            .samples
            .iter()
            .map(|s| Packet {
                start: s.offset,
                end: s.offset + s.size,
                pts: Some(s.pts),
                key: s.sync,
                shown: s.shown,
            })
            .collect();
        Ok(Self::new(
            Format::Mp4,
            t.codec,
            codec_string,
            t.config,
            (t.width, t.height),
            bytes,
            packets,
            t.timescale as f64,
            t.pixel_aspect.unwrap_or((1, 1)),
            t.warnings,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        format: Format,
        codec: Codec,
        codec_string: Option<String>,
        config: Vec<u8>,
        (width, height): (usize, usize),
        bytes: Vec<u8>,
        packets: Vec<Packet>,
        timescale: f64,
        pixel_aspect: (u32, u32),
        warnings: Vec<String>,
    ) -> Self {
        let mut display: Vec<usize> = (0..packets.len()).filter(|&i| packets[i].shown).collect();
        // Presentation order; a stable sort keeps decode order among equal (or unknown) times.
        display.sort_by_key(|&i| packets[i].pts.unwrap_or(i as i64));
        Self {
            format,
            codec,
            codec_string,
            config,
            width,
            height,
            bytes,
            packets,
            display,
            timescale: timescale.max(1.0),
            pixel_aspect,
            warnings,
        }
    }

    pub(crate) fn probe(&self) -> Probe {
        Probe {
            format: self.format,
            codec: self
                .codec_string
                .clone()
                .unwrap_or_else(|| self.codec.name().to_string()),
            frames: self.display.len(),
            width: self.width,
            height: self.height,
            duration_s: crate::clip_duration(&self.times()),
            photometric: None,
            has_regions: false,
            still: false,
        }
    }

    /// Presentation times in seconds from the first shown picture, in presentation order.
    pub(crate) fn times(&self) -> Vec<f64> {
        let pts: Vec<i64> = self
            .display
            .iter()
            .map(|&i| self.packets[i].pts.unwrap_or(i as i64))
            .collect();
        let t0 = pts.first().copied().unwrap_or(0);
        pts.iter()
            .map(|&p| (p as f64 - t0 as f64) / self.timescale)
            .collect()
    }

    pub(crate) fn codec_label(&self) -> &'static str {
        self.codec.label()
    }

    /// The sample aspect ratio (pixel width over height) known so far.
    pub(crate) fn pixel_aspect(&self) -> f64 {
        self.pixel_aspect.0 as f64 / self.pixel_aspect.1.max(1) as f64
    }

    fn data(&self, p: &Packet) -> &[u8] {
        &self.bytes[p.start..p.end]
    }

    /// The decode-order span of packets that yields the wanted pictures: from the sync sample
    /// before the earliest of them (one further back while a wanted picture is shown before its
    /// sync sample: an open GOP's leading pictures reference the GOP before) to the last packet
    /// a wanted picture is in. Pictures only reference pictures decoded before them, so this
    /// span, decoded and flushed, gives every wanted picture.
    pub(crate) fn decode_span(&self, wanted_display: &[usize]) -> (usize, usize) {
        let idx: Vec<usize> = wanted_display.iter().map(|&d| self.display[d]).collect();
        let (Some(&lo), Some(&hi)) = (idx.iter().min(), idx.iter().max()) else {
            return (0, 0);
        };
        let sync_at_or_before =
            |i: usize| (0..=i).rev().find(|&k| self.packets[k].key).unwrap_or(0);
        let mut start = sync_at_or_before(lo);
        let pts = |i: usize| self.packets[i].pts.unwrap_or(i as i64);
        while start > 0 && idx.iter().any(|&i| i >= start && pts(i) < pts(start)) {
            start = sync_at_or_before(start - 1);
        }
        if self.packets.iter().all(|p| p.pts.is_none()) {
            // Without times, pictures are told apart by counting them from the first.
            start = 0;
        }
        (start, hi)
    }

    /// The compressed track for WebCodecs: chunks in decode order with their presentation
    /// times, and the decode span the wanted frames need is the caller's to ask for.
    pub(crate) fn encoded_track(&self) -> Option<EncodedTrack> {
        let codec = self.codec_string.clone()?;
        let description = match self.codec {
            Codec::H264 | Codec::Hevc => self.config.clone(),
            _ => Vec::new(),
        };
        let t0 = self
            .display
            .first()
            .and_then(|&i| self.packets[i].pts)
            .unwrap_or(0);
        Some(EncodedTrack {
            codec,
            description,
            width: self.width,
            height: self.height,
            chunks: self
                .packets
                .iter()
                .enumerate()
                .map(|(i, p)| Chunk {
                    time_s: (p.pts.unwrap_or(i as i64) as f64 - t0 as f64) / self.timescale,
                    key: p.key,
                    data: self.data(p).to_vec(),
                })
                .collect(),
            display: self.display.clone(),
        })
    }

    /// A Motion-JPEG track's picture `i` (in presentation order), which a browser decodes alone.
    pub(crate) fn jpeg(&self, i: usize) -> Option<&[u8]> {
        (self.codec == Codec::Mjpeg)
            .then(|| self.display.get(i).map(|&k| self.data(&self.packets[k])))
            .flatten()
    }

    /// Decodes the pictures at `wanted` (presentation indices, sorted, unique).
    pub(crate) fn decode(&mut self, wanted: &[usize]) -> Result<Vec<Frame>, MediaError> {
        if self.codec == Codec::Mjpeg {
            let limits = crate::Limits::default();
            return wanted
                .iter()
                .map(|&i| {
                    let p = &self.packets[self.display[i]];
                    crate::jpeg::decode(self.data(p), &limits, &format!("frame {i}"))
                })
                .collect();
        }
        self.decode_compressed(wanted)
    }

    #[cfg(all(feature = "ffmpeg", not(target_family = "wasm")))]
    fn decode_compressed(&mut self, wanted: &[usize]) -> Result<Vec<Frame>, MediaError> {
        use std::collections::HashMap;
        let (start, end) = self.decode_span(wanted);
        let mut dec = crate::av::Decoder::new(&self.codec, &self.config)?;
        // Which wanted slot each presentation time fills; without times, the count of shown
        // pictures since `start` (0) is the presentation index.
        let by_pts: HashMap<i64, usize> = wanted
            .iter()
            .enumerate()
            .filter_map(|(k, &d)| self.packets[self.display[d]].pts.map(|p| (p, k)))
            .collect();
        let by_index: HashMap<usize, usize> =
            wanted.iter().enumerate().map(|(k, &d)| (d, k)).collect();
        let mut out: Vec<Option<Frame>> = vec![None; wanted.len()];
        let mut counted = 0usize;
        let mut first_error = None;
        let mut aspect = None;
        let mut take = |pic: crate::av::Picture, out: &mut Vec<Option<Frame>>| {
            let slot = match pic.pts {
                Some(p) if !by_pts.is_empty() => by_pts.get(&p).copied(),
                _ => by_index.get(&counted).copied(),
            };
            counted += 1;
            aspect.get_or_insert(pic.sample_aspect);
            if let Some(k) = slot {
                out[k] = Some(pic.frame);
            }
        };
        for i in start..=end {
            let p = &self.packets[i];
            if let Err(e) = dec.send(&self.bytes[p.start..p.end], p.pts, p.key) {
                first_error.get_or_insert(format!("picture {i}: {e}"));
            }
            while let Some(pic) = dec.receive()? {
                take(pic, &mut out);
            }
        }
        dec.finish();
        while let Some(pic) = dec.receive()? {
            take(pic, &mut out);
        }
        if let Some(a) = aspect {
            self.pixel_aspect = a;
        }
        let got = out.iter().filter(|f| f.is_some()).count();
        if got < wanted.len() {
            let why = first_error.map(|e| format!(" ({e})")).unwrap_or_default();
            return Err(MediaError::Corrupt(format!(
                "the {} stream gave {got} of the {} pictures asked for{why}",
                self.codec.label(),
                wanted.len()
            )));
        }
        Ok(out.into_iter().map(|f| f.expect("counted above")).collect())
    }

    #[cfg(not(all(feature = "ffmpeg", not(target_family = "wasm"))))]
    fn decode_compressed(&mut self, _: &[usize]) -> Result<Vec<Frame>, MediaError> {
        Err(MediaError::Unsupported(format!(
            "{} video is not decoded by this build: {}",
            self.codec.label(),
            if cfg!(target_family = "wasm") {
                "in the browser WebCodecs decodes it (encoded_track)"
            } else {
                "build tte-media with its `ffmpeg` feature (the default), which links the system's libavcodec"
            }
        )))
    }
}

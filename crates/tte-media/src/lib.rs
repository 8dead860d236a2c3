//! Turns the bytes of a clinical clip (DICOM, MP4/QuickTime, WebM, AVI, GIF, PNG/JPEG stills)
//! into frames with timestamps.
//!
//! The same code runs natively and in wasm; only compressed video differs: natively it is decoded
//! by the system's libavcodec (the `ffmpeg` feature), in the browser [`Source::encoded_track`]
//! hands the demuxed pictures to WebCodecs. Containers are demuxed here, by readers written for
//! hostile input: every parser checks sizes against a [`Limits`] budget before it allocates, so
//! a lying header cannot make it reserve more memory than the caller allowed.

#[cfg(all(feature = "ffmpeg", not(target_family = "wasm")))]
mod av;
mod avi;
mod dicom;
mod dicom_lengths;
mod error;
mod gif_clip;
mod isobmff;
mod jpeg;
mod still;
mod video;
mod webm;

pub use error::MediaError;
use serde::Serialize;
use tte_frames::{Frame, UltrasoundRegion};

/// What a file turned out to be (by its bytes, not its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Dicom,
    /// MP4, QuickTime `.mov` and fragmented MP4 (one family: ISO base media files).
    Mp4,
    Webm,
    Avi,
    Gif,
    Png,
    Jpeg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Dicom => "dicom",
            Format::Mp4 => "mp4",
            Format::Webm => "webm",
            Format::Avi => "avi",
            Format::Gif => "gif",
            Format::Png => "png",
            Format::Jpeg => "jpeg",
        }
    }
}

/// How much a single clip may cost to decode.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest width x height of one frame.
    pub max_frame_pixels: u64,
    /// Most frames a clip may declare.
    pub max_frames: u64,
    /// Most bytes of decoded pixels held at once.
    pub max_decoded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_pixels: 4096 * 4096,
            max_frames: 100_000,
            max_decoded_bytes: 1 << 30,
        }
    }
}

impl Limits {
    /// Refuses a declared geometry the budget cannot hold.
    pub fn check(
        &self,
        width: u64,
        height: u64,
        frames: u64,
        samples: u64,
    ) -> Result<(), MediaError> {
        if width == 0 || height == 0 {
            return Err(MediaError::Corrupt(format!(
                "frame size {width}x{height} is empty"
            )));
        }
        let pixels = width.saturating_mul(height);
        if pixels > self.max_frame_pixels {
            return Err(MediaError::TooLarge(format!(
                "frames of {width}x{height} exceed the limit of {} pixels per frame",
                self.max_frame_pixels
            )));
        }
        if frames > self.max_frames {
            return Err(MediaError::TooLarge(format!(
                "{frames} frames exceed the limit of {}",
                self.max_frames
            )));
        }
        let one = pixels.saturating_mul(samples.max(1));
        if one > self.max_decoded_bytes {
            return Err(MediaError::TooLarge(format!(
                "one {width}x{height} frame needs {one} bytes, over the {} byte budget",
                self.max_decoded_bytes
            )));
        }
        Ok(())
    }
}

/// A summary of a clip without decoding its pixels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    pub format: Format,
    /// Codec name, or for DICOM the transfer syntax UID.
    pub codec: String,
    pub frames: usize,
    pub width: usize,
    pub height: usize,
    pub duration_s: f64,
    /// DICOM photometric interpretation, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photometric: Option<String>,
    /// Whether the file declares ultrasound regions (DICOM).
    pub has_regions: bool,
    /// A single picture (PNG or JPEG screen capture): no motion for a video network to see.
    pub still: bool,
}

/// Demuxed compressed video for a browser decoder (WebCodecs): codec string, decoder
/// configuration and the chunks with their times.
#[derive(Clone, Debug, Serialize)]
pub struct EncodedTrack {
    pub codec: String,
    #[serde(with = "serde_bytes_as_vec")]
    pub description: Vec<u8>,
    pub width: usize,
    pub height: usize,
    /// Chunks in decode order.
    pub chunks: Vec<Chunk>,
    /// For each frame in presentation order, the chunk that holds it (B-frames come out of
    /// decode order; an edit list may hide some chunks).
    pub display: Vec<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Chunk {
    pub time_s: f64,
    pub key: bool,
    #[serde(with = "serde_bytes_as_vec")]
    pub data: Vec<u8>,
}

mod serde_bytes_as_vec {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter())
    }
}

/// An opened clip: its summary, frame times and regions are known; pixels are decoded on demand.
pub struct Source {
    probe: Probe,
    times: Vec<f64>,
    regions: Vec<UltrasoundRegion>,
    warnings: Vec<String>,
    inner: Inner,
}

enum Inner {
    Dicom(dicom::DicomClip),
    Avi(avi::AviClip),
    Gif(gif_clip::GifClip),
    Video(video::VideoClip),
    Still(still::Still),
}

/// Recognises a container by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.len() >= 132 && &bytes[128..132] == b"DICM" {
        return Some(Format::Dicom);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"AVI " {
        return Some(Format::Avi);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(Format::Gif);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if bytes.len() >= 8
        && matches!(
            &bytes[4..8],
            b"ftyp" | b"moov" | b"mdat" | b"free" | b"wide" | b"skip" | b"pnot" | b"styp"
        )
    {
        return Some(Format::Mp4);
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Format::Webm);
    }
    // DICOM without the 128-byte preamble (raw data set), as some PACS write.
    if dicom::looks_like_raw_dataset(bytes) {
        return Some(Format::Dicom);
    }
    None
}

/// A short description of what unrecognised bytes look like, for the error message.
fn describe_unknown(bytes: &[u8]) -> String {
    let kind = if bytes.is_empty() {
        "an empty file".to_string()
    } else if bytes.starts_with(b"PK\x03\x04") {
        "a zip archive".into()
    } else if bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"MZ") {
        "an executable".into()
    } else if bytes.starts_with(b"%PDF") {
        "a PDF document".into()
    } else if bytes.iter().take(512).all(|b| b.is_ascii()) {
        "text".into()
    } else {
        "data in no format tteview reads".into()
    };
    format!("{kind} (expected DICOM, MP4/QuickTime, WebM, AVI, GIF, or a PNG/JPEG still)")
}

impl Source {
    /// Parses headers and indexes frames; no pixels are decoded yet.
    pub fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Source, MediaError> {
        let Some(format) = sniff(&bytes) else {
            return Err(MediaError::Unrecognised(describe_unknown(&bytes)));
        };
        let (probe, times, regions, warnings, inner) = match format {
            Format::Dicom => {
                let c = dicom::DicomClip::open(bytes, limits)?;
                (
                    c.probe(),
                    c.times(),
                    c.regions(),
                    c.warnings.clone(),
                    Inner::Dicom(c),
                )
            }
            Format::Avi => match avi::open(bytes, limits)? {
                avi::Opened::Frames(c) => (
                    c.probe(),
                    c.times(),
                    vec![],
                    c.warnings.clone(),
                    Inner::Avi(c),
                ),
                avi::Opened::Video(c) => video_parts(c),
            },
            Format::Gif => {
                let c = gif_clip::GifClip::open(bytes, limits)?;
                (c.probe(), c.times(), vec![], vec![], Inner::Gif(c))
            }
            Format::Mp4 => video_parts(video::VideoClip::from_isobmff(bytes, limits)?),
            Format::Webm => video_parts(webm::open(bytes, limits)?),
            Format::Png | Format::Jpeg => {
                let c = still::Still::open(format, bytes, limits)?;
                (c.probe(), vec![0.0], vec![], vec![], Inner::Still(c))
            }
        };
        Ok(Source {
            probe,
            times,
            regions,
            warnings,
            inner,
        })
    }

    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Display time of every frame, seconds from the start.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    pub fn regions(&self) -> &[UltrasoundRegion] {
        &self.regions
    }

    /// Things that were odd but not fatal (a frame count that disagreed with the data, ...).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Decodes the frames at `indices` (sorted or not; duplicates allowed), holding only those.
    /// A frame that fails to decode is an error naming the frame.
    pub fn frames(&mut self, indices: &[usize], limits: &Limits) -> Result<Vec<Frame>, MediaError> {
        let n = self.times.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(MediaError::Corrupt(format!(
                "frame {bad} requested but the clip has {n}"
            )));
        }
        let per_frame = (self.probe.width * self.probe.height * 3) as u64;
        let mut unique: Vec<usize> = indices.to_vec();
        unique.sort_unstable();
        unique.dedup();
        if per_frame.saturating_mul(unique.len() as u64) > limits.max_decoded_bytes {
            return Err(MediaError::TooLarge(format!(
                "{} frames of {}x{} exceed the decode budget of {} bytes",
                unique.len(),
                self.probe.width,
                self.probe.height,
                limits.max_decoded_bytes
            )));
        }
        let decoded = match self.decode_inner(&unique) {
            Ok(d) => d,
            // One damaged frame should not cost the clip: decode frame by frame, and stand in the
            // nearest good frame for each bad one, saying so. (A compressed stream's pictures
            // depend on each other: its decoder conceals damage itself.)
            Err(first) if unique.len() > 1 && !matches!(self.inner, Inner::Video(_)) => {
                self.decode_each(&unique).ok_or(first)?
            }
            Err(e) => return Err(e),
        };
        // Non-square pixels (a bitstream's sample aspect ratio) are made square here natively;
        // the web page does the same with the aspect its decoder reports.
        let aspect = self.pixel_aspect();
        let decoded: Vec<Frame> = if (aspect - 1.0).abs() > tte_frames::SQUARE_PIXEL_TOLERANCE {
            decoded.iter().map(|f| f.to_square_pixels(aspect)).collect()
        } else {
            decoded
        };
        let times = &self.times;
        let mut out = Vec::with_capacity(indices.len());
        for &i in indices {
            let k = unique.binary_search(&i).expect("deduplicated from indices");
            let mut f = decoded[k].clone();
            f.time_s = times[i];
            out.push(f);
        }
        Ok(out)
    }

    fn decode_inner(&mut self, unique: &[usize]) -> Result<Vec<Frame>, MediaError> {
        match &mut self.inner {
            Inner::Dicom(c) => c.decode(unique),
            Inner::Avi(c) => c.decode(unique),
            Inner::Gif(c) => c.decode(unique),
            Inner::Video(c) => c.decode(unique),
            Inner::Still(c) => {
                let f = c.decode(&Limits::default())?;
                Ok(vec![f; unique.len()])
            }
        }
    }

    /// Frame-by-frame decoding with stand-ins for damaged frames; `None` when no frame decodes.
    fn decode_each(&mut self, unique: &[usize]) -> Option<Vec<Frame>> {
        let results: Vec<Result<Frame, MediaError>> = unique
            .iter()
            .map(|&i| self.decode_inner(&[i]).map(|mut v| v.remove(0)))
            .collect();
        let good: Vec<usize> = (0..results.len()).filter(|&k| results[k].is_ok()).collect();
        if good.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(results.len());
        for (k, r) in results.iter().enumerate() {
            match r {
                Ok(f) => out.push(f.clone()),
                Err(e) => {
                    let near = *good
                        .iter()
                        .min_by_key(|&&g| g.abs_diff(k))
                        .expect("non-empty");
                    self.warnings.push(format!(
                        "frame {} could not be decoded ({e}); showing frame {} in its place",
                        unique[k], unique[near]
                    ));
                    out.push(results[near].as_ref().expect("good").clone());
                }
            }
        }
        Some(out)
    }

    /// Every frame (within the budget).
    pub fn all_frames(&mut self, limits: &Limits) -> Result<Vec<Frame>, MediaError> {
        let all: Vec<usize> = (0..self.times.len()).collect();
        self.frames(&all, limits)
    }

    /// The compressed bytes of frame `i` where a browser can decode them alone (the JPEG of
    /// a Motion-JPEG AVI or QuickTime frame).
    pub fn jpeg_frame(&self, i: usize) -> Option<&[u8]> {
        match &self.inner {
            Inner::Avi(c) => c.jpeg(i),
            Inner::Video(c) => c.jpeg(i),
            _ => None,
        }
    }

    /// The compressed track of an MP4/QuickTime, WebM or AVI file whose codec WebCodecs may
    /// know, for a browser decoder (`None` for other files and for MPEG-4 Part 2 or
    /// Motion-JPEG tracks, which WebCodecs does not decode).
    pub fn encoded_track(&self) -> Option<EncodedTrack> {
        match &self.inner {
            Inner::Video(c) => c.encoded_track(),
            _ => None,
        }
    }

    /// The decode-order span of chunks of [`Source::encoded_track`] that yields the frames at
    /// `indices` (presentation order): decode those, flush, and every wanted frame has come out.
    pub fn decode_span(&self, indices: &[usize]) -> Option<(usize, usize)> {
        match &self.inner {
            Inner::Video(c) if !indices.is_empty() => Some(c.decode_span(indices)),
            _ => None,
        }
    }

    /// Width over height of one pixel as the file declares it (1 for square pixels). Natively
    /// the frames are already resampled to square pixels by [`Source::frames`].
    pub fn pixel_aspect(&self) -> f64 {
        match &self.inner {
            Inner::Video(c) => c.pixel_aspect(),
            _ => 1.0,
        }
    }

    /// The codec's name in messages (for the browser's "not supported" errors).
    pub fn codec_label(&self) -> Option<&'static str> {
        match &self.inner {
            Inner::Video(c) => Some(c.codec_label()),
            _ => None,
        }
    }
}

/// Reads a file's summary.
pub fn probe(bytes: Vec<u8>, limits: &Limits) -> Result<Probe, MediaError> {
    Ok(Source::open(bytes, limits)?.probe)
}

pub(crate) use tte_frames::clip_duration;

type Parts = (Probe, Vec<f64>, Vec<UltrasoundRegion>, Vec<String>, Inner);

fn video_parts(c: video::VideoClip) -> Parts {
    (
        c.probe(),
        c.times(),
        vec![],
        c.warnings.clone(),
        Inner::Video(c),
    )
}

/// Frame times implied by a constant frame interval.
pub(crate) fn uniform_times(frames: usize, interval_s: f64) -> Vec<f64> {
    (0..frames).map(|i| i as f64 * interval_s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_clips_are_named_in_the_error() {
        let cases: [(&[u8], &str); 5] = [
            (b"", "empty file"),
            (b"PK\x03\x04rest-of-zip", "zip archive"),
            (b"\x7fELF\x02\x01\x01\x00", "executable"),
            (
                b"hello, this is a text file pretending to be a video",
                "text",
            ),
            (&[0u8, 1, 2, 3, 200, 201, 202, 9, 9, 9], "no format"),
        ];
        for (bytes, want) in cases {
            let err = Source::open(bytes.to_vec(), &Limits::default())
                .err()
                .unwrap();
            assert!(
                err.to_string().contains(want),
                "{err} should mention {want}"
            );
        }
    }

    #[test]
    fn limits_refuse_absurd_geometry_before_allocating() {
        let l = Limits::default();
        assert!(matches!(
            l.check(65535, 65535, 100_000, 3),
            Err(MediaError::TooLarge(_))
        ));
        assert!(matches!(
            l.check(640, 480, 200_000, 3),
            Err(MediaError::TooLarge(_))
        ));
        assert!(matches!(l.check(0, 480, 1, 3), Err(MediaError::Corrupt(_))));
        assert!(l.check(1024, 768, 300, 3).is_ok());
    }
}

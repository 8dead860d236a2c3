//! WebM (Matroska) demuxing to chunks for WebCodecs (VP8, VP9, AV1, H.264).

use crate::{Chunk, EncodedTrack, Format, Limits, MediaError, Probe};
use std::io::Cursor;

pub(crate) struct WebmClip {
    codec: String,
    description: Vec<u8>,
    width: usize,
    height: usize,
    chunks: Vec<Chunk>,
}

impl WebmClip {
    pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Self, MediaError> {
        let mut mkv = matroska_demuxer::MatroskaFile::open(Cursor::new(bytes))
            .map_err(|e| MediaError::Corrupt(format!("WebM structure: {e}")))?;
        let track = mkv
            .tracks()
            .iter()
            .find(|t| t.track_type() == matroska_demuxer::TrackType::Video)
            .ok_or_else(|| MediaError::Corrupt("WebM has no video track".into()))?;
        let video = track
            .video()
            .ok_or_else(|| MediaError::Corrupt("video track without dimensions".into()))?;
        let (width, height) = (
            video.pixel_width().get() as usize,
            video.pixel_height().get() as usize,
        );
        limits.check(width as u64, height as u64, 1, 3)?;
        let codec = match track.codec_id() {
            "V_VP8" => "vp8".to_string(),
            "V_VP9" => "vp09.00.10.08".to_string(),
            "V_AV1" => "av01.0.04M.08".to_string(),
            "V_MPEG4/ISO/AVC" => "avc1.42e01e".to_string(),
            other => {
                return Err(MediaError::Unsupported(format!(
                    "WebM video codec `{other}`"
                )))
            }
        };
        let description = track
            .codec_private()
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let number = track.track_number().get();
        let scale = mkv.info().timestamp_scale().get() as f64 / 1e9;
        let mut chunks = Vec::new();
        let mut frame = matroska_demuxer::Frame::default();
        loop {
            match mkv.next_frame(&mut frame) {
                Ok(true) => {
                    if frame.track == number {
                        chunks.push(Chunk {
                            time_s: frame.timestamp as f64 * scale,
                            key: frame.is_keyframe.unwrap_or(chunks.is_empty()),
                            data: std::mem::take(&mut frame.data),
                        });
                        if chunks.len() as u64 > limits.max_frames {
                            return Err(MediaError::TooLarge(format!(
                                "more than {} frames",
                                limits.max_frames
                            )));
                        }
                    }
                }
                Ok(false) => break,
                Err(_) if !chunks.is_empty() => break,
                Err(e) => return Err(MediaError::Corrupt(format!("WebM block: {e}"))),
            }
        }
        if chunks.is_empty() {
            return Err(MediaError::Truncated(
                "WebM video track has no frames".into(),
            ));
        }
        let t0 = chunks[0].time_s;
        chunks.iter_mut().for_each(|c| c.time_s -= t0);
        Ok(Self {
            codec,
            description,
            width,
            height,
            chunks,
        })
    }

    pub(crate) fn probe(&self) -> Probe {
        let n = self.chunks.len();
        let duration = crate::clip_duration(&self.times());
        Probe {
            format: Format::Webm,
            codec: self.codec.clone(),
            frames: n,
            width: self.width,
            height: self.height,
            duration_s: duration,
            photometric: None,
            has_regions: false,
        }
    }

    pub(crate) fn times(&self) -> Vec<f64> {
        let mut t: Vec<f64> = self.chunks.iter().map(|c| c.time_s).collect();
        t.sort_by(f64::total_cmp);
        t
    }

    pub(crate) fn encoded_track(&self) -> EncodedTrack {
        EncodedTrack {
            codec: self.codec.clone(),
            description: self.description.clone(),
            width: self.width,
            height: self.height,
            chunks: self.chunks.clone(),
        }
    }
}

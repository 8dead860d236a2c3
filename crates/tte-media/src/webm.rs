//! WebM (Matroska) demuxed to a [`VideoClip`]: VP8, VP9, AV1 and H.264, decoded natively by
//! libavcodec or in the browser by WebCodecs.

use crate::isobmff::{codec_string, Codec};
use crate::video::{Packet, VideoClip};
use crate::{Format, Limits, MediaError};
use std::io::Cursor;

pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<VideoClip, MediaError> {
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
    let (codec, fourcc) = match track.codec_id() {
        "V_VP8" => (Codec::Vp8, *b"vp08"),
        "V_VP9" => (Codec::Vp9, *b"vp09"),
        "V_AV1" => (Codec::Av1, *b"av01"),
        "V_MPEG4/ISO/AVC" => (Codec::H264, *b"avc1"),
        "V_MPEGH/ISO/HEVC" => (Codec::Hevc, *b"hvc1"),
        other => {
            return Err(MediaError::Unsupported(format!(
                "WebM video codec `{other}`; tteview reads VP8, VP9, AV1, H.264 and HEVC"
            )))
        }
    };
    let config = track
        .codec_private()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    // VP9's codec string wants profile, level and depth, which WebM's CodecPrivate rarely
    // carries: name the common 8-bit profile 0.
    let cs = match codec {
        Codec::Vp9 => Some("vp09.00.10.08".to_string()),
        Codec::Av1 if config.len() < 3 => Some("av01.0.04M.08".to_string()),
        _ => codec_string(&codec, &fourcc, &config),
    };
    let number = track.track_number().get();
    let timescale = 1e9 / mkv.info().timestamp_scale().get() as f64;
    let mut bytes = Vec::new();
    let mut packets: Vec<Packet> = Vec::new();
    let mut frame = matroska_demuxer::Frame::default();
    let mut warnings = Vec::new();
    loop {
        match mkv.next_frame(&mut frame) {
            Ok(true) => {
                if frame.track != number || frame.data.is_empty() {
                    continue;
                }
                if packets.len() as u64 >= limits.max_frames {
                    return Err(MediaError::TooLarge(format!(
                        "more than {} frames",
                        limits.max_frames
                    )));
                }
                let start = bytes.len();
                bytes.extend_from_slice(&frame.data);
                packets.push(Packet {
                    start,
                    end: bytes.len(),
                    pts: Some(frame.timestamp.min(i64::MAX as u64) as i64),
                    key: frame.is_keyframe.unwrap_or(packets.is_empty()),
                    shown: true,
                });
            }
            Ok(false) => break,
            Err(e) if !packets.is_empty() => {
                warnings.push(format!(
                    "WebM ends in a damaged block ({e}); reading the frames before it"
                ));
                break;
            }
            Err(e) => return Err(MediaError::Corrupt(format!("WebM block: {e}"))),
        }
    }
    if packets.is_empty() {
        return Err(MediaError::Truncated(
            "WebM video track has no frames".into(),
        ));
    }
    Ok(VideoClip::new(
        Format::Webm,
        codec,
        cs,
        config,
        (width, height),
        bytes,
        packets,
        timescale,
        (1, 1),
        warnings,
    ))
}

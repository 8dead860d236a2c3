//! H.264 (OpenH264, constrained baseline) in an MP4 container.

use crate::{check, rgb, ExportError};
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, RateControlMode,
};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use openh264::OpenH264API;
use std::io::Cursor;
use tte_frames::Frame;

/// Splits an Annex-B stream into NAL units (without start codes).
fn nal_units(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map(|&n| n - 3).unwrap_or(stream.len());
        while end > s && stream[end - 1] == 0 {
            end -= 1;
        }
        out.push(&stream[s..end]);
    }
    out
}

/// Encodes `frames` at `fps` as H.264 in MP4. Odd sizes lose their last row/column (4:2:0 needs even).
pub fn write_mp4(frames: &[Frame], fps: f32) -> Result<Vec<u8>, ExportError> {
    let (w0, h0) = check(frames)?;
    let (w, h) = (w0 & !1, h0 & !1);
    if w < 16 || h < 16 {
        return Err(ExportError::Encode(format!(
            "{w0}x{h0} is too small for H.264"
        )));
    }
    let bits = ((w * h) as f32 * fps * 0.25).clamp(200_000.0, 20_000_000.0) as u32;
    let config = EncoderConfig::new()
        .bitrate(BitRate::from_bps(bits))
        .max_frame_rate(FrameRate::from_hz(fps))
        .skip_frames(false)
        .rate_control_mode(RateControlMode::Bufferbased)
        .intra_frame_period(IntraFramePeriod::from_num_frames(30));
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    let timescale = 90_000u32;
    let (mut sps, mut pps) = (None, None);
    let mut samples = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let full = rgb(f);
        let cropped: Vec<u8> = if (w, h) == (w0, h0) {
            full
        } else {
            (0..h)
                .flat_map(|y| full[y * w0 * 3..y * w0 * 3 + w * 3].to_vec())
                .collect()
        };
        let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(&cropped, (w, h)));
        let stream = enc
            .encode(&yuv)
            .map_err(|e| ExportError::Encode(e.to_string()))?
            .to_vec();
        let mut sample = Vec::new();
        let mut key = false;
        for nal in nal_units(&stream) {
            match nal.first().map(|b| b & 0x1F) {
                Some(7) => {
                    sps.get_or_insert_with(|| nal.to_vec());
                }
                Some(8) => {
                    pps.get_or_insert_with(|| nal.to_vec());
                }
                Some(t) => {
                    key |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
                None => {}
            }
        }
        let start = (i as f64 * timescale as f64 / fps as f64).round() as u64;
        samples.push((start, key, sample));
    }
    let (Some(sps), Some(pps)) = (sps, pps) else {
        return Err(ExportError::Encode("encoder produced no SPS/PPS".into()));
    };
    let mut out = mp4::Mp4Writer::write_start(
        Cursor::new(Vec::new()),
        &mp4::Mp4Config {
            major_brand: str::parse("isom").unwrap(),
            minor_version: 512,
            compatible_brands: vec![
                str::parse("isom").unwrap(),
                str::parse("avc1").unwrap(),
                str::parse("mp41").unwrap(),
            ],
            timescale: 1000,
        },
    )
    .map_err(|e| ExportError::Encode(e.to_string()))?;
    out.add_track(&mp4::TrackConfig {
        track_type: mp4::TrackType::Video,
        timescale,
        language: "und".into(),
        media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
            width: w as u16,
            height: h as u16,
            seq_param_set: sps,
            pic_param_set: pps,
        }),
    })
    .map_err(|e| ExportError::Encode(e.to_string()))?;
    let n = samples.len();
    for (i, (start, key, data)) in samples.into_iter().enumerate() {
        let next = if i + 1 < n {
            ((i + 1) as f64 * timescale as f64 / fps as f64).round() as u64
        } else {
            start + (timescale as f64 / fps as f64).round() as u64
        };
        out.write_sample(
            1,
            &mp4::Mp4Sample {
                start_time: start,
                duration: (next - start) as u32,
                rendering_offset: 0,
                is_sync: key,
                bytes: mp4::Bytes::from(data),
            },
        )
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    }
    out.write_end()
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    Ok(out.into_writer().into_inner())
}

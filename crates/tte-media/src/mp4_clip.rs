//! MP4 (ISO BMFF) with H.264: demuxed here; decoded natively with OpenH264, or handed to
//! WebCodecs in the browser as an [`EncodedTrack`].

use crate::{Chunk, EncodedTrack, Format, Limits, MediaError, Probe};
use std::io::Cursor;
use tte_frames::Frame;

pub(crate) struct Mp4Clip {
    width: usize,
    height: usize,
    codec: String,
    /// avcC record (WebCodecs `description`).
    avcc: Vec<u8>,
    #[cfg_attr(target_family = "wasm", allow(dead_code))]
    sps: Vec<Vec<u8>>,
    #[cfg_attr(target_family = "wasm", allow(dead_code))]
    pps: Vec<Vec<u8>>,
    /// Samples in decode order: (composition time s, sync, length-prefixed NAL units).
    samples: Vec<(f64, bool, Vec<u8>)>,
    /// Sample indices in display order.
    display: Vec<usize>,
    nal_len: usize,
}

impl Mp4Clip {
    pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Self, MediaError> {
        crate::mp4_boxes::check(&bytes).map_err(MediaError::Corrupt)?;
        let size = bytes.len() as u64;
        let mut r = mp4::Mp4Reader::read_header(Cursor::new(bytes), size)
            .map_err(|e| MediaError::Corrupt(format!("MP4 structure: {e}")))?;
        let (track_id, track) = r
            .tracks()
            .iter()
            .find(|(_, t)| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
            .map(|(id, t)| (*id, t))
            .ok_or_else(|| MediaError::Corrupt("MP4 has no video track".into()))?;
        let kind = track.box_type().map(|b| b.to_string()).unwrap_or_default();
        if kind != "avc1" {
            return Err(MediaError::Unsupported(format!("MP4 video codec `{kind}`; tteview decodes H.264 (avc1) MP4 natively, others in the browser")));
        }
        let (width, height) = (track.width() as usize, track.height() as usize);
        let count = track.sample_count();
        limits.check(width as u64, height as u64, count as u64, 3)?;
        check_sample_tables(track, count, size)?;
        let timescale = track.timescale().max(1) as f64;
        let avc = track
            .trak
            .mdia
            .minf
            .stbl
            .stsd
            .avc1
            .as_ref()
            .ok_or_else(|| MediaError::Corrupt("avc1 entry without avcC".into()))?;
        let sps: Vec<Vec<u8>> = avc
            .avcc
            .sequence_parameter_sets
            .iter()
            .map(|s| s.bytes.clone())
            .collect();
        let pps: Vec<Vec<u8>> = avc
            .avcc
            .picture_parameter_sets
            .iter()
            .map(|s| s.bytes.clone())
            .collect();
        let profile = sps
            .first()
            .filter(|s| s.len() >= 4)
            .map(|s| format!("avc1.{:02x}{:02x}{:02x}", s[1], s[2], s[3]))
            .unwrap_or_else(|| "avc1.42e01e".into());
        let nal_len = avc.avcc.length_size_minus_one as usize + 1;
        let c = &avc.avcc;
        let avcc = avcc_record(
            [
                c.configuration_version,
                c.avc_profile_indication,
                c.profile_compatibility,
                c.avc_level_indication,
                c.length_size_minus_one,
            ],
            &sps,
            &pps,
        );
        let mut samples = Vec::with_capacity(count as usize);
        for id in 1..=count {
            match r.read_sample(track_id, id) {
                Ok(Some(s)) => {
                    let t = (s.start_time as f64 + s.rendering_offset as f64) / timescale;
                    samples.push((t, s.is_sync, s.bytes.to_vec()));
                }
                Ok(None) => break,
                Err(e) if !samples.is_empty() => {
                    let _ = e;
                    break;
                }
                Err(e) => return Err(MediaError::Truncated(format!("MP4 sample {id}: {e}"))),
            }
        }
        if samples.is_empty() {
            return Err(MediaError::Truncated(
                "MP4 video track has no readable samples".into(),
            ));
        }
        let t0 = samples.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        samples.iter_mut().for_each(|s| s.0 -= t0);
        let mut display: Vec<usize> = (0..samples.len()).collect();
        display.sort_by(|&a, &b| samples[a].0.total_cmp(&samples[b].0));
        Ok(Self {
            width,
            height,
            codec: profile,
            avcc,
            sps,
            pps,
            samples,
            display,
            nal_len,
        })
    }

    pub(crate) fn probe(&self) -> Probe {
        let duration = crate::clip_duration(&self.times());
        Probe {
            format: Format::Mp4,
            codec: self.codec.clone(),
            frames: self.samples.len(),
            width: self.width,
            height: self.height,
            duration_s: duration,
            photometric: None,
            has_regions: false,
        }
    }

    /// Display times, in display order.
    pub(crate) fn times(&self) -> Vec<f64> {
        self.display.iter().map(|&i| self.samples[i].0).collect()
    }

    pub(crate) fn encoded_track(&self) -> EncodedTrack {
        EncodedTrack {
            codec: self.codec.clone(),
            description: self.avcc.clone(),
            width: self.width,
            height: self.height,
            chunks: self
                .samples
                .iter()
                .map(|(t, key, data)| Chunk {
                    time_s: *t,
                    key: *key,
                    data: data.clone(),
                })
                .collect(),
        }
    }

    /// Length-prefixed NAL units to an Annex-B stream (start codes), as OpenH264 wants.
    #[cfg_attr(target_family = "wasm", allow(dead_code))]
    fn annex_b(&self, sample: &[u8]) -> Result<Vec<u8>, MediaError> {
        let mut out = Vec::with_capacity(sample.len() + 16);
        let mut pos = 0;
        while pos + self.nal_len <= sample.len() {
            let len = sample[pos..pos + self.nal_len]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | b as usize);
            pos += self.nal_len;
            if len > sample.len() - pos {
                return Err(MediaError::Corrupt(
                    "H.264 NAL unit runs past its sample".into(),
                ));
            }
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(&sample[pos..pos + len]);
            pos += len;
        }
        Ok(out)
    }

    #[cfg(not(target_family = "wasm"))]
    pub(crate) fn decode(&mut self, wanted_display: &[usize]) -> Result<Vec<Frame>, MediaError> {
        use openh264::decoder::Decoder;
        use openh264::formats::YUVSource;
        let mut dec = Decoder::new()
            .map_err(|e| MediaError::Unsupported(format!("H.264 decoder unavailable: {e}")))?;
        let mut header = Vec::new();
        for ps in self.sps.iter().chain(&self.pps) {
            header.extend_from_slice(&[0, 0, 0, 1]);
            header.extend_from_slice(ps);
        }
        let _ = dec.decode(&header);
        // Decoded pictures come out in display order; keep the ones asked for, drop the rest.
        let last = wanted_display.iter().copied().max().unwrap_or(0);
        let mut out: Vec<Frame> = Vec::with_capacity(wanted_display.len());
        let mut shown = 0usize;
        let keep =
            |yuv: &openh264::decoder::DecodedYUV<'_>, shown: &mut usize, out: &mut Vec<Frame>| {
                if wanted_display.binary_search(shown).is_ok() {
                    let (w, h) = yuv.dimensions();
                    let mut rgb = vec![0u8; w * h * 3];
                    yuv.write_rgb8(&mut rgb);
                    out.push(
                        Frame::new(w, h, tte_frames::PixelFormat::Rgb, rgb, 0.0)
                            .expect("sized by the decoder"),
                    );
                }
                *shown += 1;
            };
        for i in 0..self.samples.len() {
            if shown > last {
                break;
            }
            let nal = self.annex_b(&self.samples[i].2)?;
            match dec.decode(&nal) {
                Ok(Some(yuv)) => keep(&yuv, &mut shown, &mut out),
                Ok(None) => {}
                Err(e) => return Err(MediaError::Corrupt(format!("H.264 sample {i}: {e}"))),
            }
        }
        if shown <= last {
            for yuv in dec
                .flush_remaining()
                .map_err(|e| MediaError::Corrupt(format!("H.264 flush: {e}")))?
            {
                keep(&yuv, &mut shown, &mut out);
            }
        }
        if out.len() != wanted_display.len() {
            return Err(MediaError::Corrupt(format!(
                "H.264 stream yielded {} of {} requested frames",
                out.len(),
                wanted_display.len()
            )));
        }
        Ok(out)
    }

    #[cfg(target_family = "wasm")]
    pub(crate) fn decode(&mut self, _: &[usize]) -> Result<Vec<Frame>, MediaError> {
        Err(MediaError::Unsupported(
            "in the browser H.264 is decoded by WebCodecs; use encoded_track()".into(),
        ))
    }
}

/// Rebuilds the AVCDecoderConfigurationRecord bytes from its parsed parts.
fn avcc_record(head: [u8; 5], sps: &[Vec<u8>], pps: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![
        head[0],
        head[1],
        head[2],
        head[3],
        0xFC | head[4],
        0xE0 | sps.len() as u8,
    ];
    for s in sps {
        v.extend_from_slice(&(s.len() as u16).to_be_bytes());
        v.extend_from_slice(s);
    }
    v.push(pps.len() as u8);
    for p in pps {
        v.extend_from_slice(&(p.len() as u16).to_be_bytes());
        v.extend_from_slice(p);
    }
    v
}

/// Refuses sample tables the mp4 crate would trust to its harm: it allocates each sample at its
/// declared size, unwraps the time-to-sample sum, divides by samples per chunk and subtracts one
/// from chunk numbers (each found by the fuzzers as a 4 GB allocation or a panic inside the crate).
fn check_sample_tables(track: &mp4::Mp4Track, count: u32, size: u64) -> Result<(), MediaError> {
    // The mp4 crate allocates each sample at its declared size before reading it: a sample
    // table claiming more bytes than the file holds is a lie (found by the `open_any` fuzzer).
    let stsz = &track.trak.mdia.minf.stbl.stsz;
    let biggest = stsz
        .sample_sizes
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(stsz.sample_size);
    if biggest as u64 > size {
        return Err(MediaError::Corrupt(format!(
            "MP4 sample table declares a {biggest}-byte sample in a {size}-byte file"
        )));
    }
    // The crate unwraps the time-to-sample sum: one that overflows, or covers fewer samples
    // than the track has, would panic inside it (found by the `mp4` fuzzer).
    let timed = track
        .trak
        .mdia
        .minf
        .stbl
        .stts
        .entries
        .iter()
        .try_fold(0u32, |n, e| n.checked_add(e.sample_count));
    if timed.is_none_or(|n| n < count) {
        return Err(MediaError::Corrupt(format!(
            "MP4 time-to-sample table does not cover the track's {count} samples"
        )));
    }
    // The crate divides by each sample-to-chunk entry's samples per chunk and subtracts one from
    // its chunk numbers (a zero in either panicked inside it, found by the `mp4` fuzzer).
    if track
        .trak
        .mdia
        .minf
        .stbl
        .stsc
        .entries
        .iter()
        .any(|e| e.samples_per_chunk == 0 || e.first_chunk == 0)
    {
        return Err(MediaError::Corrupt(
            "MP4 sample-to-chunk table has an entry with zero samples per chunk or chunk number 0 (chunks count from 1)".into(),
        ));
    }
    Ok(())
}

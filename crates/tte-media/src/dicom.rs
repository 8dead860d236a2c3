//! DICOM multi-frame ultrasound through dicom-rs: headers, frame timing, the Sequence of
//! Ultrasound Regions, and per-frame decoding to RGB (palettes applied, YBR converted).

use crate::{Format, Limits, MediaError, Probe};
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use std::io::Cursor;
use tte_frames::{Frame, PixelFormat, Rect, UltrasoundRegion};

pub(crate) struct DicomClip {
    obj: DefaultDicomObject,
    ts: String,
    photometric: String,
    rows: usize,
    cols: usize,
    samples: usize,
    bits: usize,
    frames: usize,
    times: Vec<f64>,
    /// The regions the crop may use: empty when the declared ones do not fit the picture.
    regions: Vec<UltrasoundRegion>,
    /// Whether the file carries a Sequence of Ultrasound Regions, usable or not.
    declares_regions: bool,
    palette: Option<[Vec<u8>; 3]>,
    pub(crate) warnings: Vec<String>,
}

/// Transfer syntaxes this build decodes, with names for messages.
const SUPPORTED: [(&str, &str); 9] = [
    ("1.2.840.10008.1.2", "Implicit VR Little Endian"),
    ("1.2.840.10008.1.2.1", "Explicit VR Little Endian"),
    ("1.2.840.10008.1.2.2", "Explicit VR Big Endian"),
    ("1.2.840.10008.1.2.5", "RLE Lossless"),
    ("1.2.840.10008.1.2.4.50", "JPEG Baseline"),
    ("1.2.840.10008.1.2.4.51", "JPEG Extended"),
    ("1.2.840.10008.1.2.4.57", "JPEG Lossless"),
    ("1.2.840.10008.1.2.4.70", "JPEG Lossless SV1"),
    ("1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"),
];
const ALSO_SUPPORTED: [&str; 1] = ["1.2.840.10008.1.2.4.91"];

pub(crate) fn looks_like_raw_dataset(_bytes: &[u8]) -> bool {
    false
}

fn int(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<i64> {
    obj.get(tag).and_then(|e| e.to_int::<i64>().ok())
}
fn float(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<f64> {
    obj.get(tag).and_then(|e| e.to_float64().ok())
}
fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    obj.get(tag)
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim().trim_end_matches('\0').to_string())
}

impl DicomClip {
    pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Self, MediaError> {
        crate::dicom_lengths::check(&bytes).map_err(MediaError::Corrupt)?;
        let obj = OpenFileOptions::new()
            .read_preamble(ReadPreamble::Always)
            .from_reader(Cursor::new(bytes))
            .map_err(|e| MediaError::Corrupt(format!("DICOM structure: {e}")))?;
        let ts = obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string();
        if !SUPPORTED.iter().any(|(uid, _)| *uid == ts) && !ALSO_SUPPORTED.contains(&ts.as_str()) {
            let hint = if ts.starts_with("1.2.840.10008.1.2.4.8") {
                " (JPEG-LS needs a C++ codec this build leaves out)"
            } else {
                ""
            };
            return Err(MediaError::Unsupported(format!(
                "DICOM transfer syntax {ts}{hint}"
            )));
        }
        let rows = int(&obj, tags::ROWS)
            .ok_or_else(|| MediaError::Corrupt("DICOM has no Rows".into()))?
            as usize;
        let cols = int(&obj, tags::COLUMNS)
            .ok_or_else(|| MediaError::Corrupt("DICOM has no Columns".into()))?
            as usize;
        let samples = int(&obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1).max(1) as usize;
        let bits = int(&obj, tags::BITS_ALLOCATED).unwrap_or(8) as usize;
        let declared = int(&obj, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1) as u64;
        limits.check(cols as u64, rows as u64, declared, samples as u64)?;
        if obj.get(tags::PIXEL_DATA).is_none() {
            return Err(MediaError::Corrupt(
                "DICOM has no Pixel Data (a report or structured document, not an image)".into(),
            ));
        }
        let photometric =
            text(&obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_else(|| "MONOCHROME2".into());
        let mut clip = DicomClip {
            ts,
            photometric: photometric.clone(),
            rows,
            cols,
            samples,
            bits,
            frames: declared as usize,
            times: vec![],
            regions: vec![],
            declares_regions: false,
            palette: None,
            warnings: vec![],
            obj,
        };
        clip.reconcile_frame_count()?;
        clip.times = clip.frame_times();
        let declared = clip.read_regions();
        clip.declares_regions = !declared.is_empty();
        clip.regions = clip.regions_inside_picture(declared);
        if photometric == "PALETTE COLOR" {
            clip.palette = Some(clip.read_palette()?);
        }
        Ok(clip)
    }

    /// A frame count that disagrees with the pixel data is corrected to what the data holds.
    fn reconcile_frame_count(&mut self) -> Result<(), MediaError> {
        let pixel = self.obj.get(tags::PIXEL_DATA).expect("checked in open");
        let held = match pixel.value() {
            dicom_core::DicomValue::PixelSequence(seq) => {
                if self.is_jpeg() {
                    jpeg_frames(seq.fragments()).len()
                } else {
                    let (offsets, fragments) = (seq.offset_table().len(), seq.fragments().len());
                    if offsets > 0 {
                        offsets
                    } else if fragments >= self.frames {
                        self.frames
                    } else {
                        fragments
                    }
                }
            }
            _ => {
                let bytes = pixel.to_bytes().map(|b| b.len()).unwrap_or(0);
                let frame = self.rows * self.cols * self.samples * self.bits.div_ceil(8);
                let frame = if self.photometric == "YBR_FULL_422" {
                    frame * 2 / 3
                } else {
                    frame
                };
                bytes / frame.max(1)
            }
        };
        if held == 0 {
            return Err(MediaError::Truncated(
                "DICOM pixel data holds no complete frame".into(),
            ));
        }
        if held < self.frames {
            self.warnings.push(format!(
                "Number of Frames says {} but the pixel data holds {held}; reading {held}",
                self.frames
            ));
            self.frames = held;
        }
        Ok(())
    }

    fn frame_times(&mut self) -> Vec<f64> {
        let n = self.frames;
        if let Some(v) = self
            .obj
            .get(tags::FRAME_TIME_VECTOR)
            .and_then(|e| e.to_multi_float64().ok())
        {
            if v.len() >= n && v.iter().all(|d| d.is_finite() && *d >= 0.0) {
                // Each entry is the time since the previous frame (the first is 0).
                let mut t = 0.0;
                return (0..n)
                    .map(|i| {
                        if i > 0 {
                            t += v[i] / 1000.0;
                        }
                        t
                    })
                    .collect();
            }
            self.warnings
                .push("Frame Time Vector does not match the frame count; ignored".into());
        }
        let interval = float(&self.obj, tags::FRAME_TIME)
            .filter(|ms| *ms > 0.0 && ms.is_finite())
            .map(|ms| ms / 1000.0)
            .or_else(|| {
                float(&self.obj, tags::CINE_RATE)
                    .filter(|r| *r > 0.0)
                    .map(|r| 1.0 / r)
            })
            .or_else(|| {
                float(&self.obj, tags::RECOMMENDED_DISPLAY_FRAME_RATE)
                    .filter(|r| *r > 0.0)
                    .map(|r| 1.0 / r)
            });
        let interval = interval.unwrap_or_else(|| {
            if n > 1 {
                self.warnings.push("no frame timing (Frame Time, Frame Time Vector or Cine Rate); assuming 30 frames/s".into());
            }
            1.0 / 30.0
        });
        crate::uniform_times(n, interval)
    }

    fn read_regions(&self) -> Vec<UltrasoundRegion> {
        let Some(seq) = self
            .obj
            .get(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
            .and_then(|e| e.items())
        else {
            return vec![];
        };
        seq.iter()
            .filter_map(|item| {
                let g = |t| int(item, t);
                let (x0, y0, x1, y1) = (
                    g(tags::REGION_LOCATION_MIN_X0)?,
                    g(tags::REGION_LOCATION_MIN_Y0)?,
                    g(tags::REGION_LOCATION_MAX_X1)?,
                    g(tags::REGION_LOCATION_MAX_Y1)?,
                );
                if x1 < x0 || y1 < y0 || x0 < 0 || y0 < 0 {
                    return None;
                }
                Some(UltrasoundRegion {
                    rect: Rect {
                        x0: x0 as usize,
                        y0: y0 as usize,
                        x1: x1 as usize + 1,
                        y1: y1 as usize + 1,
                    },
                    spatial_format: g(tags::REGION_SPATIAL_FORMAT).unwrap_or(0) as u16,
                    data_type: g(tags::REGION_DATA_TYPE).unwrap_or(0) as u16,
                })
            })
            .collect()
    }

    /// The regions, or none when any reaches past the picture: exporters that resize the pixels
    /// without rescaling the Sequence of Ultrasound Regions leave it in the old coordinates, and
    /// a crop clamped from those would cut the fan and keep the text beside it.
    fn regions_inside_picture(&mut self, regions: Vec<UltrasoundRegion>) -> Vec<UltrasoundRegion> {
        // One pixel of slack: some scanners write the exclusive edge where DICOM wants the last pixel.
        let (w, h) = (self.cols + 1, self.rows + 1);
        let Some(reach) = regions
            .iter()
            .map(|r| r.rect)
            .reduce(|a, b| a.union(&b))
            .filter(|r| r.x1 > w || r.y1 > h)
        else {
            return regions;
        };
        self.warnings.push(format!(
            "the Sequence of Ultrasound Regions reaches {}x{}, past the {}x{} picture (resized \
             without updating it?); ignored, the fan is found from the picture",
            reach.x1, reach.y1, self.cols, self.rows
        ));
        vec![]
    }

    /// Red, green and blue palette tables as 8-bit values, indexed from the first mapped value.
    fn read_palette(&self) -> Result<[Vec<u8>; 3], MediaError> {
        let table = |desc, data| -> Result<(i64, Vec<u8>), MediaError> {
            let d = self
                .obj
                .get(desc)
                .and_then(|e| e.to_multi_int::<i64>().ok())
                .filter(|d| d.len() == 3)
                .ok_or_else(|| {
                    MediaError::Corrupt("PALETTE COLOR without a valid LUT descriptor".into())
                })?;
            let entries = if d[0] == 0 { 65536 } else { d[0] as usize };
            let element = self
                .obj
                .get(data)
                .or_else(|| {
                    self.obj
                        .get(dicom_core::Tag(data.group(), data.element() + 0x20))
                })
                .ok_or_else(|| MediaError::Corrupt("PALETTE COLOR without LUT data".into()))?;
            let segmented = data.element() + 0x20 == element.header().tag.element();
            // LUT data may be typed OW (bytes) or US (numbers) depending on the writer.
            let mut raw: Vec<u8> = match element.value().primitive() {
                Some(dicom_core::PrimitiveValue::U16(v)) => {
                    v.iter().flat_map(|x| x.to_le_bytes()).collect()
                }
                _ => element
                    .to_bytes()
                    .map(|b| b.to_vec())
                    .map_err(|e| MediaError::Corrupt(format!("palette LUT data: {e}")))?,
            };
            if segmented {
                let words: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                raw = expand_segmented_lut(&words, entries)?
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect();
            }
            let values: Vec<u8> = if d[2] == 16 {
                raw.chunks_exact(2)
                    .take(entries)
                    .map(|c| (u16::from_le_bytes([c[0], c[1]]) as f32 / 257.0).round() as u8)
                    .collect()
            } else if raw.len() >= entries * 2 {
                // 8-bit entries stored one per 16-bit word.
                raw.chunks_exact(2)
                    .take(entries)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]).min(255) as u8)
                    .collect()
            } else {
                raw.iter().take(entries).copied().collect()
            };
            Ok((d[1], values))
        };
        let (first, r) = table(
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?;
        let (_, g) = table(
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?;
        let (_, b) = table(
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
        )?;
        // Fold the first-mapped offset in, so indices can be used directly.
        let shift = |v: Vec<u8>| -> Vec<u8> {
            let mut out = vec![v.first().copied().unwrap_or(0); first.max(0) as usize];
            out.extend(v);
            out
        };
        Ok([shift(r), shift(g), shift(b)])
    }

    pub(crate) fn probe(&self) -> Probe {
        let duration = crate::clip_duration(&self.times);
        Probe {
            format: Format::Dicom,
            codec: self.ts.clone(),
            frames: self.frames,
            width: self.cols,
            height: self.rows,
            duration_s: duration,
            photometric: Some(self.photometric.clone()),
            has_regions: self.declares_regions,
            still: false,
        }
    }

    pub(crate) fn times(&self) -> Vec<f64> {
        self.times.clone()
    }

    pub(crate) fn regions(&self) -> Vec<UltrasoundRegion> {
        self.regions.clone()
    }

    pub(crate) fn decode(&mut self, indices: &[usize]) -> Result<Vec<Frame>, MediaError> {
        indices.iter().map(|&i| self.decode_one(i)).collect()
    }

    /// JPEG Baseline / Extended: frames are found by their start-of-image markers, so fragmented
    /// frames decode with or without a Basic Offset Table.
    fn is_jpeg(&self) -> bool {
        matches!(
            self.ts.as_str(),
            "1.2.840.10008.1.2.4.50" | "1.2.840.10008.1.2.4.51"
        )
    }

    fn decode_jpeg(&self, i: usize) -> Result<Frame, MediaError> {
        let pixel = self.obj.get(tags::PIXEL_DATA).expect("checked in open");
        let dicom_core::DicomValue::PixelSequence(seq) = pixel.value() else {
            return Err(MediaError::Corrupt(
                "JPEG transfer syntax but pixel data is not encapsulated".into(),
            ));
        };
        let frames = jpeg_frames(seq.fragments());
        let bytes = frames.get(i).ok_or_else(|| {
            MediaError::Truncated(format!("frame {i} is missing from the pixel data"))
        })?;
        crate::jpeg::decode(bytes, &Limits::default(), &format!("frame {i}"))
    }

    fn decode_one(&self, i: usize) -> Result<Frame, MediaError> {
        if self.is_jpeg() && self.palette.is_none() {
            return self.decode_jpeg(i);
        }
        let px = self
            .obj
            .decode_pixel_data_frame(i as u32)
            .map_err(|e| MediaError::Corrupt(format!("frame {i}: {e}")))?;
        let (w, h) = (px.columns() as usize, px.rows() as usize);
        let spp = px.samples_per_pixel() as usize;
        let bits = px.bits_allocated() as usize;
        let data = px.data();
        let pi = px.photometric_interpretation().as_str().to_string();
        let planar = matches!(
            px.planar_configuration(),
            dicom_pixeldata::PlanarConfiguration::PixelFirst
        );
        let n = w * h;
        let need = n * spp * bits.div_ceil(8);
        let ybr422_raw = pi == "YBR_FULL_422" && data.len() == n * 2;
        if data.len() < need && !ybr422_raw {
            return Err(MediaError::Truncated(format!(
                "frame {i} has {} bytes of pixel data, {need} expected",
                data.len()
            )));
        }
        let sample16 = |k: usize| u16::from_le_bytes([data[2 * k], data[2 * k + 1]]);
        let frame = if let Some(lut) = &self.palette {
            let mut rgb = Vec::with_capacity(n * 3);
            for k in 0..n {
                let idx = if bits == 16 {
                    sample16(k) as usize
                } else {
                    data[k] as usize
                };
                for c in lut {
                    rgb.push(
                        c.get(idx)
                            .copied()
                            .unwrap_or_else(|| *c.last().unwrap_or(&0)),
                    );
                }
            }
            Frame::new(w, h, PixelFormat::Rgb, rgb, 0.0)
        } else if spp == 1 {
            let stored = px.bits_stored().max(1) as u32;
            let mut grey: Vec<u8> = if bits == 16 {
                (0..n)
                    .map(|k| (sample16(k) as u32 >> stored.saturating_sub(8)).min(255) as u8)
                    .collect()
            } else {
                data[..n].to_vec()
            };
            if pi == "MONOCHROME1" {
                grey.iter_mut().for_each(|v| *v = 255 - *v);
            }
            Frame::new(w, h, PixelFormat::Gray, grey, 0.0)
        } else {
            let mut rgb: Vec<u8> = if ybr422_raw {
                // Y1 Y2 Cb Cr per pixel pair.
                let mut out = Vec::with_capacity(n * 3);
                for pair in data.chunks_exact(4) {
                    out.extend_from_slice(&[pair[0], pair[2], pair[3], pair[1], pair[2], pair[3]]);
                }
                out
            } else if planar {
                (0..n)
                    .flat_map(|k| [data[k], data[n + k], data[2 * n + k]])
                    .collect()
            } else if bits == 16 {
                (0..n * 3).map(|k| (sample16(k) >> 8) as u8).collect()
            } else {
                data[..n * 3].to_vec()
            };
            if pi.starts_with("YBR_FULL") || ybr422_raw {
                ybr_to_rgb(&mut rgb);
            }
            Frame::new(w, h, PixelFormat::Rgb, rgb, 0.0)
        };
        frame.ok_or_else(|| MediaError::Corrupt(format!("frame {i} decoded to an unexpected size")))
    }
}

/// Groups encapsulated fragments into JPEG frames: a frame starts at a fragment that begins with
/// the SOI marker.
fn jpeg_frames<F: AsRef<[u8]>>(fragments: &[F]) -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for f in fragments {
        let f = f.as_ref();
        if f.starts_with(&[0xFF, 0xD8]) || frames.is_empty() {
            frames.push(f.to_vec());
        } else if let Some(last) = frames.last_mut() {
            last.extend_from_slice(f);
        }
    }
    frames
}

/// Expands a segmented palette LUT (PS3.3 C.7.9.2): discrete, linear and indirect segments.
fn expand_segmented_lut(words: &[u16], entries: usize) -> Result<Vec<u16>, MediaError> {
    let bad = |why: &str| MediaError::Corrupt(format!("segmented palette LUT: {why}"));
    let mut lut: Vec<u16> = Vec::with_capacity(entries);
    let mut starts: Vec<usize> = Vec::new();
    let mut pos = 0;
    fn segment(
        words: &[u16],
        pos: &mut usize,
        lut: &mut Vec<u16>,
        starts: &mut Vec<usize>,
        depth: u8,
        limit: usize,
    ) -> Result<(), MediaError> {
        let bad = |why: &str| MediaError::Corrupt(format!("segmented palette LUT: {why}"));
        let (op, len) = (
            *words.get(*pos).ok_or_else(|| bad("truncated"))?,
            *words.get(*pos + 1).ok_or_else(|| bad("truncated"))? as usize,
        );
        if depth == 0 {
            starts.push(*pos);
        }
        match op {
            0 => {
                let vals = words
                    .get(*pos + 2..*pos + 2 + len)
                    .ok_or_else(|| bad("discrete segment runs past the data"))?;
                lut.extend_from_slice(vals);
                *pos += 2 + len;
            }
            1 => {
                let y1 = *words.get(*pos + 2).ok_or_else(|| bad("truncated"))? as f64;
                let y0 = *lut
                    .last()
                    .ok_or_else(|| bad("linear segment with no previous value"))?
                    as f64;
                let step = (y1 - y0) / len.max(1) as f64;
                for i in 1..=len {
                    lut.push((y0 + step * i as f64).round_ties_even() as u16);
                }
                *pos += 3;
            }
            2 => {
                if depth > 0 {
                    return Err(bad("nested indirect segment"));
                }
                let lo = *words.get(*pos + 2).ok_or_else(|| bad("truncated"))? as usize;
                let hi = *words.get(*pos + 3).ok_or_else(|| bad("truncated"))? as usize;
                let mut at = (hi << 16 | lo) / 2;
                for _ in 0..len {
                    if at >= *pos {
                        return Err(bad("indirect segment points forwards"));
                    }
                    segment(words, &mut at, lut, starts, depth + 1, limit)?;
                }
                *pos += 4;
            }
            _ => return Err(bad("unknown segment type")),
        }
        if lut.len() > limit {
            return Err(bad("expands past its declared size"));
        }
        Ok(())
    }
    while pos < words.len() {
        segment(
            words,
            &mut pos,
            &mut lut,
            &mut starts,
            0,
            entries.max(1) * 2,
        )?;
    }
    if lut.is_empty() {
        return Err(bad("empty"));
    }
    Ok(lut)
}

/// Full-range YCbCr (ITU-R BT.601) to RGB, in place.
fn ybr_to_rgb(px: &mut [u8]) {
    for p in px.chunks_exact_mut(3) {
        let (y, cb, cr) = (p[0] as f32, p[1] as f32 - 128.0, p[2] as f32 - 128.0);
        p[0] = (y + 1.402 * cr).round().clamp(0.0, 255.0) as u8;
        p[1] = (y - 0.344136 * cb - 0.714136 * cr)
            .round()
            .clamp(0.0, 255.0) as u8;
        p[2] = (y + 1.772 * cb).round().clamp(0.0, 255.0) as u8;
    }
}

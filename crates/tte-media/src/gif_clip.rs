//! Animated GIF: frames composited onto the logical screen, timed by their delays.

use crate::{Format, Limits, MediaError, Probe};
use tte_frames::{Frame, PixelFormat};

pub(crate) struct GifClip {
    frames: Vec<Vec<u8>>,
    times: Vec<f64>,
    width: usize,
    height: usize,
    duration: f64,
}

impl GifClip {
    pub(crate) fn open(bytes: Vec<u8>, limits: &Limits) -> Result<Self, MediaError> {
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::RGBA);
        opts.set_memory_limit(gif::MemoryLimit::Bytes(
            std::num::NonZeroU64::new(limits.max_decoded_bytes.max(1)).unwrap(),
        ));
        let mut d = opts
            .read_info(bytes.as_slice())
            .map_err(|e| MediaError::Corrupt(format!("GIF header: {e}")))?;
        let (w, h) = (d.width() as usize, d.height() as usize);
        limits.check(w as u64, h as u64, 1, 4)?;
        let mut canvas = vec![0u8; w * h * 4];
        let (mut frames, mut times, mut t) = (Vec::new(), Vec::new(), 0.0);
        // GIFs are small and cannot be seeked without decoding, so frames are composited once here,
        // within the byte budget.
        let mut held: u64 = 0;
        loop {
            let frame = match d.read_next_frame() {
                Ok(Some(f)) => f.clone(),
                Ok(None) => break,
                Err(e) if !frames.is_empty() => {
                    // Keep what decoded; a truncated tail is common in the wild.
                    let _ = e;
                    break;
                }
                Err(e) => return Err(MediaError::Corrupt(format!("GIF frame: {e}"))),
            };
            let before = canvas.clone();
            let (fx, fy, fw, fh) = (
                frame.left as usize,
                frame.top as usize,
                frame.width as usize,
                frame.height as usize,
            );
            for y in 0..fh {
                for x in 0..fw {
                    let (cx, cy) = (fx + x, fy + y);
                    if cx >= w || cy >= h {
                        continue;
                    }
                    let s = &frame.buffer[(y * fw + x) * 4..][..4];
                    if s[3] > 0 {
                        canvas[(cy * w + cx) * 4..][..4].copy_from_slice(s);
                    }
                }
            }
            held += (w * h * 3) as u64;
            if held > limits.max_decoded_bytes || frames.len() as u64 >= limits.max_frames {
                return Err(MediaError::TooLarge(format!(
                    "GIF has more frames than the decode budget holds ({} so far)",
                    frames.len()
                )));
            }
            frames.push(
                canvas
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect(),
            );
            times.push(t);
            // Browsers treat delays under 20 ms as 100 ms; so do we, so timing matches what people see.
            let delay = if frame.delay < 2 { 10 } else { frame.delay };
            t += delay as f64 / 100.0;
            match frame.dispose {
                gif::DisposalMethod::Background => {
                    for y in fy..(fy + fh).min(h) {
                        for x in fx..(fx + fw).min(w) {
                            canvas[(y * w + x) * 4..][..4].fill(0);
                        }
                    }
                }
                gif::DisposalMethod::Previous => canvas = before,
                _ => {}
            }
        }
        if frames.is_empty() {
            return Err(MediaError::Truncated("GIF has no frames".into()));
        }
        Ok(Self {
            frames,
            times,
            width: w,
            height: h,
            duration: t,
        })
    }

    pub(crate) fn probe(&self) -> Probe {
        Probe {
            format: Format::Gif,
            codec: "gif".into(),
            frames: self.frames.len(),
            width: self.width,
            height: self.height,
            duration_s: self.duration,
            photometric: None,
            has_regions: false,
            still: false,
        }
    }

    pub(crate) fn times(&self) -> Vec<f64> {
        self.times.clone()
    }

    pub(crate) fn decode(&mut self, indices: &[usize]) -> Result<Vec<Frame>, MediaError> {
        Ok(indices
            .iter()
            .map(|&i| {
                Frame::new(
                    self.width,
                    self.height,
                    PixelFormat::Rgb,
                    self.frames[i].clone(),
                    self.times[i],
                )
                .expect("sized at decode")
            })
            .collect())
    }
}

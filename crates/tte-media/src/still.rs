//! PNG and JPEG stills (screen captures of an echo machine) read as one-frame clips. A video
//! network sees no motion in them, so the probe says `still: true` and every edge passes it on.

use crate::{Format, Limits, MediaError, Probe};
use tte_frames::{Frame, PixelFormat};

pub(crate) struct Still {
    format: Format,
    bytes: Vec<u8>,
    width: usize,
    height: usize,
}

impl Still {
    pub(crate) fn open(
        format: Format,
        bytes: Vec<u8>,
        limits: &Limits,
    ) -> Result<Self, MediaError> {
        let (width, height) = match format {
            Format::Png => png_size(&bytes)?,
            _ => jpeg_size(&bytes)?,
        };
        limits.check(width as u64, height as u64, 1, 4)?;
        Ok(Self {
            format,
            bytes,
            width,
            height,
        })
    }

    pub(crate) fn probe(&self) -> Probe {
        Probe {
            format: self.format,
            codec: self.format.name().into(),
            frames: 1,
            width: self.width,
            height: self.height,
            duration_s: crate::clip_duration(&[0.0]),
            photometric: None,
            has_regions: false,
            still: true,
        }
    }

    pub(crate) fn decode(&self, limits: &Limits) -> Result<Frame, MediaError> {
        match self.format {
            Format::Png => decode_png(&self.bytes, limits),
            _ => crate::jpeg::decode(&self.bytes, limits, "JPEG still"),
        }
    }
}

fn png_size(b: &[u8]) -> Result<(usize, usize), MediaError> {
    // The IHDR chunk is first: 8-byte signature, length, "IHDR", width, height.
    if b.len() < 24 || &b[12..16] != b"IHDR" {
        return Err(MediaError::Truncated(
            "PNG ends before its header (IHDR)".into(),
        ));
    }
    let w = u32::from_be_bytes(b[16..20].try_into().unwrap()) as usize;
    let h = u32::from_be_bytes(b[20..24].try_into().unwrap()) as usize;
    Ok((w, h))
}

fn jpeg_size(b: &[u8]) -> Result<(usize, usize), MediaError> {
    let mut d = jpeg_decoder::Decoder::new(b);
    d.read_info()
        .map_err(|e| MediaError::Corrupt(format!("JPEG header: {e}")))?;
    let i = d
        .info()
        .ok_or_else(|| MediaError::Corrupt("JPEG has no frame header".into()))?;
    Ok((i.width as usize, i.height as usize))
}

fn decode_png(bytes: &[u8], limits: &Limits) -> Result<Frame, MediaError> {
    let mut dec = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: limits.max_decoded_bytes.min(usize::MAX as u64) as usize,
        },
    );
    // Palettes expanded, 16-bit samples cut to 8, so every PNG comes out as 8-bit grey or colour.
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = dec
        .read_info()
        .map_err(|e| MediaError::Corrupt(format!("PNG header: {e}")))?;
    let size = r
        .output_buffer_size()
        .ok_or_else(|| MediaError::TooLarge("PNG picture size overflows".into()))?;
    let mut buf = vec![0u8; size];
    let info = r
        .next_frame(&mut buf)
        .map_err(|e| MediaError::Corrupt(format!("PNG data: {e}")))?;
    let (w, h) = (info.width as usize, info.height as usize);
    buf.truncate(info.buffer_size());
    use png::ColorType::*;
    let (format, data) = match info.color_type {
        Grayscale => (PixelFormat::Gray, buf),
        Rgb => (PixelFormat::Rgb, buf),
        // Screen captures carry an opaque alpha; a transparent pixel shows as black, as on a
        // dark screen.
        GrayscaleAlpha => (
            PixelFormat::Gray,
            buf.chunks_exact(2)
                .map(|p| over_black(p[0], p[1]))
                .collect(),
        ),
        Rgba => (
            PixelFormat::Rgb,
            buf.chunks_exact(4)
                .flat_map(|p| {
                    [
                        over_black(p[0], p[3]),
                        over_black(p[1], p[3]),
                        over_black(p[2], p[3]),
                    ]
                })
                .collect(),
        ),
        Indexed => return Err(MediaError::Corrupt("PNG palette was not expanded".into())),
    };
    Frame::new(w, h, format, data, 0.0)
        .ok_or_else(|| MediaError::Corrupt("PNG decoded to the wrong size".into()))
}

fn over_black(v: u8, alpha: u8) -> u8 {
    ((v as u16 * alpha as u16 + 127) / 255) as u8
}

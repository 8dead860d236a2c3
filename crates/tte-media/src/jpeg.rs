//! Baseline JPEG frames (MJPEG in AVI, stills) to RGB or grey pixels.

use crate::{Limits, MediaError};
use jpeg_decoder::{Decoder, PixelFormat as JpegFormat};
use tte_frames::{Frame, PixelFormat};

pub(crate) fn decode(bytes: &[u8], limits: &Limits, what: &str) -> Result<Frame, MediaError> {
    let mut d = Decoder::new(bytes);
    d.set_max_decoding_buffer_size(limits.max_decoded_bytes.min(usize::MAX as u64) as usize);
    d.read_info()
        .map_err(|e| MediaError::Corrupt(format!("{what}: JPEG header: {e}")))?;
    let info = d
        .info()
        .ok_or_else(|| MediaError::Corrupt(format!("{what}: JPEG has no frame header")))?;
    limits.check(info.width as u64, info.height as u64, 1, 3)?;
    let pixels = d
        .decode()
        .map_err(|e| MediaError::Corrupt(format!("{what}: JPEG data: {e}")))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let (format, data) = match info.pixel_format {
        JpegFormat::L8 => (PixelFormat::Gray, pixels),
        JpegFormat::RGB24 => (PixelFormat::Rgb, pixels),
        JpegFormat::L16 => (
            PixelFormat::Gray,
            pixels.chunks_exact(2).map(|c| c[0]).collect(),
        ),
        JpegFormat::CMYK32 => (
            PixelFormat::Rgb,
            pixels
                .chunks_exact(4)
                .flat_map(|c| {
                    let k = 255 - c[3] as u16;
                    [
                        ((255 - c[0] as u16) * k / 255) as u8,
                        ((255 - c[1] as u16) * k / 255) as u8,
                        ((255 - c[2] as u16) * k / 255) as u8,
                    ]
                })
                .collect(),
        ),
    };
    Frame::new(w, h, format, data, 0.0)
        .ok_or_else(|| MediaError::Corrupt(format!("{what}: JPEG decoded to the wrong size")))
}

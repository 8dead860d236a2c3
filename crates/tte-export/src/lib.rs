//! Writes clips the way clinics export them: MP4 (H.264), AVI (MJPEG) and multi-frame DICOM (JPEG Baseline).
//!
//! Encoders are maintained crates: OpenH264 (Cisco's BSD-licensed encoder, built from source by the
//! `openh264` crate) for H.264, `mp4` for the ISO container, `jpeg-encoder` for JPEG frames, and
//! dicom-rs for DICOM. AVI's RIFF layout is simple enough to write here.

mod avi;
mod dicom;
mod mp4_h264;

pub use avi::write_avi;
pub use dicom::{write_dicom, DicomInfo};
pub use mp4_h264::write_mp4;

use tte_frames::{Frame, PixelFormat};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("nothing to write: the clip has no frames")]
    Empty,
    #[error("frames must share one size")]
    MixedSizes,
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// Packed RGB of a frame (grey replicated, alpha dropped).
pub(crate) fn rgb(f: &Frame) -> Vec<u8> {
    match f.format {
        PixelFormat::Rgb => f.data.clone(),
        PixelFormat::Gray => f.data.iter().flat_map(|&g| [g, g, g]).collect(),
        PixelFormat::Rgba => f
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
    }
}

pub(crate) fn check(frames: &[Frame]) -> Result<(usize, usize), ExportError> {
    let f = frames.first().ok_or(ExportError::Empty)?;
    if frames
        .iter()
        .any(|g| (g.width, g.height) != (f.width, f.height))
    {
        return Err(ExportError::MixedSizes);
    }
    Ok((f.width, f.height))
}

pub(crate) fn jpeg(f: &Frame, quality: u8) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.encode(
        &rgb(f),
        f.width as u16,
        f.height as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .map_err(|e| ExportError::Encode(e.to_string()))?;
    Ok(out)
}

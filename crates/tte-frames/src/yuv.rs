//! 8-bit YUV 4:2:0 pictures to RGB, one implementation for every edge: natively libavcodec's
//! pictures and in the page WebCodecs' `I420` copies go through it, so the command line and the
//! web page classify the very same pixels (H.264 decoding is bit-exact by its standard; colour
//! conversions are not, and a grey level here and there moved crops and answers apart).

use crate::{Frame, PixelFormat};

/// Which YUV-to-RGB matrix and range a picture uses (untagged pictures: BT.601, limited).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YuvSpace {
    /// BT.709 coefficients instead of BT.601.
    pub bt709: bool,
    /// Full-range levels (0-255, as JPEG) instead of limited (16-235).
    pub full_range: bool,
}

/// The planes of a 4:2:0 picture: Y at full resolution, U and V at half in each direction.
pub struct Planes<'a> {
    pub y: &'a [u8],
    pub u: &'a [u8],
    pub v: &'a [u8],
    pub y_stride: usize,
    pub uv_stride: usize,
}

/// Converts the `width` x `height` picture at (`x0`, `y0`) of the planes to packed RGB (each
/// chroma sample serves its 2x2 luma block, as the `ffmpeg` command's default conversion does).
/// `None` when the planes are too small for the rectangle.
pub fn yuv420_to_rgb(
    p: &Planes<'_>,
    (x0, y0, width, height): (usize, usize, usize, usize),
    space: YuvSpace,
    time_s: f64,
) -> Option<Frame> {
    let (x1, y1) = (x0.checked_add(width)?, y0.checked_add(height)?);
    let luma_need = (y1.checked_sub(1)?)
        .checked_mul(p.y_stride)?
        .checked_add(x1)?;
    let chroma_need = ((y1 - 1) / 2)
        .checked_mul(p.uv_stride)?
        .checked_add((x1 - 1) / 2 + 1)?;
    if width == 0
        || height == 0
        || p.y.len() < luma_need
        || p.u.len() < chroma_need
        || p.v.len() < chroma_need
    {
        return None;
    }
    // Fixed point, 16 fractional bits.
    let (ky, off) = if space.full_range {
        (65536, 0)
    } else {
        (76309, 16)
    };
    let (rv, gu, gv, bu) = match (space.bt709, space.full_range) {
        (false, false) => (104597, 25675, 53279, 132201),
        (false, true) => (91881, 22554, 46802, 116130),
        (true, false) => (117489, 13975, 34925, 138438),
        (true, true) => (103206, 12276, 30679, 121609),
    };
    let clamp = |v: i32| ((v + 32768) >> 16).clamp(0, 255) as u8;
    let mut out = Vec::with_capacity(width * height * 3);
    for y in y0..y1 {
        let row = &p.y[y * p.y_stride..];
        let (ur, vr) = (&p.u[(y / 2) * p.uv_stride..], &p.v[(y / 2) * p.uv_stride..]);
        for x in x0..x1 {
            let l = ky * (row[x] as i32 - off);
            let (u, v) = (ur[x / 2] as i32 - 128, vr[x / 2] as i32 - 128);
            out.extend_from_slice(&[
                clamp(l + rv * v),
                clamp(l - gu * u - gv * v),
                clamp(l + bu * u),
            ]);
        }
    }
    Frame::new(width, height, PixelFormat::Rgb, out, time_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_range_grey_and_primaries_convert_to_the_expected_rgb() {
        // A 4x2 picture: two 2x2 blocks, black/white luma on grey chroma, then pure red's YUV.
        let y = [16, 235, 81, 81, 16, 235, 81, 81];
        let (u, v) = ([128, 90], [128, 240]);
        let p = Planes {
            y: &y,
            u: &u,
            v: &v,
            y_stride: 4,
            uv_stride: 2,
        };
        let f = yuv420_to_rgb(&p, (0, 0, 4, 2), YuvSpace::default(), 0.0).unwrap();
        assert_eq!(&f.data[0..6], &[0, 0, 0, 255, 255, 255]);
        // BT.601 red (255, 0, 0) is Y 81, U 90, V 240.
        let red = &f.data[6..9];
        assert!(red[0] >= 253 && red[1] <= 2 && red[2] <= 2, "{red:?}");
        // A rectangle inside the picture, and one that does not fit.
        let g = yuv420_to_rgb(&p, (1, 1, 2, 1), YuvSpace::default(), 0.5).unwrap();
        assert_eq!((g.width, g.height, g.time_s), (2, 1, 0.5));
        assert_eq!(&g.data[0..3], &[255, 255, 255]);
        assert!(yuv420_to_rgb(&p, (2, 0, 4, 2), YuvSpace::default(), 0.0).is_none());
    }

    #[test]
    fn full_range_keeps_the_extremes() {
        let y = [0, 255, 0, 255];
        let p = Planes {
            y: &y,
            u: &[128],
            v: &[128],
            y_stride: 2,
            uv_stride: 1,
        };
        let space = YuvSpace {
            bt709: true,
            full_range: true,
        };
        let f = yuv420_to_rgb(&p, (0, 0, 2, 2), space, 0.0).unwrap();
        assert_eq!(f.data, vec![0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]);
    }
}

//! Native video decoding through the system's libavcodec (FFmpeg's decoders, linked
//! dynamically): H.264 of every profile (CABAC, B-frames, several references, slices), HEVC,
//! MPEG-4 Part 2, AV1, VP9, VP8. Containers are demuxed by this crate's own readers; libavcodec
//! only ever sees one coded picture at a time. 8-bit 4:2:0 pictures become RGB through
//! [`tte_frames::yuv`], the conversion the web page uses too; other pixel formats through
//! libswscale, as the `ffmpeg` command converts them.

use crate::isobmff::Codec;
use crate::MediaError;
use ffmpeg_next as ff;
use std::sync::Once;
use tte_frames::{Frame, PixelFormat};

static INIT: Once = Once::new();

fn init() {
    INIT.call_once(|| {
        let _ = ff::init();
        // Damaged streams are reported through our own errors; libav's console lines would only
        // interleave with the CLI's output.
        ff::util::log::set_level(ff::util::log::Level::Fatal);
    });
}

fn codec_id(c: &Codec) -> ff::codec::Id {
    use ff::codec::Id;
    match c {
        Codec::H264 => Id::H264,
        Codec::Hevc => Id::HEVC,
        Codec::Mpeg4Part2 => Id::MPEG4,
        Codec::Av1 => Id::AV1,
        Codec::Vp9 => Id::VP9,
        Codec::Vp8 => Id::VP8,
        Codec::Mjpeg => Id::MJPEG,
    }
}

/// A decoded picture and the presentation time its packet carried.
pub(crate) struct Picture {
    pub pts: Option<i64>,
    pub frame: Frame,
    /// Sample aspect ratio the bitstream declares (1:1 when it declares none).
    pub sample_aspect: (u32, u32),
}

pub(crate) struct Decoder {
    dec: ff::decoder::Video,
    scaler: Option<(ff::software::scaling::Context, ff::format::Pixel, u32, u32)>,
    what: &'static str,
}

impl Decoder {
    /// Opens libavcodec's decoder for `codec` with the container's configuration record
    /// (avcC, hvcC, av1C, MPEG-4 VOL header) as its extradata.
    pub(crate) fn new(codec: &Codec, extradata: &[u8]) -> Result<Self, MediaError> {
        init();
        let what = codec.name();
        let found = ff::decoder::find(codec_id(codec)).ok_or_else(|| {
            MediaError::Unsupported(format!(
                "{} video is not supported by this build: the system's libavcodec has no {what} decoder",
                codec.label()
            ))
        })?;
        let mut ctx = ff::codec::context::Context::new_with_codec(found);
        if !extradata.is_empty() {
            set_extradata(&mut ctx, extradata)?;
        }
        // One thread: frames come out as soon as they can, and results never depend on timing.
        ctx.set_threading(ff::codec::threading::Config {
            kind: ff::codec::threading::Type::None,
            count: 1,
            ..Default::default()
        });
        let dec = ctx.decoder().video().map_err(|e| {
            MediaError::Corrupt(format!(
                "{what} decoder refused the stream's configuration: {e}"
            ))
        })?;
        Ok(Self {
            dec,
            scaler: None,
            what,
        })
    }

    /// Hands one coded picture to the decoder. An error names the damage; the caller decides
    /// whether the clip can go on without it.
    pub(crate) fn send(&mut self, data: &[u8], pts: Option<i64>, key: bool) -> Result<(), String> {
        let mut p = ff::Packet::copy(data);
        p.set_pts(pts);
        p.set_dts(None);
        if key {
            p.set_flags(ff::packet::Flags::KEY);
        }
        self.dec
            .send_packet(&p)
            .map_err(|e| format!("{}: {e}", self.what))
    }

    /// Tells the decoder the stream has ended, so it gives back the pictures it held for reordering.
    pub(crate) fn finish(&mut self) {
        let _ = self.dec.send_eof();
    }

    /// The next picture the decoder has ready, in presentation order, as RGB.
    pub(crate) fn receive(&mut self) -> Result<Option<Picture>, MediaError> {
        let mut f = ff::frame::Video::empty();
        if self.dec.receive_frame(&mut f).is_err() {
            return Ok(None);
        }
        let pts = f.pts().or_else(|| f.timestamp());
        let sar = f.aspect_ratio();
        let sample_aspect = if sar.numerator() > 0 && sar.denominator() > 0 {
            (sar.numerator() as u32, sar.denominator() as u32)
        } else {
            (1, 1)
        };
        let frame = self.to_rgb(&f)?;
        Ok(Some(Picture {
            pts,
            frame,
            sample_aspect,
        }))
    }

    fn to_rgb(&mut self, f: &ff::frame::Video) -> Result<Frame, MediaError> {
        let (fmt, w, h) = (f.format(), f.width(), f.height());
        if w == 0 || h == 0 {
            return Err(MediaError::Corrupt(format!(
                "{} decoder gave an empty picture",
                self.what
            )));
        }
        // 8-bit 4:2:0, what nearly every clip is: converted by the same code the web page runs
        // on WebCodecs' I420 copies, so both edges see the same pixels.
        use ff::format::Pixel;
        if matches!(fmt, Pixel::YUV420P | Pixel::YUVJ420P) {
            // Always the BT.601 matrix: the page cannot tell a tagged BT.709 stream from one the
            // browser guessed was, and grey pixels come out the same under either.
            let space = tte_frames::yuv::YuvSpace {
                bt709: false,
                full_range: fmt == Pixel::YUVJ420P || f.color_range() == ff::color::Range::JPEG,
            };
            let planes = tte_frames::yuv::Planes {
                y: f.data(0),
                u: f.data(1),
                v: f.data(2),
                y_stride: f.stride(0),
                uv_stride: f.stride(1),
            };
            return tte_frames::yuv::yuv420_to_rgb(
                &planes,
                (0, 0, w as usize, h as usize),
                space,
                0.0,
            )
            .ok_or_else(|| {
                MediaError::Corrupt(format!("{} picture planes are too small", self.what))
            });
        }
        let stale = self
            .scaler
            .as_ref()
            .is_none_or(|(_, f0, w0, h0)| (*f0, *w0, *h0) != (fmt, w, h));
        if stale {
            // The same flags as the `ffmpeg` command's own conversion, so the pixels match it.
            let s = ff::software::scaling::Context::get(
                fmt,
                w,
                h,
                ff::format::Pixel::RGB24,
                w,
                h,
                ff::software::scaling::Flags::BICUBIC,
            )
            .map_err(|e| {
                MediaError::Unsupported(format!(
                    "{} pictures in pixel format {fmt:?}: {e}",
                    self.what
                ))
            })?;
            self.scaler = Some((s, fmt, w, h));
        }
        let (s, ..) = self.scaler.as_mut().expect("set above");
        let mut rgb = ff::frame::Video::empty();
        s.run(f, &mut rgb)
            .map_err(|e| MediaError::Corrupt(format!("{} picture conversion: {e}", self.what)))?;
        let (w, h) = (w as usize, h as usize);
        let stride = rgb.stride(0);
        let data = rgb.data(0);
        let mut out = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            out.extend_from_slice(&data[y * stride..y * stride + w * 3]);
        }
        Frame::new(w, h, PixelFormat::Rgb, out, 0.0)
            .ok_or_else(|| MediaError::Corrupt(format!("{} picture has the wrong size", self.what)))
    }
}

fn set_extradata(ctx: &mut ff::codec::context::Context, data: &[u8]) -> Result<(), MediaError> {
    // libavcodec reads extradata with its SIMD bitstream readers, which may look past the end:
    // it must be allocated by av_malloc with AV_INPUT_BUFFER_PADDING_SIZE zeroed bytes after it.
    let pad = ff::ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize;
    let len = i32::try_from(data.len())
        .map_err(|_| MediaError::Corrupt("decoder configuration is larger than 2 GB".into()))?;
    unsafe {
        let p = ff::ffi::av_mallocz(data.len() + pad) as *mut u8;
        if p.is_null() {
            return Err(MediaError::TooLarge(
                "no memory for the decoder configuration".into(),
            ));
        }
        std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len());
        let c = ctx.as_mut_ptr();
        (*c).extradata = p;
        (*c).extradata_size = len;
    }
    Ok(())
}

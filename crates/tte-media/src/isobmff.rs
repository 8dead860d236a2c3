//! ISO base media files read for their video track: MP4, QuickTime `.mov`, fragmented MP4
//! (`moof`/`mdat`) and files whose `moov` comes last.
//!
//! Written for untrusted input: every size and table length is checked against the bytes that
//! are really there before anything is read or allocated, so a lying header costs an error, not
//! memory. Samples keep their decode order; presentation times honour composition offsets
//! (B-frames) and the edit list, as ffmpeg presents them.

use crate::{Limits, MediaError};

/// How a track's samples are coded, with the decoder configuration its sample entry carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Codec {
    /// `avc1`/`avc3` with its AVCDecoderConfigurationRecord (`avcC`).
    H264,
    /// `hvc1`/`hev1` with its HEVCDecoderConfigurationRecord (`hvcC`).
    Hevc,
    /// `mp4v` (MPEG-4 Part 2 Visual), config = the decoder-specific info from `esds`.
    Mpeg4Part2,
    Av1,
    Vp9,
    Vp8,
    /// QuickTime Motion-JPEG (`jpeg`, `mjpa`): each sample is a JPEG image.
    Mjpeg,
}

impl Codec {
    /// How a user would name it in a message.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Codec::H264 => "H.264",
            Codec::Hevc => "HEVC (H.265)",
            Codec::Mpeg4Part2 => "MPEG-4 Part 2",
            Codec::Av1 => "AV1",
            Codec::Vp9 => "VP9",
            Codec::Vp8 => "VP8",
            Codec::Mjpeg => "Motion-JPEG",
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::Hevc => "hevc",
            Codec::Mpeg4Part2 => "mpeg4",
            Codec::Av1 => "av1",
            Codec::Vp9 => "vp9",
            Codec::Vp8 => "vp8",
            Codec::Mjpeg => "mjpeg",
        }
    }
}

/// One coded picture: where its bytes are and when it is shown.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub offset: usize,
    pub size: usize,
    /// Presentation time in track timescale units, edit list applied.
    pub pts: i64,
    pub sync: bool,
    /// False for pictures the edit list cuts off: decoded as references, never presented.
    pub shown: bool,
}

/// The first video track of a file.
#[derive(Debug)]
pub(crate) struct VideoTrack {
    pub fourcc: [u8; 4],
    pub codec: Codec,
    /// avcC / hvcC / av1C / vpcC body, or MPEG-4 decoder-specific info.
    pub config: Vec<u8>,
    pub width: usize,
    pub height: usize,
    /// `pasp` (horizontal, vertical spacing) where the file declares one.
    pub pixel_aspect: Option<(u32, u32)>,
    pub timescale: u32,
    /// In decode order.
    pub samples: Vec<Sample>,
    pub warnings: Vec<String>,
}

type R<T> = Result<T, String>;

/// A cursor over a box body that never reads past it.
struct Rd<'a> {
    b: &'a [u8],
    p: usize,
    what: &'static str,
}

impl<'a> Rd<'a> {
    fn new(b: &'a [u8], what: &'static str) -> Self {
        Self { b, p: 0, what }
    }
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .p
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| format!("`{}` box is shorter than its fields", self.what))?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> R<u64> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }
    /// Version and flags of a full box.
    fn full(&mut self) -> R<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0xFF_FFFF))
    }
    fn left(&self) -> usize {
        self.b.len() - self.p
    }
    /// A table of `count` entries of `size` bytes must fit in what is left: checked before any
    /// allocation sized by `count`.
    fn table(&self, count: u32, size: usize) -> R<usize> {
        let n = count as usize;
        if n.checked_mul(size).is_none_or(|b| b > self.left()) {
            return Err(format!(
                "`{}` box declares {count} entries but holds {} bytes",
                self.what,
                self.left()
            ));
        }
        Ok(n)
    }
}

/// A box: its type, its body and where the body starts in the file.
#[derive(Clone, Copy)]
struct Bx<'a> {
    kind: [u8; 4],
    body: &'a [u8],
    /// File offset of the box's first header byte.
    start: usize,
    /// The declared size ran past the bytes there (a cut-short file): the body is what is there.
    cut: bool,
}

/// The boxes laid end to end in `data`, which starts at file offset `base`.
fn boxes(data: &[u8], base: usize) -> impl Iterator<Item = R<Bx<'_>>> {
    let mut pos = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done || pos + 8 > data.len() {
            return None;
        }
        let size32 = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as u64;
        let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
        let (header, size) = match size32 {
            0 => (8u64, (data.len() - pos) as u64),
            1 => {
                let Some(s) = data.get(pos + 8..pos + 16) else {
                    done = true;
                    return Some(Err(format!(
                        "`{}` box's 64-bit size is cut off",
                        fourcc(&kind)
                    )));
                };
                (16, u64::from_be_bytes(s.try_into().unwrap()))
            }
            s => (8, s),
        };
        if size < header {
            done = true;
            return Some(Err(format!(
                "`{}` box declares {size} bytes, less than its own header",
                fourcc(&kind)
            )));
        }
        let left = (data.len() - pos) as u64;
        let cut = size > left;
        let end = pos + size.min(left) as usize;
        let b = Bx {
            kind,
            body: &data[pos + header as usize..end],
            start: base + pos,
            cut,
        };
        if cut {
            done = true;
        }
        pos = end;
        Some(Ok(b))
    })
}

fn fourcc(k: &[u8; 4]) -> String {
    k.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}

/// The first child of the given type. (Children's file offsets are not needed: only top-level
/// `moof` boxes anchor data offsets.)
fn child<'a>(parent: &Bx<'a>, kind: &[u8; 4]) -> R<Option<Bx<'a>>> {
    for b in boxes(parent.body, 0) {
        let b = b?;
        if &b.kind == kind {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

fn need<'a>(parent: &Bx<'a>, kind: &[u8; 4]) -> R<Bx<'a>> {
    child(parent, kind)?.ok_or_else(|| {
        format!(
            "`{}` box has no `{}` inside",
            fourcc(&parent.kind),
            fourcc(kind)
        )
    })
}

/// Defaults a movie's `trex` gives its fragments.
#[derive(Clone, Copy, Default)]
struct Trex {
    duration: u32,
    size: u32,
    flags: u32,
}

/// Reads the first video track of an ISO base media file.
pub(crate) fn read(file: &[u8], limits: &Limits) -> Result<VideoTrack, MediaError> {
    read_inner(file, limits).map_err(|e| match e {
        Fail::Corrupt(m) => MediaError::Corrupt(m),
        Fail::Media(m) => m,
    })
}

enum Fail {
    Corrupt(String),
    Media(MediaError),
}

impl From<String> for Fail {
    fn from(s: String) -> Self {
        Fail::Corrupt(s)
    }
}

impl From<MediaError> for Fail {
    fn from(e: MediaError) -> Self {
        Fail::Media(e)
    }
}

fn read_inner(file: &[u8], limits: &Limits) -> Result<VideoTrack, Fail> {
    let mut moov = None;
    let mut moofs = Vec::new();
    let mut cut_before_moov = false;
    for b in boxes(file, 0) {
        let b = b?;
        match &b.kind {
            b"moov" => moov = Some(b),
            b"moof" if !b.cut => moofs.push(b),
            _ => {}
        }
        if b.cut && moov.is_none() {
            cut_before_moov = true;
        }
    }
    let Some(moov) = moov else {
        if cut_before_moov {
            return Err(MediaError::Truncated(
                "the file ends before its index (`moov`); an MP4 that keeps its index last was cut short".into(),
            )
            .into());
        }
        return Err(
            "no movie header (`moov` box): not a playable MP4/QuickTime file"
                .to_string()
                .into(),
        );
    };
    if moov.cut {
        return Err(MediaError::Truncated(format!(
            "the movie index (`moov`) declares more bytes than the file holds after byte {}: the file was cut short",
            moov.start
        ))
        .into());
    }
    let movie_scale = {
        let mvhd = need(&moov, b"mvhd")?;
        let mut r = Rd::new(mvhd.body, "mvhd");
        let (v, _) = r.full()?;
        r.take(if v == 1 { 16 } else { 8 })?;
        r.u32()?.max(1)
    };
    let mut found = None;
    let mut other_kinds = Vec::new();
    for t in boxes(moov.body, moov.start + 8) {
        let t = t?;
        if &t.kind != b"trak" {
            continue;
        }
        let mdia = need(&t, b"mdia")?;
        let hdlr = need(&mdia, b"hdlr")?;
        let mut r = Rd::new(hdlr.body, "hdlr");
        r.full()?;
        r.u32()?;
        let handler = r.take(4)?;
        if handler == b"vide" {
            found = Some(t);
            break;
        }
        other_kinds.push(fourcc(&handler.try_into().unwrap()));
    }
    let trak = found.ok_or_else(|| {
        format!(
            "no video track (tracks: {})",
            if other_kinds.is_empty() {
                "none".to_string()
            } else {
                other_kinds.join(", ")
            }
        )
    })?;
    let track_id = {
        let tkhd = need(&trak, b"tkhd")?;
        let mut r = Rd::new(tkhd.body, "tkhd");
        let (v, _) = r.full()?;
        r.take(if v == 1 { 16 } else { 8 })?;
        r.u32()?
    };
    let mdia = need(&trak, b"mdia")?;
    let timescale = {
        let mdhd = need(&mdia, b"mdhd")?;
        let mut r = Rd::new(mdhd.body, "mdhd");
        let (v, _) = r.full()?;
        r.take(if v == 1 { 16 } else { 8 })?;
        r.u32()?.max(1)
    };
    let stbl = need(&need(&mdia, b"minf")?, b"stbl")?;
    let entry = sample_entry(&stbl)?;
    limits.check(entry.width as u64, entry.height as u64, 1, 3)?;
    let mut warnings = Vec::new();
    let mut timed = sample_table(&stbl, limits, &mut warnings)?;
    let trex = child(&moov, b"mvex")?
        .map(|mvex| trex_for(&mvex, track_id))
        .transpose()?
        .flatten()
        .unwrap_or_default();
    for moof in &moofs {
        fragment(moof, track_id, trex, &mut timed, limits)?;
    }
    let edit = child(&trak, b"edts")?
        .map(|e| edit_list(&e, movie_scale, timescale))
        .transpose()?
        .flatten();
    let samples = present(timed, edit, file.len(), &mut warnings)?;
    Ok(VideoTrack {
        fourcc: entry.fourcc,
        codec: entry.codec,
        config: entry.config,
        width: entry.width,
        height: entry.height,
        pixel_aspect: entry.pasp,
        timescale,
        samples,
        warnings,
    })
}

struct Entry {
    fourcc: [u8; 4],
    codec: Codec,
    config: Vec<u8>,
    width: usize,
    height: usize,
    pasp: Option<(u32, u32)>,
}

/// The first sample description: codec, size and decoder configuration.
fn sample_entry(stbl: &Bx<'_>) -> Result<Entry, Fail> {
    let stsd = need(stbl, b"stsd")?;
    let mut r = Rd::new(stsd.body, "stsd");
    r.full()?;
    if r.u32()? == 0 {
        return Err("sample description table is empty".to_string().into());
    }
    let rest = &stsd.body[r.p..];
    let e = boxes(rest, 0)
        .next()
        .ok_or_else(|| "sample description is cut off".to_string())??;
    let name = fourcc(&e.kind);
    let codec = match &e.kind {
        b"avc1" | b"avc3" => Codec::H264,
        b"hvc1" | b"hev1" => Codec::Hevc,
        b"mp4v" => Codec::Mpeg4Part2,
        b"av01" => Codec::Av1,
        b"vp09" => Codec::Vp9,
        b"vp08" => Codec::Vp8,
        b"jpeg" | b"mjpa" => Codec::Mjpeg,
        b"encv" => {
            return Err(MediaError::Unsupported(
                "the video is encrypted (DRM): export it without protection".into(),
            )
            .into())
        }
        _ => {
            return Err(MediaError::Unsupported(format!(
                "video codec `{name}` in MP4/QuickTime; tteview reads H.264, HEVC, MPEG-4 Part 2, AV1, VP9, VP8 and Motion-JPEG"
            ))
            .into())
        }
    };
    let mut er = Rd::new(e.body, "video sample entry");
    er.take(24)?;
    let width = er.u16()? as usize;
    let height = er.u16()? as usize;
    er.take(50)?;
    let children = &e.body[er.p..];
    let mut config = None;
    let mut pasp = None;
    for c in boxes(children, 0) {
        let Ok(c) = c else { break };
        match &c.kind {
            b"avcC" | b"hvcC" | b"av1C" => config = Some(c.body.to_vec()),
            b"vpcC" => config = Some(c.body.to_vec()),
            b"esds" => config = Some(esds_specific_info(c.body)?),
            b"pasp" => {
                let mut p = Rd::new(c.body, "pasp");
                let (h, v) = (p.u32()?, p.u32()?);
                if h > 0 && v > 0 {
                    pasp = Some((h, v));
                }
            }
            _ => {}
        }
    }
    let needs_config = matches!(codec, Codec::H264 | Codec::Hevc);
    let config = match config {
        Some(c) => c,
        None if needs_config => {
            return Err(
                format!("`{name}` sample entry has no decoder configuration (avcC/hvcC)").into(),
            )
        }
        None => Vec::new(),
    };
    Ok(Entry {
        fourcc: e.kind,
        codec,
        config,
        width,
        height,
        pasp,
    })
}

/// The DecoderSpecificInfo inside an `esds` box (an MPEG-4 Part 2 stream's VOL header).
fn esds_specific_info(body: &[u8]) -> R<Vec<u8>> {
    let mut r = Rd::new(body, "esds");
    r.full()?;
    // Descriptors: tag, then a size in up to four 7-bit groups.
    fn descriptor<'a>(r: &mut Rd<'a>) -> R<(u8, &'a [u8])> {
        let tag = r.u8()?;
        let mut len = 0usize;
        for _ in 0..4 {
            let b = r.u8()?;
            len = (len << 7) | (b & 0x7F) as usize;
            if b & 0x80 == 0 {
                break;
            }
        }
        let n = len.min(r.left());
        Ok((tag, r.take(n)?))
    }
    let (tag, es) = descriptor(&mut r)?;
    if tag != 3 {
        return Ok(Vec::new());
    }
    let mut e = Rd::new(es, "esds ES descriptor");
    e.u16()?;
    let flags = e.u8()?;
    if flags & 0x80 != 0 {
        e.u16()?;
    }
    if flags & 0x40 != 0 {
        let n = e.u8()? as usize;
        e.take(n)?;
    }
    if flags & 0x20 != 0 {
        e.u16()?;
    }
    while e.left() > 0 {
        let (tag, dc) = descriptor(&mut e)?;
        if tag == 4 {
            let mut d = Rd::new(dc, "esds decoder config");
            d.take(13)?;
            while d.left() > 0 {
                let (tag, info) = descriptor(&mut d)?;
                if tag == 5 {
                    return Ok(info.to_vec());
                }
            }
        }
    }
    Ok(Vec::new())
}

/// A sample before the edit list: decode time, composition offset, duration.
#[derive(Clone, Debug)]
struct Timed {
    offset: u64,
    size: u64,
    dts: i64,
    cto: i64,
    duration: i64,
    sync: bool,
}

/// Expands the sample tables of a (non-fragmented) track.
fn sample_table(stbl: &Bx<'_>, limits: &Limits, warnings: &mut Vec<String>) -> R<Vec<Timed>> {
    // Sizes first: they give the sample count every other table is checked against.
    let (sizes, count) = if let Some(stsz) = child(stbl, b"stsz")? {
        let mut r = Rd::new(stsz.body, "stsz");
        r.full()?;
        let fixed = r.u32()?;
        let count = r.u32()?;
        check_count(count as u64, limits)?;
        if fixed != 0 {
            (vec![fixed as u64; count as usize], count as usize)
        } else {
            let n = r.table(count, 4)?;
            let v = (0..n)
                .map(|_| r.u32().map(u64::from))
                .collect::<R<Vec<_>>>()?;
            (v, n)
        }
    } else if let Some(stz2) = child(stbl, b"stz2")? {
        let mut r = Rd::new(stz2.body, "stz2");
        r.full()?;
        r.take(3)?;
        let bits = r.u8()?;
        let count = r.u32()?;
        check_count(count as u64, limits)?;
        let n = count as usize;
        let need = match bits {
            4 => n.div_ceil(2),
            8 => n,
            16 => n * 2,
            _ => return Err(format!("`stz2` field size {bits} is not 4, 8 or 16")),
        };
        let raw = r.take(need)?;
        let v = (0..n)
            .map(|i| match bits {
                4 => ((raw[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xF) as u64,
                8 => raw[i] as u64,
                _ => u16::from_be_bytes([raw[2 * i], raw[2 * i + 1]]) as u64,
            })
            .collect();
        (v, n)
    } else {
        return Ok(Vec::new());
    };
    if count == 0 {
        return Ok(Vec::new());
    }
    let offsets = chunk_offsets(stbl)?;
    let stsc = {
        let b = need(stbl, b"stsc")?;
        let mut r = Rd::new(b.body, "stsc");
        r.full()?;
        let n = r.u32()?;
        let n = r.table(n, 12)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let (first, per, _desc) = (r.u32()?, r.u32()?, r.u32()?);
            if first == 0 {
                return Err("sample-to-chunk entry names chunk 0 (chunks count from 1)".into());
            }
            v.push((first as u64, per as u64));
        }
        v
    };
    // Sample offsets: walk chunks, each holding the samples its stsc run says.
    let mut at = Vec::with_capacity(count);
    let mut s = 0usize;
    for (ci, &chunk_start) in offsets.iter().enumerate() {
        if s >= count {
            break;
        }
        let chunk_no = ci as u64 + 1;
        let per = stsc
            .iter()
            .take_while(|&&(first, _)| first <= chunk_no)
            .last()
            .map(|&(_, p)| p)
            .unwrap_or(0);
        let mut pos = chunk_start;
        for _ in 0..per.min((count - s) as u64) {
            at.push(pos);
            pos = pos.saturating_add(sizes[s]);
            s += 1;
        }
    }
    if at.is_empty() {
        return Err(format!(
            "the sample tables place none of the track's {count} samples in a chunk"
        ));
    }
    if at.len() < count {
        warnings.push(format!(
            "sample tables place {} of {count} samples; reading those",
            at.len()
        ));
    }
    let n = at.len();
    // Decode times from stts; a table covering too few samples repeats its last duration.
    let stts = {
        let b = need(stbl, b"stts")?;
        let mut r = Rd::new(b.body, "stts");
        r.full()?;
        let k = r.u32()?;
        let k = r.table(k, 8)?;
        (0..k)
            .map(|_| Ok((r.u32()? as u64, r.u32()? as i64)))
            .collect::<R<Vec<_>>>()?
    };
    let mut durations = Vec::with_capacity(n);
    for &(c, d) in &stts {
        for _ in 0..c.min((n - durations.len()) as u64) {
            durations.push(d);
        }
        if durations.len() >= n {
            break;
        }
    }
    let last = durations.last().copied().unwrap_or(1);
    durations.resize(n, last);
    let mut ctos = vec![0i64; n];
    if let Some(ctts) = child(stbl, b"ctts")? {
        let mut r = Rd::new(ctts.body, "ctts");
        r.full()?;
        let k = r.u32()?;
        let k = r.table(k, 8)?;
        let mut i = 0usize;
        for _ in 0..k {
            let (c, off) = (r.u32()? as u64, r.u32()? as i32 as i64);
            for _ in 0..c.min((n - i) as u64) {
                ctos[i] = off;
                i += 1;
            }
        }
    }
    let sync: Option<Vec<u32>> = child(stbl, b"stss")?
        .map(|b| {
            let mut r = Rd::new(b.body, "stss");
            r.full()?;
            let k = r.u32()?;
            let k = r.table(k, 4)?;
            (0..k).map(|_| r.u32()).collect::<R<Vec<_>>>()
        })
        .transpose()?;
    let mut dts = 0i64;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let is_sync = match &sync {
            None => true,
            Some(v) => v.binary_search(&(i as u32 + 1)).is_ok(),
        };
        out.push(Timed {
            offset: at[i],
            size: sizes[i],
            dts,
            cto: ctos[i],
            duration: durations[i],
            sync: is_sync,
        });
        dts = dts.saturating_add(durations[i]);
    }
    Ok(out)
}

fn check_count(n: u64, limits: &Limits) -> R<()> {
    if n > limits.max_frames {
        return Err(format!(
            "the track declares {n} samples, over the limit of {}",
            limits.max_frames
        ));
    }
    Ok(())
}

fn chunk_offsets(stbl: &Bx<'_>) -> R<Vec<u64>> {
    if let Some(b) = child(stbl, b"stco")? {
        let mut r = Rd::new(b.body, "stco");
        r.full()?;
        let n = r.u32()?;
        let n = r.table(n, 4)?;
        (0..n).map(|_| r.u32().map(u64::from)).collect()
    } else if let Some(b) = child(stbl, b"co64")? {
        let mut r = Rd::new(b.body, "co64");
        r.full()?;
        let n = r.u32()?;
        let n = r.table(n, 8)?;
        (0..n).map(|_| r.u64()).collect()
    } else {
        Err("sample table has no chunk offsets (`stco`/`co64`)".into())
    }
}

fn trex_for(mvex: &Bx<'_>, track_id: u32) -> R<Option<Trex>> {
    for b in boxes(mvex.body, 0) {
        let b = b?;
        if &b.kind != b"trex" {
            continue;
        }
        let mut r = Rd::new(b.body, "trex");
        r.full()?;
        if r.u32()? != track_id {
            continue;
        }
        r.u32()?;
        return Ok(Some(Trex {
            duration: r.u32()?,
            size: r.u32()?,
            flags: r.u32()?,
        }));
    }
    Ok(None)
}

/// A sample is a sync sample when its flags do not say "non-sync" (ISO 14496-12 8.8.3.1).
fn flags_sync(flags: u32) -> bool {
    flags & 0x0001_0000 == 0
}

/// Appends the samples one movie fragment holds for our track.
fn fragment(
    moof: &Bx<'_>,
    track_id: u32,
    trex: Trex,
    out: &mut Vec<Timed>,
    limits: &Limits,
) -> R<()> {
    for traf in boxes(moof.body, moof.start + 8) {
        let traf = traf?;
        if &traf.kind != b"traf" {
            continue;
        }
        let tfhd = need(&traf, b"tfhd")?;
        let mut r = Rd::new(tfhd.body, "tfhd");
        let (_, flags) = r.full()?;
        if r.u32()? != track_id {
            continue;
        }
        let base = if flags & 0x1 != 0 {
            r.u64()?
        } else {
            moof.start as u64
        };
        if flags & 0x2 != 0 {
            r.u32()?;
        }
        let dur = if flags & 0x8 != 0 {
            r.u32()?
        } else {
            trex.duration
        };
        let size = if flags & 0x10 != 0 {
            r.u32()?
        } else {
            trex.size
        };
        let sflags = if flags & 0x20 != 0 {
            r.u32()?
        } else {
            trex.flags
        };
        let mut dts = match child(&traf, b"tfdt")? {
            Some(t) => {
                let mut r = Rd::new(t.body, "tfdt");
                let (v, _) = r.full()?;
                (if v == 1 { r.u64()? } else { r.u32()? as u64 }).min(i64::MAX as u64) as i64
            }
            None => out
                .last()
                .map(|s| s.dts.saturating_add(s.duration))
                .unwrap_or(0),
        };
        let mut cursor = base;
        for trun in boxes(traf.body, 0) {
            let trun = trun?;
            if &trun.kind != b"trun" {
                continue;
            }
            let mut r = Rd::new(trun.body, "trun");
            let (version, tf) = r.full()?;
            let count = r.u32()?;
            check_count(out.len() as u64 + count as u64, limits)?;
            if tf & 0x1 != 0 {
                cursor = (base as i64).saturating_add(r.u32()? as i32 as i64).max(0) as u64;
            }
            let first_flags = if tf & 0x4 != 0 { Some(r.u32()?) } else { None };
            let per = [0x100, 0x200, 0x400, 0x800]
                .iter()
                .filter(|&&f| tf & f != 0)
                .count()
                * 4;
            let n = r.table(count, per)?;
            for i in 0..n {
                let d = if tf & 0x100 != 0 { r.u32()? } else { dur } as i64;
                let s = if tf & 0x200 != 0 { r.u32()? } else { size } as u64;
                let f = if tf & 0x400 != 0 {
                    r.u32()?
                } else if i == 0 {
                    first_flags.unwrap_or(sflags)
                } else {
                    sflags
                };
                let cto = if tf & 0x800 != 0 {
                    let v = r.u32()?;
                    if version == 0 {
                        v as i64
                    } else {
                        v as i32 as i64
                    }
                } else {
                    0
                };
                out.push(Timed {
                    offset: cursor,
                    size: s,
                    dts,
                    cto,
                    duration: d,
                    sync: flags_sync(f),
                });
                cursor = cursor.saturating_add(s);
                dts = dts.saturating_add(d);
            }
        }
    }
    Ok(())
}

/// The edit that places the media on the timeline: (shift before it, media start, length),
/// all in track timescale units; `None` length means "to the end".
#[derive(Clone, Copy, Debug)]
struct Edit {
    shift: i64,
    media_time: i64,
    length: Option<i64>,
}

fn edit_list(edts: &Bx<'_>, movie_scale: u32, track_scale: u32) -> R<Option<Edit>> {
    let Some(elst) = child(edts, b"elst")? else {
        return Ok(None);
    };
    let mut r = Rd::new(elst.body, "elst");
    let (v, _) = r.full()?;
    let n = r.u32()?;
    let n = r.table(n, if v == 1 { 20 } else { 12 })?;
    let to_track = |d: u64| {
        (d as u128 * track_scale as u128 / movie_scale as u128).min(i64::MAX as u128) as i64
    };
    let mut shift = 0i64;
    for _ in 0..n {
        let (dur, media) = if v == 1 {
            (r.u64()?, r.u64()? as i64)
        } else {
            (r.u32()? as u64, r.u32()? as i32 as i64)
        };
        r.u32()?;
        if media == -1 {
            shift = shift.saturating_add(to_track(dur));
            continue;
        }
        // Only the first edit that shows media is honoured: players that read more (seamless
        // loops, cuts) are rare among clinical exports.
        return Ok(Some(Edit {
            shift,
            media_time: media,
            length: (dur > 0).then(|| to_track(dur)),
        }));
    }
    Ok(None)
}

/// Presentation times after the edit list, and the samples whose bytes are in the file.
fn present(
    timed: Vec<Timed>,
    edit: Option<Edit>,
    file_len: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Sample>, Fail> {
    let total = timed.len();
    let mut out = Vec::with_capacity(total);
    for t in timed {
        let end = t.offset.checked_add(t.size);
        if end.is_none_or(|e| e > file_len as u64) || t.size == 0 {
            if t.size > 0 {
                break;
            }
            continue;
        }
        let cts = t.dts.saturating_add(t.cto);
        let (pts, shown) = match edit {
            Some(e) => {
                let pts = cts.saturating_sub(e.media_time).saturating_add(e.shift);
                let after_start = pts.saturating_add(t.duration.max(1)) > e.shift;
                let before_end = e.length.is_none_or(|l| pts < e.shift.saturating_add(l));
                (pts, after_start && before_end)
            }
            None => (cts, true),
        };
        out.push(Sample {
            offset: t.offset as usize,
            size: t.size as usize,
            pts,
            sync: t.sync,
            shown,
        });
    }
    if out.len() < total {
        warnings.push(format!(
            "the file holds {} of the {total} video samples its index lists (cut short?); reading those",
            out.len()
        ));
    }
    if !out.iter().any(|s| s.shown) {
        return Err(
            MediaError::Truncated("the video track has no samples in the file".into()).into(),
        );
    }
    Ok(out)
}

/// The WebCodecs codec string for a track (RFC 6381 style), where WebCodecs knows the codec.
pub(crate) fn codec_string(codec: &Codec, fourcc4: &[u8; 4], c: &[u8]) -> Option<String> {
    Some(match codec {
        Codec::H264 if c.len() >= 4 => format!("avc1.{:02x}{:02x}{:02x}", c[1], c[2], c[3]),
        Codec::H264 => "avc1.42e01e".into(),
        Codec::Hevc if c.len() >= 13 => {
            let space = ["", "A", "B", "C"][(c[1] >> 6) as usize];
            let tier = if c[1] & 0x20 != 0 { 'H' } else { 'L' };
            let compat = u32::from_be_bytes([c[2], c[3], c[4], c[5]]).reverse_bits();
            let mut cons: Vec<u8> = c[6..12].to_vec();
            while cons.last() == Some(&0) {
                cons.pop();
            }
            let mut s = format!(
                "{}.{}{}.{:x}.{}{}",
                fourcc(fourcc4),
                space,
                c[1] & 0x1F,
                compat,
                tier,
                c[12]
            );
            for b in cons {
                s.push_str(&format!(".{b:02X}"));
            }
            s
        }
        Codec::Hevc => "hvc1.1.6.L93.B0".into(),
        Codec::Av1 if c.len() >= 3 => {
            let profile = c[1] >> 5;
            let level = c[1] & 0x1F;
            let tier = if c[2] & 0x80 != 0 { 'H' } else { 'M' };
            let depth = if c[2] & 0x40 != 0 {
                if c[2] & 0x20 != 0 {
                    12
                } else {
                    10
                }
            } else {
                8
            };
            format!("av01.{profile}.{level:02}{tier}.{depth:02}")
        }
        Codec::Av1 => "av01.0.04M.08".into(),
        Codec::Vp9 if c.len() >= 7 => format!("vp09.{:02}.{:02}.{:02}", c[4], c[5], c[6] >> 4),
        Codec::Vp9 => "vp09.00.10.08".into(),
        Codec::Vp8 => "vp8".into(),
        Codec::Mpeg4Part2 | Codec::Mjpeg => return None,
    })
}

//! AVI (RIFF) with Motion-JPEG frames and an idx1 index.

use crate::{check, jpeg, ExportError};
use tte_frames::Frame;

fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

fn list(id: &[u8; 4], kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut inner = kind.to_vec();
    inner.extend_from_slice(body);
    let mut out = Vec::new();
    chunk(&mut out, id, &inner);
    out
}

fn le(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

/// Encodes `frames` at `fps` as an MJPEG AVI.
pub fn write_avi(frames: &[Frame], fps: f32, quality: u8) -> Result<Vec<u8>, ExportError> {
    let (w, h) = check(frames)?;
    let jpegs: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| jpeg(f, quality))
        .collect::<Result<_, _>>()?;
    let max = jpegs.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let (scale, rate) = (1000u32, (fps * 1000.0).round() as u32);

    let mut avih = Vec::new();
    for v in [
        (1e6 / fps as f64).round() as u32,
        max * fps as u32,
        0,
        0x10,
        frames.len() as u32,
        0,
        1,
        max,
        w as u32,
        h as u32,
        0,
        0,
        0,
        0,
    ] {
        le(&mut avih, v);
    }
    let mut strh = b"vidsMJPG".to_vec();
    for v in [
        0u32,
        0,
        0,
        scale,
        rate,
        0,
        frames.len() as u32,
        max,
        u32::MAX,
        0,
    ] {
        le(&mut strh, v);
    }
    strh.extend_from_slice(&[0, 0, 0, 0]);
    strh.extend_from_slice(&(w as u16).to_le_bytes());
    strh.extend_from_slice(&(h as u16).to_le_bytes());
    let mut strf = Vec::new();
    for v in [40u32, w as u32, h as u32] {
        le(&mut strf, v);
    }
    strf.extend_from_slice(&1u16.to_le_bytes());
    strf.extend_from_slice(&24u16.to_le_bytes());
    strf.extend_from_slice(b"MJPG");
    for v in [(w * h * 3) as u32, 0, 0, 0, 0] {
        le(&mut strf, v);
    }
    let mut strl = Vec::new();
    chunk(&mut strl, b"strh", &strh);
    chunk(&mut strl, b"strf", &strf);
    let mut hdrl = Vec::new();
    chunk(&mut hdrl, b"avih", &avih);
    hdrl.extend(list(b"LIST", b"strl", &strl));

    let mut movi = Vec::new();
    let mut idx = Vec::new();
    for j in &jpegs {
        // idx1 offsets count from the 'movi' fourcc.
        let offset = 4 + movi.len() as u32;
        chunk(&mut movi, b"00dc", j);
        idx.extend_from_slice(b"00dc");
        le(&mut idx, 0x10);
        le(&mut idx, offset);
        le(&mut idx, j.len() as u32);
    }
    let mut body = list(b"LIST", b"hdrl", &hdrl);
    body.extend(list(b"LIST", b"movi", &movi));
    chunk(&mut body, b"idx1", &idx);
    Ok(list(b"RIFF", b"AVI ", &body))
}

//! A walk over an MP4's box tree, before the mp4 crate reads it, that refuses boxes whose sizes
//! cannot be right: smaller than their own header, or larger than the box holding them. The mp4
//! crate skips a child box by seeking to `start + size`, so a child of size 0 sends it back to
//! the same header forever (found by the `mp4` fuzz target: a 2 kB file that never returned).

/// Boxes whose payload is a list of boxes, with the offset of the first child in the payload.
fn children_offset(kind: &[u8; 4]) -> Option<usize> {
    match kind {
        b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"dinf" | b"edts" | b"udta" | b"mvex"
        | b"moof" | b"traf" | b"mfra" => Some(0),
        // Full boxes: version and flags, then the entry count. The crate walks dref's entries
        // up to the count (not the box's end) while the position stays inside, so a zero-sized
        // entry and a forged count of 200 million kept it busy for seconds (fuzz finding).
        b"stsd" | b"dref" => Some(8),
        // Visual sample entries: 78 bytes of fixed fields before their child boxes (avcC, ...).
        b"avc1" | b"avc3" | b"hvc1" | b"hev1" | b"vp08" | b"vp09" | b"av01" | b"mp4v" | b"encv" => {
            Some(78)
        }
        // Audio sample entries: 28 bytes of fixed fields.
        b"mp4a" | b"enca" => Some(28),
        _ => None,
    }
}

const MAX_DEPTH: usize = 16;

/// Refuses a file whose box sizes would send the parser backwards or out of its parent.
pub(crate) fn check(bytes: &[u8]) -> Result<(), String> {
    boxes(bytes, 0, bytes.len(), true, 0)
}

fn boxes(bytes: &[u8], mut pos: usize, end: usize, top: bool, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "MP4 boxes nested more than {MAX_DEPTH} deep (corrupt or hostile file)"
        ));
    }
    while pos + 8 <= end {
        let size32 = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as u64;
        let kind: [u8; 4] = bytes[pos + 4..pos + 8].try_into().unwrap();
        let name = String::from_utf8_lossy(&kind).escape_default().to_string();
        let (size, header) = match size32 {
            0 if top => return Ok(()), // the last box runs to the end of the file
            1 => {
                let Some(large) = bytes.get(pos + 8..pos + 16) else {
                    return Ok(());
                };
                (u64::from_be_bytes(large.try_into().unwrap()), 16)
            }
            s => (s, 8),
        };
        if size < header {
            return Err(format!(
                "MP4 box '{name}' at byte {pos} declares {size} bytes, less than its own {header}-byte header (corrupt file)"
            ));
        }
        if size > (end - pos) as u64 {
            // A truncated last box is fine to leave to the mp4 crate (it reports it), except a
            // container: the crate walks a cut-off moov past the end of the file and never stops.
            if top && children_offset(&kind).is_none() {
                return Ok(());
            }
            return Err(format!(
                "MP4 box '{name}' at byte {pos} declares {size} bytes but only {} remain in {} (corrupt or truncated file)",
                end - pos,
                if top { "the file" } else { "its parent" }
            ));
        }
        let box_end = pos + size as usize;
        if let Some(skip) = children_offset(&kind) {
            let first = pos + header as usize + skip;
            if first <= box_end {
                boxes(bytes, first, box_end, false, depth + 1)?;
            }
        }
        pos = box_end;
    }
    // A few bytes too short for a header: the crate would read one anyway, past the box's end.
    if !top && pos < end {
        return Err(format!(
            "MP4 container ends with {} stray bytes at byte {pos}, too few for a box (corrupt file)",
            end - pos
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn a_well_formed_tree_passes() {
        let trak = boxed(b"trak", &boxed(b"tkhd", &[0; 84]));
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isom");
        file.extend(boxed(b"moov", &[boxed(b"mvhd", &[0; 100]), trak].concat()));
        file.extend(boxed(b"mdat", &[1; 50]));
        assert_eq!(check(&file), Ok(()));
    }

    #[test]
    fn a_zero_sized_child_is_refused() {
        // The fuzzer's hang: a box of size 0 inside moov.
        let mut moov_payload = boxed(b"mvhd", &[0; 100]);
        moov_payload.extend([0, 0, 0, 0, b'f', b'r', b'e', b'e']);
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isom");
        file.extend(boxed(b"moov", &moov_payload));
        let err = check(&file).unwrap_err();
        assert!(
            err.contains("'free'") && err.contains("declares 0 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_zero_sized_data_reference_is_refused() {
        // The fuzzer's slow input: dref counts 201 million entries and its first is 0 bytes long.
        let mut dref = vec![0, 0, 0, 0, 0x0c, 0x01, 0, 0];
        dref.extend([0, 0, 0, 0, b'u', b'r', b'l', b' ', 0, 0, 0, 1]);
        let dinf = boxed(b"dinf", &boxed(b"dref", &dref));
        let file = boxed(
            b"moov",
            &boxed(b"trak", &boxed(b"mdia", &boxed(b"minf", &dinf))),
        );
        let err = check(&file).unwrap_err();
        assert!(
            err.contains("'url '") && err.contains("declares 0 bytes"),
            "{err}"
        );
        // A well-formed data reference passes.
        let dref = [vec![0, 0, 0, 0, 0, 0, 0, 1], boxed(b"url ", &[0, 0, 0, 1])].concat();
        let dinf = boxed(b"dinf", &boxed(b"dref", &dref));
        assert_eq!(check(&boxed(b"moov", &dinf)), Ok(()));
    }

    #[test]
    fn a_child_larger_than_its_parent_is_refused() {
        let mut inner = boxed(b"avcC", &[1; 20]);
        inner[3] = 200;
        let mut entry = vec![0u8; 78];
        entry.extend(inner);
        let stsd = boxed(b"stsd", &[vec![0u8; 8], boxed(b"avc1", &entry)].concat());
        let file = boxed(
            b"moov",
            &boxed(
                b"trak",
                &boxed(b"mdia", &boxed(b"minf", &boxed(b"stbl", &stsd))),
            ),
        );
        let err = check(&file).unwrap_err();
        assert!(err.contains("'avcC'") && err.contains("parent"), "{err}");
    }

    #[test]
    fn a_cut_off_moov_is_refused_but_a_cut_off_mdat_is_not() {
        let moov = boxed(b"moov", &boxed(b"trak", &boxed(b"tkhd", &[0; 84])));
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isom");
        file.extend(&moov[..moov.len() - 10]);
        let err = check(&file).unwrap_err();
        assert!(err.contains("'moov'"), "{err}");
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isom");
        file.extend(moov);
        let mdat = boxed(b"mdat", &[5; 100]);
        file.extend(&mdat[..50]);
        assert_eq!(check(&file), Ok(()));
    }

    #[test]
    fn stray_bytes_at_the_end_of_a_container_are_refused() {
        // The fuzzer's hang: a moof with one byte of payload, then a zero-sized "box" after it.
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isom");
        file.extend(boxed(b"moof", &[0xC7]));
        file.extend([0x08, b'm', b'i', 0, 0, 0, 0, 0, 0, 0]);
        let err = check(&file).unwrap_err();
        assert!(err.contains("1 stray bytes"), "{err}");
    }

    #[test]
    fn a_last_box_to_the_end_of_the_file_is_allowed_at_top_level() {
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isom");
        file.extend([0, 0, 0, 0, b'm', b'd', b'a', b't', 9, 9, 9]);
        assert_eq!(check(&file), Ok(()));
    }
}

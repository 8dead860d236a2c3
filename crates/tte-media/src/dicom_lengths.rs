//! A pass over a DICOM file's element headers, before dicom-rs parses it, that refuses any
//! element claiming more bytes than the file has left. dicom-rs reserves an element's declared
//! length before reading it, so one forged header (a 4 GB "length" in a 2 kB file) would
//! otherwise ask for gigabytes (found by the `dicom` fuzz target). Values are skipped, not read;
//! anything this pass does not understand is left to dicom-rs to report.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
/// Deeper nesting than any real file has; refusing it also keeps recursion bounded.
const MAX_DEPTH: usize = 24;

/// Why the file was refused: a sentence naming the element and the numbers.
pub(crate) type LengthError = String;

#[derive(Clone, Copy)]
struct Syntax {
    explicit: bool,
    big_endian: bool,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    syntax: Syntax,
}

/// What stops a pass: a refusal, or the end of what it can follow (fine: dicom-rs decides).
enum Stop {
    Refuse(LengthError),
    GiveUp,
}

type Step<T> = Result<T, Stop>;

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn take<const N: usize>(&mut self) -> Step<[u8; N]> {
        let b = self.bytes.get(self.pos..self.pos + N).ok_or(Stop::GiveUp)?;
        self.pos += N;
        Ok(b.try_into().unwrap())
    }

    fn u16(&mut self) -> Step<u16> {
        let b = self.take::<2>()?;
        Ok(if self.syntax.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self) -> Step<u32> {
        let b = self.take::<4>()?;
        Ok(if self.syntax.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn tag(&mut self) -> Step<(u16, u16)> {
        Ok((self.u16()?, self.u16()?))
    }

    /// Checks a defined length against what is left; returns the end offset of the value.
    fn fits(&self, tag: (u16, u16), len: u32) -> Step<usize> {
        if len as usize > self.remaining() {
            return Err(Stop::Refuse(format!(
                "DICOM element ({:04X},{:04X}) at byte {} claims {} bytes but only {} remain (corrupt or truncated file)",
                tag.0,
                tag.1,
                self.pos,
                len,
                self.remaining()
            )));
        }
        Ok(self.pos + len as usize)
    }

    /// Reads an element header: its VR (None in implicit syntax) and length.
    fn header(&mut self, tag: (u16, u16)) -> Step<(Option<VR>, u32)> {
        if tag.0 == 0xFFFE || !self.syntax.explicit {
            return Ok((None, self.u32()?));
        }
        let code = self.take::<2>()?;
        // As dicom-rs reads it: an unknown VR is UN, and only these VRs have a 16-bit length.
        let vr = VR::from_binary(code).unwrap_or(VR::UN);
        let long = !matches!(
            vr,
            VR::AE
                | VR::AS
                | VR::AT
                | VR::CS
                | VR::DA
                | VR::DS
                | VR::DT
                | VR::FL
                | VR::FD
                | VR::IS
                | VR::LO
                | VR::LT
                | VR::PN
                | VR::SH
                | VR::SL
                | VR::SS
                | VR::ST
                | VR::TM
                | VR::UI
                | VR::UL
                | VR::US
        );
        let len = if long {
            self.take::<2>()?;
            self.u32()?
        } else {
            self.u16()? as u32
        };
        Ok((Some(vr), len))
    }
}

/// The dictionary's word on whether an implicit-VR element is a sequence.
fn dictionary_says_sequence(tag: (u16, u16)) -> bool {
    matches!(
        StandardDataDictionary
            .by_tag(Tag(tag.0, tag.1))
            .map(|e| e.vr()),
        Some(VirtualVr::Exact(VR::SQ))
    )
}

/// Elements until `end` (a defined length), an item delimiter, or the end of the file.
fn dataset(r: &mut Reader, end: Option<usize>, depth: usize) -> Step<()> {
    if depth > MAX_DEPTH {
        return Err(Stop::Refuse(format!(
            "DICOM sequences nested more than {MAX_DEPTH} deep (corrupt or hostile file)"
        )));
    }
    loop {
        if end.is_some_and(|e| r.pos >= e) || r.remaining() == 0 {
            return Ok(());
        }
        let tag = r.tag()?;
        if tag == ITEM_END || tag == SEQUENCE_END {
            r.u32()?;
            // Inside an item a delimiter ends it; at the top level dicom-rs steps over a stray
            // one and reads on, so this pass must too (a fuzzer-found file hid its lie behind one).
            if depth > 0 {
                return Ok(());
            }
            continue;
        }
        let (vr, len) = r.header(tag)?;
        let sequence = vr == Some(VR::SQ)
            || (vr.is_none() && dictionary_says_sequence(tag))
            || (len == UNDEFINED && matches!(vr, None | Some(VR::UN)) && tag != (0x7FE0, 0x0010));
        if sequence {
            let inner_end = if len == UNDEFINED {
                None
            } else {
                Some(r.fits(tag, len)?)
            };
            // An undefined-length UN holds implicit little-endian items (PS3.5 6.2.2).
            let saved = r.syntax;
            if vr == Some(VR::UN) {
                r.syntax = Syntax {
                    explicit: false,
                    big_endian: false,
                };
            }
            items(r, inner_end, depth + 1)?;
            r.syntax = saved;
            if let Some(e) = inner_end {
                r.pos = e;
            }
        } else if len == UNDEFINED {
            fragments(r)?;
        } else {
            r.pos = r.fits(tag, len)?;
        }
    }
}

/// A sequence's items, each a dataset.
fn items(r: &mut Reader, end: Option<usize>, depth: usize) -> Step<()> {
    loop {
        if end.is_some_and(|e| r.pos >= e) || r.remaining() == 0 {
            return Ok(());
        }
        let tag = r.tag()?;
        let len = r.u32()?;
        match tag {
            SEQUENCE_END => return Ok(()),
            ITEM if len == UNDEFINED => dataset(r, None, depth)?,
            ITEM => {
                let item_end = r.fits(tag, len)?;
                dataset(r, Some(item_end), depth)?;
                r.pos = item_end;
            }
            // Not an item: the sequence has ended without its delimiter. dicom-rs reads on from
            // here as ordinary elements, so this pass does too.
            _ => {
                r.pos -= 8;
                return Ok(());
            }
        }
    }
}

/// Encapsulated pixel data: the offset table and fragments, each an item of raw bytes.
fn fragments(r: &mut Reader) -> Step<()> {
    loop {
        let tag = r.tag()?;
        let len = r.u32()?;
        match tag {
            SEQUENCE_END => return Ok(()),
            ITEM => r.pos = r.fits(tag, len)?,
            // As in `items`: read on as elements (a fuzzer-found file hid its lie after one).
            _ => {
                r.pos -= 8;
                return Ok(());
            }
        }
    }
}

/// Refuses a Part 10 file (128-byte preamble and `DICM`) any of whose elements, at any depth,
/// claims more bytes than remain.
pub(crate) fn check(bytes: &[u8]) -> Result<(), LengthError> {
    if bytes.len() < 132 || &bytes[128..132] != b"DICM" {
        return Ok(());
    }
    let mut r = Reader {
        bytes,
        pos: 132,
        syntax: Syntax {
            explicit: true,
            big_endian: false,
        },
    };
    match meta_then_dataset(&mut r) {
        Err(Stop::Refuse(why)) => Err(why),
        _ => Ok(()),
    }
}

fn meta_then_dataset(r: &mut Reader) -> Step<()> {
    // File meta information: group 0002, always explicit VR little endian.
    let mut transfer_syntax = String::new();
    while r.remaining() >= 2 && r.bytes[r.pos..r.pos + 2] == [0x02, 0x00] {
        let tag = r.tag()?;
        let (_, len) = r.header(tag)?;
        if len == UNDEFINED {
            return Err(Stop::GiveUp);
        }
        let end = r.fits(tag, len)?;
        if tag == (0x0002, 0x0010) {
            transfer_syntax = String::from_utf8_lossy(&r.bytes[r.pos..end])
                .trim_end_matches(['\0', ' '])
                .to_string();
        }
        r.pos = end;
    }
    r.syntax = match transfer_syntax.as_str() {
        "1.2.840.10008.1.2" => Syntax {
            explicit: false,
            big_endian: false,
        },
        "1.2.840.10008.1.2.2" => Syntax {
            explicit: true,
            big_endian: true,
        },
        // Deflated data sets cannot be walked without inflating them; dicom-rs reads those.
        "1.2.840.10008.1.2.1.99" => return Ok(()),
        _ => Syntax {
            explicit: true,
            big_endian: false,
        },
    };
    dataset(r, None, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal Part 10 file: preamble, meta with the transfer syntax, then `body`.
    fn file(ts: &str, body: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 128];
        b.extend_from_slice(b"DICM");
        let mut uid = ts.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        b.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        b.extend_from_slice(&(uid.len() as u16).to_le_bytes());
        b.extend_from_slice(&uid);
        b.extend_from_slice(body);
        b
    }

    fn explicit(tag: (u16, u16), vr: &[u8; 2], value: &[u8], claimed: Option<u32>) -> Vec<u8> {
        let mut b = vec![];
        b.extend_from_slice(&tag.0.to_le_bytes());
        b.extend_from_slice(&tag.1.to_le_bytes());
        b.extend_from_slice(vr);
        let len = claimed.unwrap_or(value.len() as u32);
        if matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT") {
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(&len.to_le_bytes());
        } else {
            b.extend_from_slice(&(len as u16).to_le_bytes());
        }
        b.extend_from_slice(value);
        b
    }

    const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";

    #[test]
    fn honest_files_pass() {
        let mut body = explicit((0x0010, 0x0010), b"PN", b"DOE^JO", None);
        body.extend(explicit((0x7FE0, 0x0010), b"OB", &[7; 64], None));
        assert_eq!(check(&file(EXPLICIT_LE, &body)), Ok(()));
    }

    #[test]
    fn a_forged_length_is_refused_with_the_element_named() {
        let mut body = explicit((0x0010, 0x0010), b"PN", b"DOE^JO", None);
        body.extend(explicit(
            (0x7FE0, 0x0010),
            b"OB",
            &[7; 64],
            Some(3_900_750_604),
        ));
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(
            err.contains("(7FE0,0010)") && err.contains("claims 3900750604 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_forged_length_inside_a_sequence_item_is_refused() {
        // Sequence of undefined length, one item of undefined length, an element lying inside.
        let inner = explicit((0x0018, 0x6012), b"US", &[1, 0], Some(0xFFF0));
        let mut item = vec![0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF];
        item.extend(inner);
        item.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        item.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let mut body = explicit((0x0018, 0x6011), b"SQ", &[], Some(UNDEFINED));
        body.extend(item);
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(err.contains("(0018,6012)"), "{err}");
    }

    #[test]
    fn a_forged_fragment_length_is_refused() {
        let mut body = explicit((0x7FE0, 0x0010), b"OB", &[], Some(UNDEFINED));
        body.extend([0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]); // empty offset table
        body.extend([0xFE, 0xFF, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x40]); // a 1 GiB fragment
        body.extend([0xFF, 0xD8, 0xFF, 0xD9]);
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(
            err.contains("(FFFE,E000)") && err.contains("1073741824"),
            "{err}"
        );
    }

    #[test]
    fn implicit_vr_sequences_are_found_through_the_dictionary() {
        // (0018,6011) Sequence of Ultrasound Regions, defined length, item with a lying element.
        let mut inner = vec![0x18, 0x00, 0x12, 0x60];
        inner.extend(0x7000_0000u32.to_le_bytes());
        inner.extend([1, 0]);
        let mut item = vec![0xFE, 0xFF, 0x00, 0xE0];
        item.extend((inner.len() as u32).to_le_bytes());
        item.extend(inner);
        let mut body = vec![0x18, 0x00, 0x11, 0x60];
        body.extend((item.len() as u32).to_le_bytes());
        body.extend(item);
        let err = check(&file("1.2.840.10008.1.2", &body)).unwrap_err();
        assert!(err.contains("(0018,6012)"), "{err}");
    }

    #[test]
    fn hostile_nesting_is_refused_not_recursed_forever() {
        let mut body = vec![];
        for _ in 0..100 {
            body.extend(explicit((0x0018, 0x6011), b"SQ", &[], Some(UNDEFINED)));
            body.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(err.contains("nested more than"), "{err}");
    }

    #[test]
    fn what_it_cannot_follow_is_left_to_dicom_rs() {
        assert_eq!(check(b"not dicom at all"), Ok(()));
        // A truncated header: nothing claims too much, so dicom-rs gets to say what is wrong.
        let body = [0x10, 0x00, 0x10, 0x00, b'P'];
        assert_eq!(check(&file(EXPLICIT_LE, &body)), Ok(()));
    }

    #[test]
    fn elements_after_unterminated_pixel_data_are_still_checked() {
        let mut body = explicit((0x7FE0, 0x0010), b"OB", &[], Some(UNDEFINED));
        body.extend([0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]); // empty offset table, then no delimiter
        body.extend([0xF0, 0x04, 0x00, 0x00, 0xE4, 0x09, 0, 0]);
        body.extend(3_288_338_138u32.to_le_bytes());
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(err.contains("(04F0,0000)"), "{err}");
    }

    #[test]
    fn a_stray_delimiter_at_the_top_level_does_not_end_the_check() {
        let mut body = vec![
            0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0,
        ];
        body.extend([0x20, 0x00, 0x0D, 0x02, 0, 0, 0, 0]);
        body.extend(2_248_148_044u32.to_le_bytes());
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(err.contains("(0020,020D)"), "{err}");
    }

    #[test]
    fn an_unknown_vr_is_read_as_un_with_a_32_bit_length() {
        // The fuzzer's finding: garbage where a header should be, read by dicom-rs as UN.
        let mut body = vec![0x9B, 0x0B, 0xB2, 0xC1, 0xD2, 0x78, 0, 0];
        body.extend(0xE880_0000u32.to_le_bytes());
        body.extend([0u8; 32]);
        let err = check(&file(EXPLICIT_LE, &body)).unwrap_err();
        assert!(err.contains("(0B9B,C1B2)"), "{err}");
    }
}

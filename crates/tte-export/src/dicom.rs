//! Multi-frame ultrasound DICOM with JPEG Baseline frames and a Sequence of Ultrasound Regions.

use crate::{check, jpeg, ExportError};
use dicom_core::value::{DataSetSequence, PixelFragmentSequence};
use dicom_core::{DataElement, Length, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use tte_frames::{Frame, UltrasoundRegion};

/// What goes into the header besides pixels.
pub struct DicomInfo {
    /// A unique number for this clip (the phantom's seed); UIDs are derived from it.
    pub id: u64,
    pub fps: f32,
    /// The Sequence of Ultrasound Regions: the 2-D image (the sector's bounding box) and, on a
    /// Doppler or M-mode screen, the trace beside it.
    pub regions: Vec<UltrasoundRegion>,
    pub series_description: String,
}

const US_MULTIFRAME: &str = "1.2.840.10008.5.1.4.1.1.3.1";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
/// A UID root for TTEView phantoms (the 2.25 UUID-derived arc).
const ROOT: &str = "2.25.1899";

fn put(obj: &mut InMemDicomObject, tag: dicom_core::Tag, vr: VR, v: impl Into<PrimitiveValue>) {
    obj.put(DataElement::new(tag, vr, v.into()));
}

/// One item of the Sequence of Ultrasound Regions (corners are inclusive in DICOM).
fn region_item(region: &UltrasoundRegion) -> InMemDicomObject {
    let r = region.rect;
    let mut item = InMemDicomObject::new_empty();
    put(
        &mut item,
        tags::REGION_SPATIAL_FORMAT,
        VR::US,
        region.spatial_format,
    );
    put(&mut item, tags::REGION_DATA_TYPE, VR::US, region.data_type);
    put(&mut item, tags::REGION_FLAGS, VR::UL, 0u32);
    put(&mut item, tags::REGION_LOCATION_MIN_X0, VR::UL, r.x0 as u32);
    put(&mut item, tags::REGION_LOCATION_MIN_Y0, VR::UL, r.y0 as u32);
    put(
        &mut item,
        tags::REGION_LOCATION_MAX_X1,
        VR::UL,
        r.x1.saturating_sub(1) as u32,
    );
    put(
        &mut item,
        tags::REGION_LOCATION_MAX_Y1,
        VR::UL,
        r.y1.saturating_sub(1) as u32,
    );
    item
}

/// Encodes `frames` as a DICOM Part-10 file.
pub fn write_dicom(
    frames: &[Frame],
    info: &DicomInfo,
    quality: u8,
) -> Result<Vec<u8>, ExportError> {
    let (w, h) = check(frames)?;
    let mut obj = InMemDicomObject::new_empty();
    let uid = |k: u64| format!("{ROOT}.{}.{k}", info.id);
    put(&mut obj, tags::SOP_CLASS_UID, VR::UI, US_MULTIFRAME);
    put(&mut obj, tags::SOP_INSTANCE_UID, VR::UI, uid(1));
    put(&mut obj, tags::STUDY_INSTANCE_UID, VR::UI, uid(2));
    put(&mut obj, tags::SERIES_INSTANCE_UID, VR::UI, uid(3));
    put(&mut obj, tags::MODALITY, VR::CS, "US");
    put(&mut obj, tags::PATIENT_NAME, VR::PN, "PHANTOM^TTEVIEW");
    put(
        &mut obj,
        tags::PATIENT_ID,
        VR::LO,
        format!("PH{}", info.id % 100_000_000),
    );
    put(&mut obj, tags::MANUFACTURER, VR::LO, "TTEView phantom");
    put(
        &mut obj,
        tags::SERIES_DESCRIPTION,
        VR::LO,
        info.series_description.clone(),
    );
    put(&mut obj, tags::SAMPLES_PER_PIXEL, VR::US, 3u16);
    put(
        &mut obj,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "YBR_FULL_422",
    );
    put(&mut obj, tags::PLANAR_CONFIGURATION, VR::US, 0u16);
    put(&mut obj, tags::ROWS, VR::US, h as u16);
    put(&mut obj, tags::COLUMNS, VR::US, w as u16);
    put(&mut obj, tags::BITS_ALLOCATED, VR::US, 8u16);
    put(&mut obj, tags::BITS_STORED, VR::US, 8u16);
    put(&mut obj, tags::HIGH_BIT, VR::US, 7u16);
    put(&mut obj, tags::PIXEL_REPRESENTATION, VR::US, 0u16);
    put(
        &mut obj,
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        frames.len().to_string(),
    );
    put(
        &mut obj,
        tags::FRAME_TIME,
        VR::DS,
        format!("{:.3}", 1000.0 / info.fps),
    );
    put(
        &mut obj,
        tags::CINE_RATE,
        VR::IS,
        format!("{}", info.fps.round() as u32),
    );
    obj.put(DataElement::new(
        tags::FRAME_INCREMENT_POINTER,
        VR::AT,
        PrimitiveValue::Tags(vec![tags::FRAME_TIME].into()),
    ));
    if !info.regions.is_empty() {
        let items: Vec<_> = info.regions.iter().map(region_item).collect();
        obj.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            DataSetSequence::new(items, Length::UNDEFINED),
        ));
    }
    let fragments: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| {
            let mut j = jpeg(f, quality)?;
            if j.len() % 2 == 1 {
                j.push(0);
            }
            Ok(j)
        })
        .collect::<Result<_, ExportError>>()?;
    let mut offsets = Vec::with_capacity(fragments.len());
    let mut at = 0u32;
    for f in &fragments {
        offsets.push(at);
        at += 8 + f.len() as u32;
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PixelFragmentSequence::new(offsets, fragments),
    ));
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(JPEG_BASELINE)
                .implementation_class_uid(format!("{ROOT}.1")),
        )
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    let mut out = Vec::new();
    file.write_all(&mut out)
        .map_err(|e| ExportError::Encode(e.to_string()))?;
    Ok(out)
}

//! The catalogue of transthoracic echo views: one place that names every class the project knows.
//!
//! A trained model carries its *own* ordered label list (see `tte-slowfast`'s model file); this
//! crate only says what a code means, so reports and the web page can print full names.

use serde::{Deserialize, Serialize};

/// One view of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Short code used in labels, manifests and reports (`A4C`).
    pub code: &'static str,
    /// Full name for people (`Apical four-chamber`).
    pub name: &'static str,
    /// Acoustic window the probe sits in.
    pub window: &'static str,
    /// The landmarks that tell this view from its neighbours.
    pub landmarks: &'static str,
}

/// Every class in the order the default models use: the twelve standard views, then OTHER.
pub const VIEWS: [View; 13] = [
    View { code: "PLAX", name: "Parasternal long axis", window: "parasternal",
        landmarks: "septum and posterior wall parallel; anterior mitral leaflet continuous with the aortic root; LA behind the aorta" },
    View { code: "PSAX-AV", name: "Parasternal short axis, aortic valve level", window: "parasternal",
        landmarks: "aortic valve as a central circle closing in a Mercedes Y; RVOT wrapping over it; LA below" },
    View { code: "PSAX-MV", name: "Parasternal short axis, mitral valve level", window: "parasternal",
        landmarks: "round LV ring with the mitral leaflets opening like a fish mouth; RV crescent upper left" },
    View { code: "PSAX-PM", name: "Parasternal short axis, papillary muscle level", window: "parasternal",
        landmarks: "LV ring with two papillary muscles at about 4 and 8 o'clock; no valve" },
    View { code: "PSAX-AP", name: "Parasternal short axis, apical level", window: "parasternal",
        landmarks: "small LV ring, little or no RV, no papillary muscles" },
    View { code: "A4C", name: "Apical four-chamber", window: "apical",
        landmarks: "vertical septum; LV right, RV left; mitral and tricuspid valves at the crux" },
    View { code: "A5C", name: "Apical five-chamber", window: "apical",
        landmarks: "as A4C plus the LV outflow tract and aortic valve between the AV valves" },
    View { code: "A3C", name: "Apical three-chamber (apical long axis)", window: "apical",
        landmarks: "LV with outflow tract and aortic valve at the lower right; no right heart" },
    View { code: "A2C", name: "Apical two-chamber", window: "apical",
        landmarks: "LV and LA only, walls on both sides; no right heart, no outflow tract" },
    View { code: "SC4C", name: "Subcostal four-chamber", window: "subcostal",
        landmarks: "liver in the near field; heart lying across the screen, RV against the liver" },
    View { code: "SC-IVC", name: "Subcostal inferior vena cava", window: "subcostal",
        landmarks: "liver filling the near field; IVC as a dark tube running into the RA" },
    View { code: "SSN", name: "Suprasternal notch, aortic arch", window: "suprasternal",
        landmarks: "aortic arch like a candy cane; head-and-neck vessels rising; RPA as a circle below" },
    View { code: "OTHER", name: "Not a standard view", window: "-",
        landmarks: "spectral Doppler, M-mode, off-axis or non-cardiac images" },
];

/// The code of the catch-all class a classifier must answer for non-standard images.
pub const OTHER: &str = "OTHER";

/// The ordered class codes of the full catalogue.
pub fn codes() -> Vec<String> {
    VIEWS.iter().map(|v| v.code.to_string()).collect()
}

/// Looks up a view by its code, ignoring case (`a4c` finds `A4C`).
pub fn by_code(code: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.code.eq_ignore_ascii_case(code))
}

/// Full name for a code, or the code itself when the catalogue does not know it (a hospital's own label).
pub fn full_name(code: &str) -> String {
    by_code(code)
        .map(|v| v.name.to_string())
        .unwrap_or_else(|| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_other_is_last() {
        let codes = codes();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        assert_eq!(codes.last().map(String::as_str), Some(OTHER));
        assert_eq!(codes.len(), 13);
    }

    #[test]
    fn lookup_is_case_insensitive_and_unknown_codes_fall_back() {
        assert_eq!(by_code("psax-pm").unwrap().code, "PSAX-PM");
        assert_eq!(full_name("A4C"), "Apical four-chamber");
        assert_eq!(full_name("TEE-ME4C"), "TEE-ME4C");
    }
}

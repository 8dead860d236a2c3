"""Grey levels of a real echo frame, to set beside the phantom's (`cargo run --release -p
tte-phantom --example tone`). Reads the SonoSite apical four-chamber clip in
../shared/fixtures/dicom in place (frame 10) and takes the median of hand-placed boxes (320x240 pixels).

usage: python real_tone.py [path/to/examples_ybr_color.dcm]
"""
import sys

import numpy as np
import pydicom

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/fixtures/dicom/examples_ybr_color.dcm"
frame = pydicom.dcmread(path).pixel_array[10].mean(axis=-1)  # RGB after pydicom's YBR conversion
boxes = {
    "myocardium (septum)": (148, 95, 160, 140),
    "blood (LV cavity)": (170, 100, 190, 130),
    "surroundings (lateral, lung)": (75, 120, 100, 150),
    "near field (chest wall)": (150, 45, 190, 60),
    "bright (AV plane, annulus)": (130, 165, 200, 185),
}
for name, (x0, y0, x1, y1) in boxes.items():
    print(f"{name:>30}: median grey {np.median(frame[y0:y1, x0:x1]):5.1f}")
sector = frame[40:200, 60:260]
print(f"{'sector box':>30}: median {np.median(sector):.0f}, 99th percentile {np.percentile(sector, 99):.0f}")

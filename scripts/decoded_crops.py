#!/usr/bin/env python3
"""How well the fan search crops decoded files: each MP4 and AVI of an exported phantom test set is
cropped by the motion search, and its DICOM twin (the same clip, same seed) declares where the fan
is (with the trace, on spectral Doppler and M-mode screens). Prints, per screen size and container, how many crops reach out of the fan (a tenth or more of
the crop outside it) and the mean IoU.

usage: scripts/decoded_crops.py DATA_DIR      (a directory `tteview phantom --formats mp4,avi,dcm` wrote)
Builds nothing: run `cargo build --release -p tteview -p tte-train --example crop` first.
"""
import json, os, re, subprocess, sys, tempfile
from collections import defaultdict

T = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/tteview-target"))
TTEVIEW, CROP = f"{T}/release/tteview", f"{T}/release/examples/crop"


def fan_of(dcm):
    info = json.loads(subprocess.run([TTEVIEW, "probe", dcm, "--json"], capture_output=True, check=True, text=True).stdout)
    # The fan, and on spectral Doppler and M-mode screens their trace too: the crop keeps the trace
    # in view on purpose (tte_preprocess::sector::region_from_dicom), so it is part of the image.
    rects = [g["rect"] for g in info["regions"] if g["spatial_format"] in (1, 2, 3, 4)]
    box = tuple(f(r[k] for r in rects) for f, k in ((min, "x0"), (min, "y0"), (max, "x1"), (max, "y1")))
    return box, f"{info['width']}x{info['height']}"


def crop_of(path, png):
    out = subprocess.run([CROP, path, png], capture_output=True, check=True, text=True).stdout
    return tuple(int(v) for v in re.search(r"x0: (\d+), y0: (\d+), x1: (\d+), y1: (\d+)", out).groups())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data = sys.argv[1]
    groups = defaultdict(list)
    png = os.path.join(tempfile.mkdtemp(), "middle-frame.png")
    for name in sorted(os.listdir(data)):
        if not name.endswith(".dcm"):
            continue
        fan, size = fan_of(os.path.join(data, name))
        for ext in ("mp4", "avi"):
            c = crop_of(os.path.join(data, name[:-4] + "." + ext), png)
            area = (c[2] - c[0]) * (c[3] - c[1])
            inter = max(0, min(c[2], fan[2]) - max(c[0], fan[0])) * max(0, min(c[3], fan[3]) - max(c[1], fan[1]))
            union = area + (fan[2] - fan[0]) * (fan[3] - fan[1]) - inter
            for k in ("all", size, ext):
                groups[k].append(((area - inter) * 10 >= area, inter / max(union, 1)))
    print("| screens | crops | reach out of the fan | mean IoU |\n|---|---|---|---|")
    for k, v in groups.items():
        print(f"| {k} | {len(v)} | {sum(o for o, _ in v)} | {sum(i for _, i in v) / len(v):.3f} |")


if __name__ == "__main__":
    main()

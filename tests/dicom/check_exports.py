"""Opens the phantom's DICOM exports with pydicom (an independent DICOM reader; ffmpeg has no
DICOM demuxer) and checks what a PACS or viewer relies on: every frame decodes (JPEG Baseline via
Pillow), the frame count, size and frame time agree with `tteview probe`, and the Sequence of
Ultrasound Regions declares a sector inside the image.

usage: python check_exports.py TTEVIEW FILE.dcm...
"""
import json
import subprocess
import sys

import pydicom


def check(tteview, path):
    probe = json.loads(subprocess.run([tteview, "probe", path, "--json"], check=True,
                                      capture_output=True, text=True).stdout)
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array  # decodes every frame; raises on a broken one
    frames = int(ds.NumberOfFrames)
    problems = []
    if pixels.shape[:3] != (frames, ds.Rows, ds.Columns):
        problems.append(f"pixel array {pixels.shape} for {frames} frames of {ds.Rows}x{ds.Columns}")
    if frames != probe["frames"]:
        problems.append(f"pydicom reads {frames} frames, tteview {probe['frames']}")
    if (ds.Columns, ds.Rows) != (probe["width"], probe["height"]):
        problems.append(f"size {ds.Columns}x{ds.Rows}, tteview {probe['width']}x{probe['height']}")
    duration = frames * float(ds.FrameTime) / 1000.0
    if abs(duration - probe["duration_s"]) > 1.5 * float(ds.FrameTime) / 1000.0:
        problems.append(f"frame time gives {duration:.3f} s, tteview {probe['duration_s']:.3f} s")
    regions = ds.get("SequenceOfUltrasoundRegions")
    if not regions:
        problems.append("no Sequence of Ultrasound Regions")
    else:
        for r in regions:
            box = (r.RegionLocationMinX0, r.RegionLocationMinY0, r.RegionLocationMaxX1, r.RegionLocationMaxY1)
            if not (0 <= box[0] < box[2] < ds.Columns and 0 <= box[1] < box[3] < ds.Rows):
                problems.append(f"region {box} outside the {ds.Columns}x{ds.Rows} image")
        mine = [(r["spatial_format"], r["data_type"]) for r in probe["regions"]]
        theirs = [(int(r.RegionSpatialFormat), int(r.RegionDataType)) for r in regions]
        if mine != theirs:
            problems.append(f"region formats {theirs}, tteview {mine}")
        if theirs[0] != (1, 1):
            problems.append(f"first region is {theirs[0]}, not a 2-D tissue image")
    if pixels.max() == 0:
        problems.append("every frame is black")
    return frames, problems


def main():
    tteview, files = sys.argv[1], sys.argv[2:]
    if not files:
        sys.exit("no DICOM files given")
    failed = 0
    total = 0
    for path in files:
        frames, problems = check(tteview, path)
        total += frames
        for p in problems:
            print(f"{path}: {p}")
        failed += bool(problems)
    print(f"pydicom {pydicom.__version__} decoded {len(files)} DICOM exports ({total} frames); "
          f"{failed} with problems")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

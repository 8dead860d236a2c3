#!/usr/bin/env python3
"""Real-world encodings, decoded by tteview and by ffmpeg, must give the same frames.

Makes phantom clips, encodes them with the `ffmpeg` command as clinics, phones and teaching sites
do (x264 High with B-frames, Main, Baseline, QuickTime, fragmented MP4, moov first and last,
MPEG-4 Part 2 and uncompressed AVI, HEVC, VP9 WebM, PNG and JPEG stills, and the geometries that
broke the web page: 720x540, odd sizes, a non-square sample aspect ratio, an SPS crop), then for
each file compares `tteview probe --rgb-out` with `ffmpeg -f rawvideo -pix_fmt rgb24`: the same
number of frames in the same (presentation) order, a mean absolute difference under 1 grey
level on lossless paths and PSNR >= 40 dB on lossy ones. Then `tteview classify` on the folder
must answer every file with no error.

usage: compare_ffmpeg.py TTEVIEW OUT_DIR
"""
import json
import math
import pathlib
import shutil
import subprocess
import sys

import numpy as np

tteview, out = sys.argv[1], pathlib.Path(sys.argv[2])
if not shutil.which("ffmpeg"):
    sys.exit("ffmpeg is required (scripts/setup.sh installs Debian's ffmpeg)")
shutil.rmtree(out, ignore_errors=True)
out.mkdir(parents=True)


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


def source(view, seed, side):
    """A phantom clip's frames as raw RGB, its size and count."""
    d = out / f"src-{view}-{seed}"
    run(tteview, "phantom", "--out", str(d), "--per-view", "1", "--seed", str(seed),
        "--formats", "mp4", "--max-seconds", "1.2", "--max-side", str(side))
    mp4 = next(d.glob(f"{view.lower()}_*.mp4"))
    raw = d / "frames.rgb"
    info = json.loads(run(tteview, "probe", str(mp4), "--json", "--rgb-out", str(raw)).stdout)
    return raw, info["decoded"]["width"], info["decoded"]["height"]


def ffmpeg_frames(path):
    """ffmpeg's own decode: every presented frame as RGB, and its size."""
    probe = json.loads(run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height", "-of", "json", str(path)).stdout)["streams"][0]
    raw = run("ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
              "-fps_mode", "passthrough", "-").stdout
    w, h = probe["width"], probe["height"]
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3), w, h


def ours(path):
    rgb = out / "ours.rgb"
    info = json.loads(run(tteview, "probe", str(path), "--json", "--rgb-out", str(rgb)).stdout)
    d = info["decoded"]
    frames = np.fromfile(rgb, np.uint8).reshape(-1, d["height"], d["width"], 3)
    return frames, info


def psnr(a, b):
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


src, w, h = source("A4C", 11, 160)
big, bw, bh = source("PLAX", 12, 720)
grey_in = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-r", "25"]
x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
# (file, input, ffmpeg output options, lossless?)
cases = [
    ("x264-high-bf3.mp4", src, (w, h), x264 + ["-profile:v", "high", "-bf", "3", "-refs", "4", "-slices", "2"], False),
    ("x264-main.mp4", src, (w, h), x264 + ["-profile:v", "main"], False),
    ("x264-baseline.mp4", src, (w, h), x264 + ["-profile:v", "baseline"], False),
    ("quicktime.mov", src, (w, h), x264 + ["-bf", "3"], False),
    ("fragmented.mp4", src, (w, h), x264 + ["-bf", "3", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-g", "8"], False),
    ("moov-first.mp4", src, (w, h), x264 + ["-bf", "3", "-movflags", "+faststart"], False),
    ("mpeg4-part2.avi", src, (w, h), ["-c:v", "mpeg4", "-vtag", "XVID", "-q:v", "2"], False),
    ("uncompressed-bgr.avi", src, (w, h), ["-c:v", "rawvideo", "-pix_fmt", "bgr24"], True),
    ("uncompressed-grey.avi", src, (w, h), ["-c:v", "rawvideo", "-pix_fmt", "gray"], True),
    ("hevc.mp4", src, (w, h), ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", "log-level=error:bframes=3"], False),
    ("vp9.webm", src, (w, h), ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-b:v", "1M"], False),
    ("still.png", src, (w, h), ["-frames:v", "1"], True),
    ("still.jpg", src, (w, h), ["-frames:v", "1", "-q:v", "2"], False),
    # The web page's geometry troubles: 720x540 with B-frames, odd sizes, wide pixels, a crop.
    ("geom-720x540.mp4", big, (bw, bh), x264 + ["-vf", "scale=720:540", "-bf", "3"], False),
    ("geom-odd-721x541.mp4", big, (bw, bh), x264 + ["-vf", "scale=722:542,crop=721:541:0:0"], False),
    ("geom-sar-615-614.mp4", big, (bw, bh), x264 + ["-vf", "scale=720:540,setsar=615/614", "-bf", "3"], False),
    ("geom-sar-4-3.mp4", big, (bw, bh), x264 + ["-vf", "scale=480:360,setsar=4/3"], False),
    ("geom-sps-crop.mp4", big, (bw, bh), x264 + ["-vf", "scale=718:538"], False),
]
failures = []
for name, raw, (sw, sh), opts, lossless in cases:
    path = out / name
    run("ffmpeg", "-v", "error", *grey_in, "-s", f"{sw}x{sh}", "-i", str(raw), *opts, str(path))
    ref, rw, rh = ffmpeg_frames(path)
    try:
        got, info = ours(path)
    except subprocess.CalledProcessError as e:
        failures.append(f"{name}: tteview failed: {e.stderr.decode().strip()}")
        print(f"FAIL {name}: {e.stderr.decode().strip()}")
        continue
    if got.shape[1:3] != ref.shape[1:3]:
        # Non-square pixels: tteview makes them square (ffmpeg's rawvideo keeps them coded);
        # compare against ffmpeg's own square-pixel scaling.
        sar = run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                  "stream=sample_aspect_ratio", "-of", "csv=p=0", str(path)).stdout.decode().strip()
        raw2 = run("ffmpeg", "-v", "error", "-i", str(path), "-vf",
                   f"scale={got.shape[2]}:{got.shape[1]}:flags=bilinear", "-f", "rawvideo",
                   "-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-").stdout
        ref = np.frombuffer(raw2, np.uint8).reshape(-1, got.shape[1], got.shape[2], 3)
        print(f"     {name}: sample aspect {sar}: coded {rw}x{rh}, tteview square pixels {got.shape[2]}x{got.shape[1]}")
        lossy_floor = 30.0  # two different resamplers
    else:
        lossy_floor = 40.0
    ok = len(got) == len(ref) and len(got) > 0
    if ok:
        mad = float(np.mean(np.abs(got.astype(np.int16) - ref.astype(np.int16))))
        worst = min(psnr(a, b) for a, b in zip(got, ref))
        # Same order: each of our frames is nearest to ffmpeg's frame of the same index.
        order = all(
            min(range(len(ref)), key=lambda j: float(np.mean(np.abs(g.astype(np.int16) - ref[j].astype(np.int16))))) == i
            or psnr(g, ref[i]) == math.inf
            for i, g in list(enumerate(got))[:: max(1, len(got) // 6)]
        )
        ok = order and (mad < 1.0 if lossless else worst >= lossy_floor)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(got)} frames (ffmpeg {len(ref)}), mean abs diff {mad:.3f}, worst PSNR {worst:.1f} dB, order {'same' if order else 'DIFFERENT'}{', still' if info.get('still') else ''}")
    else:
        print(f"FAIL {name}: {len(got)} frames, ffmpeg {len(ref)}")
    if not ok:
        failures.append(name)
    if name.startswith("still") and not info.get("still"):
        failures.append(f"{name}: probe does not say still")

# The whole folder through the pipeline: one answer per file, no error.
folder = out / "folder"
folder.mkdir()
for name, *_ in cases:
    shutil.copy(out / name, folder / name)
rows = [json.loads(l) for l in run(tteview, "classify", str(folder), "--format", "json").stdout.decode().splitlines()]
errors = [r for r in rows if r["error"]]
stills = {pathlib.Path(r["file"]).name for r in rows if r.get("still")}
print(f"classify: {len(rows)} answers for {len(cases)} files, {len(errors)} errors, stills {sorted(stills)}")
for r in errors:
    failures.append(f"classify {r['file']}: {r['error']}")
if len(rows) != len(cases):
    failures.append(f"classify gave {len(rows)} rows for {len(cases)} files")
if stills != {"still.png", "still.jpg"}:
    failures.append(f"classify marks {sorted(stills)} as stills")
if failures:
    print("\n".join(["", "decode comparison failures:"] + failures))
    sys.exit(1)
print(f"{len(cases)} encodings decode as ffmpeg decodes them, and classify answers each")

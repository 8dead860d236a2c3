#!/usr/bin/env bash
# Runs every test of the project. Safe to run again: builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s ===\n' "$*"; }

step "setup"
bash scripts/setup.sh
bash scripts/setup-tests.sh

step "unit and integration tests (cargo test --workspace --release)"
cargo test --workspace --release

step "real DICOM fixtures (../shared/fixtures/dicom)"
if [ -f ../shared/fixtures/dicom/reference/manifest.json ]; then
  cargo test --release -p tte-media --test fixtures -- --include-ignored
else
  echo "SKIPPED: ../shared/fixtures/dicom is not present; the fixture tests did not run"
fi


step "phantom exports open in independent readers (ffmpeg: MP4, AVI; pydicom: DICOM)"
ff="$CARGO_TARGET_DIR/ffprobe-clips"
rm -rf "$ff"
"$CARGO_TARGET_DIR/release/tteview" phantom --out "$ff" --per-view 1 --seed 42 --formats mp4,avi,dcm --max-seconds 1 --max-side 200 > /dev/null
n=0
for f in "$ff"/*.mp4 "$ff"/*.avi; do
  frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$f")
  want=$("$CARGO_TARGET_DIR/release/tteview" probe "$f" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')
  [ "$frames" = "$want" ] || { echo "ffprobe reads $frames frames in $f, tteview $want"; exit 1; }
  n=$((n+1))
done
# (Seed 42 makes the OTHER clip a spectral Doppler screen, whose DICOM declares two regions.)
# ffmpeg has no DICOM demuxer (it can only sniff the JPEG frames as raw MJPEG), so the DICOM
# exports are opened by pydicom, a DICOM reader independent of ours.
"${TTEVIEW_PY:-$HOME/.cache/tteview-py}/bin/python" tests/dicom/check_exports.py "$CARGO_TARGET_DIR/release/tteview" "$ff"/*.dcm
echo "ffprobe read $n phantom clips (MP4 and AVI) with the frame counts tteview reports"

step "real-world encodings decode as ffmpeg decodes them (tests/decode/compare_ffmpeg.py)"
"${TTEVIEW_PY:-$HOME/.cache/tteview-py}/bin/python" tests/decode/compare_ffmpeg.py \
  "$CARGO_TARGET_DIR/release/tteview" "$CARGO_TARGET_DIR/decode-compare"

step "native-bench smoke run (CPU)"
cargo build --release --workspace --bins
"$CARGO_TARGET_DIR/release/native-bench" --backend cpu --clips 2 --warmup 1 --json > "$CARGO_TARGET_DIR/bench-smoke.json"
python3 - "$CARGO_TARGET_DIR/bench-smoke.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("end_to_end_ms", "decode_ms", "preprocess_ms", "inference_ms"):
    for f in ("mean", "sd", "p50", "p95"):
        assert isinstance(r[k][f], (int, float)) and r[k][f] >= 0, (k, f)
assert r["n"] == 2 and r["backend"] == "cpu"
print("native-bench JSON ok: end to end %.1f ms" % r["end_to_end_ms"]["mean"])
PY

step "PyTorch parity: the same SlowFast in PyTorch gives the same logits (tests/parity)"
cargo build --release --workspace --bins
"${TTEVIEW_PY:-$HOME/.cache/tteview-py}/bin/python" tests/parity/parity.py \
  --exporter "$CARGO_TARGET_DIR/release/parity-export" --repeats 3 --cases lite,lite-grey,r50 --json "$CARGO_TARGET_DIR/parity.json"

step "native-bench builds for the Jetson (cargo check --target aarch64-unknown-linux-gnu --features wgpu)"
# Without the ffmpeg feature: there is no aarch64 FFmpeg to link here (on the Jetson itself,
# `apt install libavcodec-dev libavformat-dev libswscale-dev` and build with the default features).
cargo check --release --target aarch64-unknown-linux-gnu -p native-bench --no-default-features --features wgpu --bins
echo "aarch64 check ok"

step "web app in headless Chromium (WebGPU on SwiftShader, and the CPU fallback)"
bash scripts/build-web.sh
clips="$CARGO_TARGET_DIR/browser-clips"
rm -rf "$clips"
# Three views, one per container, kept small: SwiftShader is orders of magnitude slower than a GPU.
"$CARGO_TARGET_DIR/release/tteview" phantom --out "$clips/all" --per-view 1 --seed 31 --formats mp4,avi,dcm --max-seconds 1.2 --max-side 160 > /dev/null
mkdir -p "$clips/pick"
head -1 "$clips/all/manifest.csv" > "$clips/pick/manifest.csv"
for pat in '^a4c_.*\.mp4,' '^plax_.*\.avi,' '^psax-pm_.*\.dcm,'; do
  line=$(grep -E "$pat" "$clips/all/manifest.csv" | head -1)
  cp "$clips/all/${line%%,*}" "$clips/pick/"
  echo "$line" >> "$clips/pick/manifest.csv"
done
"$CARGO_TARGET_DIR/release/tteview" classify "$clips/pick" --format json > "$clips/pick/native.jsonl"
if [ -f ../shared/fixtures/dicom/examples_ybr_color.dcm ]; then
  "$CARGO_TARGET_DIR/release/tteview" classify ../shared/fixtures/dicom/examples_ybr_color.dcm --format json >> "$clips/pick/native.jsonl"
fi
node tests/browser/run.mjs "$clips/pick"

step "browser benchmark, small (tests/browser/bench.mjs; by hand with more clips and --write BENCHMARKS.md)"
bc="$CARGO_TARGET_DIR/bench-clips"
rm -rf "$bc"
"$CARGO_TARGET_DIR/release/tteview" phantom --out "$bc/all" --per-view 1 --seed 61 --formats mp4 --max-seconds 2 --max-side 320 > /dev/null
mkdir -p "$bc/two"
cp "$(ls "$bc"/all/a4c_*.mp4 | head -1)" "$(ls "$bc"/all/plax_*.mp4 | head -1)" "$bc/two/"
node tests/browser/bench.mjs "$bc/two" --backends cpu > "$CARGO_TARGET_DIR/browser-bench.json"
python3 - "$CARGO_TARGET_DIR/browser-bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["backends"]["cpu"]
assert r["errors"] == 0 and r["transferred_bytes"] > 0 and r["end_to_end_ms"]["n"] == 2, r
print("browser bench: %.2f MB transferred, ready in %d ms, first answer %d ms after the drop, end to end p50 %.0f ms"
      % (r["transferred_bytes"] / 1e6, r["ready_ms"], r["first_answer_ms"], r["end_to_end_ms"]["p50"]))
PY

step "web app on real-world encodings (B-frame MP4, QuickTime, fragmented, stills, odd geometries)"
# The files the decode comparison made: the page must answer each as the command line does,
# or name the codec this browser lacks (HEVC, MPEG-4 Part 2), never fail on a frame copy.
rw="$CARGO_TARGET_DIR/browser-real-world"
rm -rf "$rw"
mkdir -p "$rw"
for f in x264-high-bf3.mp4 quicktime.mov fragmented.mp4 still.png still.jpg hevc.mp4 mpeg4-part2.avi \
    uncompressed-bgr.avi geom-720x540.mp4 geom-odd-721x541.mp4 geom-sar-615-614.mp4 geom-sar-4-3.mp4 geom-sps-crop.mp4; do
  cp "$CARGO_TARGET_DIR/decode-compare/$f" "$rw/"
done
"$CARGO_TARGET_DIR/release/tteview" classify "$rw" --format json > "$CARGO_TARGET_DIR/browser-real-world.jsonl"
node tests/browser/folder.mjs "$rw" "$CARGO_TARGET_DIR/browser-real-world.jsonl" '^(hevc\.mp4|mpeg4-part2\.avi)$'

step "web app on the real echo clips of ../shared/real-dev (built under ~/.cache)"
real="${TTEVIEW_REAL_DEV:-$HOME/.cache/tteview-real-dev}"
if [ -f "$real/labels.csv" ]; then
  "$CARGO_TARGET_DIR/release/tteview" classify "$real" --format json > "$CARGO_TARGET_DIR/real-dev.jsonl"
  node tests/browser/folder.mjs "$real" "$CARGO_TARGET_DIR/real-dev.jsonl"
else
  echo "SKIPPED: $real/labels.csv is absent (build it with ../shared/real-dev/build.sh); the real-clip page test did not run"
fi

step "the real-set scorer on a made-up set (tests/realset), then the shipped model on the real-dev set (a report)"
python3 tests/realset/test_evaluate_real.py
bash scripts/evaluate-real.sh

step "fuzzing: every cargo-fuzz target for 15 s (scripts/fuzz.sh; the long runs are in FUZZING.md)"
bash scripts/fuzz.sh 15

echo
echo "ALL TESTS PASSED"

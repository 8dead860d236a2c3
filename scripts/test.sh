#!/usr/bin/env bash
# Runs every test of the project. Safe to run again: builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s ===\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "unit and integration tests (cargo test --workspace --release)"
cargo test --workspace --release

step "real DICOM fixtures (../shared/fixtures/dicom)"
if [ -f ../shared/fixtures/dicom/reference/manifest.json ]; then
  cargo test --release -p tte-media --test fixtures -- --include-ignored
else
  echo "SKIPPED: ../shared/fixtures/dicom is not present; the fixture tests did not run"
fi


step "native-bench smoke run (CPU)"
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
node tests/browser/run.mjs "$clips/pick"

echo
echo "ALL TESTS PASSED"

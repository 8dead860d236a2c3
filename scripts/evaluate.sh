#!/usr/bin/env bash
# Reproduces every figure of the model card: writes the unseen-seed test sets (all three export
# formats, through the real decoders), evaluates the shipped model and the ablation models, and
# classifies the two real echo DICOMs. usage: scripts/evaluate.sh [ablation-models-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
abl="${1:-runs}"
cargo build --release -p tteview
bin="$CARGO_TARGET_DIR/release/tteview"
# The test sets depend on the phantom and the exporters: cache them per version of those crates.
version=$(git rev-parse HEAD:crates/tte-phantom HEAD:crates/tte-export | sha1sum | cut -c1-10)
data="$CARGO_TARGET_DIR/eval-data-$version"
[ -f "$data/default/manifest.csv" ] || "$bin" phantom --out "$data/default" --per-view 8 --seed 777 --formats mp4,avi,dcm --max-seconds 2.5 --max-side 480
[ -f "$data/shifted/manifest.csv" ] || "$bin" phantom --out "$data/shifted" --per-view 8 --seed 778 --formats mp4,avi,dcm --style shifted --max-seconds 2.5 --max-side 720
"$bin" eval --data "$data/default/manifest.csv" --out models/eval/default --title "lite on unseen phantom seeds (default style)"
"$bin" eval --data "$data/shifted/manifest.csv" --out models/eval/shifted --title "lite on the style-shifted phantom set"
# The previous stage on the same sets, for the card's before/after.
if [ -f runs/lite-stage3.ttev ]; then
  "$bin" eval --model runs/lite-stage3.ttev --data "$data/default/manifest.csv" --out models/eval/stage3-default --title "stage-3 model on unseen phantom seeds (default style)"
  "$bin" eval --model runs/lite-stage3.ttev --data "$data/shifted/manifest.csv" --out models/eval/stage3-shifted --title "stage-3 model on the style-shifted phantom set"
fi
for m in longtail-balanced longtail-shuffle; do
  [ -f "$abl/$m.ttev" ] && "$bin" eval --model "$abl/$m.ttev" --data "$data/default/manifest.csv" --out "models/eval/ablation-$m" --title "ablation: $m (balanced test set)"
done
for m in aug-on aug-off; do
  [ -f "$abl/$m.ttev" ] && "$bin" eval --model "$abl/$m.ttev" --data "$data/shifted/manifest.csv" --out "models/eval/ablation-$m" --title "ablation: $m (style-shifted test set)"
done
if [ -d ../shared/fixtures/dicom ]; then
  "$bin" classify ../shared/fixtures/dicom/examples_ybr_color.dcm ../shared/fixtures/dicom/US-PAL-8-10x-echo.dcm > models/eval/real-dicoms.jsonl
  cat models/eval/real-dicoms.jsonl
fi

#!/usr/bin/env bash
# Reproduces the model card's phantom figures: writes the unseen-seed test sets (all three export
# formats, through the real decoders), evaluates the shipped model and the ablation models, and
# classifies the real DICOMs. usage: scripts/evaluate.sh [ablation-models-dir]
# (The real-set figures come from scripts/evaluate-real.sh; python3 scripts/model_card.py then
# rewrites the card.)
# The ablation models are scored only when their directory is named (`scripts/evaluate.sh runs`,
# where the configs in models/ablations/ write them): models trained on an earlier phantom score at
# chance on today's test sets, so old ones belong elsewhere (model card).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
abl="${1:-/nonexistent}"
cargo build --release -p tteview
bin="$CARGO_TARGET_DIR/release/tteview"
# The test sets depend on the phantom and the exporters: cache them per version of their sources
# (not of their tests and examples, which do not change a clip).
version=$(git rev-parse HEAD:crates/tte-phantom/src HEAD:crates/tte-export/src | sha1sum | cut -c1-10)
# Drawn with the phantom anatomy the shipped model was trained on (its header's `anatomy`).
anatomy=$(python3 -c 'import json; b = open("models/lite.ttev", "rb").read(); n = int.from_bytes(b[12:20], "little"); print(json.loads(b[20:20 + n]).get("anatomy", "drawn"))')
data="$CARGO_TARGET_DIR/eval-data-$version-$anatomy"
[ -f "$data/default/manifest.csv" ] || "$bin" phantom --out "$data/default" --per-view 8 --seed 777 --formats mp4,avi,dcm --max-seconds 2.5 --max-side 480 --anatomy "$anatomy"
# The phantom's whole range of screen sizes and lengths (up to full size and 5 s; the sets above
# are capped to keep three formats quick), one format.
[ -f "$data/full/manifest.csv" ] || "$bin" phantom --out "$data/full" --per-view 4 --seed 779 --formats mp4 --anatomy "$anatomy"
[ -f "$data/shifted/manifest.csv" ] || "$bin" phantom --out "$data/shifted" --per-view 8 --seed 778 --formats mp4,avi,dcm --style shifted --max-seconds 2.5 --max-side 720 --anatomy "$anatomy"
"$bin" eval --data "$data/default/manifest.csv" --out models/eval/default --title "lite on unseen phantom seeds (default style)"
"$bin" eval --data "$data/full/manifest.csv" --out models/eval/full --title "lite on unseen phantom seeds over the phantom's whole range of sizes and lengths"
"$bin" eval --data "$data/shifted/manifest.csv" --out models/eval/shifted --title "lite on the style-shifted phantom set"
python3 scripts/shifted_factors.py "$data/shifted/manifest.csv" "shipped=models/eval/shifted/predictions.csv" > models/eval/shifted/factors.md
for m in longtail-balanced longtail-shuffle; do
  [ -f "$abl/$m.ttev" ] && "$bin" eval --model "$abl/$m.ttev" --data "$data/default/manifest.csv" --out "models/eval/ablation-$m" --title "ablation: $m (balanced test set)"
done
for m in aug-on aug-off; do
  [ -f "$abl/$m.ttev" ] || continue
  "$bin" eval --model "$abl/$m.ttev" --data "$data/shifted/manifest.csv" --out "models/eval/ablation-$m" --title "ablation: $m (style-shifted test set)"
  "$bin" eval --model "$abl/$m.ttev" --data "$data/default/manifest.csv" --out "models/eval/ablation-$m-default" --title "ablation: $m (default style)"
done
if [ -f "$abl/aug-on.ttev" ] && [ -f "$abl/aug-off.ttev" ]; then
  python3 scripts/shifted_factors.py "$data/shifted/manifest.csv" "without augmentation=models/eval/ablation-aug-off/predictions.csv" "with augmentation=models/eval/ablation-aug-on/predictions.csv" > models/eval/ablation-aug-on/factors.md
fi
if [ -d ../shared/fixtures/dicom ]; then
  # The two echo clips the issue names first, then every other real file (stills, other echo
  # machines, non-cardiac and transoesophageal images that should come out OTHER or unsure).
  "$bin" classify ../shared/fixtures/dicom/examples_ybr_color.dcm ../shared/fixtures/dicom/US-PAL-8-10x-echo.dcm \
    $(ls ../shared/fixtures/dicom/*.dcm | grep -v -e examples_ybr_color -e US-PAL-8-10x-echo) > models/eval/real-dicoms.jsonl
  cat models/eval/real-dicoms.jsonl
fi

#!/usr/bin/env bash
# Reproduces every figure of the model card: writes the unseen-seed test sets (all three export
# formats, through the real decoders), evaluates the shipped model and the ablation models, and
# classifies the two real echo DICOMs. usage: scripts/evaluate.sh [ablation-models-dir]
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
data="$CARGO_TARGET_DIR/eval-data-$version"
[ -f "$data/default/manifest.csv" ] || "$bin" phantom --out "$data/default" --per-view 8 --seed 777 --formats mp4,avi,dcm --max-seconds 2.5 --max-side 480
[ -f "$data/shifted/manifest.csv" ] || "$bin" phantom --out "$data/shifted" --per-view 8 --seed 778 --formats mp4,avi,dcm --style shifted --max-seconds 2.5 --max-side 720
# A second pair from fresh seeds, to choose between runs without choosing on the test sets.
[ -f "$data/fresh901/manifest.csv" ] || "$bin" phantom --out "$data/fresh901" --per-view 6 --seed 901 --formats mp4,avi,dcm --max-seconds 1.5 --max-side 480
[ -f "$data/fresh902/manifest.csv" ] || "$bin" phantom --out "$data/fresh902" --per-view 6 --seed 902 --formats mp4,avi,dcm --style shifted --max-seconds 1.5 --max-side 720
# A model on both fresh sets: `fresh MODEL NAME` writes models/eval/selection/fresh90{1,2}-NAME.
fresh() {
  "$bin" eval --model "$1" --data "$data/fresh901/manifest.csv" --out "models/eval/selection/fresh901-$2" --title "$2 on fresh seeds 901 (default style)"
  "$bin" eval --model "$1" --data "$data/fresh902/manifest.csv" --out "models/eval/selection/fresh902-$2" --title "$2 on fresh seeds 902 (style-shifted)"
}
"$bin" eval --data "$data/default/manifest.csv" --out models/eval/default --title "lite on unseen phantom seeds (default style)"
"$bin" eval --data "$data/shifted/manifest.csv" --out models/eval/shifted --title "lite on the style-shifted phantom set"
fresh models/lite.ttev shipped
# The earlier stages on the same sets, for the card's before/after, and stages 5-14 (models/
# lite.levels.json is stage 5, lite.stageN.json stage N; each scored on the last checkpoint of its
# run, in f32; stage 7 as its run wrote it, stages 3 and 4 as shipped, `git show eb9bb69:models/lite.ttev` and
# `git show 0c62518:models/lite.ttev`). runs/previous-shipped.ttev, when present, is the file
# shipped before stage 7 (stage 4 weights with levelling: `git show 6d6bbac:models/lite.ttev`).
for st in 3 4 5 6 7 8 9 10 11 12 13 14; do
  case $st in
    3|4|7) m="runs/lite-stage$st.ttev" ;;
    5) m="runs/lite-levels/last.ttev" ;;
    *) m="runs/lite-stage$st/last.ttev" ;;
  esac
  [ -f "$m" ] || continue
  "$bin" eval --model "$m" --data "$data/default/manifest.csv" --out "models/eval/stage$st-default" --title "stage-$st model on unseen phantom seeds (default style)"
  "$bin" eval --model "$m" --data "$data/shifted/manifest.csv" --out "models/eval/stage$st-shifted" --title "stage-$st model on the style-shifted phantom set"
  if [ "$st" -ge 5 ]; then fresh "$m" "stage$st"; fi
done
if [ -f runs/previous-shipped.ttev ]; then
  "$bin" eval --model runs/previous-shipped.ttev --data "$data/default/manifest.csv" --out models/eval/previous-shipped-default --title "the file shipped before stage 7 (stage 4 weights with levelling), default style"
  "$bin" eval --model runs/previous-shipped.ttev --data "$data/shifted/manifest.csv" --out models/eval/previous-shipped-shifted --title "the file shipped before stage 7 (stage 4 weights with levelling), style-shifted set"
  fresh runs/previous-shipped.ttev previous
fi
# A weight average of stage 11 and the two fine-tunes started from it (stages 12 and 13), colour
# blanked as the shipped file is: model card, "Weight averaging".
if [ -f runs/lite-stage11/last.ttev ] && [ -f runs/lite-stage12/last.ttev ] && [ -f runs/lite-stage13/last.ttev ]; then
  "$bin" convert --model runs/lite-stage11/last.ttev --average-with runs/lite-stage12/last.ttev --average-with runs/lite-stage13/last.ttev --blank-colour --out runs/average-11-12-13.ttev
  "$bin" eval --model runs/average-11-12-13.ttev --data "$data/default/manifest.csv" --out models/eval/average-default --title "weight average of stages 11, 12 and 13, colour blanked (default style)"
  "$bin" eval --model runs/average-11-12-13.ttev --data "$data/shifted/manifest.csv" --out models/eval/average-shifted --title "weight average of stages 11, 12 and 13, colour blanked (style-shifted set)"
  fresh runs/average-11-12-13.ttev average
fi
# The diagnostic run trained on style-shifted clips (models/experiments/oracle-shifted.json): what
# the network reaches on the shifted set once it has seen that style (model card).
if [ -f runs/oracle-shifted/last.ttev ]; then
  "$bin" eval --model runs/oracle-shifted/last.ttev --data "$data/default/manifest.csv" --out models/eval/oracle-shifted-default --title "diagnostic: lite fine-tuned on style-shifted clips (default style)"
  "$bin" eval --model runs/oracle-shifted/last.ttev --data "$data/shifted/manifest.csv" --out models/eval/oracle-shifted-shifted --title "diagnostic: lite fine-tuned on style-shifted clips (style-shifted set)"
fi
# The stronger diagnostic (models/experiments/oracle-live.json): from the shipped weights, fresh
# style-shifted clips rendered every step; its ceiling on the shifted set, dark third included.
if [ -f runs/oracle-live/last.ttev ]; then
  "$bin" eval --model runs/oracle-live/last.ttev --data "$data/default/manifest.csv" --out models/eval/oracle-live-default --title "diagnostic: lite trained on fresh style-shifted clips (default style)"
  "$bin" eval --model runs/oracle-live/last.ttev --data "$data/shifted/manifest.csv" --out models/eval/oracle-live-shifted --title "diagnostic: lite trained on fresh style-shifted clips (style-shifted set)"
  fresh runs/oracle-live/last.ttev oracle-live
fi
# The shifted set broken down by what was shifted, shipped model against the earlier stages.
cols=()
for st in 3 4; do [ -f "models/eval/stage$st-shifted/predictions.csv" ] && cols+=("stage $st=models/eval/stage$st-shifted/predictions.csv"); done
[ -f models/eval/previous-shipped-shifted/predictions.csv ] && cols+=("shipped before stage 7=models/eval/previous-shipped-shifted/predictions.csv")
# The shipped stage is the one scripts/train-shipped.sh converts; the later stages get their own column.
shipped=$(sed -n 's|.*convert --model runs/lite-stage\([0-9]*\)/last.ttev.*|\1|p' scripts/train-shipped.sh)
blanked=$(grep -q 'convert .*--blank-colour' scripts/train-shipped.sh && echo ", colour blanked" || true)
for st in 7 8 9 10 11 12 13 14; do
  # A stage's own column unless the shipped file is exactly its weights.
  if [ "$st" != "$shipped" ] || [ -n "$blanked" ]; then
    [ -f "models/eval/stage$st-shifted/predictions.csv" ] && cols+=("stage $st=models/eval/stage$st-shifted/predictions.csv")
  fi
done
cols+=("shipped (stage $shipped$blanked)=models/eval/shifted/predictions.csv")
[ -f models/eval/oracle-shifted-shifted/predictions.csv ] && cols+=("trained on the shifted style (diagnostic)=models/eval/oracle-shifted-shifted/predictions.csv")
[ -f models/eval/oracle-live-shifted/predictions.csv ] && cols+=("trained on fresh shifted-style clips (diagnostic)=models/eval/oracle-live-shifted/predictions.csv")
python3 scripts/shifted_factors.py "$data/shifted/manifest.csv" "${cols[@]}" > models/eval/shifted/factors.md
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

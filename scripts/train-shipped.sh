#!/usr/bin/env bash
# Reproduces models/lite.ttev: six stages on phantom v2 (model card, "Training data"), each from
# the one before; the shipped file is the mean of stage 6's checkpoints at steps 250, 500 and 750,
# stored as 8-bit weights and calibrated on held-out phantom clips. About 5 hours on 2 CPU cores.
# Then `scripts/evaluate.sh`, `scripts/evaluate-real.sh ~/.cache/tteview-real-dev models/lite.ttev
# --json models/eval/real-dev/report.json` and `python3 scripts/model_card.py` redo the model card.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
cargo build --release -p tteview
bin="$CARGO_TARGET_DIR/release/tteview"
# Trains CONFIG (whose run directory is DIR) in legs ending at each STEP, keeping each leg's end
# as DIR/step-STEP.ttev.
legs() {
  local config=$1 dir=$2 n
  shift 2
  for n in "$@"; do
    "$bin" train --config "$config" --stop-after "$n"
    cp "$dir/last.ttev" "$dir/step-$n.ttev"
  done
}
"$bin" train --config models/lite.v2-stage1.json    # from random weights, writes runs/v2-stage1.ttev
"$bin" train --config models/lite.v2-stage2.json    # init_from runs/v2-stage1.ttev, run in runs/v2-stage2/
# Stage 3 (init_from runs/v2-stage2/last.ttev, made grey) in legs, keeping each leg's end.
# (The shipped run itself used the run directories runs/phantom-v2, runs/phantom-v2-long and
# runs/phantom-v2-grey; these configs differ from it in those paths, and stop at the steps it reached.)
legs models/lite.v2-stage3.json runs/v2-stage3 2000 2250 2500 3000
g=runs/v2-stage3
# Stage 4 starts from the f32 mean of stage 3's checkpoints (the previously shipped weights).
"$bin" convert --model "$g/step-2000.ttev" --average-with "$g/step-2250.ttev" --average-with "$g/step-2500.ttev" \
  --average-with "$g/step-3000.ttev" --out runs/v2-stage3-mean.ttev --anatomy cut
legs models/lite.v2-stage4.json runs/v2-stage4 1000   # saner augmentation
# Stage 5 (stills, the liver reaching the diaphragm) in legs.
legs models/lite.v2-stage5.json runs/v2-stage5 250 500 750 1000
g=runs/v2-stage5
# Stage 6 starts from the 8-bit mean of stage 5's checkpoints (the file shipped before it).
"$bin" convert --model "$g/step-250.ttev" --average-with "$g/step-500.ttev" --average-with "$g/step-750.ttev" \
  --average-with "$g/step-1000.ttev" --out runs/v2-stage5-mean.ttev --q8 --anatomy cut
# Stage 6 (grainy speckle and mottled surroundings, elastic warps, every crop the fan's true box).
legs models/lite.v3-stage6.json runs/v3-stage6 250 500 750
g=runs/v3-stage6
"$bin" convert --model "$g/step-250.ttev" --average-with "$g/step-500.ttev" --average-with "$g/step-750.ttev" \
  --out models/lite.ttev --q8 --anatomy cut --check-per-view 2
# How its answers are read (temperature, OTHER bias, "uncertain" threshold), fitted on held-out
# phantom clips; the weights stay as they are.
"$bin" calibrate --model models/lite.ttev --out models/lite.ttev --json models/eval/calibration.json

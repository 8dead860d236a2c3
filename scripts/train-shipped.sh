#!/usr/bin/env bash
# Reproduces models/lite.ttev: eleven stages on the v1 phantom (model card, "Training data"), each
# from the one before, then 8-bit storage with colour blanking switched on in the file. About 15
# hours on 2 CPU cores (the stages with a time budget stop at it). Then `scripts/evaluate.sh`,
# `scripts/evaluate-real.sh` and `python3 scripts/model_card.py` redo the model card.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
cargo build --release -p tteview
bin="$CARGO_TARGET_DIR/release/tteview"
"$bin" train --config models/lite.train.json        # writes runs/lite-stage1.ttev
"$bin" train --config models/lite.finetune.json     # init_from runs/lite-stage1.ttev, writes runs/lite-stage2.ttev
"$bin" train --config models/lite.realism.json      # init_from runs/lite-stage2.ttev, writes runs/lite-stage3.ttev
"$bin" train --config models/lite.traces.json       # init_from runs/lite-stage3.ttev, writes runs/lite-stage4.ttev
"$bin" train --config models/lite.levels.json       # init_from runs/lite-stage4.ttev, run in runs/lite-levels/
"$bin" train --config models/lite.stage6.json       # init_from runs/lite-levels/last.ttev, run in runs/lite-stage6/
"$bin" train --config models/lite.stage7.json       # init_from runs/lite-stage6/last.ttev, writes runs/lite-stage7.ttev
"$bin" train --config models/lite.stage8.json       # init_from runs/lite-stage7.ttev, run in runs/lite-stage8/
"$bin" train --config models/lite.stage9.json       # init_from runs/lite-stage8/last.ttev, run in runs/lite-stage9/
"$bin" train --config models/lite.stage10.json      # init_from runs/lite-stage9/last.ttev, run in runs/lite-stage10/
"$bin" train --config models/lite.stage11.json      # init_from runs/lite-stage10/last.ttev, run in runs/lite-stage11/
# Stages 5-11 train with levelling (`auto_levels`), so the file's header asks for it; the shipped
# file also blanks colour (`blank_colour`) before the network.
"$bin" convert --model runs/lite-stage11/last.ttev --out models/lite.ttev --q8 --blank-colour --check-per-view 2

#!/usr/bin/env bash
# Reproduces models/lite.ttev: stage 1 from random weights, stage 2 fine-tuning with stronger
# augmentation, stage 3 fine-tuning on the more realistic phantom (dark lung around the heart,
# darker default gain), stage 4 fine-tuning with Doppler and M-mode screens cropped to keep their
# trace and a third of the clips cropped as their DICOM would be, then f16 storage. About 5.5 hours
# on 2 CPU cores (each stage stops at its time budget). Then `scripts/evaluate.sh` and
# `python3 scripts/model_card.py` redo the model card.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
cargo build --release -p tteview
bin="$CARGO_TARGET_DIR/release/tteview"
"$bin" train --config models/lite.train.json        # writes runs/lite-stage1.ttev
"$bin" train --config models/lite.finetune.json     # init_from runs/lite-stage1.ttev, writes runs/lite-stage2.ttev
"$bin" train --config models/lite.realism.json      # init_from runs/lite-stage2.ttev, writes runs/lite-stage3.ttev
"$bin" train --config models/lite.traces.json       # init_from runs/lite-stage3.ttev, writes models/lite.ttev
"$bin" convert --model models/lite.ttev --out models/lite.ttev --half --check-per-view 2
# The shipped file levels grey levels (`auto_levels`, tte_preprocess::levels): the stage-4 weights
# classify better with it (model card), so the header flag is set on them.
python3 - <<'PY'
import json, struct
p = "models/lite.ttev"; b = open(p, "rb").read(); n = struct.unpack("<Q", b[12:20])[0]
h = json.loads(b[20:20 + n]); h["auto_levels"] = True; hb = json.dumps(h).encode()
open(p, "wb").write(b[:12] + struct.pack("<Q", len(hb)) + hb + b[20 + n:])
PY

#!/usr/bin/env bash
# The main job. Until the web app lands this builds the native classifier, writes a phantom clip of
# every view and classifies them, printing one JSON line per clip.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
bash scripts/setup.sh
cargo build --release -p tteview
bin="$CARGO_TARGET_DIR/release/tteview"
demo="$CARGO_TARGET_DIR/demo-clips"
"$bin" phantom --out "$demo" --per-view 1 --seed 7 --formats dcm --max-seconds 2 --max-side 320
"$bin" classify "$demo"

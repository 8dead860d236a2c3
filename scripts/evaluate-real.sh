#!/usr/bin/env bash
# Scores a model on labelled real echo (validation only, never training):
#   scripts/evaluate-real.sh [DIR] [MODEL] [--json OUT] [--against EARLIER.json] [--mirror] [--windows]
# (--mirror and --windows measure test-time augmentation: scripts/evaluate_real.py says how)
# DIR defaults to ~/.cache/tteview-real-dev (built by ../shared/real-dev/build.sh); MODEL to the
# shipped models/lite.ttev. Prints SKIPPED when the set is absent (CI does not have it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
dir="${1:-$HOME/.cache/tteview-real-dev}"
shift || true
if [ ! -f "$dir/labels.csv" ]; then
  echo "SKIPPED: $dir/labels.csv is absent (build it with ../shared/real-dev/build.sh); no real-set figures"
  exit 0
fi
[ -x "$CARGO_TARGET_DIR/release/tteview" ] || cargo build --release -p tteview
python3 scripts/evaluate_real.py "$CARGO_TARGET_DIR/release/tteview" "$dir" "$@"

#!/usr/bin/env bash
# Turns training checkpoints into a candidate model and judges it on the real set:
#   scripts/candidate.sh OUT.ttev CHECKPOINT.ttev [CHECKPOINT.ttev ...] [-- evaluate-real options]
# (`-- --json R.json --against models/eval/real-dev/report.json` compares it file by file with the
# shipped model: files gained and lost, and the change in log score, which tells models apart
# sooner than 80 files' accuracy does.)
# The weights' mean (one checkpoint swings by +-0.1 on the real set from the next), 8-bit,
# calibrated on held-out phantom clips (`tteview calibrate`), then `scripts/evaluate-real.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
bin="$CARGO_TARGET_DIR/release/tteview"
[ $# -ge 2 ] || { echo "usage: scripts/candidate.sh OUT.ttev CHECKPOINT.ttev [...] [-- --json REPORT]" >&2; exit 2; }
out="$1"; shift
ckpts=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do ckpts+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#ckpts[@]} -ge 1 ] || { echo "usage: scripts/candidate.sh OUT.ttev CHECKPOINT.ttev [...] [-- --json REPORT]" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release -p tteview
args=(convert --model "${ckpts[0]}")
for c in "${ckpts[@]:1}"; do args+=(--average-with "$c"); done
"$bin" "${args[@]}" --out "$out" --q8 --anatomy cut
"$bin" calibrate --model "$out" --out "$out"
scripts/evaluate-real.sh "$HOME/.cache/tteview-real-dev" "$out" "$@"

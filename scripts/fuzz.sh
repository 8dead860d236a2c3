#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20) and prints executions and findings.
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz needs nightly flags; this stable toolchain allows them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/tteview-fuzz-target}"
cd fuzz
for t in $(cargo fuzz list); do
  mkdir -p corpus/$t artifacts/$t
  echo "== $t ($secs s)"
  cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 2>&1 | grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|ERROR|panicked' || true
done

#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20) and prints executions and findings;
# exits 1 when any target crashed, leaked, timed out or ran out of memory (CI runs it short).
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
shift || true
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2 || exit 1
main_target="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
# cargo-fuzz needs nightly flags; this stable toolchain allows them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/tteview-fuzz-target}"
cd fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
logs="$CARGO_TARGET_DIR/fuzz-logs"
mkdir -p "$logs"
cargo fuzz build "${targets[@]:0:1}" >/dev/null 2>&1 || true   # warm the shared dependencies once
seed_corpus() {
  # Tiny phantom clips as seeds, cut after the magic each target supplies itself, so the fuzzer
  # starts from valid files of every container instead of from nothing.
  local bin="$main_target/release/tteview"
  [ -x "$bin" ] || { echo "(no tteview binary: fuzzing from empty corpora)"; return; }
  local dir="$CARGO_TARGET_DIR/fuzz-seeds"
  rm -rf "$dir"
  "$bin" phantom --out "$dir" --per-view 1 --seed 77 --formats mp4,avi,dcm --max-seconds 0.3 --max-side 48 >/dev/null || return
  python3 - "$dir" <<'PY'
import pathlib, struct, sys
src = pathlib.Path(sys.argv[1])
def put(target, name, data):
    d = pathlib.Path("corpus") / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)
# Beside the phantom's own exports, ffmpeg's encodings of a phantom clip (B-frames, QuickTime,
# fragments, HEVC, MPEG-4 Part 2 and uncompressed AVI, stills), so the new paths are reached.
encodings = pathlib.Path("../crates/tte-media/tests/encodings")
for f in sorted(src.glob("*.*"))[:39] + sorted(encodings.glob("*.*")):
    b = f.read_bytes()
    if f.suffix == ".dcm":
        put("dicom", f.name, b[132:])
    elif f.suffix == ".avi":
        put("avi", f.name, b[12:])
    elif f.suffix in (".mp4", ".mov"):
        put("mp4", f.name, b[struct.unpack(">I", b[:4])[0]:])
    elif f.suffix == ".png":
        put("still", f.name, b[8:])
    elif f.suffix != ".jpg":
        continue
    put("open_any", f.name, b)
PY
}
seed_corpus
failed=()
printf '%-10s %12s %10s  %s\n' target executions "rss (MB)" result
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="$logs/$t.log"
  cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
    -print_final_stats=1 > "$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  rss=$(grep -oE 'stat::peak_rss_mb: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  if [ $rc -eq 0 ]; then
    printf '%-10s %12s %10s  %s\n' "$t" "$execs" "$rss" "no findings"
  else
    printf '%-10s %12s %10s  %s\n' "$t" "$execs" "$rss" "FINDING (exit $rc): see $log"
    grep -E 'SUMMARY|ERROR|panicked|Test unit written' "$log" | head -5
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}; reproduce with: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET ARTIFACT"
  exit 1
fi

#!/usr/bin/env bash
# Builds the web app: the wasm module (burn-wgpu + Flex), its JS bindings, and the view legend.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tteview-target}"
WASM_TARGET_DIR="${WASM_TARGET_DIR:-$HOME/.cache/tteview-wasm-target}"

rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p' | head -1)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (matches Cargo.lock)"
  cargo install wasm-bindgen-cli --version "$want" --force
fi
# Two builds of tte-web: www/pkg with WebGPU (and the CPU as its fallback), www/pkg-cpu with the
# CPU alone (4.7 MB instead of 28: wgpu and cubecl are most of the module). The page fetches only
# the one it will use. Without the debug name section (Debian's binaryen 108 breaks this
# wasm-bindgen's reference-typed tables, so there is no wasm-opt pass; whole-program LTO was
# measured at 3.10 MB brotli instead of 3.18 for 20 more minutes of build, so it is off). The
# `wasm` profile (Cargo.toml) builds WebGPU's host-side crates for size.
wasm="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm/tte_web.wasm"
for variant in pkg-cpu pkg; do
  features=(); [ "$variant" = pkg-cpu ] && features=(--no-default-features)
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --profile wasm --target wasm32-unknown-unknown -p tte-web "${features[@]}"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "www/$variant" "$wasm"
done
# The whole workspace's binaries in one invocation: a `-p` build resolves features for that
# package alone and would rebuild shared crates the test build already made.
cargo build --release --workspace --bins
"$CARGO_TARGET_DIR/release/tteview" phantom --legend www/legend > /dev/null
# Precompressed twins for scripts/serve.py: the module and the model travel compressed.
for f in www/pkg/tte_web_bg.wasm www/pkg-cpu/tte_web_bg.wasm models/lite.ttev; do
  gzip -9 -k -f -n "$f"
  if command -v brotli >/dev/null; then brotli -q 9 -f -k "$f"; fi
done
for variant in pkg-cpu pkg; do
  f="www/$variant/tte_web_bg.wasm"
  echo "web app built: $f $(du -h "$f" | cut -f1)" \
    "(gzip $(du -h "$f.gz" | cut -f1)$(command -v brotli >/dev/null && echo ", brotli $(du -h "$f.br" | cut -f1)"))"
done

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
# Two builds of tte-web: www/pkg with WebGPU, www/pkg-cpu with the CPU alone (a fifth of the
# size: wgpu and cubecl are most of the module). The page fetches only the one it will use, and
# falls back to pkg-cpu where WebGPU fails. The `wasm` profile (Cargo.toml) builds WebGPU's
# host-side crates for size and the CPU's kernels for speed; `wasm-gpu` builds every dependency
# of the WebGPU module for size. Without the debug name section. No wasm-opt pass: binaryen 116's
# -O1 saves 3 % of the compressed module and -Oz makes it larger, for a C++ build of binaryen
# (Debian's binaryen 108 breaks this wasm-bindgen's reference-typed tables); whole-program LTO
# was measured at 3.10 MB brotli instead of 3.18 for 20 more minutes of build, so it is off.
for variant in pkg-cpu pkg; do
  features=(); profile=wasm-gpu
  [ "$variant" = pkg-cpu ] && { features=(--no-default-features --features simd); profile=wasm; }
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --profile "$profile" --target wasm32-unknown-unknown -p tte-web "${features[@]}"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "www/$variant" "$WASM_TARGET_DIR/wasm32-unknown-unknown/$profile/tte_web.wasm"
done
# The CPU build on threads (www/pkg-mt), for pages that are cross-origin isolated: wasm threads
# need std rebuilt with atomics, so a pinned nightly with rust-src builds it, into its own target
# directory (other flags than the two builds above). Shared memory must be imported, exported to
# the workers and bounded (2 GB); openjp2's own cdylib, which the module never links, leaves
# malloc undefined (tte-web's libc_shim defines it for the module).
NIGHTLY="${TTEVIEW_NIGHTLY:-nightly-2026-05-20}"
MT_TARGET_DIR="${WASM_MT_TARGET_DIR:-$HOME/.cache/tteview-wasm-mt-target}"
if rustup toolchain install "$NIGHTLY" --profile minimal --component rust-src --target wasm32-unknown-unknown >/dev/null 2>&1; then
  mt_flags=(-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 -C link-arg=--allow-undefined
    -C link-arg=--shared-memory -C link-arg=--max-memory=2147483648 -C link-arg=--import-memory
    -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align
    -C link-arg=--export=__tls_base)
  RUSTFLAGS="${mt_flags[*]}" CARGO_TARGET_DIR="$MT_TARGET_DIR" cargo "+$NIGHTLY" build -Z build-std=panic_abort,std \
    --profile wasm --target wasm32-unknown-unknown -p tte-web --no-default-features --features threads
  rm -rf www/pkg-mt
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir www/pkg-mt "$MT_TARGET_DIR/wasm32-unknown-unknown/wasm/tte_web.wasm"
  # wasm-bindgen-rayon's worker imports its package as '../../..', which a bundler resolves and a
  # plain server does not: point it at the module itself.
  sed -i "s#import('../../..')#import('../../../tte_web.js')#" www/pkg-mt/snippets/*/src/workerHelpers.js
  grep -q "import('../../../tte_web.js')" www/pkg-mt/snippets/*/src/workerHelpers.js
else
  echo "SKIPPED: the threaded CPU module (www/pkg-mt): $NIGHTLY with rust-src could not be installed; the page runs the CPU backend on one thread"
  rm -rf www/pkg-mt
fi
# The whole workspace's binaries in one invocation: a `-p` build resolves features for that
# package alone and would rebuild shared crates the test build already made.
cargo build --release --workspace --bins
"$CARGO_TARGET_DIR/release/tteview" phantom --legend www/legend > /dev/null
# Precompressed twins for scripts/serve.py: the module and the model travel compressed. Brotli at
# its best setting with a 16 MB window (about 40 s for the WebGPU module) takes 13 % more off than
# -q 9, so the twins are remade only when the file's content has changed (wasm-bindgen rewrites
# the module on every build).
twins() {
  local f=$1 sum
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  if [ -f "$f.gz" ] && [ "$(cat "$f.sum" 2>/dev/null)" = "$sum" ] \
    && { ! command -v brotli >/dev/null || [ -f "$f.br" ]; }; then
    # Same content, so the twins still hold: as new as the file, or serve.py takes them for stale.
    touch -c -r "$f" "$f.gz" "$f.br"
    return
  fi
  gzip -9 -k -f -n "$f"
  if command -v brotli >/dev/null; then brotli -q 11 --lgwin=24 -f -k "$f"; fi
  # brotli keeps the file's time to the second only: a twin a fraction of a second older than its
  # file is stale to serve.py, which then sent gzip.
  touch -c -r "$f" "$f.gz" "$f.br"
  echo "$sum" > "$f.sum"
}
for f in www/pkg/tte_web_bg.wasm www/pkg-cpu/tte_web_bg.wasm www/pkg-mt/tte_web_bg.wasm models/lite.ttev; do
  if [ -f "$f" ]; then twins "$f"; fi
done
for variant in pkg-cpu pkg pkg-mt; do
  [ -f "www/$variant/tte_web_bg.wasm" ] || continue
  f="www/$variant/tte_web_bg.wasm"
  echo "web app built: $f $(du -h "$f" | cut -f1)" \
    "(gzip $(du -h "$f.gz" | cut -f1)$(command -v brotli >/dev/null && echo ", brotli $(du -h "$f.br" | cut -f1)"))"
done

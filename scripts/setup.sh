#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine; does nothing when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v c++ >/dev/null || need_apt+=(g++)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v ffprobe >/dev/null || need_apt+=(ffmpeg)
command -v brotli >/dev/null || need_apt+=(brotli)
# Native video decoding links the system's FFmpeg libraries; bindgen reads their headers.
pkg-config --exists libavcodec libavformat libswscale 2>/dev/null \
  || need_apt+=(libavcodec-dev libavformat-dev libavutil-dev libswscale-dev)
[ -n "$(ls /usr/lib/llvm-*/lib/libclang.so* 2>/dev/null)" ] || need_apt+=(libclang-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
command -v cargo >/dev/null || { echo "setup: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# playwright-core only: it drives Debian's Chromium and never downloads a browser.
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --no-audit --no-fund)

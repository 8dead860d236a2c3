#!/usr/bin/env bash
# What only the test command needs, beyond scripts/setup.sh: the aarch64 (Jetson) target and its
# cross C/C++ compiler for `cargo check`, and PyTorch (CPU, from PyPI) in a virtual environment for
# the parity check, with pydicom for the DICOM export check. Does nothing when they are there.
# Prints nothing but errors.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=()
command -v aarch64-linux-gnu-g++ >/dev/null || need_apt+=(g++-aarch64-linux-gnu)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1

# PyTorch's Linux wheels on PyPI carry CUDA libraries (about 5 GB installed); it runs on the CPU here.
venv="${TTEVIEW_PY:-$HOME/.cache/tteview-py}"
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check torch >/dev/null
fi
# pydicom (with Pillow for JPEG Baseline, NumPy for its pixel arrays) opens the DICOM exports
# independently of our reader; today's torch wheels no longer pull NumPy in.
"$venv/bin/python" -c 'import pydicom, PIL, numpy' 2>/dev/null \
  || "$venv/bin/pip" install -q --disable-pip-version-check pydicom pillow numpy >/dev/null

#!/usr/bin/env bash
# The main job: builds the web app and serves it on 127.0.0.1 (PORT, default 8080), printing its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
bash scripts/build-web.sh >&2
exec python3 scripts/serve.py --port "${PORT:-8080}"

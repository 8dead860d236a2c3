#!/usr/bin/env bash
# The GPU session's one prepared run (device tool): wgpu latency of native-bench on the lent GPU,
# then the shipped model's training and the two ablations, in parallel, within a time budget.
# Expects x86-64 binaries built here with `--features wgpu` in .gpu/ and Vulkan loaders in .gl/.
# Since native decoding came in, both binaries link the system's libavcodec, which the lent H200
# machine lacks (2026-11-30: 'libavutil.so.57: cannot open shared object file'); tteview builds
# without it (`--no-default-features --features wgpu`, as scripts/gpu-arms.sh does), native-bench
# needs it for its MP4 clips: carry the libraries (about 140 MB with their dependencies, over a
# call's 64 MiB) or bench from DICOM clips before running this again.
# Usage (on the device machine): bash scripts/gpu-run.sh   (writes results to $OUT)
set -u
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export XDG_RUNTIME_DIR=/tmp RUST_BACKTRACE=0
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT" /tmp/runs /tmp/res
B=/tmp/bin; mkdir -p $B; for f in .gpu/*.gz; do gunzip -c "$f" > $B/$(basename "$f" .gz); done; chmod +x $B/*
{ nvidia-smi -L; nproc; uname -a; } > /tmp/res/hardware.txt 2>&1
lite=""; [ -f .gpu/lite-cpu.ttev ] && lite="--model .gpu/lite-cpu.ttev"
echo "== bench"
timeout 75 $B/native-bench --backend wgpu $lite --clips 30 --warmup 5 --json > /tmp/res/bench-wgpu-lite.json 2>/tmp/res/bench-wgpu-lite.err; echo "lite rc=$?"
timeout 60 $B/native-bench --backend wgpu --preset r50 --clips 10 --warmup 3 --json > /tmp/res/bench-wgpu-r50.json 2>/tmp/res/bench-wgpu-r50.err; echo "r50 rc=$?"
timeout 30 $B/native-bench --backend cpu $lite --clips 10 --warmup 2 --json > /tmp/res/bench-cpu-host.json 2>/tmp/res/bench-cpu-host.err; echo "cpu rc=$?"
tail -3 /tmp/res/*.err
echo "== train"
timeout 400 $B/tteview train --config experiments/lite.gpu.json --backend wgpu --run-dir /tmp/runs/lite-gpu --output /tmp/res/lite.ttev > /tmp/runs/lite-gpu.log 2>&1 &
for a in longtail-balanced longtail-shuffle aug-on aug-off; do
  timeout 370 $B/tteview train --config models/ablations/$a.json --backend wgpu --run-dir /tmp/runs/$a --output /tmp/res/$a.ttev > /tmp/runs/$a.log 2>&1 &
done
wait
tail -n 4 /tmp/runs/*.log
# A run cut short by its timeout still left checkpoints: ship the best one it saved.
for a in lite-gpu:lite longtail-balanced:longtail-balanced longtail-shuffle:longtail-shuffle aug-on:aug-on aug-off:aug-off; do
  run=${a%%:*}; out=${a#*:}
  [ -f /tmp/res/$out.ttev ] || cp /tmp/runs/$run/best.ttev /tmp/res/$out.ttev 2>/dev/null || cp /tmp/runs/$run/last.ttev /tmp/res/$out.ttev 2>/dev/null
done
cp /tmp/res/*.ttev "$OUT"/ 2>/dev/null
tar czf "$OUT/results.tgz" -C /tmp res/hardware.txt res/bench-wgpu-lite.json res/bench-wgpu-r50.json res/bench-cpu-host.json runs/lite-gpu.log runs/longtail-balanced.log runs/longtail-shuffle.log runs/aug-on.log runs/aug-off.log $(cd /tmp && ls runs/*/metrics.csv runs/*/config.json 2>/dev/null)
ls -la "$OUT"

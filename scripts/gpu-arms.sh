#!/usr/bin/env bash
# The GPU session's training arms (device tool): up to four fine-tuning runs side by side on the
# lent GPU (wgpu) and its CPU cores, each from the same checkpoint with the same seed, so that
# their real-set scores (judged here afterwards, never there) differ by what the arm changes.
# Nothing real travels: only the phantom renders.
#
# Measured on an H200 (2026-11-30): 1.7-1.8 s a step for each of three runs side by side (batch
# 8, no run waiting for data), about three times this 2-core machine's one run; a 15-minute lease
# holds some 1500 steps in all. wgpu's generic kernels, not the GPU, set that pace.
#
# Here, before the call (x86-64 binaries that need no ffmpeg libraries, which that machine lacks):
#   CARGO_TARGET_DIR=~/.cache/tteview-gpu-target cargo build --release -p tteview --no-default-features --features wgpu
#   strip -o /tmp/t ~/.cache/tteview-gpu-target/release/tteview && xz -3 -c /tmp/t > .gpu/tteview-NAME.xz
#     (one NAME per phantom under test: build, pack, change the phantom, build, pack)
#   cp CHECKPOINT.ttev .gpu/init.ttev      the checkpoint every arm starts from
#   .gl/                                   the Vulkan loaders (../.library/device/README.md)
# Then (device tool, carry .gl and .gpu):
#   bash scripts/gpu-arms.sh SECONDS CONFIG ARM=NAME:STILL_P [ARM=NAME:STILL_P ...]
# e.g. `bash scripts/gpu-arms.sh 420 experiments/lite.v2-stage7.json a=head:0.25 c=new:0.25`.
# Each arm trains CONFIG's recipe on NAME's phantom with `still_p` set, until it has done the
# config's `stop_after` steps or SECONDS pass; $OUT gets each arm's checkpoint mean (ARM-mean.ttev,
# the checkpoints it validated) and arms.tgz (logs, metrics, configs).
set -u
secs=$1; config=$2; shift 2
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export XDG_RUNTIME_DIR=/tmp RUST_BACKTRACE=0
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT" /tmp/runs /tmp/cfg
B=/tmp/bin; mkdir -p $B; for f in .gpu/*.xz; do
  xz -dc "$f" > $B/$(basename "$f" .xz) 2>/dev/null || python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$f" > $B/$(basename "$f" .xz)
done; chmod +x $B/*
{ nvidia-smi -L; nproc; uname -a; } > /tmp/runs/hardware.txt 2>&1
n=$#; workers=$(( ($(nproc) - 2) / n )); [ $workers -ge 1 ] || workers=1
for spec in "$@"; do
  arm=${spec%%=*}; rest=${spec#*=}; bin=${rest%%:*}; still=${rest#*:}
  sed -e "s#\"init_from\": *\"[^\"]*\"#\"init_from\": \".gpu/init.ttev\"#" \
      -e "s#\"still_p\": *[0-9.]*#\"still_p\": $still#" "$config" > /tmp/cfg/$arm.json
  timeout "$secs" $B/tteview-$bin train --config /tmp/cfg/$arm.json --backend wgpu --workers $workers \
    --run-dir /tmp/runs/$arm --output /tmp/runs/$arm.ttev > /tmp/runs/$arm.log 2>&1 &
  # Keep each validated checkpoint (the trainer overwrites last.ttev at each validation).
  ( while sleep 10; do s=$(grep -o '"step": *[0-9]*' /tmp/runs/$arm/state.json 2>/dev/null | grep -o '[0-9]*$')
      [ -n "$s" ] && [ ! -f /tmp/runs/$arm/ck-$s.ttev ] && sleep 3 && cp /tmp/runs/$arm/last.ttev /tmp/runs/$arm/ck-$s.ttev; done ) &
done
sleep "$secs"; sleep 15
for spec in "$@"; do
  arm=${spec%%=*}; rest=${spec#*=}; bin=${rest%%:*}
  cks=($(ls /tmp/runs/$arm/ck-*.ttev 2>/dev/null | sort -t- -k2 -n)); echo "$arm: ${#cks[@]} checkpoints: ${cks[*]}"
  [ ${#cks[@]} -ge 1 ] || continue
  args=(convert --model "${cks[0]}"); for c in "${cks[@]:1}"; do args+=(--average-with "$c"); done
  $B/tteview-$bin "${args[@]}" --out "$OUT/$arm-mean.ttev" --anatomy cut > /dev/null
  tail -n 3 /tmp/runs/$arm.log
done
tar czf "$OUT/arms.tgz" -C /tmp runs/hardware.txt $(cd /tmp && ls runs/*.log runs/*/metrics.csv runs/*/config.json 2>/dev/null) cfg
ls -la "$OUT"

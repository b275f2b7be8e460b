#!/usr/bin/env bash
# The model's throughput on a GPU (burn wgpu) beside the CPU (burn flex), from one build, in a few
# minutes: the prepared check for a machine with a real GPU. Prints training and inference samples
# per second of the paper's model (batch 1024) on each device, then one line per device side by
# side. Given the PyTorch yardstick script (../shared/bench/torch_survey_model.py here), it runs
# it too, on the machine's CPU cores (that script has no CUDA path): the same algorithm, sparse
# embedding gradients with SparseAdam.
#
#   bash sim/benches/gpu_side_by_side.sh [path/to/torch_survey_model.py]
#
# Needs: cargo; a Vulkan, Metal or DX12 driver for wgpu (without one, wgpu falls back to a
# software adapter, real but about ten times slower than flex).
set -euo pipefail
cd "$(dirname "$0")/../.."
torch_script=${1:-}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin usm
usm="$target/release/usm"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for device in flex wgpu; do
  echo "== usm bench --only model --device $device"
  "$usm" bench --only model --device "$device" | tee "$out/$device.txt"
done
if [ -n "$torch_script" ]; then
  echo "== PyTorch, the same algorithm: $torch_script $(nproc) 1024 100000,50000,10000 sparse"
  python3 "$torch_script" "$(nproc)" 1024 100000,50000,10000 sparse | tee "$out/torch.txt" || true
fi
echo
echo "== side by side (samples/s)"
printf '%-8s %12s %12s\n' device train infer
for device in flex wgpu; do
  train=$(awk '/^train/ { for (i = 1; i <= NF; i++) if ($i == "samples/s") { print $(i - 1); exit } }' "$out/$device.txt")
  infer=$(awk '/^infer/ { for (i = 1; i <= NF; i++) if ($i == "samples/s,") { print $(i - 1); exit } }' "$out/$device.txt")
  printf '%-8s %12s %12s\n' "$device" "${train:-?}" "${infer:-?}"
done

#!/usr/bin/env bash
# The model's throughput on a GPU (burn wgpu) beside the CPU (burn flex), from one build, in a few
# minutes: the prepared check for a machine with a real GPU. Prints training and inference samples
# per second of the paper's model (batch 1024) on each device. Where python3 has torch, it runs
# the PyTorch yardstick (sim/benches/torch_survey_model.py: the same algorithm, sparse embedding
# gradients with SparseAdam) on the machine's CPU cores and, where torch sees a CUDA GPU, on that
# same card. Then one line per row, side by side.
#
#   bash sim/benches/gpu_side_by_side.sh
#
# Needs: cargo; a Vulkan, Metal or DX12 driver for wgpu (without one, wgpu falls back to a
# software adapter, real but about ten times slower than flex); for the PyTorch rows,
# `pip install torch`.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin usm
usm="$target/release/usm"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for device in flex wgpu; do
  echo "== usm bench --only model --device $device"
  "$usm" bench --only model --device "$device" | tee "$out/$device.txt"
done
torch_rows=()
if python3 -c "import torch" 2>/dev/null; then
  torch_rows=(cpu)
  if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    torch_rows+=(cuda)
  fi
  for dev in "${torch_rows[@]}"; do
    echo "== PyTorch, the same algorithm, on $dev: sim/benches/torch_survey_model.py $(nproc) 1024 100000,50000,10000 sparse --device $dev"
    python3 sim/benches/torch_survey_model.py "$(nproc)" 1024 100000,50000,10000 sparse --device "$dev" 2>/dev/null | tee "$out/torch-$dev.txt" || true
  done
else
  echo "== no PyTorch here (pip install torch for its rows)"
fi
echo
echo "== side by side (samples/s)"
printf '%-12s %12s %12s\n' row train infer
for device in flex wgpu; do
  train=$(awk '/^train/ { for (i = 1; i <= NF; i++) if ($i == "samples/s") { print $(i - 1); exit } }' "$out/$device.txt")
  infer=$(awk '/^infer/ { for (i = 1; i <= NF; i++) if ($i == "samples/s,") { print $(i - 1); exit } }' "$out/$device.txt")
  printf '%-12s %12s %12s\n' "usm $device" "${train:-?}" "${infer:-?}"
done
for dev in "${torch_rows[@]}"; do
  train=$(grep -o 'train_samples_per_s=[0-9]*' "$out/torch-$dev.txt" | cut -d= -f2)
  infer=$(grep -o 'infer_samples_per_s=[0-9]*' "$out/torch-$dev.txt" | cut -d= -f2)
  printf '%-12s %12s %12s\n' "torch $dev" "${train:-?}" "${infer:-?}"
done

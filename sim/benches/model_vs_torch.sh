#!/usr/bin/env bash
# The paper's model, usm against PyTorch on the same algorithm (sparse embedding gradients with
# SparseAdam, usm's lazy Adam), on this machine's CPU cores, in alternating rounds so that both
# sides see the same moments of a shared host. Prints each round and the median of each side and
# of the ratios.
#
#   bash sim/benches/model_vs_torch.sh [ROUNDS=3]
#
# Needs: cargo, and python3 with torch (`pip install torch`).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
threads=${THREADS:-$(nproc)}
usm="${CARGO_TARGET_DIR:-target}/release/usm"
cargo build --release --quiet --bin usm
python3 -c "import torch" 2>/dev/null || { echo "needs PyTorch: pip install torch" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
field() { awk -v key="$1" '{ for (i = 1; i <= NF; i++) if ($i == key) { print $(i - 1); exit } }'; }
printf '%-6s %12s %12s %12s %12s\n' round usm_train torch_train usm_infer torch_infer
for r in $(seq "$rounds"); do
  bench=$(RAYON_NUM_THREADS=$threads "$usm" bench --only model)
  u_train=$(grep '^train' <<<"$bench" | field samples/s)
  u_infer=$(grep '^infer' <<<"$bench" | field samples/s,)
  torch=$(python3 sim/benches/torch_survey_model.py "$threads" 1024 100000,50000,10000 sparse 2>/dev/null)
  t_train=$(grep -o 'train_samples_per_s=[0-9]*' <<<"$torch" | cut -d= -f2)
  t_infer=$(grep -o 'infer_samples_per_s=[0-9]*' <<<"$torch" | cut -d= -f2)
  printf '%-6s %12s %12s %12s %12s\n' "$r" "$u_train" "$t_train" "$u_infer" "$t_infer" | tee -a "$out"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in open(sys.argv[1])]
med = lambda xs: statistics.median(xs)
ut, tt, ui, ti = (med([r[k] for r in rows]) for k in range(4))
rt, ri = med([r[0] / r[1] for r in rows]), med([r[2] / r[3] for r in rows])
print(f"median  training usm {ut:.0f}, torch {tt:.0f} samples/s: {rt:.2f}x (median of the rounds' ratios)")
print(f"median  inference usm {ui:.0f}, torch {ti:.0f} samples/s: {ri:.2f}x")
PY

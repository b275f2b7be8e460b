#!/usr/bin/env bash
# The current figures: runs each measurement, then writes docs/figures.md and README's figures
# block (between its markers), each figure with the command that gave it, stamped with the commit
# and the machine. Nothing in either is typed by hand.
#
#   bash sim/benches/figures.sh
#
# About 10 minutes on 2 cores. The PyTorch row needs `pip install torch` (else it says so); the
# page's rows need dist/ (`bash web/build.sh`), Debian's chromium and tests/web's `npm ci` (else
# they say so). Run it on a quiet machine: the figures are single runs or medians of a few.
set -euo pipefail
cd "$(dirname "$0")/../.."
usm="${CARGO_TARGET_DIR:-target}/release/usm"
cargo build --release --quiet --bin usm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows="$work/rows.md"
: >"$rows"
row() { printf '| %s | %s | `%s` |\n' "$1" "$2" "$3" >>"$rows"; }
field() { awk -v key="$1" '{ for (i = 1; i <= NF; i++) if ($i == key) { print $(i - 1); exit } }'; }
secs() { python3 -c 'import sys; print(f"{float(sys.argv[1]):.0f} s")' "$1"; }
peak() { awk '/Maximum resident set size/ { printf "%.0f MB", $NF / 1024 }' "$1"; }
# /usr/bin/time's "m:ss.ss" (or "h:mm:ss") as seconds.
wall() { awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.0f s", s }' "$1"; }
threads=$(nproc)
echo "figures: the default experiment" >&2
for t in 2 1; do
  /usr/bin/time -v -o "$work/time" env RAYON_NUM_THREADS=$t "$usm" run --out "$work/run$t" >/dev/null 2>&1
  eval "run$t=\$(wall \"\$work/time\")"
done
same=$(python3 - "$work/run2/results.json" "$work/run1/results.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("seconds"); b.pop("seconds")
print("the same" if a == b else "a different")
PY
)
reps=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["config"]["replicates"])' "$work/run2/results.json")
row "the default experiment ($reps replicates, A/B tests): wall time at 2 and 1 threads" "$run2 and $run1, $same \`results.json\` (seconds aside)" "RAYON_NUM_THREADS=2 usm run, then =1"
echo "figures: the simulator" >&2
sim=$("$usm" bench --only sim --repeat 5 | grep '^simulate')
row "simulator, feed ranking included, 200k users × 4 days" "$(field M <<<"$sim") M exposures/s (median of 5)" "usm bench --only sim --repeat 5"
echo "figures: the model" >&2
model=$("$usm" bench --only model)
row "training the paper's model, batch 1024, $threads threads" "$(grep '^train' <<<"$model" | field samples/s) samples/s" "usm bench --only model"
row "inference, same model" "$(grep '^infer' <<<"$model" | field samples/s,) samples/s" "usm bench --only model"
if python3 -c "import torch" 2>/dev/null; then
  echo "figures: against PyTorch" >&2
  vs=$(bash sim/benches/model_vs_torch.sh 3 | grep '^median')
  row "usm / PyTorch, same algorithm, training / inference (median of 3 alternating rounds)" "$(sed -n 1p <<<"$vs" | grep -o '[0-9.]*x') / $(sed -n 2p <<<"$vs" | grep -o '[0-9.]*x')" "bash sim/benches/model_vs_torch.sh 3"
else
  row "usm against PyTorch on the same algorithm" "not measured: PyTorch is not installed here" "bash sim/benches/model_vs_torch.sh 3"
fi
echo "figures: the metrics" >&2
m=$("$usm" bench --only metrics | grep '^metrics')
row "AUC, UAUC and regAUC over 10 M scores" "$(grep -o 'AUC over [0-9]* scores: [0-9.]* s' <<<"$m" | grep -o '[0-9.]* s$'), $(grep -o 'users: [0-9.]* s' <<<"$m" | grep -o '[0-9.]* s$'), $(grep -o 'regAUC over [0-9]*: [0-9.]* s' <<<"$m" | grep -o '[0-9.]* s$')" "usm bench --only metrics"
echo "figures: real logs" >&2
logs="$work/logs"
/usr/bin/time -v -o "$work/time" "$usm" simulate --scenario experiment --set population.users=110000 --out "$logs" >"$work/sim.txt" 2>&1
/usr/bin/time -v -o "$work/time" "$usm" validate --logs "$logs/exposures" >"$work/validate.txt" 2>&1
row "usm validate on Parquet from usm simulate (110k users × 8 days)" "$(grep -o '([0-9]* rows/s)' "$work/validate.txt" | tr -d '()'), peak $(peak "$work/time")" "usm validate --logs DIR/exposures"
/usr/bin/time -v -o "$work/time" "$usm" fit --logs "$logs/exposures" --out "$work/fit" >/dev/null 2>&1
row "usm fit on those logs" "$(wall "$work/time"), peak $(peak "$work/time")" "usm fit --logs DIR/exposures"
echo "figures: the ratings twin" >&2
twin=""
for users in 10000 40000 160000; do
  "$usm" simulate --scenario answer-dependent --set population.users=$users --set survey.rate=0.02 \
    --set panel.rate=0.002 --format ratings --out "$work/twin$users" >/dev/null 2>&1
  "$usm" fit --logs "$work/twin$users" --format ratings --out "$work/twinfit$users" >/dev/null 2>&1
  twin="$twin$(python3 - "$work/twinfit$users/results.json" "$users" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))["rates"]["dislike"]
naive, rnd, rse = r["rate_naive"], r["random_rate"], r["random_rate_se"]
nb, nbse = r["rate_ipw_naive_bayes"], r["rate_ipw_naive_bayes_se"]
within = abs(nb - rnd) <= 1.96 * math.hypot(nbse, rse)
print(f"{int(sys.argv[2]) // 1000}k: {naive:.3f} / {rnd:.3f} ± {1.96 * rse:.3f} / {nb:.3f} "
      f"({100 * (naive - nb) / (naive - rnd):.0f}%, {'in' if within else 'OUT'}); ", end="")
PY
)"
done
row "ratings twin by users, dislike rate: naive / random slice ± 95% / naive-Bayes Eq. 13 (gap closed; in: within its difference's 95% interval)" "${twin%; }" "usm simulate --scenario answer-dependent --set population.users=N --set survey.rate=0.02 --set panel.rate=0.002 --format ratings; usm fit --format ratings"
if [ -f dist/usm_web_bg.wasm ]; then
  row "the demo's module (profile web)" "$(($(wc -c <dist/usm_web_bg.wasm) / 1000000)).$(($(wc -c <dist/usm_web_bg.wasm) / 100000 % 10)) MB, $(gzip -9 -c dist/usm_web_bg.wasm | wc -c | awk '{ printf "%.2f", $1 / 1e6 }') MB gzipped" "bash web/build.sh"
  if command -v chromium >/dev/null && [ -d tests/web/node_modules ]; then
    echo "figures: the page" >&2
    first=$(node --test tests/web/ 2>&1 | grep -o 'first complete result [0-9.]* s' | grep -o '[0-9.]* s' | head -1 || true)
    row "the page's first complete result (headless Chromium)" "${first:-not printed by the tests}" "node --test tests/web/"
  fi
else
  row "the demo's module" "not measured: dist/ is not built here" "bash web/build.sh"
fi
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!README.md' ':!docs' || commit="$commit+"
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
stamp="Generated by \`bash sim/benches/figures.sh\` at commit \`$commit\`, $threads cores ($cpu)."
table="| figure | measured | command |
|---|---|---|
$(cat "$rows")"
printf '# Current figures\n\n%s How each is measured, and what is behind it: [performance](performance.md).\n\n%s\n' "$stamp" "$table" >docs/figures.md
python3 - "$stamp" "$table" <<'PY'
import sys
stamp, table = sys.argv[1], sys.argv[2]
begin, end = "<!-- usm figures: begin -->", "<!-- usm figures: end -->"
text = open("README.md").read()
a, b = text.index(begin), text.index(end)
open("README.md", "w").write(text[:a] + begin + "\n" + stamp + "\n\n" + table + "\n" + text[b:])
PY
echo "wrote docs/figures.md and README's figures block" >&2

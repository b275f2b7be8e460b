#!/usr/bin/env bash
# The log scan on each engine beside usm's own reader (docs/performance.md#the-log-scan-on-an-engine):
# `usm simulate` writes a day-partitioned Parquet set (the `experiment` scenario, USERS users ×
# 8 days, about 94 exposures a user), then `usm validate --engine native|duckdb` and
# `usm fit --engine native|duckdb|spark` on it: rows/s of the scan, wall time and the largest
# process's peak memory (/usr/bin/time), and whether the three results.json are the same.
#
#   bash sim/benches/scan_engines.sh [USERS]     # default 110000: about 10 M exposures
#   ENGINES="native duckdb" bash sim/benches/scan_engines.sh 1070000    # about 100 M, no Spark
#
# Needs `pip install duckdb pyspark`, a JRE and GNU time. Spark runs in local[*].
set -euo pipefail
cd "$(dirname "$0")/../.."
users="${1:-110000}"
usm="${CARGO_TARGET_DIR:-target}/release/usm"
cargo build --release --quiet --bin usm
work="${USM_BENCH_DIR:-$(mktemp -d)}"
trap 'rm -rf "$work"' EXIT
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
peak() { awk '/Maximum resident set size/ { printf "%.0f MB", $NF / 1024 }' "$1"; }
wall() { awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$1"; }
logs="$work/logs"
/usr/bin/time -v -o "$work/time" "$usm" simulate --scenario experiment \
  --set population.users="$users" --out "$logs" >/dev/null 2>&1
rows=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["exposures"])' "$logs/summary.json")
size=$(du -sb "$logs/exposures" | awk '{ printf "%.2f GB", $1 / 1e9 }')
echo "usm simulate: $rows exposures as Parquet, $size, in $(wall "$work/time") s, peak $(peak "$work/time")"
/usr/bin/time -v -o "$work/time" "$usm" validate --logs "$logs/exposures" >"$work/validate.txt" 2>&1
echo "usm validate (usm's reader, one pass): $(grep -o '[0-9]* rows/s' "$work/validate.txt"), $(wall "$work/time") s, peak $(peak "$work/time")"
/usr/bin/time -v -o "$work/time" "$usm" validate --logs "$logs/exposures" --engine duckdb >"$work/validate-duckdb.txt" 2>&1
echo "usm validate --engine duckdb: $(grep -o '[0-9]* rows/s' "$work/validate-duckdb.txt"), $(wall "$work/time") s, peak $(peak "$work/time") (largest process), $(tail -2 "$work/validate-duckdb.txt" | head -1)"
engines="${ENGINES:-native duckdb spark}"
for engine in $engines; do
  /usr/bin/time -v -o "$work/time" "$usm" fit --logs "$logs/exposures" --engine "$engine" \
    --out "$work/fit-$engine" >/dev/null 2>"$work/fit-$engine.txt"
  scan=$(grep -o 'scanned on [a-z]* in [0-9.]* s' "$work/fit-$engine.txt" | grep -o '[0-9.]* s$' || true)
  if [ -n "$scan" ]; then
    per=$(python3 -c 'import sys; print(f"{int(sys.argv[1]) / float(sys.argv[2]):.0f}")' "$rows" "${scan% s}")
    echo "usm fit --engine $engine: the scan $scan ($per rows/s), the whole fit $(wall "$work/time") s, peak $(peak "$work/time") (largest process)"
  else
    echo "usm fit --engine $engine: the whole fit (two passes of usm's reader, then training) $(wall "$work/time") s, peak $(peak "$work/time")"
  fi
done
python3 - $(for e in $engines; do echo "$work/fit-$e/results.json"; done) <<'PY'
import json, sys
a, *rest = (json.load(open(p)) for p in sys.argv[1:])
for r in [a, *rest]:
    r.pop("seconds")
names = ", ".join(p.split("/")[-2][4:] for p in sys.argv[1:])
print(f"results.json of {names}:", "the same" if all(r == a for r in rest) else "DIFFERENT")
PY

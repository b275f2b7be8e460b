#!/usr/bin/env bash
# Replicates on one process against the same replicates as Spark tasks (local mode), the overhead
# per shard, and what that gives a cluster: docs/performance.md#replicates-on-spark.
#
#   bash sim/benches/spark_replicates.sh [REPLICATES] [USERS]     # defaults 24 and 20000
#
# Needs pyspark and a JRE (`.ci/run` installs both). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-24}
users=${2:-20000}
usm="${CARGO_TARGET_DIR:-target}/release/usm"
cargo build --release --quiet --bin usm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(--replicates "$n" --set "population.users=$users" --set ab.users=$((users / 2)) --seed 11)
secs() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }
t=$(date +%s.%N)
"$usm" run "${args[@]}" --out "$work/one" >/dev/null 2>&1
one=$(secs "$t")
t=$(date +%s.%N)
SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=python3 python3 sim/engines/spark_replicates.py \
  --master "local[$(nproc)]" --usm "$usm" --shards "$n" --out "$work/spark" -- "${args[@]}" >/dev/null 2>&1
spark=$(secs "$t")
same=$(python3 - "$work/one/results.json" "$work/spark/results.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("seconds"); b.pop("seconds")
print("the same" if a == b else "DIFFERENT")
PY
)
python3 - "$n" "$users" "$one" "$spark" "$same" "$(nproc)" <<'PY'
import sys
n, users, one, spark, same, cores = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6])
per = one / n
over = (spark - one) / n
print(f"{n} replicates of the experiment at {users} users, {cores} cores:")
print(f"  one process (replicates side by side): {one:.1f} s ({per:.2f} s of this machine per replicate)")
print(f"  {n} shards as Spark tasks in local[{cores}], pooled: {spark:.1f} s, results.json {same} (seconds aside)")
print(f"  overhead: {spark - one:.1f} s in all, {over:.2f} s per shard (JVM start, one usm process per shard, pooling)")
# Each local[cores] slot ran one shard at a time: a shard's wall time with the machine shared
# that way, and the rounds a cluster of E executors like this one needs for R replicates.
shard = spark / (n / cores)
print(f"  a shard (one replicate) took {shard:.1f} s of wall time, {cores} at a time on this machine")
for e, r in ((10, n), (100, 480)):
    rounds = -(-r // (e * cores))
    print(f"  {r} replicates on {e} executors like this machine: {rounds} round(s) of {cores * e} shards, "
          f"about {rounds * shard + 10:.0f} s with ~10 s to start Spark, against {r * one / n / 60:.0f} min "
          f"in one process here")
PY

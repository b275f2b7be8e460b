#!/usr/bin/env python3
"""A usm run's replicates on Spark: each shard is one Spark task that runs
`usm run ... --shard I/K --out -` and hands back its part as one line; the driver writes the
parts to a folder and pools them with `usm pool`, into the same results.json and report as one
machine running every replicate (seconds aside). Each replicate's seeds follow from the run's
seed and its index, so the shard count changes nothing but the wall time.

On a cluster, with the binary shipped to every executor (docs/architecture.md#spark):

    spark-submit --files target/release/usm \\
        --conf spark.task.cpus=2 --conf spark.executor.memoryOverhead=2g \\
        --conf spark.executorEnv.RAYON_NUM_THREADS=2 \\
        sim/engines/spark_replicates.py --usm usm --shards 48 --out usm-report -- \\
        --scenario experiment --replicates 480

Locally, as CI runs it (needs `pip install pyspark` and a JRE):

    python3 sim/engines/spark_replicates.py --master 'local[2]' --usm target/release/usm \\
        --shards 3 --out DIR -- --replicates 3 --set population.users=3000

Everything after `--` goes to `usm run` (or, with `--command sweep`, to `usm sweep`) as it is. A shard that fails stops the job with its
stderr's end; nothing is written to --out unless `usm pool` succeeds (it writes atomically).
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--usm", required=True,
                    help="the usm binary: a path that exists on the executors, or the name of a "
                         "file shipped with spark-submit --files")
    ap.add_argument("--shards", type=int, required=True, help="Spark tasks, one shard each")
    ap.add_argument("--command", choices=["run", "sweep"], default="run",
                    help="what each shard runs: a run's replicates, or a sweep's (point, replicate) runs")
    ap.add_argument("--out", required=True, help="the pooled report's folder")
    ap.add_argument("--master", default=None, help="Spark master (spark-submit sets it otherwise)")
    ap.add_argument("run_args", nargs=argparse.REMAINDER, help="-- then usm run's arguments")
    a = ap.parse_args()
    run_args = a.run_args[1:] if a.run_args[:1] == ["--"] else a.run_args
    if a.shards < 1:
        ap.error("--shards must be at least 1")
    if "--shard" in run_args or "--out" in run_args:
        ap.error("--shard and --out are the driver's: leave them out of usm's arguments")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        print("spark_replicates.py: pyspark is not installed (pip install pyspark; it needs a JRE)",
              file=sys.stderr)
        return 2
    builder = SparkSession.builder.appName("usm replicates")
    if a.master:
        builder = builder.master(a.master)
    try:
        spark = builder.getOrCreate()
    except Exception as e:  # a missing JRE, a master that cannot be reached, a bad conf
        print(f"spark_replicates.py: Spark could not start ({type(e).__name__}: "
              f"{str(e).strip().splitlines()[0] if str(e).strip() else 'no message'}); is a JRE "
              f"installed (java -version) and the master reachable?", file=sys.stderr)
        return 2
    sc = spark.sparkContext
    usm, command = a.usm, a.command
    local_usm = str(Path(usm).resolve()) if Path(usm).exists() else None

    def run_shards(shards):
        from pyspark import SparkFiles
        exe = local_usm if local_usm and os.path.exists(local_usm) else SparkFiles.get(
            os.path.basename(usm))
        for shard in shards:
            p = subprocess.run([exe, command, *run_args, "--shard", shard, "--out", "-"],
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f"usm {command} --shard {shard} exited with {p.returncode}: "
                                   f"{p.stderr[-2000:]}")
            yield shard, p.stdout.strip()

    shards = [f"{i}/{a.shards}" for i in range(1, a.shards + 1)]
    try:
        parts = sc.parallelize(shards, len(shards)).mapPartitions(run_shards).collect()
    except Exception as e:
        # The failing shard's own message (usm's error), not the JVM's stack.
        text = str(e)
        at = text.find("RuntimeError: usm ")
        print("spark_replicates.py: a shard failed, nothing written: "
              + (text[at + len("RuntimeError: "):].split("\n")[0] if at >= 0 else text.splitlines()[0]),
              file=sys.stderr)
        return 1
    finally:
        spark.stop()
    driver_usm = local_usm or usm
    with tempfile.TemporaryDirectory() as tmp:
        for shard, line in parts:
            i, k = shard.split("/")
            prefix = "part" if command == "run" else "sweep-part"
            (Path(tmp) / f"{prefix}-{i}-of-{k}.json").write_text(line + "\n")
        p = subprocess.run([driver_usm, "pool", tmp, "--out", a.out])
        return p.returncode


if __name__ == "__main__":
    sys.exit(main())

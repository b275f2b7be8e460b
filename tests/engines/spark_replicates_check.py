#!/usr/bin/env python3
"""Replicates on Spark: a small run of 3 replicates on one machine (`usm run`), then the same run
as 3 shards through the Spark driver (sim/engines/spark_replicates.py) in local[2] mode, each
shard a Spark task that runs `usm run --shard I/3 --out -`, pooled by `usm pool`. The two
results.json must be equal, seconds aside.

Usage: spark_replicates_check.py PATH/TO/usm   (needs `pip install pyspark` and a JRE)
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

RUN = ["--replicates", "3", "--set", "population.users=3000", "--set", "pseudo_rows=20000",
       "--set", "train.epochs=2", "--set", "submit_train.epochs=1", "--set", "ab.users=1000",
       "--set", "ab.days=2", "--seed", "7"]


def results(folder: Path) -> dict:
    r = json.loads((folder / "results.json").read_text())
    r.pop("seconds")
    return r


def main() -> int:
    usm = str(Path(sys.argv[1]).resolve())
    driver = Path(__file__).resolve().parents[2] / "sim" / "engines" / "spark_replicates.py"
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        whole, spark = Path(tmp) / "whole", Path(tmp) / "spark"
        subprocess.run([usm, "run", *RUN, "--out", str(whole)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, str(driver), "--master", "local[2]", "--usm", usm,
                        "--shards", "3", "--out", str(spark), "--", *RUN],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        a, b = results(whole), results(spark)
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            print(f"spark_replicates_check: the pooled results differ in {keys}", file=sys.stderr)
            return 1
    print("spark_replicates_check: 3 shards on Spark local[2], pooled, equal one machine's run")
    return 0


if __name__ == "__main__":
    sys.exit(main())

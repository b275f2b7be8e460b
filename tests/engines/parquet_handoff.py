#!/usr/bin/env python3
"""The Parquet handoff to cluster engines: `usm simulate` writes a day-partitioned Parquet set,
DuckDB (the engine teams use on a laptop, with the same Hive layout as Spark and DataFusion) reads
it as one table, and its counts and sums must equal usm's own: `usm validate --json` over the same
folder, and the `summary.json` the simulator wrote.

Usage: parquet_handoff.py PATH/TO/usm   (needs `pip install duckdb`)
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb


def main() -> int:
    usm = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim"
        subprocess.run(
            [usm, "simulate", "--scenario", "paper", "--set", "population.users=3000",
             "--set", "population.days=4", "--set", "survey.rate=0.02", "--set", "panel.rate=0.005",
             "--out", str(out)],
            check=True, stdout=subprocess.DEVNULL)
        parts = sorted(p.relative_to(out).as_posix() for p in (out / "exposures").rglob("*.parquet"))
        assert parts == [f"exposures/day={d}/part-0.parquet" for d in range(4)], parts
        scan = json.loads(subprocess.run(
            [usm, "validate", "--logs", str(out / "exposures"), "--json"],
            check=True, capture_output=True, text=True).stdout)
        summary = json.loads((out / "summary.json").read_text())
        con = duckdb.connect()
        con.execute(
            f"CREATE VIEW x AS SELECT * FROM read_parquet('{out}/exposures/*/*.parquet', hive_partitioning = true)")
        q = lambda sql: con.execute(sql).fetchone()
        checks = []

        def same(what, engine, ours):
            checks.append((what, engine, ours))

        same("rows", q("SELECT count(*) FROM x")[0], scan["rows"])
        same("rows", q("SELECT count(*) FROM x")[0], summary["exposures"])
        for day, n in con.execute("SELECT day, count(*) FROM x GROUP BY day ORDER BY day").fetchall():
            same(f"rows of day {day}", n, scan["days"][str(day)])
        for k, survey in enumerate(["satisfaction", "inappropriate"]):
            shows, submits, panel = q(
                f"SELECT count(*) FILTER (WHERE NOT panel), count(*) FILTER (WHERE submitted AND NOT panel),"
                f" count(*) FILTER (WHERE panel) FROM x WHERE survey = '{survey}'")
            same(f"{survey} shows", shows, scan["shows"][k])
            same(f"{survey} shows", shows, summary["shows"][k])
            same(f"{survey} submits", submits, scan["submits"][k])
            same(f"{survey} submits", submits, summary["submits"][k])
            same(f"{survey} panel answers", panel, scan["panel"][k])
        for k, col in enumerate(["like", "share", "favorite", "dislike", "report", "skip"]):
            same(f"sum of {col}", q(f"SELECT sum(CAST(\"{col}\" AS INTEGER)) FROM x")[0], summary["behaviour"][k])
        for k, col in enumerate(["user_id", "item_id", "author_id", "item_category"]):
            same(f"max {col} + 1", q(f"SELECT max({col}) + 1 FROM x")[0], scan["vocab"][k])
        same("distinct exposure ids", q("SELECT count(DISTINCT exposure_id) FROM x")[0], scan["rows"])
        p_dislike = q("SELECT sum(oracle_p_dislike::DOUBLE) FROM x")[0]
        same("sum of oracle_p_dislike (1e-6 relative)", round(p_dislike / summary["sum_p_dislike"], 6), 1.0)
        bad = [(w, e, o) for w, e, o in checks if e != o]
        for w, e, o in checks:
            print(f"{'ok ' if e == o else 'BAD'} {w}: DuckDB {e}, usm {o}")
        print(f"{len(checks) - len(bad)} of {len(checks)} counts and sums agree (DuckDB {duckdb.__version__})")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The log scan on every engine: `usm simulate` writes a small day-partitioned Parquet set,
`usm fit` runs on it with --engine native, duckdb and spark (local mode), and every results.json
must be the same (the wall-clock seconds aside), as must `--engine auto`'s (DuckDB where it is
installed, else usm's reader): the same rows kept by the same hash, the same
totals, the same models. Then the named errors: an engine that is not installed, a Spark that
cannot start, CSV logs handed to an engine, a scan whose draw fails; none leaves --out behind.
Last, `usm validate --engine duckdb` against usm's own reader, on the set as written and on a
copy broken in the ways logs break: the same counts, problems and words.

Usage: scan_check.py PATH/TO/usm   (needs `pip install duckdb pyspark` and a JRE)
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

QUICK = ["--set", "train.epochs=2", "--set", "submit_train.epochs=2", "--set", "pseudo_rows=5000",
         "--set", "eval_days=1", "--seed", "3"]


def results(d):
    v = json.loads((d / "results.json").read_text())
    v.pop("seconds", None)
    return v


def first_difference(a, b, path="results.json"):
    if type(a) is not type(b):
        return f"{path}: {a!r} against {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in one"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items against {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
    elif a != b:
        return f"{path}: {a!r} against {b!r}"
    return None


def main() -> int:
    usm = sys.argv[1]
    env = dict(os.environ, SPARK_LOCAL_IP=os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
               USM_SPARK_MASTER="local[2]")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(
            [usm, "simulate", "--scenario", "paper", "--set", "population.users=3000",
             "--set", "population.days=4", "--set", "survey.rate=0.05", "--set", "panel.rate=0.01",
             "--out", str(tmp / "sim")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        logs = str(tmp / "sim" / "exposures")

        def fit(engine, out, extra_env=None, logs=logs, extra=()):
            p = subprocess.run([usm, "fit", "--logs", logs, *QUICK, *extra, "--engine", engine,
                                "--out", str(out)],
                               capture_output=True, text=True, env=dict(env, **(extra_env or {})))
            return p.returncode, p.stderr

        outs = {}
        for engine in ["native", "duckdb", "spark"]:
            out = tmp / f"fit-{engine}"
            code, err = fit(engine, out)
            assert code == 0, f"--engine {engine}: {err[-3000:]}"
            if engine != "native":
                assert f"scanned on {engine}" in err, err[-2000:]
            outs[engine] = results(out)
            print(f"--engine {engine}: results.json written")
        for engine in ["duckdb", "spark"]:
            d = first_difference(outs["native"], outs[engine])
            assert d is None, f"--engine {engine} differs from native: {d}"
        print("native, duckdb and spark: the same results.json (seconds aside)")
        # The default, auto: DuckDB for a Parquet set where it is installed, else usm's reader.
        fake = tmp / "python-without-engines"
        fake.write_text("#!/bin/sh\nexec python3 -S -I \"$@\"\n")
        fake.chmod(0o755)
        for what, extra_env, scanned in [("installed", None, True),
                                         ("not installed", {"USM_PYTHON": str(fake)}, False)]:
            out = tmp / f"fit-auto-{scanned}"
            code, err = fit("auto", out, extra_env)
            assert code == 0, f"--engine auto, DuckDB {what}: {err[-3000:]}"
            assert ("scanned on duckdb" in err) == scanned, f"auto, DuckDB {what}: {err[-1500:]}"
            d = first_difference(outs["native"], results(out))
            assert d is None, f"--engine auto, DuckDB {what}, differs from native: {d}"
            print(f"--engine auto, DuckDB {what}: {'DuckDB' if scanned else 'usm'} scans, "
                  f"the same results.json")

        def refused(what, engine, needle, extra_env=None, logs=logs, extra=()):
            out = tmp / "refused"
            code, err = fit(engine, out, extra_env, logs, extra)
            assert code != 0, f"{what}: exit 0"
            assert needle in err, f"{what}: `{needle}` not in\n{err[-2000:]}"
            assert not out.exists(), f"{what}: --out was written"
            print(f"{what}: refused, `{needle}`")

        refused("DuckDB not installed", "duckdb", "DuckDB is not installed",
                {"USM_PYTHON": str(fake)})
        refused("pyspark not installed", "spark", "pyspark is not installed",
                {"USM_PYTHON": str(fake)})
        refused("no JRE", "spark", "Spark could not start",
                {"JAVA_HOME": str(tmp / "no-java")})
        refused("no Python", "duckdb", "could not start", {"USM_PYTHON": str(tmp / "no-python")})
        csv_logs = tmp / "logs.csv"
        subprocess.run([usm, "simulate", "--scenario", "paper", "--set", "population.users=300",
                        "--set", "population.days=2", "--format", "csv", "--out",
                        str(tmp / "csv")], check=True, capture_output=True)
        csv_file = next((tmp / "csv").rglob("*.csv"))
        refused("CSV logs", "duckdb", "holds no .parquet file", logs=str(csv_file.parent))
        refused("every day evaluates", "duckdb", "invalid `eval_days` = 4",
                extra=["--set", "eval_days=4"])
        check_validate(usm, logs, tmp)
    return 0


def validate(usm, logs, engine):
    p = subprocess.run([usm, "validate", "--logs", str(logs), "--json", "--engine", engine],
                       capture_output=True, text=True)
    assert p.returncode in (0, 1), f"validate --engine {engine}: {p.stderr[-2000:]}"
    return p.returncode, json.loads(p.stdout)


def check_validate(usm, logs, tmp):
    for name, path in [("the set as written", Path(logs)), ("a broken copy", broken(logs, tmp))]:
        (code_n, native), (code_d, duck) = validate(usm, path, "native"), validate(usm, path, "duckdb")
        assert code_n == code_d, f"{name}: exit {code_n} native, {code_d} duckdb"
        d = first_difference(native, duck, "scan")
        assert d is None, f"{name}: validate --engine duckdb differs from native: {d}"
        print(f"usm validate --engine duckdb on {name}: the same scan as usm's reader "
              f"({native['problem_count']} problem(s))")
    assert native["problem_count"] == 9, json.dumps(native["problems"], indent=1)
    # usm fit refuses the broken set on DuckDB as on usm's reader, quoting the same problems.
    said = {}
    for engine in ["native", "duckdb"]:
        out = tmp / f"broken-fit-{engine}"
        p = subprocess.run([usm, "fit", "--logs", str(path), *QUICK, "--engine", engine,
                            "--out", str(out)], capture_output=True, text=True)
        assert p.returncode != 0 and not out.exists(), f"fit --engine {engine} took a broken set"
        said[engine] = p.stderr[p.stderr.index("the logs have"):].strip()
    assert said["native"] == said["duckdb"], said
    print(f"usm fit refuses the broken copy on both: {said['native'].splitlines()[0]}")


def broken(logs, tmp):
    """A copy of the set with a problem of each kind usm validate names."""
    import duckdb
    con = duckdb.connect()
    src = lambda d: f"{logs}/day={d}/part-0.parquet"
    out = tmp / "broken"
    for d in range(4):
        (out / f"day={d}").mkdir(parents=True)
    dup = con.execute(f"SELECT exposure_id FROM read_parquet('{src(0)}', file_row_number = true) "
                      f"WHERE file_row_number = 1").fetchone()[0]

    def rewrite(d, replace, exclude=""):
        con.execute(
            f"COPY (SELECT * EXCLUDE (file_row_number{exclude}) REPLACE ({replace}) "
            f"FROM read_parquet('{src(d)}', file_row_number = true) ORDER BY file_row_number) "
            f"TO '{out}/day={d}/part-0.parquet' (FORMAT PARQUET)")

    at = lambda row, col, value: f"CASE WHEN file_row_number = {row - 1} THEN {value} ELSE {col} END"
    text = lambda v: "'" + v + "'"
    rewrite(0, ", ".join([
        f"{at(6, 'hour', 9)} AS hour",
        f"{at(11, 'watch_fraction', 'CAST(1.5 AS FLOAT)')} AS watch_fraction",
        f"{at(13, 'submitted', 'true')} AS submitted",
        f"CASE WHEN file_row_number = 12 THEN '' WHEN file_row_number = 16 THEN 'sometimes' "
        f"ELSE survey END AS survey",
        f"{at(13, 'answer', text(''))} AS answer",
    ]))
    rewrite(1, ", ".join([
        f"{at(4, 'exposure_id', dup)} AS exposure_id",
        f"{at(31, 'user_id', 20_000_000)} AS user_id",
        f"{at(21, 'submitted', 'true')} AS submitted",
        f"{at(21, 'survey', text('satisfaction'))} AS survey",
        f"{at(21, 'answer', text('suitable'))} AS answer",
    ]))
    rewrite(2, "hour AS hour", exclude=", item_id")
    con.execute(f"COPY (SELECT * FROM read_parquet('{src(3)}') LIMIT 0) "
                f"TO '{out}/day=3/part-0.parquet' (FORMAT PARQUET)")
    return out


if __name__ == "__main__":
    sys.exit(main())

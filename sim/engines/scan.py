#!/usr/bin/env python3
"""usm's log scan on an engine: runs the statements of scan.sql on DuckDB or Spark SQL and
talks with `usm fit --engine ENGINE`, which starts it (usm carries this file and scan.sql
inside its binary, and writes them to a temporary folder). Not meant to be run by hand.

The conversation, one JSON object a line, each line of ours starting with `usm-scan `:
  we   -> {"files": N, "columns": [...], "days": [[day, rows, oracle_rows], ...], "duplicates": N}
  usm  -> {"eval_from": D, "seed": S, "pseudo_below": "...", "eval_below": "...", "columns": "..."}
          (or {"stop": "why"})
  we   -> {"totals": [{...}, ...]}
  we   -> {"kept": PATH, "rows": N}
An error is {"error": "..."} and exit status 2. Spark's own chatter goes to stderr.

`usm validate --engine duckdb` (--mode validate) holds another conversation: we send each
file's Parquet schema and row count, then usm sends statements it made from its schema
({"run": SQL, "answer": true|false}, answered {"rows": [...]} or {"done": true}), until
{"end": true}.

Spark on a cluster: `usm fit --engine spark --engine-command 'spark-submit --master yarn'`
runs this driver through spark-submit (client mode, so usm can talk with it); the kept rows
come back to the driver (`toLocalIterator`) and are written beside usm.
"""
import argparse
import atexit
import csv
import json
import os
import shutil
import sys
import tempfile

SQL_TYPES = {"int": "BIGINT", "float": "FLOAT", "bool": "BOOLEAN", "str": "STRING"}


def say(obj):
    sys.stdout.write("usm-scan " + json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message):
    say({"error": message})
    sys.exit(2)


def statements(path):
    """The named statements of scan.sql: `-- name: X` opens one, `;` at a line's end closes it."""
    out, name, lines = {}, None, []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if s.startswith("-- name:"):
            name, lines = s.split(":", 1)[1].strip(), []
        elif name and not s.startswith("--"):
            lines.append(line.rstrip("\n"))
            if s.endswith(";"):
                out[name] = "\n".join(lines).rstrip().rstrip(";")
                name = None
    return out


def fill(sql, params):
    for k, v in params.items():
        sql = sql.replace("{" + k + "}", str(v))
    return sql


def schema_select(present, schema, quote):
    """The select list of the view `logs`: every schema column, an absent oracle one as NULL; a
    missing required column is an error naming it."""
    cols, missing = [], []
    for name, kind, oracle in schema:
        if name in present:
            cols.append(quote(name))
        elif oracle:
            cols.append(f"CAST(NULL AS {SQL_TYPES[kind]}) AS {quote(name)}")
        else:
            missing.append(name)
    if missing:
        fail("the logs lack column(s) " + ", ".join(f"`{m}`" for m in missing)
             + " (docs/log-schema.md lists the columns)")
    return ", ".join(cols)


class DuckDb:
    def __init__(self, logs):
        try:
            import duckdb
        except ImportError:
            fail("DuckDB is not installed for this Python (pip install duckdb), or choose "
                 "--engine native")
        self.con = duckdb.connect()
        # A fixed memory budget, spilling to disk past it: DuckDB's default (80% of the
        # machine) grows with the logs (a GROUP BY over every exposure id).
        limit = os.environ.get("USM_DUCKDB_MEMORY_LIMIT", "2GB")
        self.spill = tempfile.mkdtemp(prefix="usm-duckdb-spill-")
        atexit.register(shutil.rmtree, self.spill, True)
        self.con.execute(f"SET memory_limit = '{limit}'")
        self.con.execute(f"SET temp_directory = '{self.spill}'")
        self.con.execute("SET preserve_insertion_order = false")
        # As usm's reader and Spark list a folder: every .parquet file, hidden (`.`, `_`) files
        # and folders skipped.
        files = [logs] if os.path.isfile(logs) else sorted(
            os.path.join(d, f) for d, dirs, names in os.walk(logs)
            if not dirs.__setitem__(slice(None), [x for x in dirs if x[0] not in "._"])
            for f in names if f.endswith(".parquet") and f[0] not in "._")
        self.files = len(files)
        self.files_listed = files
        if self.files == 0:
            fail(f"{logs}: holds no .parquet file (the engines read Parquet; use --engine "
                 f"native for CSV)")
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        self.source = (f"read_parquet([{listed}], hive_partitioning = true, "
                       f"union_by_name = true)")

    def present(self):
        return [r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {self.source}").fetchall()]

    def register(self, select):
        self.con.execute(f"CREATE VIEW logs AS SELECT {select} FROM {self.source}")

    def rows(self, sql):
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def keep(self, sql, out):
        path = os.path.join(out, "kept.parquet")
        self.con.execute(f"COPY ({sql}) TO '{path}' (FORMAT PARQUET)")
        n = self.con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
        return path, n


class Spark:
    def __init__(self, logs, master):
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            fail("pyspark is not installed for this Python (pip install pyspark; it needs a "
                 "JRE), or choose --engine duckdb or native")
        b = (SparkSession.builder.appName("usm scan")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.ansi.enabled", "true")
             .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
             # Local mode runs the work in the driver's JVM, whose 1 GB default is too small to
             # count 100 M distinct exposure ids; spark-submit's own --driver-memory wins.
             .config("spark.driver.memory", os.environ.get("USM_SPARK_DRIVER_MEMORY", "4g")))
        if master:
            b = b.master(master)
        try:
            self.spark = b.getOrCreate()
        except Exception as e:  # a missing JRE, an unreachable master, a bad conf
            first = str(e).strip().splitlines()[0] if str(e).strip() else "no message"
            fail(f"Spark could not start ({type(e).__name__}: {first}); is a JRE installed "
                 f"(java -version) and the master reachable?")
        try:
            self.df = self.spark.read.option("mergeSchema", "true").parquet(logs)
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else "no message"
            fail(f"{logs}: Spark cannot read it as Parquet ({first})")
        self.files = len(self.df.inputFiles())

    def present(self):
        return list(self.df.columns)

    def register(self, select):
        self.df.createOrReplaceTempView("raw_logs")
        self.spark.sql(f"SELECT {select} FROM raw_logs").createOrReplaceTempView("logs")

    def rows(self, sql):
        return [r.asDict() for r in self.spark.sql(sql).collect()]

    def keep(self, sql, out):
        df = self.spark.sql(sql)
        path = os.path.join(out, "kept.csv")
        n = 0
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(df.columns)
            for r in df.toLocalIterator():
                w.writerow(["" if v is None else ("true" if v is True else "false" if v is False
                                                   else repr(v) if isinstance(v, float) else v)
                            for v in r])
                n += 1
        return path, n


def validate(logs):
    """The checks of usm validate, statement by statement as usm sends them (DuckDB only)."""
    engine = DuckDb(logs)
    con = engine.con
    schemas = {}
    for f, name, typ in con.execute(
            "SELECT file_name, name, type FROM parquet_schema(?) WHERE type IS NOT NULL",
            [engine.files_listed]).fetchall():
        schemas.setdefault(f, []).append([name, typ])
    rows = dict(con.execute("SELECT file_name, num_rows FROM parquet_file_metadata(?)",
                            [engine.files_listed]).fetchall())
    say({"schemas": [[f, schemas.get(f, []), rows.get(f, 0)] for f in engine.files_listed]})
    for line in sys.stdin:
        msg = json.loads(line)
        if "end" in msg:
            return 0
        cur = con.execute(msg["run"])
        if msg.get("answer"):
            names = [d[0] for d in cur.description]
            say({"rows": [dict(zip(names, r)) for r in cur.fetchall()]})
        else:
            say({"done": True})
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["duckdb", "spark"], required=True)
    ap.add_argument("--mode", choices=["scan", "validate"], default="scan")
    ap.add_argument("--logs", required=True, help="a Parquet file, or a folder of them")
    ap.add_argument("--sql", help="scan.sql")
    ap.add_argument("--schema", help="JSON: [[column, kind, oracle], ...]")
    ap.add_argument("--out", help="where the kept rows are written")
    ap.add_argument("--master", default=os.environ.get("USM_SPARK_MASTER"))
    a = ap.parse_args()
    if a.mode == "validate":
        if a.engine != "duckdb":
            fail("usm validate runs its checks on DuckDB (it needs each row's file and row "
                 "number)")
        return validate(a.logs)
    sql = statements(a.sql)
    schema = json.loads(open(a.schema, encoding="utf-8").read())
    engine = DuckDb(a.logs) if a.engine == "duckdb" else Spark(a.logs, a.master)
    present = engine.present()
    quote = lambda n: '"' + n.replace('"', '""') + '"'
    engine.register(schema_select(set(present), schema, quote))
    days = [[r["day"], r["rows"], r["oracle_rows"]] for r in engine.rows(sql["days"])]
    dups = engine.rows(sql["duplicates"])[0]["duplicates"]
    say({"files": engine.files, "columns": present, "days": days, "duplicates": dups})
    line = sys.stdin.readline()
    params = json.loads(line) if line.strip() else {"stop": "usm hung up"}
    if "stop" in params:
        return 0
    say({"totals": engine.rows(sql["totals"])})
    path, n = engine.keep(fill(sql["kept"], params), a.out)
    say({"kept": path, "rows": n})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except Exception as e:  # the engine's own error, as one line for usm to show
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        fail(f"{type(e).__name__}: {first}")

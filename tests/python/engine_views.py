#!/usr/bin/env python3
"""Runs `ceping views --dialect spark|duckdb` output on another engine and writes every
view's rows as CSV (tests/it/distributed.rs compares them with `ceping sql`).

    python engine_views.py (--remote sc://HOST:PORT | --master spark://HOST:PORT | --duckdb) SCRIPT OUTDIR [VIEW ...]

`--remote`: a Spark Connect server (Sail, with pyspark-client); `--master`: a Spark
standalone cluster (the pyspark wheel); `--duckdb`: DuckDB with the delta extension of the
duckdb-extension-delta package (loaded from its path: `LOAD delta` would download it).
The statements of SCRIPT run one by one in one session; then each view (every
`CREATE OR REPLACE … VIEW` after the tables; only the VIEWs named, when any are) is
collected and written to OUTDIR/VIEW.csv with a header: NULL as an empty field,
booleans as true/false, dates ISO, decimals as Python prints them. Prints one JSON line per view
with its seconds and row count.
"""
import csv
import datetime
import decimal
import json
import os
import re
import sys
import time


class DuckSession:
    """The two calls of a Spark session the script uses, on DuckDB."""

    def __init__(self):
        import glob
        import pathlib

        import duckdb
        import duckdb_extension_delta

        root = pathlib.Path(duckdb_extension_delta.__path__[0]) / "extensions" / f"v{duckdb.__version__}"
        self.con = duckdb.connect(config={"autoinstall_known_extensions": False})
        self.con.load_extension(glob.glob(str(root / "delta.duckdb_extension"))[0])

    def sql(self, statement):
        if statement.strip() == "LOAD delta":
            return None
        return DuckFrame(self.con.execute(statement))

    def stop(self):
        self.con.close()


class DuckFrame:
    def __init__(self, cursor):
        self.columns = [d[0] for d in cursor.description] if cursor.description else []
        self.cursor = cursor

    def collect(self):
        return self.cursor.fetchall()


def session(args):
    if args[0] == "--duckdb":
        return DuckSession()
    from pyspark.sql import SparkSession

    if args[0] == "--remote":
        return SparkSession.builder.remote(args[1]).getOrCreate()
    return (
        SparkSession.builder.master(args[1])
        .appName("ceping-views")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.executor.memory", "1g")
        .config("spark.cores.max", "2")
        .getOrCreate()
    )


def statements(text):
    body = "\n".join(l for l in text.splitlines() if not l.startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", body) if s.strip()]


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    return str(v)


def main():
    args = sys.argv[1:]
    spark = session(args)
    args = args[1:] if args[0] == "--duckdb" else args[2:]
    script, out, only = args[0], args[1], set(args[2:])
    os.makedirs(out, exist_ok=True)
    all_statements = statements(open(script, encoding="utf-8").read())
    views = []
    for s in all_statements:
        spark.sql(s)
        m = re.match(r"CREATE OR REPLACE (?:TEMPORARY )?VIEW (\w+) AS\n", s)
        if m and (not only or m.group(1) in only):
            views.append(m.group(1))
    for view in views:
        started = time.time()
        df = spark.sql(f"SELECT * FROM {view}")
        rows = df.collect()
        with open(os.path.join(out, f"{view}.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(df.columns)
            for r in rows:
                w.writerow([cell(v) for v in r])
        print(json.dumps({"view": view, "rows": len(rows), "seconds": round(time.time() - started, 3)}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()

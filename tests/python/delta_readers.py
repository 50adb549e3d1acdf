"""Engines nobody here wrote, reading a ceping warehouse's Delta tables directly.

    python delta_readers.py WAREHOUSE_DIR

prints one JSON object: for every table, the row count DuckDB's delta extension
(`delta_scan`, loaded from the `duckdb-extension-delta` package, never downloaded) and
polars (`scan_delta`) each read, and the sums of the money columns as text with two
decimals. tests/it/s3.rs compares them with `ceping sql`.
"""

import glob
import json
import pathlib
import sys

import duckdb
import duckdb_extension_delta
import polars as pl

TABLES = ["plan_items", "assessments", "findings", "budgets", "rejects", "ingest_log"]
MONEY = {"assessments": ["fee"], "findings": ["cost"], "budgets": ["requested", "approved", "spent"]}


def duckdb_connection():
    root = pathlib.Path(duckdb_extension_delta.__path__[0]) / "extensions" / f"v{duckdb.__version__}"
    ext = glob.glob(str(root / "delta.duckdb_extension"))[0]
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    con.load_extension(ext)
    return con


def money(v):
    return "0.00" if v is None else f"{v:.2f}"


def main():
    wh = pathlib.Path(sys.argv[1])
    con = duckdb_connection()
    out = {}
    for t in TABLES:
        path = str(wh / t)
        d = {"duckdb": con.sql(f"SELECT count(*) FROM delta_scan('{path}')").fetchone()[0]}
        d["polars"] = pl.scan_delta(path).select(pl.len()).collect().item()
        for c in MONEY.get(t, []):
            d[f"duckdb_sum_{c}"] = money(con.sql(f"SELECT sum({c}) FROM delta_scan('{path}')").fetchone()[0])
            d[f"polars_sum_{c}"] = money(pl.scan_delta(path).select(pl.col(c).sum()).collect().item())
        out[t] = d
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs ceping's view files on DuckDB, over the Parquet files of the warehouse's current
Delta snapshot: the portability check (tests/it/duckdb.rs) and the peer in the view
benchmark (bench/views.sh).

    python duckdb_views.py [--unordered] [--views DIR] WAREHOUSE OUTDIR [VIEW ...]

The snapshot is read as ceping reads it: the newest row of `ingest_log` names the Delta
version of every table; each table is those Parquet files (`deltalake` lists them). Every
file of src/sql/views becomes a DuckDB view (`{{as_of}}` = CURRENT_DATE), and a view that
declares `-- as_of_function: NAME` also becomes the table macro NAME(as_of), so views
that call one another's as-of functions plan unchanged. Each VIEW named (all views when
none is) is written to OUTDIR/VIEW.csv, ordered by every column, as `ceping sql
--format csv` writes it (`--unordered`: as the view returns it, for the benchmark, which
times `SELECT * FROM VIEW` on both engines). `--views DIR` lays DIR's view files over
src/sql/views (tests/fixtures/views_before: the definitions before the rewrite for speed;
the views it does not hold are the current ones, reading its views by name).
"""
import json
import os
import pathlib
import sys

import deltalake
import duckdb

VIEWS_DIR = pathlib.Path(__file__).resolve().parents[2] / "src" / "sql" / "views"
PLACEHOLDER = "{{as_of}}"


def snapshot_tables(warehouse):
    """{table: DeltaTable} at the versions the newest ingest_log row records."""
    log = deltalake.DeltaTable(os.path.join(warehouse, "ingest_log")).file_uris()
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in log)
    newest = duckdb.connect().execute(
        f"SELECT table_versions FROM read_parquet([{listed}]) ORDER BY warehouse_version DESC LIMIT 1"
    ).fetchone() if log else None
    if newest is None:
        raise SystemExit(f"{warehouse}: no ingest recorded")
    versions = json.loads(newest[0])
    return {t: deltalake.DeltaTable(os.path.join(warehouse, t), version=v) for t, v in versions.items()}


def view_files(views_dir):
    paths = {p.stem: p for p in VIEWS_DIR.glob("*.sql")}
    paths.update({p.stem: p for p in pathlib.Path(views_dir).glob("*.sql")})
    for path in sorted(paths.values(), key=lambda p: p.stem):
        text = path.read_text(encoding="utf-8")
        header = [l[2:].strip() for l in text.splitlines() if l.startswith("--")]
        function = next((h.split(":", 1)[1].strip() for h in header if h.startswith("as_of_function:")), None)
        body = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("--")).strip().rstrip(";")
        yield path.stem, function, body


DUCK_TYPES = {"string": "VARCHAR", "integer": "INTEGER", "long": "BIGINT", "byte": "TINYINT", "short": "SMALLINT",
              "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMPTZ"}


def duck_type(delta_type):
    """A Delta primitive type (`decimal(18,2)` included) as DuckDB's."""
    if isinstance(delta_type, str) and delta_type.startswith("decimal"):
        return delta_type.upper()
    return DUCK_TYPES[delta_type]


def connect(warehouse, views_dir=VIEWS_DIR):
    con = duckdb.connect()
    register_tables(con, warehouse)
    register_views(con, views_dir)
    return con


def register_tables(con, warehouse, prefix=""):
    """Each table of the snapshot as `prefix` + its name; the table names."""
    tables = snapshot_tables(warehouse)
    for table, delta in tables.items():
        files = delta.file_uris()
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(f"CREATE VIEW {prefix}{table} AS SELECT * FROM read_parquet([{listed}])")
        else:
            # An empty table (a kind with no rows yet): its columns from the Delta schema.
            columns = ", ".join(f'"{f["name"]}" {duck_type(f["type"])}' for f in json.loads(delta.schema().to_json())["fields"])
            con.execute(f"CREATE TABLE {prefix}{table} ({columns})")
    return sorted(tables)


def register_views(con, views_dir=VIEWS_DIR):
    """Every view file (and its as-of macro) over the tables `con` has."""
    # the portable view dialect's array_join (DataFusion's and Spark's) is DuckDB's array_to_string
    con.execute("CREATE MACRO array_join(items, sep) AS array_to_string(items, sep)")
    pending = list(view_files(views_dir))
    while pending:  # views use one another: retry the ones whose inputs are not there yet
        failed = []
        for name, function, body in pending:
            try:
                con.execute(f"CREATE VIEW {name} AS {body.replace(PLACEHOLDER, 'CURRENT_DATE')}")
                if function:
                    con.execute(f"CREATE MACRO {function}(as_of) AS TABLE {body.replace(PLACEHOLDER, 'as_of')}")
            except duckdb.CatalogException as e:
                failed.append((name, function, body, e))
        if len(failed) == len(pending):
            raise SystemExit(f"view {failed[0][0]} does not plan on DuckDB: {failed[0][3]}")
        pending = [f[:3] for f in failed]


def main():
    args = sys.argv[1:]
    unordered = "--unordered" in args
    args = [a for a in args if a != "--unordered"]
    views_dir = VIEWS_DIR
    if "--views" in args:
        i = args.index("--views")
        views_dir = args[i + 1]
        del args[i : i + 2]
    warehouse, out = args[0], args[1]
    os.makedirs(out, exist_ok=True)
    con = connect(warehouse, views_dir)
    names = args[2:] or [name for name, _, _ in view_files(views_dir)]
    for name in names:
        columns = len(con.execute(f"SELECT * FROM {name} LIMIT 0").description)
        order = ", ".join(f"{i} ASC NULLS LAST" for i in range(1, columns + 1))
        target = os.path.join(out, f"{name}.csv").replace("'", "''")
        order = "" if unordered else f" ORDER BY {order}"
        con.execute(f"COPY (SELECT * FROM {name}{order}) TO '{target}' (HEADER, DELIMITER ',')")


if __name__ == "__main__":
    main()

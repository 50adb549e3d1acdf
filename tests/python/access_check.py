"""Department access checked from outside (tests/it/access.rs): psycopg 3 against
`ceping serve` and DuckDB over the warehouse's Parquet files. Prints one JSON object.

    access_check.py views WAREHOUSE OFFICE_DSN DEPT_DSN DEPARTMENT
        Every view as the department user gets it, next to (a) the same view computed by
        DuckDB over only that department's rows — the tables filtered by this script's own
        rule, written apart from ceping's — and (b) the office user's view filtered to the
        department, for views with a `department` column. Every base table with a
        `department` column and `findings` likewise.
    access_check.py session DSN GO_FILE
        One connection: a query, then (once GO_FILE exists) another; what each gave.
    access_check.py expire DSN SECONDS
        One connection: a query, a wait, another query.
"""

import datetime
import decimal
import json
import os
import sys
import time

import duckdb
import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import duckdb_views  # noqa: E402


def norm(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, decimal.Decimal):
        return f"{value:.6f}"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, int):
        return f"{value:.6f}"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return json.dumps([norm(v) for v in value], ensure_ascii=False)
    return str(value)


def rows_of(cursor_rows):
    rows = [tuple(norm(v) for v in r) for r in cursor_rows]
    return sorted(rows, key=lambda r: tuple("" if v is None else v for v in r))


def scoped_duckdb(warehouse, department):
    """The views of src/sql/views on DuckDB, over only `department`'s rows."""
    con = duckdb.connect()
    tables = duckdb_views.register_tables(con, warehouse, prefix="raw_")
    d = department.replace("'", "''")
    for table in tables:
        columns = [c[0] for c in con.execute(f"DESCRIBE raw_{table}").fetchall()]
        if "department" in columns:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM raw_{table} WHERE department = '{d}'")
        elif table == "findings":
            # A finding is its assessment's department's; with no known assessment, its
            # system's (the register first, then the latest plan listing it).
            con.execute(f"""CREATE VIEW findings AS SELECT f.* FROM raw_findings f WHERE COALESCE(
                (SELECT MIN(a.department) FROM raw_assessments a WHERE a.assessment_id = f.assessment_id),
                (SELECT MIN(s.department) FROM raw_systems s WHERE s.system_id = f.system_id),
                (SELECT p.department FROM raw_plan_items p WHERE p.system_id = f.system_id
                   ORDER BY p.year DESC, p.revision DESC, p.department LIMIT 1)) = '{d}'""")
        else:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM raw_{table}")
    duckdb_views.register_views(con)
    return con, tables


def views(warehouse, office_dsn, dept_dsn, department):
    con, tables = scoped_duckdb(warehouse, department)
    files = list(duckdb_views.view_files(duckdb_views.VIEWS_DIR))
    names = [n for n, _, _ in files]
    functions = [f for _, f, _ in files if f]
    out = {"views": {}, "tables": {}, "functions": {}}
    with psycopg.connect(office_dsn, autocommit=True) as office, psycopg.connect(dept_dsn, autocommit=True) as dept:
        def compare(name, kind, server_sql=None, duck_sql=None):
            server_sql = server_sql or f"SELECT * FROM {name}"
            mine = rows_of(dept.execute(server_sql).fetchall())
            duck = rows_of(con.execute(duck_sql or server_sql).fetchall())
            columns = [c.name for c in dept.execute(f"{server_sql} LIMIT 0").description]
            entry = {"rows": len(mine), "duckdb_rows": len(duck), "same_as_duckdb": mine == duck}
            if mine != duck:
                entry["only_server"] = [list(r) for r in mine if r not in duck][:3]
                entry["only_duckdb"] = [list(r) for r in duck if r not in mine][:3]
            if "department" in columns:
                filtered = rows_of(office.execute(f"SELECT * FROM ({server_sql}) v WHERE department = %s", (department,)).fetchall())
                entry["same_as_office_filtered"] = mine == filtered
                entry["office_filtered_rows"] = len(filtered)
            out[kind][name] = entry
        for name in names:
            compare(name, "views")
        for name in tables:
            if name in ("rejects", "ingest_log"):
                continue
            compare(name, "tables")
        # every *_as_of function on a day inside the sample's years
        for function in functions:
            compare(function, "functions", f"SELECT * FROM {function}('2019-06-30')",
                    f"SELECT * FROM {function}(DATE '2019-06-30')")
    return out


def two_queries(dsn, between):
    """A query, `between()`, another query on the same connection: what each gave."""
    result = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        result["first"] = conn.execute("SELECT count(*) FROM plan_items").fetchone()[0]
        between()
        try:
            result["second"] = conn.execute("SELECT count(*) FROM plan_items").fetchone()[0]
        except psycopg.Error as e:
            result["sqlstate"] = e.sqlstate
            result["message"] = str(e).strip()
    return result


def session(dsn, go_file):
    def wait_for_go():
        print(json.dumps({"ready": True}), flush=True)
        while not os.path.exists(go_file):
            time.sleep(0.05)
    return two_queries(dsn, wait_for_go)


def expire(dsn, seconds):
    return two_queries(dsn, lambda: time.sleep(float(seconds)))


def main():
    command, *args = sys.argv[1:]
    result = {"views": views, "session": session, "expire": expire}[command](*args)
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()

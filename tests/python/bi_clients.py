#!/usr/bin/env python3
"""One BI client against `ceping serve`, as the tool itself drives it; prints one JSON object.

    python bi_clients.py CLIENT HOST PORT

CLIENT: sqlalchemy-psycopg2, sqlalchemy-psycopg (the inspector calls Superset and pandas
make, a metric view, a parameterised query, a savepoint, pandas.read_sql, a write),
odbc (pyodbc over psqlODBC: tables(), columns(), primaryKeys(), a query with ?
parameters), pgcli (its completion refreshers' metadata queries). Every step's outcome is
recorded — a value or {"error": message} — so the Rust test (tests/it/clients.rs) names
what failed.
"""
import decimal
import json
import sys


def step(out, name, f):
    try:
        out[name] = f()
    except Exception as e:  # the test reports it
        out[name] = {"error": f"{type(e).__name__}: {e}".splitlines()[0][:500]}


def plain(v):
    if isinstance(v, decimal.Decimal):
        return {"decimal": str(v)}
    if hasattr(v, "isoformat"):
        return {type(v).__name__: v.isoformat()}
    return v


def sqlalchemy_client(dialect, host, port):
    import pandas as pd
    import sqlalchemy as sa

    eng = sa.create_engine(f"postgresql+{dialect}://analyst@{host}:{port}/ceping")
    out = {}
    with eng.connect() as c:
        insp = sa.inspect(c)
        step(out, "server_version", lambda: list(c.dialect.server_version_info))
        step(out, "schemas", lambda: insp.get_schema_names())
        step(out, "tables", lambda: sorted(insp.get_table_names()))
        step(out, "views", lambda: sorted(insp.get_view_names()))
        step(out, "table_comment", lambda: insp.get_table_comment("findings")["text"])
        step(out, "view_comment", lambda: insp.get_table_comment("plan_coverage")["text"])
        step(out, "columns", lambda: [[x["name"], str(x["type"]), x.get("comment")] for x in insp.get_columns("findings")])
        step(out, "view_columns", lambda: [[x["name"], x.get("comment")] for x in insp.get_columns("plan_coverage")])
        step(out, "pk", lambda: insp.get_pk_constraint("findings"))
        step(out, "budget_pk", lambda: insp.get_pk_constraint("budgets")["constrained_columns"])
        step(out, "indexes", lambda: insp.get_indexes("findings"))
        step(out, "foreign_keys", lambda: insp.get_foreign_keys("findings"))
        step(out, "view_definition", lambda: (insp.get_view_definition("plan_coverage") or "")[:40])
        step(out, "metric_view", lambda: [list(r) for r in c.execute(sa.text("SELECT year, departments, units, systems FROM plan_coverage ORDER BY year"))])
        step(out, "parameterised", lambda: [[r[0], plain(r[1])] for r in c.execute(sa.text(
            "SELECT department, spent FROM spending WHERE year = :y AND department = :d"), {"y": 2018, "d": "市教委"})])
        step(out, "date", lambda: plain(c.execute(sa.text("SELECT min(assessed_on) FROM assessments")).scalar()))

    def savepoint():
        # SAVEPOINT, ROLLBACK TO SAVEPOINT, RELEASE SAVEPOINT (the ORM's nested transactions)
        with eng.connect() as c2, c2.begin():
            sp = c2.begin_nested()
            v = c2.execute(sa.text("SELECT 1")).scalar()
            sp.rollback()
            sp = c2.begin_nested()
            sp.commit()
        return v
    step(out, "savepoint", savepoint)

    def write():
        try:
            with eng.connect() as c2, c2.begin():
                c2.execute(sa.text("DELETE FROM findings"))
            return "no error"
        except sa.exc.DBAPIError as e:
            return {"sqlstate": getattr(e.orig, "pgcode", None) or getattr(getattr(e.orig, "diag", None), "sqlstate", None)}
    step(out, "write", write)
    step(out, "read_sql", lambda: pd.read_sql("SELECT year, systems FROM plan_coverage ORDER BY year", eng).values.tolist())
    return out


def odbc_client(host, port):
    import pyodbc

    c = pyodbc.connect(f"DRIVER={{PostgreSQL Unicode}};SERVER={host};PORT={port};DATABASE=ceping;UID=analyst;PWD=;", autocommit=True)
    cur = c.cursor()
    out = {}
    step(out, "dbms", lambda: [c.getinfo(pyodbc.SQL_DBMS_NAME), c.getinfo(pyodbc.SQL_DBMS_VER)])
    step(out, "tables", lambda: sorted([r.table_name, r.table_type] for r in cur.tables(schema="public")))
    step(out, "columns", lambda: [[r.column_name, r.type_name] for r in cur.columns(table="findings", schema="public")])
    step(out, "primary_keys", lambda: [[r.column_name, r.key_seq, r.pk_name] for r in cur.primaryKeys(table="budgets", schema="public")])
    step(out, "comments", lambda: [list(r) for r in cur.execute(
        "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.relname = ?", "findings")])
    step(out, "parameterised", lambda: [[r[0], plain(r[1])] for r in cur.execute(
        "SELECT department, spent FROM spending WHERE year = ? AND department = ?", 2018, "市教委")])
    step(out, "date", lambda: plain(cur.execute("SELECT min(assessed_on) FROM assessments").fetchone()[0]))

    def write():
        try:
            cur.execute("DELETE FROM findings")
            return "no error"
        except pyodbc.Error as e:
            return {"sqlstate": e.args[0]}
    step(out, "write", write)
    return out


def pgcli_client(host, port):
    from pgcli.pgexecute import PGExecute

    e = PGExecute("ceping", "analyst", "", host, port, "")
    out = {"server_version": e.server_version}
    # the completion refresher's queries (pgcli/completion_refresher.py)
    step(out, "schemata", lambda: sorted(e.schemata()))
    step(out, "tables", lambda: sorted(t for s, t in e.tables() if s == "public"))
    step(out, "views", lambda: sorted(v for s, v in e.views() if s == "public"))
    step(out, "table_columns", lambda: [list(r[:3]) for r in e.table_columns() if r[0] == "public" and r[1] == "findings"])
    step(out, "view_columns", lambda: len([r for r in e.view_columns() if r[0] == "public"]))
    step(out, "foreignkeys", lambda: len(list(e.foreignkeys())))
    step(out, "functions", lambda: sorted([f.func_name, list(f.arg_types or []), f.return_type] for f in e.functions() if f.schema_name == "public"))
    step(out, "datatypes", lambda: len(list(e.datatypes())))
    step(out, "databases", lambda: list(e.databases()))
    step(out, "query", lambda: [[title, [list(r) for r in rows]] for title, rows, *_ in e.run("SELECT year, systems FROM plan_coverage ORDER BY year")])
    return out


def main():
    client, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if client.startswith("sqlalchemy-"):
        out = sqlalchemy_client(client.split("-", 1)[1], host, port)
    elif client == "odbc":
        out = odbc_client(host, port)
    elif client == "pgcli":
        out = pgcli_client(host, port)
    else:
        raise SystemExit(f"unknown client {client}")
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()

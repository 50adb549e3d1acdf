"""A real PostgreSQL client (psycopg 3) against `ceping serve`, for the integration tests
and the load benchmark. Prints one JSON object; the Rust tests assert on it.

    serve_client.py DSN types SQL [PARAM]      rows of SQL with server-side parameters, typed
    serve_client.py DSN error SQL              the SQLSTATE and message SQL fails with
    serve_client.py DSN connect-error          the SQLSTATE a connection attempt fails with
    serve_client.py DSN hold SECONDS           keeps one connection open (prints when open)
    serve_client.py DSN watch STOP_FILE        pairs (plan rows, log rows) seen while an ingest lands
    serve_client.py DSN load CLIENTS QUERIES   concurrent metric queries: errors, latencies
                                               (DSN may be several joined by `|`: client n
                                               uses the n-th, round robin — mixed roles)
"""

import datetime
import decimal
import json
import os
import sys
import threading
import time

import psycopg


def typed(value):
    """A value with its Python type, so the test can check both."""
    if isinstance(value, decimal.Decimal):
        return ["Decimal", str(value)]
    if isinstance(value, datetime.date):
        return ["date", value.isoformat()]
    return [type(value).__name__, value if value is None or isinstance(value, (int, float, str, bool)) else str(value)]


def types(dsn, sql, *params):
    with psycopg.connect(dsn) as conn:
        # prepare=True: a named, server-side prepared statement (Parse/Bind/Execute).
        rows = conn.execute(sql, params or None, prepare=True).fetchall()
    return {"rows": [[typed(v) for v in row] for row in rows]}


def error(dsn, sql):
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute(sql)
        except psycopg.Error as e:
            return {"sqlstate": e.sqlstate, "message": str(e).strip()}
        # The connection must still work after a refused statement.
    return {"sqlstate": None}


def connect_error(dsn):
    try:
        with psycopg.connect(dsn, connect_timeout=20) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as e:
        # libpq gives no SQLSTATE for errors before the connection is up: the message.
        return {"sqlstate": getattr(e, "sqlstate", None), "message": str(e).strip()}
    return {"sqlstate": None}


def hold(dsn, seconds):
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT 1")
        print("open", flush=True)
        time.sleep(float(seconds))
    return {"held": True}


def watch(dsn, stop_file):
    """Every statement reads one warehouse version: the two counts must always be a pair
    the warehouse held at some version, never a mix of two. Runs until STOP_FILE exists
    (the ingest is done), then once more; at most two minutes."""
    seen = []
    deadline = time.time() + 120
    with psycopg.connect(dsn, autocommit=True) as conn:
        last = False
        while time.time() < deadline:
            last = os.path.exists(stop_file)
            row = conn.execute(
                "SELECT (SELECT count(*) FROM plan_items) AS p, (SELECT count(*) FROM ingest_log) AS l",
                prepare=True,
            ).fetchone()
            pair = [int(row[0]), int(row[1])]
            if not seen or seen[-1] != pair:
                seen.append(pair)
            if last:
                break
            time.sleep(0.02)
    return {"pairs": seen}


METRIC_QUERIES = [
    "SELECT * FROM plan_coverage",
    "SELECT * FROM execution_by_quarter WHERE year = %s",
    "SELECT * FROM rectification_progress WHERE year = %s",
    "SELECT * FROM spending WHERE year = %s",
    "SELECT count(*) FROM letters_due",
    "SELECT status, count(*) FROM cycle_status GROUP BY status",
]


def load(dsn, clients, queries):
    clients, queries = int(clients), int(queries)
    latencies, errors, lock = [], [], threading.Lock()
    dsns = dsn.split("|")

    def client(n):
        try:
            with psycopg.connect(dsns[n % len(dsns)], autocommit=True) as conn:
                for i in range(queries):
                    sql = METRIC_QUERIES[(n + i) % len(METRIC_QUERIES)]
                    params = (2018 + i % 2,) if "%s" in sql else None
                    start = time.perf_counter()
                    conn.execute(sql, params).fetchall()
                    with lock:
                        latencies.append(time.perf_counter() - start)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            with lock:
                errors.append(f"client {n}: {e}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else None

    return {
        "queries": len(latencies),
        "errors": errors[:5],
        "error_count": len(errors),
        "seconds": wall,
        "per_second": len(latencies) / wall if wall else None,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def main():
    dsn, command, *args = sys.argv[1:]
    result = {
        "types": types,
        "error": error,
        "connect-error": connect_error,
        "hold": hold,
        "watch": watch,
        "load": load,
    }[command](dsn, *args)
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()

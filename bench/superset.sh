#!/usr/bin/env bash
# Apache Superset end to end against `ceping serve` (issue 30; a benchmark script, not CI:
# Superset is a large install). Installs apache-superset from PyPI into a venv of its own,
# starts `ceping serve` on a warehouse (the sample by default), runs Superset with a SQLite
# metadata database, and through Superset's REST API: logs in, tests the connection by its
# SQLAlchemy URI, adds the warehouse as a database, lists its tables, runs a chart query
# (SQL Lab) on a metric view, and prints each step with its timing. README "Connecting"
# records the result.
#
#   bash bench/superset.sh [WAREHOUSE]
set -euo pipefail
cd "$(dirname "$0")/.."
warehouse="${1:-}"
work="$HOME/.cache/ceping/superset"
venv="$work/venv"
mkdir -p "$work"
if [ ! -x "$venv/bin/superset" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # (Superset 4.1 declares marshmallow >=3 but breaks on marshmallow 4)
    "$venv/bin/pip" install --quiet "apache-superset==${SUPERSET_VERSION:-4.1.2}" "marshmallow<4" psycopg2-binary
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ceping/target}"
cargo build --quiet
ceping="$CARGO_TARGET_DIR/debug/ceping"
if [ -z "$warehouse" ]; then
    warehouse="$work/sample"
    if [ ! -d "$warehouse/warehouse" ]; then
        mkdir -p "$warehouse" && ln -sfn "$PWD/data" "$warehouse/data"
        (cd "$warehouse" && "$ceping" --warehouse warehouse run "$OLDPWD/pipelines/briefing.toml" > /dev/null)
    fi
    warehouse="$warehouse/warehouse"
fi
port=15499
"$ceping" --warehouse "$warehouse" serve --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid ${superset_pid:-} 2>/dev/null || true' EXIT
for _ in $(seq 60); do grep -q listening "$work/serve.log" && break; sleep 1; done

export SUPERSET_CONFIG_PATH="$work/superset_config.py"
cat > "$SUPERSET_CONFIG_PATH" <<PY
SECRET_KEY = "ceping-benchmark-only"
SQLALCHEMY_DATABASE_URI = "sqlite:///$work/superset.db"
WTF_CSRF_ENABLED = False
FEATURE_FLAGS = {}
PY
export FLASK_APP=superset
rm -f "$work/superset.db"  # a fresh metadata database each run
"$venv/bin/superset" db upgrade > "$work/setup.log" 2>&1
"$venv/bin/superset" fab create-admin --username admin --firstname a --lastname b \
    --email admin@example.com --password admin >> "$work/setup.log" 2>&1 || true
"$venv/bin/superset" init >> "$work/setup.log" 2>&1
"$venv/bin/superset" run -p 8098 --with-threads > "$work/superset.log" 2>&1 &
superset_pid=$!
for _ in $(seq 120); do curl -sf http://127.0.0.1:8098/health > /dev/null && break; sleep 1; done

"$venv/bin/python" - "$port" <<'PY'
import json, sys, time, urllib.request

port = sys.argv[1]
base = "http://127.0.0.1:8098/api/v1"
uri = f"postgresql+psycopg2://analyst@127.0.0.1:{port}/ceping"

def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    t = time.time()
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r), time.time() - t

def step(name, f):
    t = time.time()
    try:
        out = f()
        print(f"ok    {name} ({time.time() - t:.2f} s): {out}")
        return out
    except Exception as e:
        body = e.read().decode()[:300] if hasattr(e, "read") else ""
        print(f"FAIL  {name} ({time.time() - t:.2f} s): {e} {body}")
        sys.exit(1)

token = step("login", lambda: call("POST", "/security/login",
                                   {"username": "admin", "password": "admin", "provider": "db", "refresh": True})[0]["access_token"][:12] + "…")
token = call("POST", "/security/login", {"username": "admin", "password": "admin", "provider": "db", "refresh": True})[0]["access_token"]
step("test connection", lambda: call("POST", "/database/test_connection/",
                                     {"database_name": "ceping", "sqlalchemy_uri": uri, "engine": "postgresql"}, token)[0])
db = step("add database", lambda: call("POST", "/database/",
                                       {"database_name": "ceping", "sqlalchemy_uri": uri, "expose_in_sqllab": True}, token)[0]["id"])
step("list tables", lambda: sorted(t["value"] for t in call(
    "GET", f"/database/{db}/tables/?q=(schema_name:public,force:!t)", token=token)[0]["result"])[:8])
step("table metadata", lambda: [c["name"] for c in call(
    "GET", f"/database/{db}/table_metadata/?name=plan_coverage&schema=public", token=token)[0]["columns"]])
step("chart query (SQL Lab)", lambda: call("POST", "/sqllab/execute/", {
    "database_id": db, "schema": "public", "runAsync": False,
    "sql": "SELECT year, departments, units, systems FROM plan_coverage ORDER BY year"}, token)[0]["data"])
PY

#!/usr/bin/env bash
# Every metric view on three engines over one warehouse, in one sitting (issue 31):
# `ceping sql` (whole process), DuckDB (`ceping views --dialect duckdb` in a fresh Python
# process per view, with the delta extension) and Sail in local-cluster mode (a driver and
# two workers on 127.0.0.1; `ceping views --dialect spark` registered once in a session,
# then each view collected in it). Prints a markdown table of wall seconds for
# docs/SCALE.md (the rows column is Sail's; tests/it/distributed.rs checks the rows equal).
#
#   bash bench/distributed.sh S|M|L [few|many]
#   S3=1 bash bench/distributed.sh L many    # the warehouse copied into moto's S3 on loopback
#
# Data: bench/make_scale.py into $BENCH_DIR (default /tmp/ceping-views), ingested once.
# Needs the readers' venv ($CEPING_TEST_READERS_PYTHON: duckdb + delta extension, pysail,
# pyspark-client, moto) and openpyxl ($CEPING_TEST_PYTHON), both made by .ci/setup.
# CEPING_BIN picks a built binary; otherwise a release build is made.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
size="${1:-M}"
shape="${2:-many}"
work="${BENCH_DIR:-/tmp/ceping-views}"
gen_py="${CEPING_TEST_PYTHON:-python3}"
py="${CEPING_TEST_READERS_PYTHON:?set CEPING_TEST_READERS_PYTHON (bash .ci/setup prints it)}"
if [ -z "${CEPING_BIN:-}" ]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ceping/target}"
    cargo build --release --quiet --bin ceping
    CEPING_BIN="$CARGO_TARGET_DIR/release/ceping"
fi
data="$work/$size-$shape"
wh="$work/$size-$shape-warehouse"
if [ ! -d "$data" ]; then "$gen_py" bench/make_scale.py "$size" "$data" "$shape"; fi
if [ ! -d "$wh/ingest_log" ]; then "$CEPING_BIN" --warehouse "$wh" ingest "$data"/*.xlsx > /dev/null; fi

pids=()
trap 'kill ${pids[*]:-} 2>/dev/null || true' EXIT
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
target="$wh"
if [ "${S3:-}" = 1 ]; then
    port=$(free_port)
    "$py" -m moto.server -H 127.0.0.1 -p "$port" > /dev/null 2>&1 & pids+=($!)
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
        AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true
    sleep 3
    "$py" - "$wh" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3")
s3.create_bucket(Bucket="ceping-bench")
root = sys.argv[1]
for d, _, files in os.walk(root):
    for f in files:
        path = os.path.join(d, f)
        s3.upload_file(path, "ceping-bench", "warehouse/" + os.path.relpath(path, root))
PY
    target="s3://ceping-bench/warehouse"
fi
views=${VIEWS:-$(ls src/sql/views | sed 's/\.sql$//')}
out=$(mktemp -d)
"$CEPING_BIN" --warehouse "$target" views --dialect spark > "$out/spark.sql"
"$CEPING_BIN" --warehouse "$target" views --dialect duckdb > "$out/duckdb.sql"

# Sail local-cluster: the whole script once, every view's seconds from engine_views.py.
sail_port=$(free_port)
SAIL_MODE=local-cluster SAIL_CLUSTER__WORKER_INITIAL_COUNT=2 \
    "$(dirname "$py")/sail" spark server --ip 127.0.0.1 --port "$sail_port" > "$out/sail.log" 2>&1 & pids+=($!)
for _ in $(seq 60); do (exec 3<>"/dev/tcp/127.0.0.1/$sail_port") 2>/dev/null && break; sleep 1; done
t0=$(date +%s.%N)
"$py" tests/python/engine_views.py --remote "sc://127.0.0.1:$sail_port" "$out/spark.sql" "$out/sail" \
    ${VIEWS:+$VIEWS} 2> "$out/sail.err" > "$out/sail.json"
sail_total=$(echo "$(date +%s.%N) - $t0" | bc)

# DuckDB: one fresh process per view (registration included, as ceping's process is).
duck_one() { # view → seconds
    local script="$out/duck-$1.sql"
    cp "$out/duckdb.sql" "$script"
    local t0 t1
    t0=$(date +%s.%N)
    timeout "${DUCK_TIMEOUT:-120}" "$py" - "$script" "$1" <<'PY'
import sys, re, glob, pathlib, duckdb, duckdb_extension_delta, duckdb_extension_httpfs
con = duckdb.connect(config={"autoinstall_known_extensions": False})
for package, name in [(duckdb_extension_httpfs, "httpfs"), (duckdb_extension_delta, "delta")]:
    root = pathlib.Path(package.__path__[0]) / "extensions" / f"v{duckdb.__version__}"
    con.load_extension(glob.glob(str(root / f"{name}.duckdb_extension"))[0])
text = "\n".join(l for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if not l.startswith("--"))
if "AWS_ENDPOINT_URL" in __import__("os").environ:
    import os
    con.execute(f"CREATE SECRET (TYPE s3, KEY_ID 'test', SECRET 'test', REGION 'us-east-1', "
                f"ENDPOINT '{os.environ['AWS_ENDPOINT_URL'].split('//')[1]}', URL_STYLE 'path', USE_SSL false)")
for s in re.split(r";\s*\n", text):
    if s.strip() and s.strip() != "LOAD delta":
        con.execute(s)
con.execute(f"SELECT * FROM {sys.argv[2]}").fetchall()
PY
    [ $? = 0 ] || return 1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
ceping_one() {
    local t0 t1
    t0=$(date +%s.%N)
    "$CEPING_BIN" --warehouse "$target" sql "SELECT * FROM $1" --format csv > /dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}

echo "| view at $size $shape${S3:+ on S3} | rows | ceping sql (process) | DuckDB (process) | Sail local-cluster (in session) |"
echo "|---|---:|---:|---:|---:|"
for v in $views; do
    c=$(ceping_one "$v")
    d=$(duck_one "$v" 2>> "$out/duck.err" || echo "failed")  # failed: an error or over DUCK_TIMEOUT (120 s)
    s=$(grep "\"view\": \"$v\"" "$out/sail.json" | "$py" -c 'import json,sys; r=json.loads(sys.stdin.read()); print(r["seconds"], r["rows"])')
    printf '| %s | %s | %.2f s | %s | %.2f s |\n' "$v" "${s#* }" "$c" "$( [ "$d" = failed ] && echo "> ${DUCK_TIMEOUT:-120} s" || printf '%.2f s' "$d")" "${s% *}"
done
echo
echo "Sail: the whole script (registration, then the views collected) took ${sail_total} s."

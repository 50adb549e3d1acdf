#!/usr/bin/env bash
# Load benchmark of `ceping serve` on loopback: CLIENTS concurrent psycopg clients, each
# running QUERIES metric queries (the six metric views in turn, with parameters), against
# the sample warehouse. Prints throughput, p50/p99 latency and the server's RSS before and
# after. Uses the release binary; the client venv is the one .ci/setup makes.
#
#   bash bench/serve_load.sh            # 32 clients × 200 queries
#   CLIENTS=8 QUERIES=50 bash bench/serve_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${CLIENTS:-32}"
QUERIES="${QUERIES:-200}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/ceping/target-release}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/ceping"
py="${CEPING_TEST_PYTHON:-$HOME/.cache/ceping/pyclients-$(sha256sum tests/python/requirements.txt | cut -c1-12)/bin/python}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" --warehouse "$work/wh" ingest data/*.xlsx data/*.xls data/*.ods > /dev/null
"$bin" --warehouse "$work/wh" serve --listen 127.0.0.1:0 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.log")"
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$server/status"; }
hwm() { awk '/VmHWM/ {print $2 / 1024 " MB"}' "/proc/$server/status"; }
echo "server pid $server on port $port; RSS before: $(rss)"
"$py" tests/python/serve_client.py "host=127.0.0.1 port=$port user=bench dbname=ceping" load "$CLIENTS" "$QUERIES"
echo "RSS after: $(rss); peak: $(hwm)"

#!/usr/bin/env bash
# Load benchmark of `ceping serve` with department access (issue 33): CLIENTS concurrent
# psycopg clients, each running QUERIES metric queries (serve_client.py's six in turn),
# first all as one office user, then with mixed roles — clients in turn office, 市卫健委,
# 市教委, 市公安局 (three department users) — against the sample warehouse, on one
# server. Both runs log in with SCRAM and write the audit trail. Prints each run's
# errors, throughput and p50/p99 latency, ROUNDS times in turns.
#
#   bash bench/serve_roles.sh            # 32 clients × 200 queries, 3 rounds
#   CLIENTS=8 QUERIES=50 ROUNDS=1 bash bench/serve_roles.sh
#   WH=/path/to/warehouse DEPARTMENTS="市部门003 市部门004 市部门005" QUERIES=5 bash bench/serve_roles.sh
#                                        # another warehouse (not ingested again), its departments
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${CLIENTS:-32}"
QUERIES="${QUERIES:-200}"
ROUNDS="${ROUNDS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/ceping/target-release}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/ceping"
py="${CEPING_TEST_PYTHON:-$HOME/.cache/ceping/pyclients-$(sha256sum tests/python/requirements.txt | cut -c1-12)/bin/python}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
wh=(--warehouse "${WH:-$work/wh}" --access-dir "$work/access")
[ -n "${WH:-}" ] || "$bin" "${wh[@]}" ingest data/*.xlsx data/*.xls data/*.ods > /dev/null
read -r -a departments <<< "${DEPARTMENTS:-市卫健委 市教委 市公安局}"
echo office-pw | "$bin" "${wh[@]}" user add office --role office > /dev/null
for i in 1 2 3; do
  echo "d$i-pw" | "$bin" "${wh[@]}" user add "d$i" --role department --department "${departments[$((i - 1))]}" > /dev/null 2>&1
done
"$bin" "${wh[@]}" serve --listen 127.0.0.1:0 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.log")"
dsn() { echo "host=127.0.0.1 port=$port user=$1 password=$2 dbname=ceping"; }
single="$(dsn office office-pw)"
mixed="$(dsn office office-pw)|$(dsn d1 d1-pw)|$(dsn d2 d2-pw)|$(dsn d3 d3-pw)"
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$server/status"; }
echo "server pid $server on port $port; RSS before: $(rss)"
# warm: every scope's session built once before timing
"$py" tests/python/serve_client.py "$mixed" load 4 6 > /dev/null
for round in $(seq "$ROUNDS"); do
  echo "round $round single-role: $("$py" tests/python/serve_client.py "$single" load "$CLIENTS" "$QUERIES")"
  echo "round $round mixed-roles: $("$py" tests/python/serve_client.py "$mixed" load "$CLIENTS" "$QUERIES")"
done
echo "RSS after: $(rss); peak: $(awk '/VmHWM/ {print $2 / 1024 " MB"}' "/proc/$server/status")"
echo "audit records: $(wc -l < "$work/access/audit.jsonl")"

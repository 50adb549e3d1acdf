#!/usr/bin/env bash
# Ingest benchmark: ceping ingest vs polars (read_excel + write_delta) vs calamine alone,
# on generated 100k- and 1M-row plan sheets. Prints wall time, rows/s and peak RSS.
#   pip install polars deltalake fastexcel openpyxl; bash bench/run.sh [ROWS...]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ceping/target}"
cargo build --release --quiet --bin ceping --example calamine_floor
bin="$CARGO_TARGET_DIR/release"
work="${BENCH_DIR:-/tmp/ceping-bench}"
mkdir -p "$work"
sizes=("${@:-100000 1000000}")
printf '| rows | tool | wall s | rows/s | peak RSS MB |\n|---:|---|---:|---:|---:|\n'
for n in ${sizes[@]}; do
    f="$work/plan_$n.xlsx"
    [ -f "$f" ] || python3 bench/make_plan.py "$n" "$f"
    measure() {
        local name="$1"; shift
        local log="$work/time.log"
        /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log"; exit 1; }
        local wall rss
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); if (length(a)==3) print a[1]*3600+a[2]*60+a[3]; else print a[1]*60+a[2]}' "$log")
        rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
        printf '| %s | %s | %.1f | %.0f | %s |\n' "$n" "$name" "$wall" "$(echo "$n / $wall" | bc -l)" "$rss"
    }
    rm -rf "$work/wh" "$work/polars_delta"
    measure "calamine cell reader (floor)" "$bin/examples/calamine_floor" "$f"
    measure "polars read_excel + write_delta" python3 bench/polars_ingest.py "$f" "$work/polars_delta"
    measure "ceping ingest" "$bin/ceping" --warehouse "$work/wh" ingest --year 2019 "$f"
done

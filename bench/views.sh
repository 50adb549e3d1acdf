#!/usr/bin/env bash
# View benchmark: every metric view with ceping and with DuckDB (Python package) over the
# same warehouse: the same view files, the same Parquet files of the current Delta
# snapshot (tests/python/duckdb_views.py). Prints a markdown table of wall seconds and
# peak RSS of the whole process (median of REPEAT rounds, default 3, the two engines
# taking turns within each round) for docs/PERFORMANCE.md, after checking that both
# engines' CSV of every view is identical.
#
#   bash bench/views.sh S|M|L [few|many]
#   WRITE=1 bash bench/views.sh L few   # also puts the table into docs/PERFORMANCE.md,
#                                       # between <!-- views L few --> and <!-- /views -->
#
# Data: bench/make_scale.py (needs openpyxl), generated once into $BENCH_DIR (default
# /tmp/ceping-views) and ingested once into a warehouse beside it. The DuckDB side needs a
# Python with duckdb and deltalake ($CEPING_TEST_PYTHON, as .ci/setup makes it).
# CEPING_BIN picks a built binary; otherwise a release build is made. CEPING_VIEWS_DIR
# times other view files on both engines (tests/fixtures/views_before: before the rewrite).
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-M}"
shape="${2:-few}"
repeat="${REPEAT:-3}"
work="${BENCH_DIR:-/tmp/ceping-views}"
py="${CEPING_TEST_PYTHON:-python3}"
views=(${VIEWS:-plan_coverage execution_by_quarter cycle_status spending rectification_progress})
view_files=(--views "${CEPING_VIEWS_DIR:-src/sql/views}")
if [ -z "${CEPING_BIN:-}" ]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ceping/target}"
    cargo build --release --quiet --bin ceping
    CEPING_BIN="$CARGO_TARGET_DIR/release/ceping"
fi
data="$work/$size-$shape"
wh="$work/wh-$size-$shape"
[ -d "$data" ] || python3 bench/make_scale.py "$size" "$data" "$shape"
if [ ! -d "$wh" ]; then
    /usr/bin/time -f "ingest: %e s, peak %M KB" "$CEPING_BIN" --warehouse "$wh" ingest "$data"/*.xlsx > /dev/null
fi

out="$work/out"
mkdir -p "$out/ceping" "$out/duckdb"
# Same figures first: every view, ordered by all its columns, byte for byte.
"$py" tests/python/duckdb_views.py "${view_files[@]}" "$wh" "$out/duckdb" "${views[@]}"
for v in "${views[@]}"; do
    n=$(head -1 "$out/duckdb/$v.csv" | tr ',' '\n' | wc -l)
    order=$(seq 1 "$n" | sed 's/$/ ASC NULLS LAST/' | paste -sd,)
    "$CEPING_BIN" --warehouse "$wh" sql "SELECT * FROM $v ORDER BY $order" --format csv > "$out/ceping/$v.csv"
    cmp -s "$out/ceping/$v.csv" "$out/duckdb/$v.csv" || { echo "$v: ceping and DuckDB differ" >&2; exit 1; }
done

run() { # engine view → "seconds KB"
    local log="$work/time.log"
    case "$1" in
        ceping) /usr/bin/time -f "%e %M" -o "$log" "$CEPING_BIN" --warehouse "$wh" sql "SELECT * FROM $2" --format csv > /dev/null ;;
        duckdb) /usr/bin/time -f "%e %M" -o "$log" "$py" tests/python/duckdb_views.py --unordered "${view_files[@]}" "$wh" "$out/timed" "$2" ;;
    esac
    cat "$log"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
table="$work/views-$size-$shape.md"
{
echo "| view ($size, $shape strings) | ceping s | ceping MB | DuckDB s | DuckDB MB | time ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for v in "${views[@]}"; do
    declare -A t=() m=()
    for ((r = 0; r < repeat; r++)); do
        for e in ceping duckdb; do
            read -r s kb < <(run "$e" "$v")
            t[$e]+="$s "
            m[$e]+="$kb "
        done
    done
    cs=$(tr ' ' '\n' <<< "${t[ceping]}" | grep . | median)
    ds=$(tr ' ' '\n' <<< "${t[duckdb]}" | grep . | median)
    cm=$(tr ' ' '\n' <<< "${m[ceping]}" | grep . | median)
    dm=$(tr ' ' '\n' <<< "${m[duckdb]}" | grep . | median)
    printf '| %s | %.2f | %d | %.2f | %d | %.2f× |\n' "$v" "$cs" $((cm / 1024)) "$ds" $((dm / 1024)) "$(echo "$cs / $ds" | bc -l)"
    unset t m
done
} | tee "$table"
if [ -n "${WRITE:-}" ]; then
    python3 - "$table" "<!-- views $size $shape -->" <<'PY'
import pathlib, sys
table, start = pathlib.Path(sys.argv[1]).read_text(), sys.argv[2]
doc = pathlib.Path("docs/PERFORMANCE.md")
text = doc.read_text()
if start not in text:
    sys.exit(f"docs/PERFORMANCE.md has no {start} marker")
head, rest = text.split(start, 1)
_, tail = rest.split("<!-- /views -->", 1)
doc.write_text(f"{head}{start}\n{table}<!-- /views -->{tail}")
PY
fi

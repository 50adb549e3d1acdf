#!/usr/bin/env bash
# Ingest benchmark: ceping ingest vs polars (read_excel + write_delta) vs calamine alone,
# on generated 100k- and 1M-row plan sheets. Prints wall time, rows/s and peak RSS: the
# median of REPEAT rounds (default 3), the three tools taking turns within each round so
# a noisy neighbour on a shared machine hits them alike.
#   pip install polars deltalake fastexcel openpyxl XlsxWriter; bash bench/run.sh [ROWS...]
# SHAPE=many uses sheets with ~2M distinct strings (bench/make_plan.py … many).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ceping/target}"
cargo build --release --quiet --bin ceping --example calamine_floor
bin="$CARGO_TARGET_DIR/release"
work="${BENCH_DIR:-/tmp/ceping-bench}"
repeat="${REPEAT:-3}"
mkdir -p "$work"
sizes=("${@:-100000 1000000}")
tools=("calamine cell reader (floor)" "polars read_excel + write_delta" "ceping ingest")
run_tool() { # index, file → runs one tool once
    case "$1" in
        0) "$bin/examples/calamine_floor" "$2" ;;
        1) rm -rf "$work/polars_delta"; python3 bench/polars_ingest.py "$2" "$work/polars_delta" ;;
        2) rm -rf "$work/wh"; "$bin/ceping" --warehouse "$work/wh" ingest --year 2019 "$2" ;;
    esac
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| rows | tool | wall s (median of %s) | rows/s | peak RSS MB |\n|---:|---|---:|---:|---:|\n' "$repeat"
for n in ${sizes[@]}; do
    shape="${SHAPE:-few}"
    f="$work/plan_${n}_$shape.xlsx"
    [ -f "$f" ] || python3 bench/make_plan.py "$n" "$f" "$shape"
    declare -A walls=() rss=()
    for ((r = 0; r < repeat; r++)); do
        for t in 0 1 2; do
            log="$work/time.log"
            /usr/bin/time -v bash -c "$(declare -f run_tool); bin='$bin' work='$work' run_tool $t '$f'" > /dev/null 2> "$log" || { cat "$log"; exit 1; }
            w=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); if (length(a)==3) print a[1]*3600+a[2]*60+a[3]; else print a[1]*60+a[2]}' "$log")
            m=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
            walls[$t]+="$w "
            [ "${rss[$t]:-0}" -ge "$m" ] || rss[$t]=$m
        done
    done
    for t in 0 1 2; do
        w=$(tr ' ' '\n' <<< "${walls[$t]}" | grep . | median)
        printf '| %s | %s | %.2f | %.0f | %s |\n' "$n" "${tools[$t]}" "$w" "$(echo "$n / $w" | bc -l)" "${rss[$t]}"
    done
    unset walls rss
done

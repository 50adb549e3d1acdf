#!/usr/bin/env bash
# Peak memory of each ingest into a national-size warehouse: the workbooks of
# `python3 bench/make_scale.py L DIR SHAPE` loaded one by one into a fresh warehouse
# (results, findings, budgets, then the 2019 plan, which re-flags the assessments it
# lists), and the 2019 plan alone into another. Prints wall seconds and peak RSS.
#
#   python3 bench/make_scale.py L /tmp/scale/L-few few
#   bash bench/keyed.sh /tmp/scale/L-few
#
# CEPING_BIN: the binary (default: a release build under target/).
set -euo pipefail
dir=${1:?usage: bench/keyed.sh DIR (from bench/make_scale.py)}
bin=${CEPING_BIN:-target/release/ceping}
wh=$(mktemp -d)
trap 'rm -rf "$wh"' EXIT
run() {
    /usr/bin/time -f "%e s, %M KB" "$bin" --warehouse "$1" ingest "$2" 2>&1 >/dev/null | tail -1 |
        awk -v f="$(basename "$2")" -v w="$3" '{ printf "%-8s %-60s %8s s %8.0f MB\n", w, f, $1, $3 / 1024 }'
}
for f in "$dir"/*测评结果汇总*.xlsx "$dir"/*整改情况*.xlsx "$dir"/*经费*.xlsx; do
    run "$wh/one" "$f" "into"
done
plan=$(ls "$dir"/2019年*计划预告*.xlsx | head -1)
run "$wh/one" "$plan" "into"
run "$wh/fresh" "$plan" "fresh"

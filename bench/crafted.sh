#!/usr/bin/env bash
# Crafted files at GB sizes (bench/make_crafted.py): each ingested into a fresh warehouse
# by the release binary; prints the file's size, the answer (loaded / refused, with the
# limit named), the wall time and the peak RSS of the whole process. The table in
# docs/PERFORMANCE.md; tests/it/hostile.rs asserts the same bounds at smaller sizes.
#   bash bench/crafted.sh [CLASS...]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ceping/target}"
cargo build --release --quiet --bin ceping
bin="$CARGO_TARGET_DIR/release/ceping"
work="${BENCH_DIR:-/tmp/ceping-bench}/crafted"
mkdir -p "$work"
declare -A size=(
    [cell-spaces]=1536M [cell-text]=1536M [between]=1536M [comment]=1536M
    [cell-wide]=1000K [cell-runs]=1536M [merges]=62000000 [rows]=2400000 [sst-unused]=1536M [sst-many]=1536M [sst-lying]=1536M
)
classes=("${@:-cell-spaces cell-text cell-wide cell-runs between comment merges rows sst-unused sst-many sst-lying}")
printf '| file | crafted part | on disk | answer | wall s | peak RSS MB |\n|---|---:|---:|---|---:|---:|\n'
for class in ${classes[@]}; do
    f="$work/$class-${size[$class]}.xlsx"
    [ -f "$f" ] || python3 bench/make_crafted.py "$class" "${size[$class]}" "$f"
    rm -rf "$work/wh"
    log="$work/time.log"
    set +e
    /usr/bin/time -v "$bin" --warehouse "$work/wh" ingest --year 2020 "$f" > "$work/out.log" 2> "$log"
    set -e
    w=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,a,":"); if (length(a)==3) print a[1]*3600+a[2]*60+a[3]; else print a[1]*60+a[2]}' "$log")
    m=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
    if grep -q "loaded" "$work/out.log"; then
        answer="loaded: $(grep -o '[0-9]* loaded' "$work/out.log" | tail -1)"
    else
        answer="refused: $(grep -v '^ *Command\|^\s' "$log" | grep -o 'more than the limit [a-z_]* = [0-9]*\|the [a-z]* is corrupt: .*' | head -1 || true)"
    fi
    printf '| %s | %s | %s | %s | %.1f | %s |\n' "$class" "${size[$class]}" "$(du -h "$f" | cut -f1)" "$answer" "$w" "$m"
done

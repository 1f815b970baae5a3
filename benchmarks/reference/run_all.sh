#!/usr/bin/env bash
# Run the reference benchmark matrix (sequentially, so runs don't compete for CPU).
# Usage: bash benchmarks/reference/run_all.sh [OUT_DIR] [REPEATS]
# Appends one JSON line per run to OUT_DIR/results.jsonl.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-/work/refbench/out}"
REPEATS="${2:-1}"
PY="$(bash "$HERE/setup_reference.sh" 2>/dev/null | tail -n1)"
mkdir -p "$OUT"
for ((r = 1; r <= REPEATS; r++)); do
    for args in "--frames 300 --backend video" "--frames 3000 --backend video" \
                "--frames 300 --backend html" "--frames 3000 --backend html"; do
        # shellcheck disable=SC2086
        "$PY" "$HERE/run_reference.py" $args --n-workers 1 --out "$OUT" \
            2>>"$OUT/stderr.log" | tee -a "$OUT/results.jsonl"
    done
done

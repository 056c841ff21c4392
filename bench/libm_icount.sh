#!/bin/sh
# libm_icount.sh BENCH_LIBM [CALLS]: instructions per call of each of our math functions and of the
# C library's, by valgrind's callgrind (deterministic, unlike timings on a shared machine): the
# total for CALLS calls (default 20000) minus the total of drawing the same points alone.
bench=$1 calls=${2:-20000}
count() {
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bench" "$1" "$2" "$calls" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
    rm -f "$out"
}
printf '%-6s %12s %12s %7s\n' "" "ours instr" "libc instr" "ratio"
for f in $("$bench" list); do
    base=$(count "$f" none) ours=$(count "$f" ours) libc=$(count "$f" libc)
    awk -v f="$f" -v b="$base" -v o="$ours" -v l="$libc" -v n="$calls" \
        'BEGIN { printf "%-6s %12.0f %12.0f %7.1f\n", f, (o - b) / n, (l - b) / n, (o - b) / (l - b) }'
done

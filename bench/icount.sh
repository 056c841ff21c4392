#!/bin/sh
# icount.sh BENCH [hand|adolc] W N [--replay]: instructions per op node (W1, W3) or per step
# (W2*) of `BENCH profile [hand|adolc] W N REPS`, by valgrind's callgrind (deterministic, unlike
# timings on a shared machine): the total at 135 repetitions minus the total at 70, over 65
# repetitions' op nodes. 65 because tg_backward takes the cone's sweep once in 65 backwards of
# a dense cone, after its first few (core/backward.c): 70..134 hold exactly one, the steady
# state of a training loop.
bench=$1
shift
peer=
case $1 in hand | adolc) peer=$1 && shift ;; esac
w=$1 n=$2 mode=$3
count() {
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bench" profile $peer "$w" "$n" "$1" \
        $mode >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
    rm -f "$out"
}
lo=$(count 70) hi=$(count 135)
case $w in
W1) nodes=$n ;;
W3) nodes=$((2 * n - 1)) ;;
*) nodes=1 ;;
esac
awk -v lo="$lo" -v hi="$hi" -v nodes="$nodes" -v what="$peer $w $n $mode" \
    'BEGIN { printf "%s: %.1f instructions per %s\n", what, (hi - lo) / 65 / nodes, nodes == 1 ? "step" : "node" }'

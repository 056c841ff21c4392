#!/usr/bin/env bash
# libm_wasm.sh NATIVE_LIBM_BITS SOURCE_ROOT [N]: ours, native vs wasm32, bit for bit. Builds
# tests/ops/libm_bits.c with ops/tg_libm_*.c for wasm32-wasi with clang-14 (the same flags that
# matter for the numbers as the native build: -ffp-contract=off, no -ffast-math), runs it under
# Node.js and compares each function's hash over N points (default 10^6) with the native build's;
# where they differ, dumps both and counts the points. Exit 77 (skipped) without clang-14,
# wasi-libc or node.
set -u
native=$1 src=$2 n=${3:-1000000}
skip() { echo "SKIPPED: $*"; exit 77; }
command -v clang-14 >/dev/null 2>&1 || skip "clang-14 is not installed (apt-get install clang-14 lld wasi-libc libclang-rt-14-dev-wasm32)"
command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! clang-14 --target=wasm32-wasi -O2 -std=c11 -ffp-contract=off -Wall -Wextra \
    -I"$src/ops" -I"$src/core" -I"$src/tests" -I"$src/tests/ops" "$src/tests/ops/libm_bits.c" "$src"/ops/tg_libm_*.c \
    -lm -o "$work/libm_bits.wasm" 2>"$work/cc.log"; then
    cat "$work/cc.log"
    grep -q 'wasi\|sysroot\|stdio.h\|libclang_rt\|wasm-ld' "$work/cc.log" &&
        skip "clang-14 cannot build for wasm32-wasi (apt-get install lld wasi-libc libclang-rt-14-dev-wasm32)"
    echo "FAIL: the wasm build"; exit 1
fi
"$native" "$n" >"$work/native.txt" || { echo "FAIL: the native run"; exit 1; }
node "$src/tests/ops/wasi_run.js" "$work/libm_bits.wasm" "$n" >"$work/wasm.txt" 2>"$work/node.log" ||
    { cat "$work/node.log"; echo "FAIL: the wasm run under node"; exit 1; }
status=0
while read -r name count hash; do
    other=$(awk -v f="$name" '$1 == f {print $3}' "$work/wasm.txt")
    if [ "$other" = "$hash" ]; then
        echo "$name: $count of $count points the same bits native and wasm32"
    else
        "$native" "$n" "$name" >"$work/n1.txt"
        node "$src/tests/ops/wasi_run.js" "$work/libm_bits.wasm" "$n" "$name" >"$work/w1.txt" 2>/dev/null
        differ=$(paste -d' ' "$work/n1.txt" "$work/w1.txt" | awk '$4 != $8' | wc -l)
        echo "FAIL $name: $differ of $count points differ native vs wasm32, e.g. (f x y native, f x y wasm):"
        paste -d' ' "$work/n1.txt" "$work/w1.txt" | awk '$4 != $8' | head -3
        status=1
    fi
done <"$work/native.txt"
[ "$(wc -l <"$work/native.txt")" -gt 0 ] || { echo "FAIL: no functions"; status=1; }
# The contrast (not asserted): the C libraries' own functions on the first 10^5 of the same
# points, glibc native vs musl in wasm32, which is what ours replace.
nc=$((n < 100000 ? n : 100000))
"$native" "$nc" all libc >"$work/native_libc.txt"
node "$src/tests/ops/wasi_run.js" "$work/libm_bits.wasm" "$nc" all libc >"$work/wasm_libc.txt" 2>/dev/null
echo "for contrast, the C libraries' functions (glibc native, musl in wasm32), points that differ:"
paste -d' ' "$work/native_libc.txt" "$work/wasm_libc.txt" |
    awk -v n="$nc" '{ if (!($1 in d)) { d[$1] = 0; order[++k] = $1 } if ($4 != $8) d[$1]++ }
        END { for (i = 1; i <= k; i++) printf "  %s: %d of %d\n", order[i], d[order[i]], n }'
exit $status

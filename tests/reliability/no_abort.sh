#!/bin/sh
# no_abort.sh: library code never ends the process (STYLE.md, Errors): the static library ($1)
# must not call abort, exit, _exit, _Exit or quick_exit. assert() for our own invariants is
# allowed (it calls __assert_fail, and is compiled out with NDEBUG).
lib=${1:?usage: no_abort.sh libtapegrad.a}
objdump -t "$lib" >/dev/null || exit 1
bad=$(nm -u "$lib" | awk '{print $NF}' | grep -E '^(abort|exit|_exit|_Exit|quick_exit)$' | sort -u)
if [ -n "$bad" ]; then
    echo "$lib calls: $bad"
    nm -A -u "$lib" | grep -E ' U (abort|exit|_exit|_Exit|quick_exit)$'
    exit 1
fi
echo "$lib never calls abort or exit"

#!/bin/sh
# no_global_state.sh: the library keeps no mutable state outside its tapes, so separate tapes
# are safe in separate threads. Lists the data objects of the static library ($1) that live in
# writable sections (.data, .bss, thread-local, common), ignoring the sanitizers' and
# coverage's own symbols (names starting with __); fails if there is any. Constant tables
# (.rodata, .data.rel.ro) are fine.
lib=${1:?usage: no_global_state.sh libtapegrad.a}
objdump -t "$lib" >/dev/null || exit 1
bad=$(objdump -t "$lib" |
    grep -E ' O (\.data|\.bss|\.tdata|\.tbss|\*COM\*)' |
    grep -vE ' O \.data\.rel\.ro' |
    awk '{print $NF}' | grep -v '^__' | grep -v '^\.L')
if [ -n "$bad" ]; then
    echo "mutable global or static data in $lib:"
    echo "$bad"
    exit 1
fi
echo "no mutable global or static data in $lib"

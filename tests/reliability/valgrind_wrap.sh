#!/bin/sh
# valgrind_wrap.sh: the exe_wrapper of `meson test --setup valgrind` (top-level meson.build).
# Runs a test program, and every program it starts (the tapegrad command), under valgrind's
# memcheck, failing on any memory error or leak. Interpreters (the Python conformance scripts,
# shell checks) are not our code: they run as they are, and so do the programs they start.
# Leaks inside Graphviz and its font stack are suppressed (valgrind.supp).
case "$(basename "$1")" in
python* | sh | bash | dash) exec "$@" ;;
esac
exec valgrind --quiet --error-exitcode=1 --leak-check=full \
    --suppressions="$(dirname "$0")/valgrind.supp" \
    --trace-children=yes --trace-children-skip='*python*,*/sh,*/bash,*/dash' "$@"

# 70-reliability.sh (sourced by .ci/run): the test suite again under valgrind's memcheck
# (meson test --setup valgrind: any memory error or leak fails), then a 60-second run of the
# graph fuzzer (tests/fuzz/fuzz_graph.c, clang + libFuzzer + ASan/UBSan). The parser's fuzzer
# is the cli's step. Adds to $passed / $failed; never exits.

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    fi
fi

# 1. valgrind, over the normal build of step 1 (if it built).
if ! command -v valgrind >/dev/null 2>&1; then
    echo "ci: valgrind is not installed" >&2
    failed=$((failed + 1))
elif [ -f build-ci/build.ninja ]; then
    run_suite build-ci --setup valgrind
fi

# 2. The graph fuzzer for 60 s, on a scratch copy of the corpus (libFuzzer adds to its first
#    folder). clang and its libFuzzer runtime come from step 50 (fuzz_parse); without them the
#    fuzz run is skipped with a message. Not built with -Dwerror: gcc's builds judge warnings.
fuzz_probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$fuzz_probe/p.c"
if ! command -v clang >/dev/null 2>&1 ||
    ! clang -fsanitize=fuzzer "$fuzz_probe/p.c" -o "$fuzz_probe/p" >/dev/null 2>&1; then
    echo "ci: fuzz_graph skipped: clang with libFuzzer is not available"
else
    rm -rf build-ci-fuzz
    if CC=clang meson setup build-ci-fuzz -Dfuzz=true -Dtests=disabled >build-ci-fuzz.setup.log 2>&1 &&
        ninja -C build-ci-fuzz tests/fuzz/fuzz_graph >build-ci-fuzz.build.log 2>&1; then
        fuzz_corpus=$(mktemp -d)
        if (cd build-ci-fuzz && ./tests/fuzz/fuzz_graph -max_total_time=60 -print_final_stats=1 \
                -artifact_prefix="$PWD/" "$fuzz_corpus" ../tests/fuzz/corpus_graph) \
                >build-ci-fuzz/fuzz_graph.log 2>&1; then
            echo "ci: fuzz_graph 60 s: $(grep -E 'number_of_executed_units' build-ci-fuzz/fuzz_graph.log)"
            passed=$((passed + 1))
        else
            tail -40 build-ci-fuzz/fuzz_graph.log
            echo "ci: fuzz_graph found a failure (input saved in build-ci-fuzz/)" >&2
            failed=$((failed + 1))
        fi
        rm -rf "$fuzz_corpus"
    else
        tail -20 build-ci-fuzz.setup.log build-ci-fuzz.build.log 2>/dev/null
        echo "ci: fuzz_graph did not build" >&2
        failed=$((failed + 1))
    fi
fi
rm -rf "$fuzz_probe"

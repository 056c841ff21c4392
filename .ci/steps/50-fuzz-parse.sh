# 50-fuzz-parse.sh (sourced by .ci/run): builds the parser's libFuzzer target with clang
# (tests/fuzz/fuzz_parse.c, ASan + UBSan) and runs it for 60 seconds on a copy of the seed
# corpus; one pass or one failure. Skipped, with a message, if clang's libFuzzer is missing.
# Adds to $passed / $failed; never exits.

if ! command -v clang >/dev/null 2>&1 || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null 2>&1
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null 2>&1
    fi
fi

fuzz_probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$fuzz_probe/p.c"
if ! command -v clang >/dev/null 2>&1 ||
    ! clang -fsanitize=fuzzer "$fuzz_probe/p.c" -o "$fuzz_probe/p" >/dev/null 2>&1; then
    echo "ci: 50-fuzz-parse skipped: clang with libFuzzer is not available"
else
    rm -rf build-ci-fuzz-parse
    if CC=clang meson setup build-ci-fuzz-parse -Dfuzz=true -Dtests=disabled \
            >build-ci-fuzz-parse.setup.log 2>&1 &&
        ninja -C build-ci-fuzz-parse tests/fuzz/fuzz_parse >build-ci-fuzz-parse.build.log 2>&1; then
        fuzz_corpus=$(mktemp -d)
        if (cd build-ci-fuzz-parse && ./tests/fuzz/fuzz_parse -max_total_time=60 \
                -print_final_stats=1 -dict=../tests/fuzz/parse.dict -artifact_prefix="$PWD/" \
                "$fuzz_corpus" ../tests/fuzz/corpus_parse) >build-ci-fuzz-parse/fuzz_parse.log 2>&1; then
            echo "ci: fuzz_parse 60 s: $(grep -E 'number_of_executed_units' build-ci-fuzz-parse/fuzz_parse.log)"
            passed=$((passed + 1))
        else
            tail -40 build-ci-fuzz-parse/fuzz_parse.log
            echo "ci: fuzz_parse found a failure (input saved in build-ci-fuzz-parse/)" >&2
            failed=$((failed + 1))
        fi
        rm -rf "$fuzz_corpus"
    else
        tail -20 build-ci-fuzz-parse.setup.log build-ci-fuzz-parse.build.log 2>/dev/null
        echo "ci: fuzz_parse did not build" >&2
        failed=$((failed + 1))
    fi
fi
rm -rf "$fuzz_probe"

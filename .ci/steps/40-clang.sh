# 40-clang.sh (sourced by .ci/run): the whole tree, tests included, built with clang and
# warnings as errors, and the test suite run on that build; then the fuzzing build a new user
# is told to make in the README (clang, -Dfuzz=true), which must compile too. gcc's build is
# .ci/run's step 1. Adds to $passed / $failed; never exits.

if ! command -v clang >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
    fi
fi

if ! command -v clang >/dev/null 2>&1; then
    echo "ci: clang is not installed" >&2
    failed=$((failed + 1))
else
    clang_saved_cc=${CC-}
    export CC=clang
    # 1. Everything with clang, -Werror (build() of .ci/run), and the suite on it.
    if build build-ci-clang; then
        run_suite build-ci-clang
    fi
    # 2. The README's fuzzing build: only whether it compiles, warning-free (the fuzzers run
    #    in steps 50 and 70). Skipped with a message where clang has no libFuzzer runtime.
    clang_probe=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$clang_probe/p.c"
    if ! clang -fsanitize=fuzzer "$clang_probe/p.c" -o "$clang_probe/p" >/dev/null 2>&1; then
        echo "ci: the clang fuzzing build is skipped: clang has no libFuzzer runtime here"
    elif build build-ci-clang-fuzz -Dfuzz=true; then
        echo "ci: clang -Dfuzz=true builds the whole tree without warnings"
        passed=$((passed + 1))
    fi
    rm -rf "$clang_probe"
    if [ -n "$clang_saved_cc" ]; then export CC=$clang_saved_cc; else unset CC; fi
fi

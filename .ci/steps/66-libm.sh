# 66-libm.sh: tapegrad's own math functions (ops/tg_libm*.c). Installs python3-mpmath (Debian)
# and regenerates tests/ops/libm_ref.h (the correctly rounded values test_libm asserts) and
# ops/tg_libm_{exp,erf,trig}_tables.h (the constants of tg_libm_exp.c and tg_libm_trig.c) with Debian's python3, and diffs them
# with the committed files: one pass or fail each. Then runs the native vs wasm32 comparison
# (meson test libm_wasm) in build-ci again, now that 65-playground has installed clang-14 and
# wasi-libc (in the first run it may have skipped). Sourced by .ci/run: no exit.

libm_step() {
    local dir=build-ci log=build-ci/libm-apt.log
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if ! /usr/bin/python3 -c 'import mpmath' >/dev/null 2>&1; then
        echo "ci: libm: installing python3-mpmath (apt-get)"
        $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq python3-mpmath >"$log" 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq python3-mpmath >>"$log" 2>&1; }
    fi
    if ! /usr/bin/python3 -c 'import mpmath' >/dev/null 2>&1; then
        echo "ci: libm: SKIPPED the regeneration: python3-mpmath is not installed and could not be (see $log)"
    else
        local generated=$dir/libm_ref.h
        if /usr/bin/python3 tests/ops/libm_ref.py "$generated" && cmp -s "$generated" tests/ops/libm_ref.h; then
            echo "ci: libm: tests/ops/libm_ref.h is what mpmath says ($(grep -c '^{' "$generated") rows)"
            passed=$((passed + 1))
        else
            echo "ci: libm: FAILED: tests/ops/libm_ref.h differs from libm_ref.py's output ($generated)"
            diff "$generated" tests/ops/libm_ref.h | head -10
            failed=$((failed + 1))
        fi
        local table
        for table in exp erf trig; do
            generated=$dir/tg_libm_${table}_tables.h
            if /usr/bin/python3 ops/tg_libm_${table}_tables.py >"$generated" &&
                cmp -s "$generated" ops/tg_libm_${table}_tables.h; then
                echo "ci: libm: ops/tg_libm_${table}_tables.h is what mpmath says"
                passed=$((passed + 1))
            else
                echo "ci: libm: FAILED: ops/tg_libm_${table}_tables.h differs from tg_libm_${table}_tables.py's output ($generated)"
                diff "$generated" ops/tg_libm_${table}_tables.h | head -10
                failed=$((failed + 1))
            fi
        done
    fi
    # Informational, not counted: the sampled published hard-to-round arguments
    # (tests/ops/libm_hard_cases.txt). Double-double (about 2^-102) cannot round all of them
    # correctly: those within ~2^-102 of a midpoint may come out one ulp off (a known limit).
    if [ -x "$dir/tests/ops/libm_bits" ] && /usr/bin/python3 -c 'import mpmath' >/dev/null 2>&1; then
        local f hard=$dir/libm_hard_dump.txt
        : >"$hard"
        for f in $(awk '!/^#/ {print $1}' tests/ops/libm_hard_cases.txt | sort -u); do
            awk -v f="$f" '$1 == f {print $2}' tests/ops/libm_hard_cases.txt |
                "$dir/tests/ops/libm_bits" - "$f" >>"$hard"
        done
        echo "ci: libm: (informational) published hard cases, correctly rounded:"
        /usr/bin/python3 tests/ops/libm_ref.py --check "$hard" | sed 's/^/  /'
    fi
    if [ -d "$dir" ]; then
        run_suite "$dir" libm_wasm
        grep -E 'points the same bits|SKIPPED|FAIL' "$dir/meson-logs/testlog.txt" | head -30
    fi
}
libm_step
unset -f libm_step

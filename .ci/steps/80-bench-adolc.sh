# 80-bench-adolc.sh: the benchmark's correctness run with ADOL-C as a peer. Installs ADOL-C
# (Debian package libadolc-dev, C++), configures a release build with -Dadolc=enabled and runs
# `bench check`: every workload of bench/ (W1, W3, W2 and their replay mode, for tapegrad,
# hand-C and ADOL-C) against WORKLOADS.md's exact results, replay against re-recording bit for
# bit, no allocation after the first step. Counts one pass or fail; when ADOL-C cannot be
# installed it says so and skips (counting nothing): the normal build's `bench check` (suite
# bench) still runs without it. Timings are not asserted anywhere. No -Dwerror here: warnings
# are judged by the normal build (step 1); -O3 adds format-truncation notes outside bench/.
# Sourced by .ci/run: no exit.

bench_adolc_step() {
    local dir=build-ci-bench sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ ! -f /usr/include/adolc/adolc.h ]; then
        echo "ci: bench-adolc: installing libadolc-dev (apt-get)"
        $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq libadolc-dev \
            >bench-adolc-apt.log 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq \
                  libadolc-dev >bench-adolc-apt.log 2>&1; }
    fi
    if [ ! -f /usr/include/adolc/adolc.h ]; then
        echo "ci: bench-adolc: SKIPPED: libadolc-dev is not installed and could not be (see bench-adolc-apt.log)"
        return
    fi
    rm -rf "$dir"
    if ! meson setup "$dir" -Dbuildtype=release -Dadolc=enabled \
            >"$dir.setup.log" 2>&1 || ! ninja -C "$dir" bench/bench >"$dir.build.log" 2>&1; then
        tail -30 "$dir.setup.log" "$dir.build.log" 2>/dev/null
        echo "ci: bench-adolc: FAILED: the bench with ADOL-C did not build"
        failed=$((failed + 1))
        return
    fi
    if "$dir/bench/bench" check >"$dir/bench-check.log" 2>&1; then
        echo "ci: bench-adolc: bench check with ADOL-C: $(grep -c '^ok' "$dir/bench-check.log") checks ok"
        passed=$((passed + 1))
    else
        grep -v '^ok' "$dir/bench-check.log" | tail -30
        echo "ci: bench-adolc: FAILED: bench check with ADOL-C (see $dir/bench-check.log)"
        failed=$((failed + 1))
    fi
}

bench_adolc_step

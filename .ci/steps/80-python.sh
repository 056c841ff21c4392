# 80-python.sh (sourced by .ci/run): the Python package (python/). Installs Python's headers,
# pytest, numpy, Graphviz's Python bindings, meson-python and Jupyter's nbconvert from Debian;
# builds the package and runs its tests (tests/python) in a normal build and under ASan+UBSan
# (the extension preloads gcc's libasan: tests/python/meson.build); checks `meson install` and
# `pip install .` (meson-python, offline); runs the moons notebook headless
# (demos/python/moons.ipynb, screenshot in build-ci-python/notebook/ when Chromium is there) and
# the W2 bench's bit-for-bit check. MICROGRAD_DIR, if set to a karpathy/micrograd checkout, adds
# the comparisons with the real micrograd. A part whose tools cannot be had is skipped with a
# message. Adds to $passed / $failed; never exits.

python_step() {
    local sudo="" dir=build-ci-python asan=build-ci-python-asan
    [ "$(id -u)" = 0 ] || sudo=sudo
    local want=(python3-dev python3-pytest python3-numpy python3-graphviz python3-mesonpy
                jupyter-nbconvert python3-nbconvert python3-ipykernel python3-matplotlib)
    local need=()
    for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
    if [ ${#need[@]} -gt 0 ]; then
        echo "ci: python: installing ${need[*]} (apt-get)"
        $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need[@]}" \
            >python-apt.log 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1
              for p in "${need[@]}"; do  # one by one: what can be had is installed
                  $sudo DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$p" \
                      >>python-apt.log 2>&1 || echo "ci: python: $p could not be installed"
              done; }
    fi
    local py=/usr/bin/python3
    [ -x "$py" ] || py=$(command -v python3)
    if [ -z "$py" ] || ! "$py" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
        echo "ci: python: SKIPPED: no python3 with its headers (python3-dev; see python-apt.log)"
        return
    fi
    local pydir
    pydir=$(dirname "$py")
    # meson finds python3 on PATH: make it the one the Debian packages were installed for
    local PATH="$pydir:$PATH"

    # 1. the package's tests, normal build and ASan/UBSan build
    if build "$dir" -Dpython=enabled -Dtests=disabled; then
        run_suite "$dir" --suite python
    fi
    if build "$asan" -Dpython=enabled -Dtests=disabled -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debug -Doptimization=1; then
        run_suite "$asan" --suite python --timeout-multiplier 4
    fi
    [ -f "$dir/build.ninja" ] || return

    # 2. meson install puts the package in site-packages under the prefix
    rm -rf "$dir/destdir"
    if meson install -C "$dir" --destdir "$PWD/$dir/destdir" >"$dir/install.log" 2>&1 &&
        found=$(find "$PWD/$dir/destdir" -name '_tapegrad*.so' -path '*-packages/tapegrad/*' | head -1) &&
        [ -n "$found" ] &&
        (cd / && PYTHONPATH="$(dirname "$(dirname "$found")")" "$py" -c \
            'import tapegrad; x = tapegrad.Value(3.0); y = x * x; y.backward(); assert x.grad == 6.0'); then
        echo "ci: python: meson install: ok (${found#"$PWD/$dir"/destdir})"
        passed=$((passed + 1))
    else
        echo "ci: python: FAILED: meson install does not give an importable package (see $dir/install.log)"
        failed=$((failed + 1))
    fi

    # 3. pip install . (meson-python, no network)
    if "$py" -c 'import mesonpy' 2>/dev/null; then
        rm -rf "$dir/pip-target"
        if timeout 900 "$py" -m pip install --no-build-isolation --no-deps --no-index \
                --config-settings=setup-args=-Dtests=disabled --target "$dir/pip-target" . \
                >"$dir/pip.log" 2>&1 &&
            (target="$PWD/$dir/pip-target" && cd / && PYTHONPATH="$target" "$py" -c \
                'import tapegrad.nn; assert tapegrad.nn.MLP(2, [3, 1])([1.0, 2.0]) is not None'); then
            echo "ci: python: pip install . (meson-python): ok"
            passed=$((passed + 1))
        else
            echo "ci: python: FAILED: pip install . (see $dir/pip.log)"
            failed=$((failed + 1))
        fi
    else
        echo "ci: python: pip install . SKIPPED: meson-python (python3-mesonpy) is not installed"
    fi

    # 4. the W2 bench: the step-0 loss bit for bit and the gradients (vs micrograd if given)
    if PYTHONPATH="$dir/python" timeout 900 "$py" bench/python/bench_w2.py --steps 10 \
            --micrograd-steps 2 >"$dir/bench_w2.json" 2>"$dir/bench_w2.log"; then
        echo "ci: python: bench W2: $(tail -1 "$dir/bench_w2.json")"
        passed=$((passed + 1))
    else
        echo "ci: python: FAILED: bench W2 (see $dir/bench_w2.log)"
        failed=$((failed + 1))
    fi

    # 5. the notebook, headless
    local rc=0
    PYTHONPATH="$PWD/$dir/python" timeout 900 "$py" tests/python/run_notebook.py \
        demos/python/moons.ipynb "$dir/notebook" >"$dir/notebook.log" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then
        echo "ci: python: notebook demos/python/moons.ipynb: ok"
        passed=$((passed + 1))
        local chromium_bin
        chromium_bin=$(command -v chromium 2>/dev/null)
        if [ -n "$chromium_bin" ]; then
            timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu \
                --screenshot="$PWD/$dir/notebook/moons.png" --window-size=1100,8000 \
                "file://$PWD/$dir/notebook/moons.html" >/dev/null 2>&1 &&
                echo "ci: python: notebook screenshot in $dir/notebook/moons.png"
        fi
    elif [ "$rc" = 77 ]; then
        echo "ci: python: notebook SKIPPED: $(grep SKIPPED "$dir/notebook.log")"
    else
        echo "ci: python: FAILED: notebook (see $dir/notebook.log)"
        grep -E 'notebook: FAILED' "$dir/notebook.log"
        failed=$((failed + 1))
    fi
}
python_step
unset -f python_step

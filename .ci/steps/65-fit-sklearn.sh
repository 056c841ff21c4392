# 65-fit-sklearn.sh: fit against scikit-learn's MLPClassifier on iris, wine and breast cancer
# (bench/sklearn/compare.py, a short version: 2 seeds, 100 epochs; about a minute). Installs
# Debian's python3-sklearn; when it cannot be had, says so and counts nothing. Counts one pass
# when the comparison runs and tapegrad's mean test accuracy is within 3 points of
# scikit-learn's on every table (the short run is noisier than bench/README.md's 5 seeds x 200
# epochs, whose goal is 1 point); the table is printed and kept in build-ci/fit-sklearn.md.
# Sourced by .ci/run: no exit.

fit_sklearn_step() {
    local dir=build-ci fit=build-ci/demos/train/fit py=/usr/bin/python3
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ ! -x "$fit" ]; then
        echo "ci: fit-sklearn: FAILED: $fit was not built"
        failed=$((failed + 1))
        return
    fi
    [ -x "$py" ] || py=$(command -v python3)
    if ! "$py" -c 'import sklearn' >/dev/null 2>&1; then
        echo "ci: fit-sklearn: installing python3-sklearn (apt-get)"
        $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq python3-sklearn \
            >"$dir/fit-sklearn-apt.log" 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq \
                  python3-sklearn >"$dir/fit-sklearn-apt.log" 2>&1; }
        py=/usr/bin/python3
    fi
    if ! "$py" -c 'import sklearn' >/dev/null 2>&1; then
        echo "ci: fit-sklearn: skipped: python3-sklearn is not available"
        return
    fi
    if ! timeout 600 "$py" bench/sklearn/compare.py "$fit" --seeds 2 --epochs 100 \
        >"$dir/fit-sklearn.md" 2>&1; then
        cat "$dir/fit-sklearn.md"
        echo "ci: fit-sklearn: FAILED: the comparison did not run"
        failed=$((failed + 1))
        return
    fi
    cat "$dir/fit-sklearn.md"
    # column 6 is "difference (points)", tapegrad minus scikit-learn
    if awk -F'|' '$2 ~ /iris|wine|breast/ { n++; if ($6 + 0 < -3) bad = 1 } END { exit bad || n != 3 }' \
        "$dir/fit-sklearn.md"; then
        echo "ci: fit-sklearn: passed (accuracy within 3 points on every table)"
        passed=$((passed + 1))
    else
        echo "ci: fit-sklearn: FAILED: tapegrad's accuracy is more than 3 points below"
        failed=$((failed + 1))
    fi
}
fit_sklearn_step

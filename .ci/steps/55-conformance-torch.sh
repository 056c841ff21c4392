# 55-conformance-torch.sh (sourced by .ci/run): the random-program conformance test
# (tests/cli/conformance/fuzz.py) with its PyTorch differential: every program is run by tapegrad,
# by the Python reference written from the contract, by finite differences and by PyTorch
# (Debian's python3-torch, float64). The meson suite runs the same generator without torch.
# Counts one pass or one fail; skipped, with a message, if python3-torch cannot be installed.
# Adds to $passed / $failed; never exits.

conformance_torch_step() {
    local sudo="" exe=build-ci/cli/tapegrad log=build-ci/conformance-torch.log
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ ! -x "$exe" ]; then
        echo "ci: conformance-torch: FAILED: $exe was not built"
        failed=$((failed + 1))
        return
    fi
    if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
        echo "ci: conformance-torch: installing python3-torch (apt-get)"
        $sudo DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq python3-torch \
            >build-ci/conformance-torch-apt.log 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq \
                  python3-torch >build-ci/conformance-torch-apt.log 2>&1; }
    fi
    if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
        echo "ci: conformance-torch skipped: python3-torch is not available"
        return
    fi
    if (cd tests/cli/conformance && /usr/bin/python3 fuzz.py "../../../$exe" --count 2000 \
            --torch --no-shrink --max-seconds 600) >"$log" 2>&1; then
        echo "ci: conformance-torch: $(grep -E '^torch compared|^[0-9]+ passed' "$log" | tr '\n' ' ')"
        passed=$((passed + 1))
    else
        tail -30 "$log"
        echo "ci: conformance-torch: FAILED (see $log)" >&2
        failed=$((failed + 1))
    fi
}
conformance_torch_step

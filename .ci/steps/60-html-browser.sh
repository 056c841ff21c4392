# 60-html-browser.sh: the HTML stepper (`tapegrad --html`) in a real browser. Writes the page of
# the apple/orange example (tests/trace/apple_orange_page), opens it in headless Chromium (Debian
# package chromium) driven by playwright-core (npm), presses ArrowRight through every step and
# checks the seed's gradients on the page (tests/trace/html_browser.js); then the pages of the
# programs in tests/trace/pages/ (21, 63 and 297 nodes) at 1400x900: stepping, the current
# step's nodes in view with readable text, the log panel scrolling, Fit and 1:1
# (tests/trace/html_sizes.js). Screenshots in build-ci/html-browser/. Counts one pass or fail
# for each of the two; skips (counting nothing) when Chromium, Node.js or playwright-core cannot
# be installed. Sourced by .ci/run: no exit.

html_browser_step() {
    local dir=build-ci work=build-ci/html-browser
    local page_prog=$dir/tests/trace/apple_orange_page
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ ! -x "$page_prog" ]; then
        echo "ci: html-browser: FAILED: $page_prog was not built"
        failed=$((failed + 1))
        return
    fi
    local need=()
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    command -v node >/dev/null 2>&1 || need+=(nodejs)
    command -v npm >/dev/null 2>&1 || need+=(npm)
    if [ ${#need[@]} -gt 0 ]; then
        echo "ci: html-browser: installing ${need[*]} (apt-get)"
        $sudo timeout 900 apt-get install -y -qq "${need[@]}" >"$dir/html-browser-apt.log" 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need[@]}" \
                  >"$dir/html-browser-apt.log" 2>&1; }
    fi
    local chromium_bin
    chromium_bin=$(command -v chromium 2>/dev/null)
    if [ -z "$chromium_bin" ] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "ci: html-browser: SKIPPED: Chromium or Node.js/npm is not installed and could not be (see $dir/html-browser-apt.log)"
        return
    fi
    mkdir -p "$work"
    if [ ! -d "$work/node_modules/playwright-core" ] &&
        ! (cd "$work" && timeout 300 npm install --no-audit --no-fund --silent playwright-core@1 >npm.log 2>&1); then
        echo "ci: html-browser: SKIPPED: npm could not install playwright-core (see $work/npm.log)"
        return
    fi
    if ! "$page_prog" "$work/apple_orange.html"; then
        echo "ci: html-browser: FAILED: could not write the page"
        failed=$((failed + 1))
        return
    fi
    if NODE_PATH="$PWD/$work/node_modules" timeout 300 node tests/trace/html_browser.js \
        "$work/apple_orange.html" "$work/apple_orange.png" "$chromium_bin"; then
        passed=$((passed + 1))
    else
        echo "ci: html-browser: FAILED (page: $work/apple_orange.html)"
        failed=$((failed + 1))
    fi
    # The three sizes of a lecture: 21, 63 and 297 nodes.
    # stepper_page writes the stepping page whatever --html writes in this build (the live page
    # of cli/play when the wasm engine is built).
    local tg=$dir/tests/trace/stepper_page pages=tests/trace/pages
    local mlp_inputs="x1=0.5 x2=-1.5 c=0.1 t=1 w11=-0.73 w12=0.69 b1=0.26 v1=-0.49 w21=-0.01
        w22=-0.10 b2=0.15 v2=0.58 w31=-0.81 w32=-0.94 b3=0.34 v3=-0.13 w41=0.52 w42=-1.00
        b4=-0.05 v4=0.44 w51=-0.54 w52=0.89 b5=0.40 v5=-0.94"
    # shellcheck disable=SC2086 # the inputs are separate words
    if ! "$tg" "$work/chain_6.html" $pages/chain_6.tg x=0.5 ||
        ! "$tg" "$work/mlp_2_5_1.html" $pages/mlp_2_5_1.tg $mlp_inputs ||
        ! "$tg" "$work/chain_75.html" $pages/chain_75.tg x=0.5; then
        echo "ci: html-browser: FAILED: could not write the pages of $pages"
        failed=$((failed + 1))
    elif NODE_PATH="$PWD/$work/node_modules" timeout 600 node tests/trace/html_sizes.js \
        "$work/" "$chromium_bin" "$work/chain_6.html" "$work/mlp_2_5_1.html" "$work/chain_75.html"; then
        passed=$((passed + 1))
    else
        echo "ci: html-browser: sizes FAILED (pages and screenshots in $work)"
        failed=$((failed + 1))
    fi
}
html_browser_step
unset -f html_browser_step

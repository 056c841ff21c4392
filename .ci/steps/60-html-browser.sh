# 60-html-browser.sh: the HTML stepper (`tapegrad --html`) in a real browser. Writes the page of
# the apple/orange example (tests/trace/apple_orange_page), opens it in headless Chromium (Debian
# package chromium) driven by playwright-core (npm), presses ArrowRight through every step and
# checks the seed's gradients on the page (tests/trace/html_browser.js); screenshot in
# build-ci/html-browser/. Counts one pass or fail; skips (counting nothing) when Chromium,
# Node.js or playwright-core cannot be installed. Sourced by .ci/run: no exit.

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
}
html_browser_step
unset -f html_browser_step

# 65-playground.sh: the live page (cli/play: the engine compiled to WebAssembly, --html,
# --playground) in real browsers. Installs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32
# (the wasm toolchain), builds build-ci-play with -Dwasm=enabled and runs its play suite (the
# wasm engine against the native command under Node.js), then tests/play/play_browser.js in
# headless Chromium (playwright-core) and, where it installs, Firefox ESR (puppeteer-core,
# WebDriver BiDi): the conformance programs through window.tapegrad.run bit for bit, typing,
# steps, the caret, practice mode, links, recompute time and screenshots at 20, 65 and 300
# nodes (build-ci-play/play-browser/BROWSER/). Counts one pass or fail per part; skips a part,
# with a message, when what it needs cannot be installed. Sourced by .ci/run: no exit.

playground_step() {
    local dir=build-ci-play work=build-ci-play/play-browser log=build-ci-play-apt.log
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    apt_get() {
        $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "$@" >>"$log" 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "$@" >>"$log" 2>&1; }
    }
    local need=() p
    for p in clang-14 lld wasi-libc libclang-rt-14-dev-wasm32; do
        dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] || { echo "ci: playground: installing ${need[*]} (apt-get)"; apt_get "${need[@]}"; }
    if ! echo 'int main(void){return 0;}' | clang-14 --target=wasm32-wasi -x c - -o /dev/null >/dev/null 2>&1; then
        echo "ci: playground: SKIPPED: clang-14 cannot build for wasm32-wasi (see $log)"
        return
    fi
    if ! build "$dir" -Dwasm=enabled; then
        echo "ci: playground: FAILED: the build with -Dwasm=enabled"
        return
    fi
    run_suite "$dir" --suite play
    local exe=$dir/cli/tapegrad
    if "$exe" --playground "$dir/playground.html" && grep -q 'id="tapegrad-wasm"' "$dir/playground.html" &&
        ! grep -Eq '(src|href)="(https?:)?//' "$dir/playground.html"; then
        echo "ci: playground: --playground wrote $(wc -c <"$dir/playground.html") bytes, no external URL"
        passed=$((passed + 1))
    else
        echo "ci: playground: FAILED: --playground's page"
        failed=$((failed + 1))
    fi

    need=()
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    command -v node >/dev/null 2>&1 || need+=(nodejs)
    command -v npm >/dev/null 2>&1 || need+=(npm)
    [ ${#need[@]} -eq 0 ] || { echo "ci: playground: installing ${need[*]} (apt-get)"; apt_get "${need[@]}"; }
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "ci: playground: SKIPPED the browsers: Node.js/npm is not installed and could not be"
        return
    fi
    mkdir -p "$work"
    [ -d "$work/node_modules/playwright-core" ] ||
        (cd "$work" && timeout 300 npm install --no-audit --no-fund --silent playwright-core@1 >npm.log 2>&1)
    [ -d "$work/node_modules/puppeteer-core" ] ||
        (cd "$work" && timeout 300 npm install --no-audit --no-fund --silent puppeteer-core@24 >>npm.log 2>&1)
    python3 tests/play/dump_cases.py "$exe" "$work/cases.json" >"$work/cases.log" 2>&1
    local browser bin module
    for browser in chromium firefox; do
        if [ $browser = chromium ]; then bin=$(command -v chromium); module=playwright-core
        else
            command -v firefox-esr >/dev/null 2>&1 || apt_get firefox-esr
            bin=$(command -v firefox-esr); module=puppeteer-core
        fi
        if [ -z "$bin" ]; then
            echo "ci: playground: SKIPPED $browser: it is not installed and could not be (see $log)"
            continue
        fi
        if [ ! -d "$work/node_modules/$module" ]; then
            echo "ci: playground: SKIPPED $browser: npm could not install $module (see $work/npm.log)"
            continue
        fi
        if NODE_PATH="$PWD/$work/node_modules" timeout 600 node tests/play/play_browser.js $browser "$exe" \
            "$work/cases.json" "$work/$browser" "$bin" >"$work/$browser.log" 2>&1; then
            passed=$((passed + 1))
            grep -E '^ +' "$work/$browser.log"
        else
            echo "ci: playground: FAILED in $browser (log: $work/$browser.log)"
            grep -E '^(FAIL| +)' "$work/$browser.log" | head -20
            failed=$((failed + 1))
        fi
    done
    unset -f apt_get
}
playground_step
unset -f playground_step

// html_browser.js: opens the HTML stepper of the apple/orange example in headless Chromium,
// presses ArrowRight through every backward step, checks the final gradients shown on the page
// against the seed's (2.2, 110, 3.3, 165, 650, 1.1), checks ArrowLeft goes back, and saves a
// screenshot. Run by .ci/steps/60-html-browser.sh:
//   NODE_PATH=DIR/node_modules node html_browser.js PAGE.html SHOT.png [CHROMIUM]
// Prints "html-browser: ok" and exits 0, or prints what is wrong and exits 1.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

const [page_file, shot_file, exe = '/usr/bin/chromium'] = process.argv.slice(2);
// The seed's gradients (document 002), by node label.
const expected = {
    apple: '2.2', apple_num: '110', orange: '3.3', orange_num: '165', tax: '650',
    all_price: '1.1', apple_price: '1.1', orange_price: '1.1', price: '1',
};

async function main() {
    const browser = await chromium.launch({
        executablePath: exe,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const problems = [];
    try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
        page.on('pageerror', (e) => problems.push('page error: ' + e.message));
        // The page must need nothing from the network: fail any request that is not the file.
        await page.route('**/*', (route) => {
            if (route.request().url().startsWith('file:')) return route.continue();
            problems.push('network request: ' + route.request().url());
            return route.abort();
        });
        await page.goto('file://' + path.resolve(page_file));
        const n_steps = await page.evaluate(
            () => JSON.parse(document.getElementById('tapegrad-data').textContent).steps.length);
        if (n_steps !== 8) problems.push(`expected 8 steps, the page has ${n_steps}`);
        for (let i = 0; i < n_steps; i++) {
            await page.keyboard.press('ArrowRight');
            const step = await page.getAttribute('body', 'data-step');
            if (step !== String(i + 1)) problems.push(`after ${i + 1} presses the page is at step ${step}`);
        }
        // One more press stays at the end.
        await page.keyboard.press('ArrowRight');
        if ((await page.getAttribute('body', 'data-done')) !== 'true') problems.push('not done at the end');
        // What the page shows: each node's gradient text and its data-grad attribute.
        const shown = await page.evaluate(() => {
            const out = {};
            document.querySelectorAll('g.node').forEach((g) => {
                const t = g.querySelector('.grad');
                out[g.getAttribute('data-label')] = { attr: g.getAttribute('data-grad'),
                                                      text: t ? t.textContent : null };
            });
            return out;
        });
        for (const [label, grad] of Object.entries(expected)) {
            const s = shown[label];
            if (!s) { problems.push(`node ${label} is not on the page`); continue; }
            if (s.attr !== grad || s.text !== 'grad ' + grad)
                problems.push(`${label}: page shows ${JSON.stringify(s)}, seed says ${grad}`);
        }
        const formula = await page.textContent('#formula');
        if (!formula.includes('dL/d(apple_num) += dL/d(apple_price) * d(a*b)/db = 1.1 * 100 = 110'))
            problems.push('last formula shown: ' + formula);
        await page.screenshot({ path: shot_file, fullPage: true });
        // ArrowLeft steps back: at step 7, apple_num has no gradient yet.
        await page.keyboard.press('ArrowLeft');
        const back = await page.evaluate(() => [document.body.getAttribute('data-step'),
            document.querySelector('g.node[data-label="apple_num"]').getAttribute('data-grad')]);
        if (back[0] !== '7' || back[1] !== null) problems.push('ArrowLeft: ' + JSON.stringify(back));
    } finally {
        await browser.close();
    }
    if (problems.length) {
        for (const p of problems) console.log('html-browser: ' + p);
        process.exit(1);
    }
    console.log('html-browser: ok (8 steps, gradients 2.2 110 3.3 165 650 1.1 shown; ' +
                'screenshot ' + shot_file + ')');
}

main().catch((e) => { console.log('html-browser: ' + e.message); process.exit(1); });

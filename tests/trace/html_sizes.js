// html_sizes.js: the stepping page (`tapegrad --html`) at the sizes a lecture has, in headless
// Chromium at 1400x900 (a projector): for each page given, checks that stepping works (Next,
// ArrowRight, End, Home, a click in the step log), that after each step checked the current
// step's two nodes are inside the visible graph view and drawn with text of at least 12 px, that
// the page itself does not scroll while the step log scrolls in its own panel to the current
// line, that Fit shows the whole graph and 1:1 shows text at its size, and that no node boxes
// overlap, and that the graph view works on its own in another container (tapegradGraph.render,
// as the playground uses it); saves screenshots (start, a middle step, fit) next to SHOT_PREFIX. Run by
// .ci/steps/60-html-browser.sh:
//   NODE_PATH=DIR/node_modules node html_sizes.js SHOT_PREFIX CHROMIUM PAGE.html...
// Prints "html-sizes: ok ..." and exits 0, or prints what is wrong and exits 1.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

const [shot_prefix, exe, ...pages] = process.argv.slice(2);

// Where the current step's nodes are on the screen, and how large their text is drawn.
function currentStepGeometry() {
    const wrap = document.getElementById('graphwrap').getBoundingClientRect();
    const out = { wrap: [wrap.left, wrap.top, wrap.right, wrap.bottom], nodes: [] };
    document.querySelectorAll('g.node.at, g.node.to').forEach((g) => {
        const r = g.querySelector('rect').getBoundingClientRect();
        const label = g.querySelector('.label').getBoundingClientRect();
        const grad = g.querySelector('.grad');
        out.nodes.push({ label: g.getAttribute('data-label'), box: [r.left, r.top, r.right, r.bottom],
                         to: g.classList.contains('to'),
                         textPx: (grad || g.querySelector('.label')).getBoundingClientRect().height,
                         labelPx: label.height });
    });
    const log = document.getElementById('log'), cur = log.querySelector('.cur');
    out.log = { scrollTop: log.scrollTop, scrollHeight: log.scrollHeight, clientHeight: log.clientHeight };
    if (cur) {
        const c = cur.getBoundingClientRect(), l = log.getBoundingClientRect();
        out.log.curVisible = c.top >= l.top - 1 && c.bottom <= l.bottom + 1;
    }
    out.pageScrolls = document.documentElement.scrollHeight > window.innerHeight + 1;
    return out;
}

// Pairs of node boxes that overlap (in the graph's own coordinates), and text wider than its box.
function overlappingNodes() {
    const boxes = [...document.querySelectorAll('g.node')].map((g) => {
        const b = g.querySelector('rect').getBBox(), m = g.transform.baseVal.consolidate().matrix;
        return { label: g.getAttribute('data-label'), x0: m.e + b.x, y0: m.f + b.y,
                 x1: m.e + b.x + b.width, y1: m.f + b.y + b.height };
    });
    const bad = [];
    // and no text runs out of its own box
    document.querySelectorAll('g.node').forEach((g) => {
        const r = g.querySelector('rect').getBBox();
        g.querySelectorAll('text').forEach((t) => {
            const b = t.getBBox();
            if (b.x < r.x - 0.5 || b.x + b.width > r.x + r.width + 0.5)
                bad.push(`text "${t.textContent}" runs out of its box`);
        });
    });
    for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) bad.push(a.label + ' / ' + b.label);
        }
    return bad;
}

async function checkPage(browser, file, problems) {
    const name = path.basename(file, '.html');
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
    await page.route('**/*', (route) => {
        if (route.request().url().startsWith('file:')) return route.continue();
        problems.push(`${name}: network request: ${route.request().url()}`);
        return route.abort();
    });
    await page.goto('file://' + path.resolve(file));
    const info = await page.evaluate(() => {
        const d = JSON.parse(document.getElementById('tapegrad-data').textContent);
        return { nodes: d.nodes.length, steps: d.steps.length };
    });
    const overlaps = await page.evaluate(overlappingNodes);
    if (overlaps.length) problems.push(`${name}: overlaps: ${overlaps.slice(0, 5).join(', ')}`);
    await page.screenshot({ path: `${shot_prefix}${name}-start.png` });
    const checkAt = (k) => k === 1 || k === info.steps || k === Math.ceil(info.steps / 2) ||
                           k % Math.max(1, Math.floor(info.steps / 8)) === 0;
    for (let k = 1; k <= info.steps; k++) {
        await page.keyboard.press('ArrowRight');
        if (!checkAt(k)) continue;
        const step = await page.getAttribute('body', 'data-step');
        if (step !== String(k)) { problems.push(`${name}: after ${k} presses at step ${step}`); break; }
        const g = await page.evaluate(currentStepGeometry);
        if (g.nodes.length < 1) problems.push(`${name}: step ${k}: no highlighted node`);
        // Both of the step's nodes must be in view when they fit in it together; else the one
        // that receives the gradient (the other is at the far end of the highlighted edge).
        const [wl, wt, wr, wb] = g.wrap;
        const both = g.nodes.length === 2 &&
            Math.max(g.nodes[0].box[2], g.nodes[1].box[2]) - Math.min(g.nodes[0].box[0], g.nodes[1].box[0]) <= wr - wl - 80 &&
            Math.max(g.nodes[0].box[3], g.nodes[1].box[3]) - Math.min(g.nodes[0].box[1], g.nodes[1].box[1]) <= wb - wt - 80;
        for (const n of g.nodes) {
            const [l, t, r, b] = n.box;
            if ((both || n.to) && (l < wl - 1 || t < wt - 1 || r > wr + 1 || b > wb + 1))
                problems.push(`${name}: step ${k}: node ${n.label} at ${n.box.map(Math.round)} is outside the view ${g.wrap.map(Math.round)}`);
            if (n.textPx < 12) problems.push(`${name}: step ${k}: node ${n.label} text is ${n.textPx.toFixed(1)} px`);
        }
        if (g.pageScrolls) problems.push(`${name}: the page itself scrolls`);
        if (g.log.curVisible === false) problems.push(`${name}: step ${k}: the current log line is not in the log panel's view`);
        if (k === Math.ceil(info.steps / 2)) await page.screenshot({ path: `${shot_prefix}${name}-middle.png` });
    }
    if ((await page.getAttribute('body', 'data-done')) !== 'true') problems.push(`${name}: not done at the end`);
    const logInfo = await page.evaluate(currentStepGeometry);
    if (info.steps > 40 && !(logInfo.log.scrollHeight > logInfo.log.clientHeight && logInfo.log.scrollTop > 0))
        problems.push(`${name}: the step log does not scroll in its panel: ${JSON.stringify(logInfo.log)}`);
    await page.keyboard.press('Home');
    if ((await page.getAttribute('body', 'data-step')) !== '0') problems.push(`${name}: Home does not go to step 0`);
    await page.click('#next');
    if ((await page.getAttribute('body', 'data-step')) !== '1') problems.push(`${name}: Next does not step`);
    // A click on a line of the log goes to that step.
    const target = Math.min(3, info.steps);
    await page.evaluate((j) => document.querySelectorAll('#log div')[j - 1].click(), target);
    if ((await page.getAttribute('body', 'data-step')) !== String(target)) problems.push(`${name}: a click in the log does not go to its step`);
    // Fit: the whole graph inside the view; 1:1: scale 1.
    await page.click('#fit');
    const fitted = await page.evaluate(() => {
        const w = document.getElementById('graphwrap').getBoundingClientRect();
        const g = document.querySelector('#graphwrap svg > g').getBoundingClientRect();
        return g.left >= w.left - 2 && g.top >= w.top - 2 && g.right <= w.right + 2 && g.bottom <= w.bottom + 2;
    });
    if (!fitted) problems.push(`${name}: Fit does not show the whole graph`);
    await page.screenshot({ path: `${shot_prefix}${name}-fit.png` });
    await page.click('#one');
    const scale = await page.evaluate(() => window.tapegradPage.view.scale());
    if (scale !== 1) problems.push(`${name}: 1:1 gives scale ${scale}`);
    // The graph view on its own, as another page (the playground) uses it: a second view of
    // the same data in a new container steps independently and goes away on destroy().
    const embedded = await page.evaluate(() => {
        const box = document.createElement('div');
        box.style.cssText = 'position:fixed;left:0;top:0;width:600px;height:400px';
        document.body.appendChild(box);
        const data = JSON.parse(document.getElementById('tapegrad-data').textContent);
        const v = window.tapegradGraph.render(data, box);
        const k = v.step(2), marked = box.querySelectorAll('g.node.at, g.node.to').length;
        const over = v.step(v.nSteps + 5);
        v.destroy();
        const left = box.querySelectorAll('svg').length;
        box.remove();
        return { k, marked, over, n: v.nSteps, left };
    });
    if (embedded.k !== Math.min(2, info.steps) || (info.steps > 0 && embedded.marked < 1) ||
        embedded.over !== info.steps || embedded.left !== 0)
        problems.push(`${name}: the graph view on its own: ${JSON.stringify(embedded)}`);
    await page.close();
    return `${name} (${info.nodes} nodes, ${info.steps} steps)`;
}

async function main() {
    const browser = await chromium.launch({
        executablePath: exe,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const problems = [], done = [];
    try {
        for (const file of pages) done.push(await checkPage(browser, file, problems));
    } finally {
        await browser.close();
    }
    if (problems.length) {
        for (const p of problems.slice(0, 40)) console.log('html-sizes: ' + p);
        process.exit(1);
    }
    console.log(`html-sizes: ok: ${done.join(', ')}; screenshots ${shot_prefix}*.png`);
}

main().catch((e) => { console.log('html-sizes: ' + e.message); process.exit(1); });

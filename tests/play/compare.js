/* compare.js: is the engine in the page (wasm) the command, bit for bit? compareRun(row, got)
 * takes a row of dump_cases.py (the native command's exit code, stdout, first stderr line) and
 * what window.tapegrad.run (or engine.js) gave, and returns "exact", {libm: ulps} when only
 * numbers differ (in the result or in an error message that quotes a value), by a few ulps, in
 * a program that raises to a power, or a description of the difference. Every other function
 * is tapegrad's own correctly rounded one (ops/tg_libm.h), the same bits in both builds; pow is
 * the C library's, the same ARM code in glibc and musl, but glibc picks an FMA variant on CPUs
 * that have FMA, which rounds about 1 result in 1,500 differently. Used by play_browser.js and
 * engine_check.js. */
"use strict";
const LIBM = /\bpow\b|\^|\*\*/;
function ulps(a, b) {
  const f = new Float64Array([a, b]), i = new BigInt64Array(f.buffer);
  const d = i[0] - i[1];
  return Number(d < 0n ? -d : d);
}
/* The same message but for numbers that differ by a few ulps (a value a message quotes)? */
const NUM = /-?\d+\.\d+(?:e[+-]?\d+)?/g;
function sameButNumbers(a, b) {
  if (typeof a !== "string" || a.replace(NUM, "#") !== b.replace(NUM, "#")) return null;
  const x = a.match(NUM) || [], y = b.match(NUM) || [];
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const u = Number(x[i]), v = Number(y[i]);
    if (Math.abs(u - v) > 1e-9 * Math.max(Math.abs(v), 1e-300)) return null;
    worst = Math.max(worst, ulps(u, v));
  }
  return worst;
}
function compareRun(row, got) {
  if (row.code === 2) {
    if (got.error === row.stderr_first) return "exact";
    const w = LIBM.test(row.program) ? sameButNumbers(got.error, row.stderr_first) : null;
    return w !== null ? { libm: w } : "error message: " + JSON.stringify(got) + " vs " + row.stderr_first;
  }
  const want = JSON.parse(row.stdout);
  if (got.error) return "gave an error: " + got.error;
  const wk = Object.keys(want.grad), gk = Object.keys(got.grad || {});
  if (Object.keys(got).join() !== Object.keys(want).join() || wk.join() !== gk.join()) return "keys " + JSON.stringify(got);
  const pairs = [[got.value, want.value]].concat(wk.map((k) => [got.grad[k], want.grad[k]]));
  if (pairs.every(([g, w]) => Object.is(g, w))) return "exact";
  const worst = Math.max.apply(null, pairs.map(([g, w]) => Object.is(g, w) ? 0 : ulps(g, w)));
  const rel = Math.max.apply(null, pairs.map(([g, w]) => Math.abs(g - w) / Math.max(Math.abs(w), 1e-300)));
  if (LIBM.test(row.program) && rel < 1e-9) return { libm: worst };
  return "numbers differ by " + worst + " ulps: " + JSON.stringify(got) + " vs " + row.stdout.trim();
}

module.exports = { compareRun, ulps };

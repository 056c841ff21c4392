#!/usr/bin/env node
/* engine_check.js: tapegrad.wasm through engine.js under Node.js (no browser): every program of
 * CASES.json (dump_cases.py) through the command in wasm, compared with the native command's
 * --json, exit code and first error line; then the trace's JSON and its local derivatives
 * against the command's --trace numbers for a few programs. Prints "N passed, N failed".
 * usage: node engine_check.js ENGINE.js TAPEGRAD.wasm CASES.json */
"use strict";
const fs = require("fs");
const { compareRun } = require("./compare.js");
const [enginePath, wasmPath, casesPath] = process.argv.slice(2);
const tapegradEngine = require(require("path").resolve(enginePath));
let passed = 0, failed = 0;
function check(name, ok, detail) {
  ok ? passed++ : failed++;
  console.log((ok ? "ok   " : "FAIL ") + name + (detail ? " (" + detail + ")" : ""));
}
tapegradEngine(fs.readFileSync(wasmPath)).then((e) => {
  const rows = JSON.parse(fs.readFileSync(casesPath, "utf8"));
  let exact = 0, libm = 0, worst = 0;
  const bad = [];
  rows.forEach((r) => {
    const w = e.command(["--json", "--", r.program].concat(r.inputs.map((kv) => kv[0] + "=" + kv[1])));
    const got = w.code === 0 || w.code === 1 ? JSON.parse(w.stdout) : { error: w.stderr.split("\n")[0] };
    const v = compareRun(r, got);
    if (w.code !== r.code) bad.push(r.id + ": exit " + w.code + " vs " + r.code);
    else if (v === "exact") exact++;
    else if (v.libm !== undefined) { libm++; worst = Math.max(worst, v.libm); }
    else bad.push(r.id + ": " + v);
  });
  check("the wasm command equals the native one on " + rows.length + " conformance programs", bad.length === 0, bad.slice(0, 3).join("; "));
  console.log("     bit for bit: " + exact + "; " + libm + " raise to a power and differ in the C library's pow only (glibc's FMA variant), by at most " + worst + " ulps");
  /* x*y at x=2, y=3: d(a*b)/da = b = 3, d(a*b)/db = a = 2; sin at 0.5: cos(0.5) */
  const t = e.trace("z = x*y\nsin(z)", ["x=2", "y=3"]);
  const mul = t.trace.nodes.find((n) => n.op === "mul"), sin = t.trace.nodes.find((n) => n.op === "sin");
  check("the trace's local derivatives: d(x*y)/dx = y, d(x*y)/dy = x", t.local[mul.id][0] === 3 && t.local[mul.id][1] === 2, JSON.stringify(t.local));
  check("the trace's local derivative of sin is cos", Math.abs(t.local[sin.id][0] - Math.cos(6)) < 1e-15, String(t.local[sin.id][0]));
  check("the trace's steps end at the inputs with the gradients", t.trace.nodes[0].grad === 3 * Math.cos(6) || Math.abs(t.trace.nodes[0].grad - 3 * Math.cos(6)) < 1e-15);
  const deep = e.command(["--json", "--", "(".repeat(3000) + "x" + ")".repeat(3000), "x=2"]);
  check("3000 nested parentheses fit the wasm stack", deep.code === 0 && JSON.parse(deep.stdout).value === 2, deep.stderr);
  /* the numbers alone (an input moved) are the trace's numbers */
  let same = 0, diff = [];
  rows.filter((r) => r.code === 0).slice(0, 120).forEach((r) => {
    const args = r.inputs.map((kv) => kv[0] + "=" + kv[1]), t = e.trace(r.program, args), N = e.numbers(r.program, args);
    if (!t || !N) return;
    t.trace.nodes.forEach((n) => {
      const v = N.n[n.id];
      if (v[1] === n.value_s && v[3] === n.grad_s && Object.is(v[0], n.value) && Object.is(v[2], n.grad)) same++;
      else diff.push(r.id + " node " + n.id + ": " + JSON.stringify(v) + " vs " + n.value_s + "/" + n.grad_s);
    });
    t.trace.steps.forEach((s) => {
      const c = N.s[s.at][s.k];
      if (c[1] === s.contribution_s && c[2] === s.acc_s && Object.is(c[3], t.local[s.at][s.k])) same++;
      else diff.push(r.id + " step " + s.at + ":" + s.k + ": " + JSON.stringify(c) + " vs " + s.contribution_s + "/" + s.acc_s);
    });
  });
  check("tgw_numbers gives the trace's numbers (" + same + " nodes and steps)", same > 100 && diff.length === 0, diff.slice(0, 3).join("; "));
  const flat = Array(6000).fill("x").join("+");
  const big = e.command(["--json", "--", flat, "x=1"]);
  check("a 6000-term sum: the command gives its value and gradient, the trace declines to draw it",
        big.code === 0 && JSON.parse(big.stdout).grad.x === 6000 && e.trace(flat, ["x=1"]) === null, big.stderr);
  const after = e.command(["--json", "--", "x*x", "x=3"]);
  check("the engine still works after a deep program", after.code === 0 && JSON.parse(after.stdout).grad.x === 6);
  console.log(passed + " passed, " + failed + " failed");
  process.exit(failed ? 1 : 0);
});

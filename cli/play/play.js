/* play.js: the live page. Every number it shows comes from the engine (engine.js over
 * tapegrad.wasm, the command's own C): the value and gradients from `--json`, the trace text
 * from `--trace`, the graph and the steps from the trace's JSON, the checks from `--check` and
 * `--expect`, and the practice mode's answers are evaluated by the engine too. This file keeps
 * the state (program, inputs, step; mirrored in the URL fragment), lays out the panels and
 * defines window.tapegrad = {run, ready, version} for scripts that embed the page. */
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var M = tapegradMath;
  var engine = null, graph = null;
  var S = { program: "", inputs: [], step: 0, practice: null, answered: {}, trace: null,
            local: null, result: null, traceText: "", tab: "formulas", drawn: false };
  var DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  /* ---- the scripting hook ---------------------------------------------------------------- */
  function valueText(v) {
    if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
    return String(v);
  }
  function inputArgs(inputs) {
    return Object.keys(inputs || {}).map(function (k) { return k + "=" + valueText(inputs[k]); });
  }
  var api = {
    version: TAPEGRAD_VERSION,
    /* Exactly what `tapegrad --json -- PROGRAM NAME=VALUE ...` prints, as an object, or
       {error: "tapegrad: error: ..."} with the command's message (its first line). */
    run: function (program, inputs) {
      if (!engine) throw new Error("tapegrad: the engine is not loaded yet (await window.tapegrad.ready)");
      var r = engine.command(["--json", "--", String(program)].concat(inputArgs(inputs)));
      if (r.code === 0 || r.code === 1) return JSON.parse(r.stdout);
      return { error: r.stderr.split("\n")[0] };
    },
    ready: null
  };
  window.tapegrad = api;
  function wasmBytes() {
    var bin = atob($("tapegrad-wasm").textContent.replace(/\s+/g, ""));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }
  api.ready = tapegradEngine(wasmBytes()).then(function (e) {
    engine = e;
    start();
    return api;
  });

  /* ---- numbers as the page shows them ----------------------------------------------------- */
  function short(x) { /* 6 significant digits, as the trace prints them */
    if (x === null || x === undefined) return "not finite";
    if (x === 0) return "0";
    return String(Number(x.toPrecision(6)));
  }
  function cut(s, n) { return s.length <= n ? s : s.substring(0, n - 1) + "\u2026"; }
  function factor(s) { /* a number in a product: negative ones in parentheses */
    return String(s).charAt(0) === "-" ? "<mrow><mo>(</mo>" + mathNum(s) + "<mo>)</mo></mrow>" : mathNum(s);
  }
  function mathNum(s) {
    s = String(s);
    var m = /^(-?)(.*?)e([+-]?)(\d+)$/.exec(s);
    if (m) return "<mrow>" + (m[1] ? "<mo>\u2212</mo>" : "") + "<mn>" + m[2] + "</mn><mo>\u00d7</mo><msup><mn>10</mn><mn>" +
                  (m[3] === "-" ? "\u2212" : "") + m[4] + "</mn></msup></mrow>";
    return s.charAt(0) === "-" ? "<mrow><mo>\u2212</mo><mn>" + s.slice(1) + "</mn></mrow>" : "<mn>" + s + "</mn>";
  }

  /* ---- the URL fragment: #p=PROGRAM&i=x:2,y:3&practice=all|1,3-5&step=N ------------------- */
  function readFragment() {
    var h = location.hash.replace(/^#/, "");
    if (!h) return false;
    var q = new URLSearchParams(h);
    if (!q.has("p")) return false;
    S.program = q.get("p");
    S.inputs = (q.get("i") || "").split(",").filter(Boolean).map(function (kv) {
      var c = kv.indexOf(":");
      return { name: kv.slice(0, c), text: kv.slice(c + 1) };
    });
    S.practice = q.has("practice") ? parseSteps(q.get("practice")) : null;
    S.answered = {};
    S.step = Math.max(0, parseInt(q.get("step"), 10) || 0);
    var box = $("practice");
    if (box) box.checked = !!S.practice;
    return true;
  }
  function parseSteps(s) {
    if (s === "all" || s === "") return "all";
    var set = {};
    s.split(",").forEach(function (part) {
      var m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (!m) return;
      for (var j = +m[1]; j <= +(m[2] || m[1]); j++) set[j] = true;
    });
    return set;
  }
  function stepsText(p) {
    if (p === "all") return "all";
    return Object.keys(p).join(",");
  }
  function fragment() {
    var q = new URLSearchParams();
    q.set("p", S.program);
    q.set("i", S.inputs.map(function (i) { return i.name + ":" + i.text; }).join(","));
    if (S.practice) q.set("practice", stepsText(S.practice));
    if (S.step) q.set("step", S.step);
    return "#" + q.toString().replace(/\+/g, "%20");
  }
  var fragmentTimer = 0;
  function writeFragment() { /* at most every 150 ms: a slider moves faster than that */
    clearTimeout(fragmentTimer);
    fragmentTimer = setTimeout(function () {
      try { history.replaceState(null, "", fragment()); } catch (e) { /* some file:// setups */ }
    }, 150);
  }

  /* ---- examples ---------------------------------------------------------------------------- */
  var EXAMPLES = [
    { name: "apples and oranges (multiply and add layers)",
      program: "# apples and oranges with tax (the multiply and add layers)\napple_price = apple*apple_num\norange_price = orange*orange_num\nall_price = apple_price + orange_price\nprice = all_price*tax\n",
      inputs: [["apple", "100"], ["apple_num", "2"], ["orange", "150"], ["orange_num", "3"], ["tax", "1.1"]] },
    { name: "a sigmoid neuron and its squared error",
      program: "z = w1*x1 + w2*x2 + b\ny_hat = sigmoid(z)\nL = (y - y_hat)^2\n",
      inputs: [["w1", "0.5"], ["x1", "1"], ["w2", "-0.3"], ["x2", "2"], ["b", "0.1"], ["y", "1"]] },
    { name: "micrograd's tanh neuron",
      program: "n = x1*w1 + x2*w2 + b\no = tanh(n)\n",
      inputs: [["x1", "2"], ["x2", "0"], ["w1", "-3"], ["w2", "1"], ["b", "6.8813735870195432"]] },
    { name: "a value used twice (gradients add up)",
      program: "a = x*y\nb = a + x\nc = a*b\n",
      inputs: [["x", "2"], ["y", "3"]] },
    { name: "log-sum-exp (softmax's denominator)",
      program: "m = exp(u) + exp(v) + exp(w)\nlog(m)\n",
      inputs: [["u", "1"], ["v", "2"], ["w", "0.5"]] }
  ];

  /* ---- inputs ------------------------------------------------------------------------------ */
  function sliderRange(inp) {
    var v = Number(inp.text), span = Math.max(1, Math.abs(v));
    inp.min = v - 2 * span;
    inp.max = v + 2 * span;
    inp.stepSize = span / 200;
  }
  function renderInputs() {
    var box = $("inputs");
    box.textContent = "";
    S.inputs.forEach(function (inp, idx) {
      var row = document.createElement("div");
      row.className = "input";
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = inp.name;
      name.title = inp.name;
      var num = document.createElement("input");
      num.className = "num";
      num.value = inp.text;
      num.setAttribute("aria-label", inp.name);
      num.id = "in-" + inp.name;
      var slider = document.createElement("input");
      slider.type = "range";
      slider.setAttribute("aria-label", inp.name + " slider");
      if (DECIMAL.test(inp.text)) sliderRange(inp);
      function syncSlider() {
        slider.min = inp.min; slider.max = inp.max; slider.step = inp.stepSize;
        slider.value = Number(inp.text);
      }
      syncSlider();
      num.addEventListener("input", function () {
        var ok = DECIMAL.test(num.value.trim());
        num.classList.toggle("bad", !ok);
        inp.text = num.value.trim();
        if (ok && (Number(inp.text) < inp.min || Number(inp.text) > inp.max)) sliderRange(inp);
        if (ok) syncSlider();
        recompute();
      });
      slider.addEventListener("input", function () {
        inp.text = valueText(Number(slider.value));
        num.value = inp.text;
        num.classList.remove("bad");
        recompute();
      });
      var del = document.createElement("button");
      del.type = "button";
      del.title = "remove the input " + inp.name;
      del.textContent = "\u00d7";
      del.addEventListener("click", function () {
        S.inputs.splice(idx, 1);
        renderInputs();
        recompute();
      });
      row.appendChild(name); row.appendChild(num); row.appendChild(slider); row.appendChild(del);
      box.appendChild(row);
    });
  }
  function addInput(name, text) {
    if (S.inputs.some(function (i) { return i.name === name; })) return;
    S.inputs.push({ name: name, text: text });
    renderInputs();
    recompute();
  }

  /* ---- errors, with the caret in the editor too ------------------------------------------- */
  function showError(stderr) {
    var pre = $("error"), lines = stderr.replace(/\n$/, "").split("\n");
    pre.hidden = false;
    pre.textContent = "";
    var msg = document.createElement("span"); /* the message wraps; the source and caret do not */
    msg.className = "msg";
    msg.textContent = lines[0];
    pre.appendChild(msg);
    if (lines.length > 1) pre.appendChild(document.createTextNode("\n" + lines.slice(1).join("\n")));
    $("editor").classList.add("bad");
    var first = stderr.split("\n")[0], fix = $("fix");
    fix.textContent = "";
    var m = / (\d+):(\d+)[: ]/.exec(first);
    shade(m ? offsetOf(S.program, +m[1], +m[2]) : -1);
    var u = /unknown name '([A-Za-z_][A-Za-z0-9_]*)'/.exec(first);
    if (u) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = "Make " + u[1] + " an input (= 1)";
      b.addEventListener("click", function () { addInput(u[1], "1"); });
      fix.appendChild(b);
    }
  }
  function clearError() {
    $("error").hidden = true;
    $("editor").classList.remove("bad");
    $("fix").textContent = "";
    shade(-1);
  }
  function offsetOf(src, line, col) {
    var at = 0;
    for (var l = 1; l < line; l++) {
      var nl = src.indexOf("\n", at);
      if (nl < 0) return -1;
      at = nl + 1;
    }
    return at + col - 1;
  }
  function shade(at) { /* a mark under the character the caret points at */
    var sh = $("shade"), src = S.program;
    sh.textContent = "";
    if (at < 0 || at > src.length) return;
    sh.appendChild(document.createTextNode(src.slice(0, at)));
    var mk = document.createElement("mark");
    mk.textContent = at < src.length && src.charAt(at) !== "\n" ? src.charAt(at) : " ";
    sh.appendChild(mk);
    sh.appendChild(document.createTextNode(src.slice(at + 1)));
  }

  /* ---- recompute: the engine, then the panels ---------------------------------------------- */
  function args() { return S.inputs.map(function (i) { return i.name + "=" + i.text; }); }
  /* An input moved and the program is the one whose trace the page has: the new numbers go
     into that trace at once (tgw_numbers, a tenth of the work), and the whole trace is made
     again once the edits pause, so that anything else a value changes (a where's branch) is
     right a moment later. */
  var fullTimer = 0;
  function quickRecompute(t0, a) {
    var N = engine.numbers(S.program, a);
    if (!N) return false;
    var t1 = performance.now();
    S.trace.nodes.forEach(function (n) {
      var v = N.n[n.id];
      if (!v) return;
      n.value = v[0]; n.value_s = v[1]; n.grad = v[2]; n.grad_s = v[3];
    });
    S.trace.steps.forEach(function (s) {
      var c = N.s[s.at] && N.s[s.at][s.k];
      if (!c) return;
      s.contribution = c[0]; s.contribution_s = c[1]; s.acc_s = c[2];
      if (S.local[s.at]) S.local[s.at][s.k] = c[3];
    });
    graph.redraw(S.trace); /* the same graph: its numbers change in place */
    renderResult(S.result);
    showStep();
    status(t0, performance.now(), t1 - t0);
    writeFragment();
    clearTimeout(fullTimer);
    fullTimer = setTimeout(function () { recompute(true); }, 150);
    return true;
  }
  function recompute(full) {
    if (!engine) return;
    var t0 = performance.now(), a = args();
    var r = engine.command(["--json", "--", S.program].concat(a));
    if (r.code !== 0 && r.code !== 1) {
      S.result = null; /* the graph stays, dimmed: the last program that ran */
      showError(r.stderr);
      document.body.setAttribute("data-state", "error");
      $("graphbox").classList.add("stale");
      $("stale").hidden = false;
      renderResult(null);
      status(t0, performance.now());
      writeFragment();
      return;
    }
    clearError();
    $("graphbox").classList.remove("stale");
    $("stale").hidden = true;
    S.result = JSON.parse(r.stdout);
    var key = S.program + "\n" + S.inputs.map(function (i) { return i.name; }).join(",");
    if (full !== true && S.trace && S.traceKey === key && !S.practice && quickRecompute(t0, a)) return;
    S.traceKey = key;
    S.traceText = null; /* --trace's text, made when its tab is shown */
    var tr = engine.trace(S.program, a);
    var t1 = performance.now();
    if (!tr) { /* too large to draw: the numbers only */
      renderResult(S.result);
      $("graphbox").classList.add("stale");
      $("stale").hidden = false;
      $("stale").textContent = "This program records too many nodes to draw and step through; its value and gradients are on the left.";
      status(t0, performance.now(), t1 - t0);
      writeFragment();
      return;
    }
    $("stale").textContent = "The program does not run (see the error): this is the last one that did.";
    S.trace = tr.trace;
    S.local = tr.local;
    S.nodeById = {};
    S.trace.nodes.forEach(function (n) { S.nodeById[n.id] = n; });
    /* cli/show/graph.js, the stepping page's view: a new graph starts at its first view (all
       of it when readable, else 1:1 at the output) and at step 0; the same graph with other
       numbers keeps the zoom and the step */
    var relaid = true;
    if (!graph) graph = tapegradGraph.render(S.trace, $("graphbox"));
    else relaid = graph.redraw(S.trace);
    if (relaid && S.drawn) { S.step = 0; S.answered = {}; }
    S.drawn = true;
    S.step = Math.min(S.step, S.trace.steps.length);
    document.body.setAttribute("data-state", "ok");
    renderResult(S.result);
    showStep();
    var t2 = performance.now();
    status(t0, t2, t1 - t0);
    writeFragment();
  }
  function status(t0, t2, engineMs) {
    var ms = t2 - t0;
    document.body.setAttribute("data-recompute-ms", ms.toFixed(2));
    $("status").textContent = "recomputed in " + ms.toFixed(1) + " ms" +
      (engineMs !== undefined ? " (engine " + engineMs.toFixed(1) + " ms)" : "") +
      (S.trace ? ", " + S.trace.nodes.length + " nodes" : "");
  }
  function hideGrads() { return S.practice && S.trace && S.step < S.trace.steps.length; }
  function renderResult(res) {
    var tb = $("result").tBodies[0];
    var key = res ? S.inputs.map(function (i) { return i.name; }).join(",") + (hideGrads() ? "?" : "") : "";
    if (res && tb.getAttribute("data-key") === key) { /* the same rows: new numbers only */
      exact(tb.rows[1].cells[1], res.value);
      S.inputs.forEach(function (inp, i) {
        var r = tb.rows[i + 2];
        r.cells[1].textContent = inp.text;
        if (hideGrads()) r.cells[2].textContent = "? (practice)";
        else exact(r.cells[2], res.grad[inp.name]);
      });
      return;
    }
    tb.setAttribute("data-key", key);
    tb.textContent = "";
    function row(cls, a, b, c) {
      var tr = document.createElement("tr");
      tr.className = cls;
      if (cls === "grad") tr.setAttribute("data-input", a);
      [a, b, c].forEach(function (t, k) {
        var td = document.createElement("td");
        td.textContent = t;
        if (k) td.className = "n" + (k === 2 ? " grad" : "");
        tr.appendChild(td);
      });
      tb.appendChild(tr);
    }
    if (!res) { row("value", "value", "(error: see above)", ""); return; }
    row("head", "", "value", "\u2202value/\u2202input");
    row("value", "value", "", "");
    exact(tb.rows[1].cells[1], res.value);
    S.inputs.forEach(function (inp, i) {
      row("grad", inp.name, inp.text, hideGrads() ? "? (practice)" : "");
      if (!hideGrads()) exact(tb.rows[i + 2].cells[2], res.grad[inp.name]);
    });
  }
  /* 12 significant digits to read; the engine's double (17 digits) in data-value and the
     tooltip, exactly as --json has it. */
  function exact(td, x) {
    td.textContent = String(Number(x.toPrecision(12)));
    td.title = String(x);
    td.setAttribute("data-value", String(x));
  }

  /* ---- the backward steps ------------------------------------------------------------------- */
  function hidden(j) {
    return !!S.practice && (S.practice === "all" || !!S.practice[j + 1]) && !S.answered[j];
  }
  function byId(id) { return S.nodeById[id] || null; }
  function local(s) { var l = S.local[s.at]; return l ? l[s.k] : null; }
  function stepMath(s, showNumbers) {
    var at = byId(s.at), to = byId(s.to);
    var up = factor(at.grad_s);
    var m = M.dL(to.label) + "<mo>+=</mo>" + M.dL(at.label) + "<mo>\u22c5</mo>" + M.any(s.rule);
    if (!showNumbers) return M.math(m + "<mo>=</mo>" + up + "<mo>\u00d7</mo><mi>?</mi><mo>=</mo><mi>?</mi>");
    if (s.formula && s.formula !== s.rule && !DECIMAL.test(s.formula))
      m += "<mo>=</mo>" + up + "<mo>\u00d7</mo>" + M.any(s.formula);
    m += "<mo>=</mo>" + up + "<mo>\u00d7</mo>" + factor(short(local(s))) + "<mo>=</mo>" + mathNum(s.contribution_s);
    return M.math(m);
  }
  function sumMath(s) {
    var terms = S.trace.steps.filter(function (t) { return t.to === s.to; });
    if (terms.length < 2) return "";
    var to = byId(s.to);
    return " <span class=\"note\">(the sum of every path:</span> " + M.math(M.dL(to.label) + "<mo>=</mo>" +
      terms.map(function (t, i) { return i ? factor(t.contribution_s) : mathNum(t.contribution_s); }).join("<mo>+</mo>") +
      "<mo>=</mo>" + mathNum(to.grad_s)) + "<span class=\"note\">)</span>";
  }
  function go(to) {
    if (!S.trace) return;
    var n = S.trace.steps.length;
    to = Math.max(0, Math.min(n, to));
    /* a hidden step is taken by answering it, not by skipping over it */
    for (var j = S.step; j < to; j++) if (hidden(j)) { to = j; break; }
    S.step = to;
    showStep();
    writeFragment();
  }
  function showStep() {
    var steps = S.trace.steps, n = steps.length;
    var pending = S.step < n && hidden(S.step) ? steps[S.step] : null;
    var done = S.step > 0 ? steps[S.step - 1] : null;
    var box = $("stepmath");
    if (pending) {
      graph.step(S.step, { ask: true }); /* marked, its contribution not drawn */
      box.innerHTML = stepMath(pending, false);
    } else if (done) {
      graph.step(S.step);
      box.innerHTML = stepMath(done, true) + (done.last ? sumMath(done) : "");
    } else {
      graph.step(0);
      box.innerHTML = M.math(M.dL(byId(S.trace.output).label) + "<mo>=</mo><mn>1</mn>") +
        " <span class=\"note\">the output's gradient with respect to itself. Press \u2192 (Next) to start.</span>";
    }
    $("counter").textContent = S.step === n ? "Done: " + n + " / " + n + " steps" : "Step " + S.step + " / " + n;
    document.body.setAttribute("data-step", S.step);
    document.body.setAttribute("data-steps", n);
    document.body.setAttribute("data-done", S.step === n ? "true" : "false");
    $("prev").disabled = $("first").disabled = S.step === 0;
    $("next").disabled = $("last").disabled = S.step === n;
    renderPractice(pending);
    renderResult(S.result);
    scheduleTrace();
  }
  /* The formulas follow the numbers by a frame: a slider moves the graph and the table at once,
     and the list of formulas (MathML takes the longest to lay out) right after, once per burst. */
  var traceTimer = 0;
  function scheduleTrace() {
    if (traceTimer) return;
    traceTimer = setTimeout(function () { traceTimer = 0; if (S.trace) renderTrace(); }, 30);
  }

  /* ---- practice: the student gives the local derivative and the contribution -------------- */
  function stepValues(s) { /* the values a rule is written over: a, b, c (args), y, g (upstream) */
    var at = byId(s.at), v = {};
    at.inputs.forEach(function (id, k) { v["abc".charAt(k)] = byId(id).value; });
    v.y = at.value;
    v.g = at.grad;
    return v;
  }
  function evaluate(text, vals) { /* a number, or an expression over the step's values */
    text = text.trim();
    if (DECIMAL.test(text)) return { value: Number(text) };
    if (!text) return { error: "empty" };
    var names = Object.keys(vals).filter(function (k) { return vals[k] !== null; });
    var r = engine.command(["--json", "--", text].concat(names.map(function (k) { return k + "=" + valueText(vals[k]); })));
    if (r.code === 0 || r.code === 1) return { value: JSON.parse(r.stdout).value };
    return { error: r.stderr.split("\n")[0].replace(/^tapegrad: error: /, "") };
  }
  function near(u, v) {
    if (v === null) return false;
    return Math.abs(u - v) <= 5e-5 * Math.max(Math.abs(v), 1e-12);
  }
  function renderPractice(s) {
    var box = $("practicebox");
    if (!s) {
      if (!S.practice) { box.hidden = true; return; }
      box.hidden = false;
      if (S.step === S.trace.steps.length) box.innerHTML = "<span class=\"ok\">Done: every step is checked.</span> Every gradient is shown now.";
      else if (!box.querySelector(".ok")) box.innerHTML = "Practice mode: this step is shown; press Next.";
      return;
    }
    var j = S.trace.steps.indexOf(s), at = byId(s.at), to = byId(s.to), vals = stepValues(s);
    var names = Object.keys(vals).filter(function (k) { return k !== "g"; }).map(function (k) {
      return k + " = " + short(vals[k]);
    }).join(", ");
    box.hidden = false;
    box.setAttribute("data-k", s.k);
    box.innerHTML = "<div>Step " + (j + 1) + ": at " + M.esc(at.label) + " = " + M.esc(at.expr) +
      " (" + M.esc(names) + "), the upstream gradient is " + M.math(M.dL(at.label) + "<mo>=</mo>" + mathNum(at.grad_s)) +
      ". Give " + M.math(M.any(s.rule)) + " and what it sends to " + M.math(M.dL(to.label)) +
      " (a number, or an expression over a, b, y and g, the upstream gradient).</div>" +
      "<form id=\"answer\" class=\"row\">local derivative <input id=\"ans-local\" autocomplete=\"off\">" +
      " contribution <input id=\"ans-contrib\" autocomplete=\"off\"> <button type=\"submit\">Check</button>" +
      " <button type=\"button\" id=\"reveal\">Show the answer</button></form><div id=\"verdict\"></div>";
    $("answer").addEventListener("submit", function (e) { e.preventDefault(); checkAnswer(s, j); });
    $("reveal").addEventListener("click", function () {
      S.answered[j] = "shown";
      go(S.step + 1);
      verdict("The answer was: local derivative " + s.formula + " = " + short(local(s)) +
              ", contribution " + at.grad_s + " \u00d7 " + short(local(s)) + " = " + s.contribution_s + ".", true);
    });
  }
  function verdict(text, ok) {
    var v = $("verdict") || $("practicebox");
    v.innerHTML = "<span class=\"" + (ok ? "ok" : "off") + "\">" + M.esc(text) + "</span>";
  }
  function checkAnswer(s, j) {
    var vals = stepValues(s), L = local(s), C = s.contribution;
    var l = evaluate($("ans-local").value, vals), c = evaluate($("ans-contrib").value, vals);
    if (l.error) return verdict("The local derivative could not be read: " + l.error, false);
    if (c.error) return verdict("The contribution could not be read: " + c.error, false);
    var lok = near(l.value, L), cok = near(c.value, C);
    if (lok && cok) {
      S.answered[j] = "right";
      go(S.step + 1);
      return verdict("Step " + (j + 1) + " is right: " + short(l.value) + " and " + short(c.value) + ". On to the next.", true);
    }
    if (!lok && near(c.value, byId(s.at).grad * l.value))
      return verdict("The local derivative is off (you have " + short(l.value) + "); your contribution follows from it, so fix the local derivative first.", false);
    if (!lok && cok)
      return verdict("The contribution is right, but the local derivative is off (you have " + short(l.value) + ").", false);
    if (!lok)
      return verdict("Both are off: the local derivative (you have " + short(l.value) + ") and the contribution (you have " + short(c.value) + ").", false);
    return verdict("The local derivative is right; the contribution is off (you have " + short(c.value) +
                   "): it is the upstream gradient times the local derivative.", false);
  }

  /* ---- the trace panels ------------------------------------------------------------------- */
  function renderTrace() {
    var text = $("tracetext"), f = $("formulas");
    if (S.tab === "text") {
      f.hidden = true;
      text.hidden = false;
      if (S.traceText === null) S.traceText = engine.command(["--trace", "--", S.program].concat(args())).stdout;
      text.textContent = S.practice && S.step < S.trace.steps.length
        ? "(Practice mode: the --trace text shows every answer; it appears when every step is done.)"
        : S.traceText;
      return;
    }
    text.hidden = true;
    f.hidden = false;
    /* A window of steps around the current one: a page of formulas, not hundreds (MathML
       layout of a 300-node pass would take longer than the recompute itself). */
    var html = [], lastAt = -1, steps = S.trace.steps, WIN = 8;
    var lo = Math.max(0, S.step - WIN), hi = Math.min(steps.length, S.step + WIN);
    if (lo === 0)
      html.push("<div class=\"step " + (S.step === 0 ? "cur" : "done") + "\" data-j=\"0\">" +
                M.math(M.dL(byId(S.trace.output).label) + "<mo>=</mo><mn>1</mn>") + "</div>");
    else
      html.push("<div class=\"note\">" + lo + " earlier steps (Back or Home to see them)</div>");
    steps.slice(lo, hi).forEach(function (s, i) {
      var j = lo + i;
      if (s.at !== lastAt) {
        var at = byId(s.at);
        html.push("<div class=\"at\" title=\"" + M.esc(at.label + " = " + at.expr).replace(/"/g, "&quot;") + "\">at " +
                  M.esc(cut(at.label, 28)) + " = " + M.esc(cut(at.expr, 64)) + "</div>");
        lastAt = s.at;
      }
      html.push("<div class=\"step " + (j + 1 === S.step ? "cur" : j < S.step ? "done" : "todo") +
                "\" data-j=\"" + (j + 1) + "\">" + stepMath(s, !hidden(j)) + "</div>");
    });
    if (hi < steps.length)
      html.push("<div class=\"note\">" + (steps.length - hi) + " later steps (Next or End)</div>");
    f.innerHTML = html.join("");
    requestAnimationFrame(function () { /* with the frame's layout, not a forced one */
      var cur = f.querySelector(".cur"), box = $("trace");
      if (cur && (cur.offsetTop < box.scrollTop || cur.offsetTop > box.scrollTop + box.clientHeight - 40))
        box.scrollTop = cur.offsetTop - box.clientHeight / 3;
    });
  }

  /* ---- --check and --expect ----------------------------------------------------------------- */
  function runCheck(extra) {
    var r = engine.command(extra.concat(["--", S.program]).concat(args()));
    var out = $("checkout");
    out.hidden = false;
    out.classList.toggle("bad", r.code !== 0);
    out.textContent = (r.stdout + r.stderr).replace(/\n+$/, "") +
      (r.code === 1 ? "\n(exit 1: a mismatch)" : r.code === 2 ? "\n(exit 2)" : "");
  }

  /* ---- start ------------------------------------------------------------------------------ */
  function setProgram(p, inputs) {
    S.program = p;
    S.inputs = inputs.map(function (kv) { return { name: kv[0], text: kv[1] }; });
    S.step = 0;
    S.answered = {};
    $("editor").value = p;
    renderInputs();
    recompute();
  }
  function start() {
    window.tapegradPage = {}; /* for tests and a teacher's console, as on the stepping page */
    Object.defineProperty(window.tapegradPage, "view", { get: function () { return graph; } });
    var init = JSON.parse($("tapegrad-state").textContent);
    if (!readFragment()) {
      S.program = init.program;
      S.inputs = init.inputs.map(function (kv) { return { name: kv[0], text: kv[1] }; });
    }
    var sel = $("examples");
    [{ name: "(the page's program)", program: init.program, inputs: init.inputs }].concat(EXAMPLES).forEach(function (ex, k) {
      var o = document.createElement("option");
      o.value = k;
      o.textContent = ex.name;
      sel.appendChild(o);
    });
    sel.addEventListener("change", function () {
      var ex = sel.value === "0" ? { program: init.program, inputs: init.inputs } : EXAMPLES[sel.value - 1];
      setProgram(ex.program, ex.inputs);
    });
    $("version").textContent = "tapegrad " + api.version + " (WebAssembly)";
    $("editor").value = S.program;
    $("editor").addEventListener("input", function () { S.program = $("editor").value; recompute(); });
    $("practice").checked = !!S.practice;
    $("practice").addEventListener("change", function () {
      S.practice = $("practice").checked ? (S.practice || "all") : null;
      S.answered = {};
      S.step = 0;
      showStep();
      writeFragment();
    });
    $("addinput").addEventListener("submit", function (e) {
      e.preventDefault();
      var name = $("newname").value.trim(), val = $("newvalue").value.trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !DECIMAL.test(val)) return;
      $("newname").value = "";
      addInput(name, val);
    });
    $("check").addEventListener("click", function () { runCheck(["--check"]); });
    $("expectform").addEventListener("submit", function (e) {
      e.preventDefault();
      runCheck(["--expect", $("expect").value]);
    });
    $("next").addEventListener("click", function () { go(S.step + 1); });
    $("prev").addEventListener("click", function () { go(S.step - 1); });
    $("first").addEventListener("click", function () { go(0); });
    $("last").addEventListener("click", function () { go(S.trace.steps.length); });
    $("fit").addEventListener("click", function () { if (graph) graph.fit(); });
    $("one").addEventListener("click", function () { if (graph) graph.actualSize(); });
    $("zin").addEventListener("click", function () { if (graph) graph.zoomBy(1.25); });
    $("zout").addEventListener("click", function () { if (graph) graph.zoomBy(0.8); });
    /* an input's row in the table: where that input is in the graph */
    $("result").addEventListener("click", function (e) {
      var tr = e.target.closest("tr.grad");
      if (!tr || !graph || !S.trace) return;
      var name = tr.getAttribute("data-input");
      S.trace.nodes.some(function (n) { return n.kind === "input" && n.label === name && graph.focus(n.id); });
    });
    $("link").addEventListener("click", function () {
      try { history.replaceState(null, "", fragment()); } catch (e) { /* some file:// setups */ }
      if (navigator.clipboard) navigator.clipboard.writeText(location.href).catch(function () {});
      $("status").textContent = "the address now holds this program and its inputs";
    });
    $("tabs").addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      S.tab = b.getAttribute("data-tab");
      Array.prototype.forEach.call($("tabs").children, function (c) { c.classList.toggle("on", c === b); });
      renderTrace();
    });
    $("formulas").addEventListener("click", function (e) {
      var d = e.target.closest(".step");
      if (d) go(+d.getAttribute("data-j"));
    });
    document.addEventListener("keydown", function (e) {
      var tag = e.target.tagName;
      if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || !S.trace) return;
      if (e.key === "ArrowRight") go(S.step + 1);
      else if (e.key === "ArrowLeft") go(S.step - 1);
      else if (e.key === "Home") go(0);
      else if (e.key === "End") go(S.trace.steps.length);
      else if (e.ctrlKey || e.metaKey || e.altKey || !graph) return;
      else if (e.key === "f" || e.key === "F") graph.fit();
      else if (e.key === "1") graph.actualSize();
      else if (e.key === "+" || e.key === "=") graph.zoomBy(1.25);
      else if (e.key === "-") graph.zoomBy(0.8);
      else return;
      e.preventDefault();
    });
    window.addEventListener("hashchange", function () {
      if (location.hash !== fragment() && readFragment()) {
        $("editor").value = S.program;
        renderInputs();
        recompute();
      }
    });
    renderInputs();
    recompute();
    document.body.setAttribute("data-ready", "true");
  }
})();

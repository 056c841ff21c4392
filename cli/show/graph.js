/* graph.js: the graph view of tapegrad's stepping page (cli/show/page.html), a part that other
   pages embed too (the live playground). It lays out the JSON of tg_trace_backward
   (TG_TRACE_JSON: {output, nodes, steps}) in columns, draws it as SVG, zooms and pans, and shows
   the state after k backward steps. The page around it (buttons, formula, step log) is the
   embedder's. Needs graph.css; no network, no library.

   Interface (one global, window.tapegradGraph):
     var view = tapegradGraph.render(data, container, options)
         data       the parsed JSON object; container: an element with a size (the view fills
                    it and never resizes it); options (optional): {onStep: function (k, step)}
                    called after every step(k) (step is data.steps[k - 1], or null at 0).
     view.step(k)       show the state after k steps (0: before the first; view.nSteps: all
                        done); clamps k; highlights step k's two nodes and its edge and pans
                        them into view; returns the k shown
     view.current()     the k shown
     view.nSteps        data.steps.length
     view.fit()         the whole graph in the view (at most 1.25x)
     view.actualSize()  1:1 (text at its CSS size) around the current step
     view.zoomBy(f)     zoom by factor f around the centre of the view
     view.destroy()     remove the drawing and its listeners (do so before rendering another
                        graph into the same container)
   Mouse: the wheel zooms around the pointer, dragging pans. The first view is drawn as fit
   when the whole graph is readable that way (scale >= 0.8), else 1:1 with the output near the
   right edge.
   After step k every node reached so far carries data-grad (its gradient so far) on its
   <g class="node" id="node-ID" data-label="...">. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var W = 220, H = 92, CW = 320, GAP = 24, LANE = 14, PAD = 20, CONST_W = 80, CONST_H = 36;
  /* fit is the first view when it keeps the 15 px text at 12 px or more */
  var READABLE = 0.8, MAX_FIT = 1.25;
  var serial = 0;

  function el(name, attrs, parent, text) {
    var e = document.createElementNS(SVGNS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function cut(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }
  /* Text that fits width px as drawn (labels are as long as the program's expressions): cut
     with an ellipsis, at most n characters even where the text cannot be measured (hidden). */
  function fitted(parent, attrs, s, n, width) {
    var t = el("text", attrs, parent, cut(s, n));
    if (!t.getComputedTextLength || t.getComputedTextLength() <= width) return t;
    var lo = 1, hi = Math.min(n, s.length);
    while (lo < hi) {
      var mid = Math.ceil((lo + hi) / 2);
      t.textContent = cut(s, mid);
      if (t.getComputedTextLength() <= width) lo = mid; else hi = mid - 1;
    }
    t.textContent = cut(s, lo);
    return t;
  }

  /* Columns (a Sugiyama layout): an operation right of its deepest argument, then moved right
     to one column left of its nearest user. An edge that spans several columns runs through a lane
     in each column between: one lane per source and column, shared by all of that source's
     edges, so an input that feeds every statement of a chain has one lane, not one per use.
     Lanes take a slot in their column like a node, so edges never cross a node's box. */
  function layout(nodes, byId) {
    nodes.forEach(function (n) {
      n.col = 0;
      n.inputs.forEach(function (i) {
        var a = byId[i];
        if (a.inputs.length) n.col = Math.max(n.col, a.col + 1);
        else n.col = Math.max(n.col, 1);
      });
      if (n.inputs.length === 0) n.col = Infinity;
    });
    /* then every node as late as its users allow: a node next to the one it feeds, so a
       step's two nodes are neighbours and a value used far away travels in one shared lane */
    nodes.slice().reverse().forEach(function (n) {
      if (!n.users.length) return;
      var late = Infinity;
      n.users.forEach(function (u) { late = Math.min(late, byId[u.id].col - 1); });
      n.col = n.col === Infinity ? late : Math.max(n.col, late);
    });
    var minCol = Infinity;
    nodes.forEach(function (n) { if (n.col === Infinity) n.col = 0; minCol = Math.min(minCol, n.col); });
    var cols = [], items = [];
    function add(item) { (cols[item.col] = cols[item.col] || []).push(item); items.push(item); }
    nodes.forEach(function (n) {
      n.col -= minCol; n.h = n.kind === "const" ? CONST_H : H; n.preds = []; n.succs = [];
      n.lanes = {}; add(n);
    });
    nodes.forEach(function (n) {
      var far = n.col;
      n.users.forEach(function (u) { far = Math.max(far, byId[u.id].col); });
      for (var c = n.col + 1; c < far; c++) {
        var lane = { lane: true, src: n, col: c, h: LANE, preds: [], succs: [] };
        n.lanes[c] = lane; add(lane);
      }
    });
    for (var c = 0; c < cols.length; c++) cols[c] = cols[c] || [];
    /* neighbours in the next column, for ordering and alignment */
    function link(a, b, slot) { a.succs.push({ item: b, slot: slot }); b.preds.push({ item: a, slot: 0 }); }
    nodes.forEach(function (n) {
      var cs = Object.keys(n.lanes).map(Number).sort(function (a, b) { return a - b; });
      cs.forEach(function (c) { link(c === n.col + 1 ? n : n.lanes[c - 1], n.lanes[c], 0.5); });
      n.inputs.forEach(function (i, k) {
        var a = byId[i], from = n.col - 1 === a.col ? a : a.lanes[n.col - 1];
        link(from, n, (k + 1) / (n.inputs.length + 1));
      });
    });
    function number() { cols.forEach(function (col) { col.forEach(function (it, r) { it.pos = r; }); }); }
    function mean(list, slotWeight) {
      if (!list.length) return null;
      return list.reduce(function (s, e) { return s + e.item.pos + slotWeight * e.slot; }, 0) / list.length;
    }
    function order(col, key) {
      col.forEach(function (it) { var m = key(it); it.key = m === null ? it.pos : m; });
      col.sort(function (a, b) { return a.key - b.key || a.pos - b.pos; });
      col.forEach(function (it, r) { it.pos = r; });
    }
    number();
    for (var sweep = 0; sweep < 6; sweep++) {
      for (c = 1; c < cols.length; c++) order(cols[c], function (it) { return mean(it.preds, 0); });
      for (c = cols.length - 2; c >= 0; c--) order(cols[c], function (it) { return mean(it.succs, 1); });
    }
    /* Heights: each column stacked in its order, then pulled toward its neighbours' centres
       (keeping the order and the gaps), alternately from the left and from the right. */
    function sep(a, b) { return (a.h + b.h) / 2 + (a.lane && b.lane ? 4 : GAP); }
    /* Pushing down from the top and pushing up from the bottom both keep the order and the
       gaps; so does their mean, which stays nearest the wanted centres on both sides. */
    function settle(col, want) {
      if (!col.length) return;
      var d = col.map(function (it) { var m = want(it); return m === null ? it.cy : m; });
      var down = d.slice(), up = d.slice(), n = col.length;
      for (var i = 1; i < n; i++) down[i] = Math.max(d[i], down[i - 1] + sep(col[i - 1], col[i]));
      for (i = n - 2; i >= 0; i--) up[i] = Math.min(d[i], up[i + 1] - sep(col[i], col[i + 1]));
      col.forEach(function (it, r) { it.cy = (down[r] + up[r]) / 2; });
    }
    function centre(list, slotShift) {
      if (!list.length) return null;
      return list.reduce(function (s, e) {
        return s + e.item.cy + (slotShift && !e.item.lane ? (e.slot - 0.5) * e.item.h : 0);
      }, 0) / list.length;
    }
    cols.forEach(function (col) {
      var y = 0;
      col.forEach(function (it, r) { if (r) y += sep(col[r - 1], it); it.cy = y; });
    });
    for (sweep = 0; sweep < 4; sweep++) {
      for (c = 1; c < cols.length; c++) settle(cols[c], function (it) { return centre(it.preds, false); });
      for (c = cols.length - 2; c >= 0; c--) settle(cols[c], function (it) { return centre(it.succs, true); });
    }
    var top = Infinity, bottom = -Infinity;
    items.forEach(function (it) { top = Math.min(top, it.cy - it.h / 2); bottom = Math.max(bottom, it.cy + it.h / 2); });
    items.forEach(function (it) { it.x = PAD + it.col * CW; it.y = it.cy - it.h / 2 - top + PAD; it.cy = it.y + it.h / 2; });
    return { width: PAD * 2 + (cols.length - 1) * CW + W, height: PAD * 2 + bottom - top };
  }

  /* The route of argument k of n: out of the argument's right side, through its lanes, into
     n's left side at the height of slot k. Between columns a cubic with level tangents. */
  function route(n, k, byId, dy) {
    var a = byId[n.inputs[k]];
    var x = a.kind === "const" ? a.x + W / 2 + CONST_W / 2 : a.x + W, y = a.cy + dy;
    var d = "M" + x + "," + y;
    function to(x2, y2) {
      var mx = (x + x2) / 2;
      d += " C" + mx + "," + y + " " + mx + "," + y2 + " " + x2 + "," + y2;
      x = x2; y = y2;
    }
    for (var c = a.col + 1; c < n.col; c++) {
      var lane = a.lanes[c];
      to(lane.x, lane.cy + dy);
      d += " L" + (lane.x + W) + "," + (lane.cy + dy);
      x = lane.x + W;
    }
    var portY = n.y + n.h * (k + 1) / (n.inputs.length + 1);
    to(n.x, portY + dy);
    return { d: d, portX: n.x, portY: portY };
  }

  function render(data, container, options) {
    options = options || {};
    var id = "tg" + (++serial);
    var nodes = data.nodes, steps = data.steps, byId = {};
    nodes.forEach(function (n) { byId[n.id] = n; n.users = []; });
    nodes.forEach(function (n) {
      n.inputs.forEach(function (i, k) { byId[i].users.push({ id: n.id, k: k }); });
    });
    var size = layout(nodes, byId);
    container.classList.add("tg-graph");
    var svg = el("svg", { xmlns: SVGNS, role: "img", "aria-label": "computational graph" }, container);
    var defs = el("defs", {}, svg);
    [["fwd", "#2e7d32"], ["bwd", "#c62828"]].forEach(function (m) {
      var mk = el("marker", { id: id + "-" + m[0], viewBox: "0 0 10 10", refX: 9, refY: 5,
                              markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse",
                              orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: m[1] }, mk);
    });
    var world = el("g", {}, svg);
    var edgeLayer = el("g", {}, world), bwdLayer = el("g", {}, world);
    var nodeLayer = el("g", {}, world), labelLayer = el("g", {}, world);
    /* a ring around the current step that stays visible when the graph is zoomed out */
    var ring = el("rect", { "class": "focusring", rx: 12 }, world);

    var fwdEdge = {};
    nodes.forEach(function (n) {
      n.inputs.forEach(function (i, k) {
        fwdEdge[n.id + ":" + k] = el("path", { "class": "fwd", d: route(n, k, byId, 0).d,
                                               "marker-end": "url(#" + id + "-fwd)" }, edgeLayer);
      });
    });
    steps.forEach(function (s, j) {
      var r = route(byId[s.at], s.k, byId, 6);
      s.edge = el("path", { "class": "bwd hidden", d: r.d, "marker-start": "url(#" + id + "-bwd)" },
                  bwdLayer);
      /* the contribution, just left of the slot where this edge enters its node */
      s.label = el("text", { "class": "bwdlabel hidden", x: r.portX - 10, y: r.portY - 7,
                             "text-anchor": "end" }, labelLayer, s.contribution_s);
    });
    nodes.forEach(function (n) {
      var kind = n.kind + (n.id === data.output ? " output" : "");
      var g = el("g", { "class": "node " + kind, id: "node-" + n.id,
                        transform: "translate(" + n.x + "," + n.y + ")" }, nodeLayer);
      g.setAttribute("data-label", n.label);
      el("title", {}, g, n.label + (n.kind === "op" ? " = " + n.expr : "") + "\nvalue " + n.value_s +
         "\ngrad " + n.grad_s);
      n.group = g;
      if (n.kind === "const") {
        el("rect", { x: W / 2 - CONST_W / 2, width: CONST_W, height: CONST_H, rx: 9 }, g);
        fitted(g, { x: W / 2, y: CONST_H / 2 + 6, "text-anchor": "middle", "class": "label" },
               n.label, 10, CONST_W - 10);
        return;
      }
      el("rect", { width: W, height: H, rx: 7 }, g);
      fitted(g, { x: 10, y: 22, "class": "label" }, n.label, 30, W - 18);
      fitted(g, { x: 10, y: 44, "class": "expr" }, n.kind === "op" ? n.op + ": " + n.expr : n.kind,
             34, W - 18);
      el("text", { x: 10, y: 65, "class": "value" }, g, "value " + cut(n.value_s, 18));
      n.gradText = el("text", { x: 10, y: 85, "class": "grad" }, g, "grad ?");
    });

    /* zoom and pan: world = translate(tx, ty) scale(s) */
    var s = 1, tx = 0, ty = 0;
    function apply() {
      world.setAttribute("transform", "translate(" + tx + "," + ty + ") scale(" + s + ")");
      ring.setAttribute("stroke-width", Math.max(3, 3 / s));
      ring.classList.toggle("hidden", s >= 0.6);
    }
    function placeRing() {
      var r = focusBox(), m = 14;
      ring.setAttribute("x", r.x - m); ring.setAttribute("y", r.y - m);
      ring.setAttribute("width", r.w + 2 * m); ring.setAttribute("height", r.h + 2 * m);
    }
    function box() { return { w: container.clientWidth || 800, h: container.clientHeight || 600 }; }
    function fitScale() { var b = box(); return Math.min(b.w / size.width, b.h / size.height); }
    function fit() {
      var b = box();
      s = Math.min(fitScale(), MAX_FIT);
      tx = (b.w - size.width * s) / 2; ty = (b.h - size.height * s) / 2;
      apply();
    }
    function centreOn(r) {
      var b = box();
      tx = b.w / 2 - (r.x + r.w / 2) * s; ty = b.h / 2 - (r.y + r.h / 2) * s;
      apply();
    }
    function nodeBox(n) { return { x: n.x, y: n.y, w: W, h: n.h }; }
    function union(a, b) {
      var x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
      return { x: x, y: y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
    }
    var state = 0;
    function focusBox() {
      if (state === 0 || state > steps.length) return nodeBox(byId[data.output]);
      var st = steps[state - 1];
      return union(nodeBox(byId[st.at]), nodeBox(byId[st.to]));
    }
    /* Pans (never zooms) so that the current step's nodes are in view, by as little as keeps
       them a margin inside (a fifth of the view each way, so that stepping leftwards shows the
       next columns coming); when both do not fit at this zoom, the node receiving the gradient
       is centred. */
    function reveal() {
      var b = box(), r = focusBox(), mx = Math.min(200, b.w / 5), my = Math.min(120, b.h / 5);
      if (r.w * s > b.w - 2 * mx || r.h * s > b.h - 2 * my) {
        var to = state > 0 && state <= steps.length ? byId[steps[state - 1].to] : byId[data.output];
        r = nodeBox(to);
        if (r.w * s > b.w - 2 * mx || r.h * s > b.h - 2 * my) { centreOn(r); return; }
      }
      var x0 = r.x * s + tx, y0 = r.y * s + ty, x1 = x0 + r.w * s, y1 = y0 + r.h * s;
      var ntx = tx, nty = ty;
      if (x0 < mx) ntx += mx - x0; else if (x1 > b.w - mx) ntx -= x1 - (b.w - mx);
      if (y0 < my) nty += my - y0; else if (y1 > b.h - my) nty -= y1 - (b.h - my);
      /* but never so far that the graph's own edge comes inside the view (when it is wider
         than the view), nor at all along a side where the whole graph is in view already */
      tx = clampPan(ntx, tx, size.width * s, b.w, x0 >= 0 && x1 <= b.w);
      ty = clampPan(nty, ty, size.height * s, b.h, y0 >= 0 && y1 <= b.h);
      apply();
    }
    function clampPan(want, now, extent, view, focusVisible) {
      if (extent <= view) return focusVisible ? now : want;
      return Math.min(0, Math.max(view - extent, want));
    }
    function actualSize() { s = 1; centreOn(focusBox()); }
    function zoomAt(f, px, py) {
      var ns = Math.max(0.05, Math.min(4, s * f));
      tx = px - (px - tx) * ns / s; ty = py - (py - ty) * ns / s; s = ns;
      apply();
    }
    function zoomBy(f) { var b = box(); zoomAt(f, b.w / 2, b.h / 2); }

    function onWheel(e) {
      e.preventDefault();
      var r = container.getBoundingClientRect();
      zoomAt(Math.pow(1.0015, -e.deltaY), e.clientX - r.left, e.clientY - r.top);
    }
    var drag = null;
    function onDown(e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, tx: tx, ty: ty };
      container.classList.add("tg-dragging");
      container.setPointerCapture && container.setPointerCapture(e.pointerId);
    }
    function onMove(e) {
      if (!drag) return;
      tx = drag.tx + e.clientX - drag.x; ty = drag.ty + e.clientY - drag.y;
      apply();
    }
    function onUp() { drag = null; container.classList.remove("tg-dragging"); }
    container.addEventListener("wheel", onWheel, { passive: false });
    container.addEventListener("pointerdown", onDown);
    container.addEventListener("pointermove", onMove);
    container.addEventListener("pointerup", onUp);
    container.addEventListener("pointercancel", onUp);

    /* What the graph shows after `done` steps: every gradient accumulated so far. */
    function step(done) {
      state = Math.max(0, Math.min(steps.length, Math.round(Number(done) || 0)));
      var acc = {};
      acc[data.output] = byId[data.output].grad_s;
      for (var j = 0; j < state; j++) acc[steps[j].to] = steps[j].acc_s;
      if (state === steps.length)
        nodes.forEach(function (n) { if (n.kind !== "const") acc[n.id] = n.grad_s; });
      nodes.forEach(function (n) {
        n.group.classList.remove("at", "to");
        if (!n.gradText) return;
        var has = Object.prototype.hasOwnProperty.call(acc, n.id);
        n.gradText.textContent = "grad " + (has ? cut(acc[n.id], 18) : "?");
        n.group.classList.toggle("done", has);
        if (has) n.group.setAttribute("data-grad", acc[n.id]);
        else n.group.removeAttribute("data-grad");
      });
      Object.keys(fwdEdge).forEach(function (key) { fwdEdge[key].classList.remove("hot"); });
      steps.forEach(function (st, j) {
        st.edge.classList.toggle("hidden", j >= state);
        st.label.classList.toggle("hidden", j >= state);
        st.edge.classList.toggle("hot", j === state - 1);
        st.label.classList.toggle("old", j < state - 1);
      });
      if (state > 0) {
        var st = steps[state - 1];
        byId[st.at].group.classList.add("at");
        byId[st.to].group.classList.add("to");
        fwdEdge[st.at + ":" + st.k].classList.add("hot");
        /* the current edge and its label above the others */
        bwdLayer.appendChild(st.edge);
        labelLayer.appendChild(st.label);
      }
      placeRing();
      reveal();
      if (options.onStep) options.onStep(state, state > 0 ? steps[state - 1] : null);
      return state;
    }

    /* the first view: all of it if readable, else 1:1 with the output near the right edge
       (the backward pass then walks leftwards into view) */
    if (fitScale() >= READABLE) fit();
    else {
      var out = nodeBox(byId[data.output]), b0 = box();
      s = 1;
      tx = b0.w - Math.min(200, b0.w / 5) - (out.x + out.w);
      ty = b0.h / 2 - (out.y + out.h / 2);
      apply();
    }
    step(0);
    return {
      nSteps: steps.length,
      step: step,
      current: function () { return state; },
      fit: fit,
      actualSize: actualSize,
      zoomBy: zoomBy,
      scale: function () { return s; },
      destroy: function () {
        container.removeEventListener("wheel", onWheel);
        container.removeEventListener("pointerdown", onDown);
        container.removeEventListener("pointermove", onMove);
        container.removeEventListener("pointerup", onUp);
        container.removeEventListener("pointercancel", onUp);
        container.classList.remove("tg-graph", "tg-dragging");
        svg.remove();
      }
    };
  }

  window.tapegradGraph = { render: render };
})();

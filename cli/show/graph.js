/* graph.js: the graph view of tapegrad's pages: the stepping page (cli/show/page.html) and the
   live playground (cli/play), which both inline this file and graph.css. It lays out the JSON of
   tg_trace_backward (TG_TRACE_JSON: {output, nodes, steps}) in columns, draws it as SVG, zooms
   and pans, and shows the state after k backward steps. The page around it (buttons, formulas,
   step log, inputs) is the embedder's. No network, no library.

   Interface (one global, window.tapegradGraph):
     var view = tapegradGraph.render(data, container, options)
         data       the parsed JSON object (the view keeps it and adds its drawing to its nodes
                    and steps); container: an element with a size (the view fills it and never
                    resizes it); options (optional): {onStep: function (k, step)} called after
                    every step(k) (step is data.steps[k - 1], or null at 0).
     view.step(k)       show the state after k steps (0: before the first; view.nSteps: all
                        done); clamps k; highlights step k's two nodes and its edge and pans
                        them into view; returns the k shown
     view.step(k, {ask: true})
                        the same state after k steps, but step k + 1 is marked as the one being
                        asked (practice mode): its two nodes and its edge highlighted and in
                        view, its contribution and every later gradient not shown; at k =
                        nSteps the same as step(k)
     view.current()     the k shown
     view.nSteps        data.steps.length
     view.redraw(data)  the same view with another trace. When the graph is the same (nodes,
                        edges, steps; only numbers differ, as when an input moves) the numbers
                        change in place and the zoom, the pan and the step stay; else it is laid
                        out and drawn anew, with the first view, at step 0. Returns true when it
                        was laid out anew. data may be the object given before, changed.
     view.focus(id)     centre node id (at 1:1 if its text is too small to read at this zoom)
                        and outline it until the next step or focus; false if there is no node id
     view.fit()         the whole graph in the view (at most 1.25x)
     view.actualSize()  1:1 (text at its CSS size) around the current step
     view.zoomBy(f)     zoom by factor f around the centre of the view
     view.scale()       the current zoom (1: text at its CSS size)
     view.destroy()     remove the drawing and its listeners (do so before rendering another
                        graph into the same container)
   Mouse: the wheel zooms around the pointer, dragging the drawing pans (controls that the
   embedder puts in the container keep their clicks). The first view is drawn as fit when the
   whole graph is readable that way (scale >= 0.8), else 1:1 with the output near the right
   edge. Below scale 0.6, where the text is too small to read, a ring marks the current step and
   a note in the corner says how to zoom in. When the container changes size, a fitted graph
   that no longer fits is fitted again, and the current step is kept in view.
   After step k every node reached so far carries data-grad (its gradient so far) on its
   <g class="node" id="node-ID" data-label="...">; its tooltip says the same. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var W = 200, H = 92, CW = 300, GAP = 24, LANE = 14, PAD = 20, CONST_W = 80, CONST_H = 36;
  /* fit is the first view when it keeps the 15 px text at 12 px or more */
  var READABLE = 0.8, MAX_FIT = 1.25;
  /* below this the text (9 px and less) is too small to read: the ring and the note show */
  var SMALL = 0.6;
  /* the least room kept between a step's nodes and the edge of the view */
  var EDGE = 24;
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
     with an ellipsis to at most n characters now, and to its width by fitAll once every node
     is drawn. */
  function fitted(parent, attrs, s, n, width, list) {
    var t = el("text", attrs, parent, cut(s, n));
    list.push({ t: t, s: s, n: n, width: width });
    return t;
  }
  /* Every width is measured on a canvas in the font the text is drawn in (textFonts: read once
     per kind of text from a hidden node), not from the drawing: reading a drawn text's width makes the
     browser lay out the whole drawing first (a third of a second at 300 nodes, on every edit
     of the program). A pixel is kept spare for the two ways of measuring. */
  var canvas = null;
  function textFonts(parent, classes) {
    var probe = el("g", { "class": "node", visibility: "hidden" }, parent), fonts = {};
    if (window.getComputedStyle)
      classes.forEach(function (cls) {
        var cs = getComputedStyle(el("text", { "class": cls }, probe, "x"));
        fonts[cls] = [cs.fontStyle, cs.fontWeight, cs.fontSize, cs.fontFamily].join(" ");
      });
    probe.remove();
    return fonts;
  }
  function fitAll(list, fonts) {
    canvas = canvas || document.createElement("canvas");
    var ctx = list.length && canvas.getContext ? canvas.getContext("2d") : null, byFont = {};
    if (!ctx) return;
    list.forEach(function (f) {
      var font = fonts[f.t.getAttribute("class")];
      if (font) (byFont[font] = byFont[font] || []).push(f);
    });
    Object.keys(byFont).forEach(function (font) {
      ctx.font = font;
      byFont[font].forEach(function (f) {
        var room = f.width - 1;
        if (ctx.measureText(cut(f.s, f.n)).width <= room) return;
        var lo = 1, hi = Math.min(f.n, f.s.length);
        while (lo < hi) {
          var mid = Math.ceil((lo + hi) / 2);
          if (ctx.measureText(cut(f.s, mid)).width <= room) lo = mid; else hi = mid - 1;
        }
        f.t.textContent = cut(f.s, lo);
      });
    });
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

  /* What makes two traces the same picture: everything the layout and the texts other than
     numbers come from. Values, gradients and contributions may differ. */
  function shapeOf(data) {
    return data.output + "|" + data.nodes.map(function (n) {
      return n.id + " " + n.kind + " " + n.label + " " + (n.op || "") + " " + (n.expr || "") + " " +
             n.inputs.join(",");
    }).join(";") + "|" + data.steps.map(function (st) { return st.at + ":" + st.k + ":" + st.to; }).join(";");
  }
  function tooltip(n, grad) {
    return n.label + (n.kind === "op" ? " = " + n.expr : "") + "\nvalue " + n.value_s +
           (n.kind === "const" ? "" : "\ngrad " + (grad === null || grad === undefined ? "?" : grad));
  }

  function render(data, container, options) {
    options = options || {};
    var id = "tg" + (++serial);
    container.classList.add("tg-graph");
    var svg = el("svg", { xmlns: SVGNS, role: "img", "aria-label": "computational graph" }, container);
    var defs = el("defs", {}, svg);
    [["fwd", "#2e7d32"], ["bwd", "#c62828"]].forEach(function (m) {
      var mk = el("marker", { id: id + "-" + m[0], viewBox: "0 0 10 10", refX: 9, refY: 5,
                              markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse",
                              orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: m[1] }, mk);
    });
    /* what to do when the picture is too small to read (a projector's back row) */
    var hint = document.createElement("div");
    hint.className = "tg-hint hidden";
    hint.textContent = "Too small to read at this zoom: the wheel or + zooms in, 1:1 shows the text at its size.";
    container.appendChild(hint);

    /* The drawing of one trace; redraw() makes it again for a trace of another shape. */
    var nodes, steps, byId, size, shape, world = null, bwdLayer, labelLayer, ring, fwdEdge;
    function draw(d) {
      data = d; nodes = d.nodes; steps = d.steps; byId = {}; shape = shapeOf(d);
      nodes.forEach(function (n) { byId[n.id] = n; n.users = []; });
      nodes.forEach(function (n) {
        n.inputs.forEach(function (i, k) { byId[i].users.push({ id: n.id, k: k }); });
      });
      size = layout(nodes, byId);
      if (world) world.remove();
      /* the fonts of the texts, read while the page's style is up to date (before the drawing
         adds a few thousand elements to style) */
      var fonts = textFonts(svg, ["label", "expr"]);
      world = el("g", {}, svg);
      var edgeLayer = el("g", {}, world);
      bwdLayer = el("g", {}, world);
      var nodeLayer = el("g", {}, world);
      labelLayer = el("g", {}, world);
      /* a ring around the current step that stays visible when the graph is zoomed out */
      ring = el("rect", { "class": "focusring", rx: 12 }, world);
      fwdEdge = {};
      var texts = [];
      nodes.forEach(function (n) {
        n.inputs.forEach(function (i, k) {
          fwdEdge[n.id + ":" + k] = el("path", { "class": "fwd", d: route(n, k, byId, 0).d,
                                                 "marker-end": "url(#" + id + "-fwd)" }, edgeLayer);
        });
      });
      /* a step's backward edge and label are drawn when it is first shown (backward()) */
      steps.forEach(function (st) { st.edge = st.label = null; });
      nodes.forEach(function (n) {
        var kind = n.kind + (n.id === d.output ? " output" : "");
        var g = el("g", { "class": "node " + kind, id: "node-" + n.id,
                          transform: "translate(" + n.x + "," + n.y + ")" }, nodeLayer);
        g.setAttribute("data-label", n.label);
        n.tip = el("title", {}, g, tooltip(n));
        n.group = g;
        n.gradText = n.valueText = null;
        if (n.kind === "const") {
          el("rect", { x: W / 2 - CONST_W / 2, width: CONST_W, height: CONST_H, rx: 9 }, g);
          fitted(g, { x: W / 2, y: CONST_H / 2 + 6, "text-anchor": "middle", "class": "label" },
                 n.label, 10, CONST_W - 10, texts);
          return;
        }
        el("rect", { width: W, height: H, rx: 7 }, g);
        fitted(g, { x: 10, y: 22, "class": "label" }, n.label, 30, W - 18, texts);
        fitted(g, { x: 10, y: 44, "class": "expr" }, n.kind === "op" ? n.op + ": " + n.expr : n.kind,
               34, W - 18, texts);
        n.valueText = el("text", { x: 10, y: 65, "class": "value" }, g, "value " + cut(n.value_s, 18));
        n.valueText.shown = n.value_s;
        n.gradText = el("text", { x: 10, y: 85, "class": "grad" }, g, "grad ?");
      });
      fitAll(texts, fonts);
      hotEdge = null;
      marks = [];
      view.nSteps = steps.length;
    }
    function backward(st) {
      var r = route(byId[st.at], st.k, byId, 6);
      st.edge = el("path", { "class": "bwd hidden", d: r.d, "marker-start": "url(#" + id + "-bwd)" },
                   bwdLayer);
      /* the contribution, just left of the slot where this edge enters its node */
      st.label = el("text", { "class": "bwdlabel hidden", x: r.portX - 10, y: r.portY - 7,
                              "text-anchor": "end" }, labelLayer, st.contribution_s);
      st.label.shown = st.contribution_s;
    }
    /* The same picture with other numbers: the drawing's elements move to d's nodes and steps
       (when d is another object), and only the texts whose numbers changed are set, so that a
       slider stays smooth at 300 nodes. */
    function renumber(d) {
      d.nodes.forEach(function (n, i) {
        var old = nodes[i];
        if (n !== old)
          ["col", "x", "y", "cy", "h", "lanes", "users", "group", "tip", "gradText", "valueText"]
            .forEach(function (f) { n[f] = old[f]; });
        if (n.valueText && n.valueText.shown !== n.value_s) {
          n.valueText.textContent = "value " + cut(n.value_s, 18);
          n.valueText.shown = n.value_s;
        }
      });
      d.steps.forEach(function (st, j) {
        var old = steps[j];
        if (st !== old) { st.edge = old.edge; st.label = old.label; }
      });
      data = d; nodes = d.nodes; steps = d.steps; byId = {};
      nodes.forEach(function (n) { byId[n.id] = n; });
    }

    /* zoom and pan: world = translate(tx, ty) scale(s) */
    var s = 1, tx = 0, ty = 0;
    function apply() {
      world.setAttribute("transform", "translate(" + tx + "," + ty + ") scale(" + s + ")");
      ring.setAttribute("stroke-width", Math.max(3, 3 / s));
      ring.classList.toggle("hidden", s >= SMALL);
      hint.classList.toggle("hidden", s >= SMALL);
    }
    function placeRing() {
      var r = focusBox(), m = 14;
      ring.setAttribute("x", r.x - m); ring.setAttribute("y", r.y - m);
      ring.setAttribute("width", r.w + 2 * m); ring.setAttribute("height", r.h + 2 * m);
    }
    /* The container's size, read once per task (a key press, an input that moves), before the
       view changes anything: reading it after a change makes the browser lay out the page
       first, and a size kept longer goes stale when the page around changes (a formula that
       wraps onto a second line). */
    var measured = null;
    function box() {
      if (!measured) {
        measured = { w: container.clientWidth || 800, h: container.clientHeight || 600 };
        Promise.resolve().then(function () { measured = null; });
      }
      return measured;
    }
    function fitScale() { var b = box(); return Math.min(b.w / size.width, b.h / size.height); }
    /* fitMode: the zoom is fit()'s, not the user's (wheel, buttons, drag, 1:1, focus) */
    var fitMode = false;
    function fit() {
      var b = box();
      s = Math.min(fitScale(), MAX_FIT);
      tx = (b.w - size.width * s) / 2; ty = (b.h - size.height * s) / 2;
      fitMode = true;
      apply();
    }
    /* The container got another size (the page around it changed: a panel above grew, the
       window): a fitted graph that no longer fits is fitted again, and the current step is
       kept in view. */
    function onResize() {
      measured = null;
      var b = box();
      if (!size || !world) return;
      if (fitMode && (size.width * s > b.w + 1 || size.height * s > b.h + 1)) fit();
      reveal();
    }
    var resizeObserver = window.ResizeObserver ? new ResizeObserver(onResize) : null;
    if (resizeObserver) resizeObserver.observe(container);
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
    /* state: the steps done; marked: the step highlighted (state - 1, or state when it is
       asked; -1: none, the output is the focus) */
    var state = 0, marked = -1, asking = false, hotEdge = null, focused = null, known = {}, marks = [];
    function focusBox() {
      if (marked < 0) return nodeBox(byId[data.output]);
      var st = steps[marked];
      return union(nodeBox(byId[st.at]), nodeBox(byId[st.to]));
    }
    /* Pans (never zooms) so that the current step's nodes are in view, by as little as keeps
       them a margin inside (a fifth of the view each way, so that stepping leftwards shows the
       next columns coming; less where the two nodes need the room); when both do not fit at
       this zoom, the node receiving the gradient is centred. */
    function fits(r, b) { return r.w * s <= b.w - 2 * EDGE && r.h * s <= b.h - 2 * EDGE; }
    function reveal() {
      var b = box(), r = focusBox();
      if (!fits(r, b)) {
        r = nodeBox(marked >= 0 ? byId[steps[marked].to] : byId[data.output]);
        if (!fits(r, b)) { centreOn(r); return; }
      }
      var mx = Math.min(200, b.w / 5, (b.w - r.w * s) / 2), my = Math.min(120, b.h / 5, (b.h - r.h * s) / 2);
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
    function clampPan(want, now, extent, span, focusVisible) {
      if (extent <= span) return focusVisible ? now : want;
      return Math.min(0, Math.max(span - extent, want));
    }
    function actualSize() { s = 1; fitMode = false; centreOn(focusBox()); }
    function zoomAt(f, px, py) {
      fitMode = false;
      var ns = Math.max(0.05, Math.min(4, s * f));
      tx = px - (px - tx) * ns / s; ty = py - (py - ty) * ns / s; s = ns;
      apply();
    }
    function zoomBy(f) { var b = box(); zoomAt(f, b.w / 2, b.h / 2); }
    function unfocus() { if (focused) focused.group.classList.remove("focus"); focused = null; }
    function focus(nid) {
      var n = byId[nid];
      if (!n) return false;
      if (s < READABLE) s = 1;
      fitMode = false;
      unfocus();
      n.group.classList.add("focus");
      focused = n;
      centreOn(nodeBox(n));
      return true;
    }
    /* the first view: all of it if readable, else 1:1 with the output near the right edge
       (the backward pass then walks leftwards into view) */
    function firstView() {
      if (fitScale() >= READABLE) { fit(); return; }
      var out = nodeBox(byId[data.output]), b = box();
      s = 1;
      fitMode = false;
      tx = b.w - Math.min(200, b.w / 5) - (out.x + out.w);
      ty = b.h / 2 - (out.y + out.h / 2);
      apply();
    }

    /* a node's tooltip, written when the pointer comes onto it: its full label and expression,
       its value and its gradient so far (not on every step for every node) */
    function onOver(e) {
      var g = e.target.closest ? e.target.closest("g.node") : null, n = g && byId[g.id.slice(5)];
      if (!n || n.group !== g) return;
      var grad = Object.prototype.hasOwnProperty.call(known, n.id) ? known[n.id] : null;
      n.tip.textContent = tooltip(n, grad);
    }
    function onWheel(e) {
      e.preventDefault();
      var r = container.getBoundingClientRect();
      zoomAt(Math.pow(1.0015, -e.deltaY), e.clientX - r.left, e.clientY - r.top);
    }
    var drag = null;
    function onDown(e) {
      /* only on the drawing: a button the embedder put in the container keeps its click */
      if (e.button !== 0 || !svg.contains(e.target)) return;
      drag = { x: e.clientX, y: e.clientY, tx: tx, ty: ty };
      container.classList.add("tg-dragging");
      container.setPointerCapture && container.setPointerCapture(e.pointerId);
    }
    function onMove(e) {
      if (!drag) return;
      tx = drag.tx + e.clientX - drag.x; ty = drag.ty + e.clientY - drag.y;
      fitMode = false;
      apply();
    }
    function onUp() { drag = null; container.classList.remove("tg-dragging"); }
    svg.addEventListener("mouseover", onOver);
    container.addEventListener("wheel", onWheel, { passive: false });
    container.addEventListener("pointerdown", onDown);
    container.addEventListener("pointermove", onMove);
    container.addEventListener("pointerup", onUp);
    container.addEventListener("pointercancel", onUp);

    /* What the graph shows after `done` steps: every gradient accumulated so far. Only what
       changed is set (a step at 300 nodes changes a few texts, not 300). */
    function step(done, opts) {
      box();
      state = Math.max(0, Math.min(steps.length, Math.round(Number(done) || 0)));
      asking = !!(opts && opts.ask) && state < steps.length;
      marked = asking ? state : state - 1;
      var acc = {};
      acc[data.output] = byId[data.output].grad_s;
      for (var j = 0; j < state; j++) acc[steps[j].to] = steps[j].acc_s;
      if (state === steps.length)
        nodes.forEach(function (n) { if (n.kind !== "const") acc[n.id] = n.grad_s; });
      unfocus();
      /* classList.remove writes the attribute even when the class is not there: only the last
         step's two nodes */
      marks.forEach(function (g) { g.classList.remove("at", "to"); });
      marks = [];
      nodes.forEach(function (n) {
        /* shown: the gradient a text has (null: "?"; undefined: not set yet) */
        var g = Object.prototype.hasOwnProperty.call(acc, n.id) ? acc[n.id] : null;
        if (!n.gradText || n.gradText.shown === g) return;
        n.gradText.shown = g;
        n.gradText.textContent = "grad " + (g !== null ? cut(g, 18) : "?");
        n.group.classList.toggle("done", g !== null);
        if (g !== null) n.group.setAttribute("data-grad", g);
        else n.group.removeAttribute("data-grad");
      });
      if (hotEdge) hotEdge.classList.remove("hot");
      hotEdge = null;
      known = acc;
      steps.forEach(function (st, j) {
        if (!st.edge) {
          if (j >= state && j !== marked) return;
          backward(st);
        }
        /* a contribution's text is set when it shows (an input that moves changes them all) */
        if (j < state && st.label.shown !== st.contribution_s) {
          st.label.textContent = st.contribution_s;
          st.label.shown = st.contribution_s;
        }
        st.edge.classList.toggle("hidden", j >= state && j !== marked);
        st.label.classList.toggle("hidden", j >= state);
        st.edge.classList.toggle("hot", j === marked);
        st.label.classList.toggle("old", j < marked);
      });
      if (marked >= 0) {
        var st = steps[marked];
        byId[st.at].group.classList.add("at");
        byId[st.to].group.classList.add("to");
        marks = [byId[st.at].group, byId[st.to].group];
        hotEdge = fwdEdge[st.at + ":" + st.k];
        hotEdge.classList.add("hot");
        /* the current edge and its label above the others */
        bwdLayer.appendChild(st.edge);
        labelLayer.appendChild(st.label);
      }
      placeRing();
      reveal();
      if (options.onStep) options.onStep(state, state > 0 ? steps[state - 1] : null);
      return state;
    }
    function redraw(d) {
      box();
      if (shapeOf(d) === shape) {
        renumber(d);
        step(state, { ask: asking });
        return false;
      }
      draw(d);
      firstView();
      step(0);
      return true;
    }

    var view = {
      nSteps: 0,
      step: step,
      current: function () { return state; },
      redraw: redraw,
      focus: focus,
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
        if (resizeObserver) resizeObserver.disconnect();
        container.classList.remove("tg-graph", "tg-dragging");
        svg.remove();
        hint.remove();
      }
    };
    box(); /* the size before the drawing is there to lay out */
    draw(data);
    firstView();
    step(0);
    return view;
  }

  window.tapegradGraph = { render: render };
})();

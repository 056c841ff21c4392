/* graph.js: the live page's picture of the graph: the nodes of a trace (tg_trace_backward's
 * JSON) laid out in layers (an operation one column right of its deepest arg), forward edges,
 * the backward step being taken, pan (drag) and zoom (wheel, buttons). It only draws; which
 * gradients are known at a step, and which are hidden, the page says through show(). */
"use strict";
function tapegradGraph(box) {
  var SVGNS = "http://www.w3.org/2000/svg";
  var W = 150, H = 58, CW = 236, RH = 72, PAD = 30;
  var READABLE = 0.75; /* below this scale the 14 px text is too small for a projector */
  var svg = document.createElementNS(SVGNS, "svg"), world = null, view = { s: 1, x: 0, y: 0 };
  var nodes = [], byId = {}, edges = {}, size = { w: 1, h: 1 }, label = null, drawn = null;
  svg.setAttribute("class", "graph");
  box.appendChild(svg);
  var hint = document.createElement("div"); /* what to do when the picture is too small to read */
  hint.className = "hint";
  hint.hidden = true;
  hint.textContent = "Zoom in to read the nodes: the wheel, + or a step (\u2192) brings them to full size.";
  box.appendChild(hint);
  /* The box's size, read once per resize rather than on every step (no forced layout). */
  var boxW = box.clientWidth || 800, boxH = box.clientHeight || 500;
  if (window.ResizeObserver)
    new ResizeObserver(function () { boxW = box.clientWidth || boxW; boxH = box.clientHeight || boxH; }).observe(box);

  /* An SVG element with its attributes (and text), appended to parent when there is one. */
  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (typeof text === "string") node.appendChild(document.createTextNode(text));
    return parent ? parent.appendChild(node) : node;
  }
  function cut(s, max) { return s.length <= max ? s : s.substring(0, max - 1) + "\u2026"; }

  /* Columns by depth; leaves one column left of their first user; rows ordered by the mean
     row of the neighbours, a few sweeps each way (crossings drop, the picture reads left to
     right like the program). */
  function layout(trace) {
    nodes = trace.nodes;
    byId = {};
    nodes.forEach(function (n) { byId[n.id] = n; n.users = []; n.level = 0; });
    nodes.forEach(function (n) {
      n.inputs.forEach(function (i, k) {
        byId[i].users.push({ id: n.id, k: k });
        n.level = Math.max(n.level, byId[i].level + 1);
      });
    });
    for (var i = nodes.length - 1; i >= 0; i--) {
      var n = nodes[i];
      if (n.inputs.length === 0 && n.users.length)
        n.level = Math.min.apply(null, n.users.map(function (u) { return byId[u.id].level; })) - 1;
    }
    var min = Math.min.apply(null, nodes.map(function (n) { return n.level; })), cols = [];
    nodes.forEach(function (n) { n.level -= min; (cols[n.level] = cols[n.level] || []).push(n); });
    for (var c = 0; c < cols.length; c++) cols[c] = cols[c] || [];
    function place(col) { col.forEach(function (n, r) { n.row = r; }); }
    function sortBy(col, key) {
      col.forEach(function (n) { var k = key(n); n.key = k === null ? n.row : k; });
      col.sort(function (a, b) { return a.key - b.key || a.id - b.id; });
      place(col);
    }
    function meanArgs(n) {
      if (!n.inputs.length) return null;
      return n.inputs.reduce(function (s, i) { return s + byId[i].row; }, 0) / n.inputs.length;
    }
    function meanUsers(n) {
      if (!n.users.length) return null;
      return n.users.reduce(function (s, u) {
        return s + byId[u.id].row + (u.k + 1) / (byId[u.id].inputs.length + 1) - 0.5;
      }, 0) / n.users.length;
    }
    cols.forEach(place);
    for (var sweep = 0; sweep < 3; sweep++) {
      for (c = 1; c < cols.length; c++) sortBy(cols[c], meanArgs);
      for (c = cols.length - 2; c >= 0; c--) sortBy(cols[c], meanUsers);
    }
    var rows = Math.max.apply(null, cols.map(function (col) { return col.length; }));
    cols.forEach(function (col, ci) {
      var off = (rows - col.length) * RH / 2;
      col.forEach(function (n, r) { n.x = PAD + ci * CW; n.y = PAD + off + r * RH; });
    });
    size = { w: 2 * PAD + (cols.length - 1) * CW + W, h: 2 * PAD + (rows - 1) * RH + H };
  }

  /* The edge from arg k of node n: out of the arg's right side, into n's left side at the
     height of slot k (so a*b and b*a look different). */
  function anchor(n, k) {
    var src = byId[n.inputs[k]];
    return { x1: src.x + W, y1: src.y + H / 2, x2: n.x, y2: n.y + (k + 1) * H / (n.inputs.length + 1) };
  }
  function curve(p) { /* a horizontal S: both control points halfway across */
    var half = (p.x2 - p.x1) / 2;
    return ["M", p.x1, p.y1, "c", half, 0, half, p.y2 - p.y1, p.x2 - p.x1, p.y2 - p.y1].join(" ");
  }

  /* The same graph with other numbers (an input moved): only the texts change, so that a
     slider stays smooth at 300 nodes. */
  function shapeOf(trace) {
    return trace.nodes.map(function (n) { return n.id + n.kind + n.label + ":" + n.inputs.join(","); }).join(";");
  }
  function update(trace) {
    trace.nodes.forEach(function (n) {
      var old = byId[n.id];
      n.x = old.x; n.y = old.y; n.group = old.group; n.gradText = old.gradText; n.users = old.users;
      if (n.gradText) n.gradText.shown = undefined; /* the numbers may have changed */
      if (old.value_s !== n.value_s) {
        n.group.firstChild.textContent = n.label + (n.kind === "op" ? " = " + n.expr : "") + "\nvalue " + n.value_s;
        if (n.kind !== "const") n.group.querySelector(".val").textContent = "= " + n.value_s;
      }
      byId[n.id] = n;
    });
    nodes = trace.nodes;
    drawn = trace;
    return size;
  }
  function draw(trace) {
    var shape = shapeOf(trace);
    if (drawn && shape === drawn.shape) { trace.shape = shape; return update(trace); }
    trace.shape = shape;
    layout(trace);
    if (world) svg.removeChild(world);
    world = el("g", {}, svg);
    var arrow = el("marker", { id: "fa", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 8,
                               markerHeight: 8, markerUnits: "userSpaceOnUse", orient: "auto" },
                   el("defs", {}, world));
    el("path", { d: "M0 0 8 4 0 8z", fill: "#78909c" }, arrow);
    var edgeLayer = el("g", {}, world), nodeLayer = el("g", {}, world);
    edges = {};
    nodes.forEach(function (n) {
      n.inputs.forEach(function (i, k) {
        edges[n.id + ":" + k] = el("path", { "class": "edge", d: curve(anchor(n, k)),
                                             "marker-end": "url(#fa)" }, edgeLayer);
      });
    });
    nodes.forEach(function (n) {
      var g = el("g", { "class": "node " + n.kind + (n.id === trace.output ? " output" : ""),
                        id: "node-" + n.id, transform: "translate(" + n.x + "," + n.y + ")" },
                 nodeLayer);
      el("title", {}, g, n.label + (n.kind === "op" ? " = " + n.expr : "") + "\nvalue " +
         n.value_s);
      n.group = g;
      /* a constant is a small pill with its number; other nodes a card: name, value, gradient */
      var pill = n.kind === "const", pw = 72, ph = 30;
      el("rect", pill ? { x: (W - pw) / 2, y: (H - ph) / 2, width: pw, height: ph, rx: ph / 2 }
                      : { width: W, height: H, rx: 7 }, g);
      var lines = pill ? [["lbl", W / 2, H / 2 + 5, cut(n.label, 9)]]
                       : [["lbl", 8, 17, cut(n.label, 19)], ["val", 8, 34, "= " + n.value_s], ["grd", 8, 50, ""]];
      lines.forEach(function (ln) {
        var t = el("text", { x: ln[1], y: ln[2], "class": ln[0] }, g, ln[3]);
        if (pill) t.setAttribute("text-anchor", "middle");
        if (ln[0] === "grd") n.gradText = t;
      });
    });
    label = el("g", { "class": "contrib hidden" }, world);
    el("rect", { rx: 4, height: 20 }, label);
    el("text", { y: 15, "text-anchor": "middle" }, label);
    drawn = trace;
    return size;
  }

  /* grads: {id: text} known so far (others show "?"); at, to, k: the step to highlight (at < 0:
     none); contribution: its label on the edge (null: none). */
  function show(grads, at, to, k, contribution) {
    if (!drawn) return;
    nodes.forEach(function (n) {
      var g = grads[n.id] !== undefined ? grads[n.id] : null;
      if (n.gradText && n.gradText.shown !== g) { /* only what changed: no relayout of the rest */
        n.gradText.textContent = "\u2202L = " + (g !== null ? g : "?");
        n.gradText.shown = g;
        if (g !== null) n.group.setAttribute("data-grad", g);
        else n.group.removeAttribute("data-grad");
      }
    });
    svg.querySelectorAll(".node.at, .node.to").forEach(function (e) { e.classList.remove("at", "to"); });
    svg.querySelectorAll(".edge.hot").forEach(function (e) { e.classList.remove("hot"); });
    label.classList.add("hidden");
    if (at < 0) return;
    byId[at].group.classList.add("at");
    byId[to].group.classList.add("to");
    edges[at + ":" + k].classList.add("hot");
    if (contribution !== null) {
      var p = anchor(byId[at], k), t = label.lastChild, r = label.firstChild;
      t.textContent = contribution;
      var w = 10 + 7.2 * contribution.length;
      r.setAttribute("width", w);
      r.setAttribute("x", -w / 2);
      t.setAttribute("x", 0);
      label.setAttribute("transform", "translate(" + (p.x1 + p.x2) / 2 + "," + ((p.y1 + p.y2) / 2 - 10) + ")");
      label.parentNode.appendChild(label); /* above the nodes it may overlap */
      label.classList.remove("hidden");
    }
  }

  function apply() {
    if (world) world.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.s + ")");
    svg.classList.toggle("far", view.s < 0.45);
    if (hint) hint.hidden = view.s >= 0.45;
  }
  function fit() {
    var bw = boxW, bh = boxH;
    view.s = Math.min(bw / size.w, bh / size.h, 1.25);
    view.x = (bw - size.w * view.s) / 2;
    view.y = (bh - size.h * view.s) / 2;
    apply();
  }
  function zoom(f, cx, cy) {
    var s = Math.max(0.03, Math.min(3, view.s * f));
    if (cx === undefined) { cx = boxW / 2; cy = boxH / 2; }
    view.x = cx - (cx - view.x) * s / view.s;
    view.y = cy - (cy - view.y) * s / view.s;
    view.s = s;
    apply();
  }
  /* Brings node id into view (and node also, when both fit: a step's two ends), at a readable
     size if the picture is too small to read. */
  function focus(id, also) {
    var n = byId[id], m = byId[also];
    if (!n) return;
    var bw = boxW, bh = boxH;
    var zoomed = view.s < READABLE;
    if (zoomed) view.s = 1; /* stepping is read at full size */
    var sx = view.x + (n.x + W / 2) * view.s, sy = view.y + (n.y + H / 2) * view.s;
    var both = m && Math.abs(m.x - n.x) * view.s < bw - 1.5 * W && Math.abs(m.y - n.y) * view.s < bh - 2 * H;
    var mx = view.x + ((m || n).x + W / 2) * view.s, my = view.y + ((m || n).y + H / 2) * view.s;
    var out = function (x, y) { return x < W / 2 || x > bw - W / 2 || y < H || y > bh - H; };
    if (zoomed || out(sx, sy) || (both && out(mx, my))) {
      var cx = both ? (n.x + m.x) / 2 + W / 2 : n.x + W / 2 - CW / 2;
      var cy = both ? (n.y + m.y) / 2 + H / 2 : n.y + H / 2;
      view.x = bw / 2 - cx * view.s;
      view.y = bh / 2 - cy * view.s;
    }
    apply();
  }
  box.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = box.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  var drag = null;
  box.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX - view.x, y: e.clientY - view.y };
    box.setPointerCapture(e.pointerId);
  });
  box.addEventListener("pointermove", function (e) {
    if (!drag) return;
    view.x = e.clientX - drag.x;
    view.y = e.clientY - drag.y;
    apply();
  });
  box.addEventListener("pointerup", function () { drag = null; });
  function focusIfSmall(id) { if (view.s < READABLE) focus(id); }
  return { draw: draw, show: show, fit: fit, zoom: zoom, focus: focus, focusIfSmall: focusIfSmall,
           size: function () { return size; }, scale: function () { return view.s; } };
}

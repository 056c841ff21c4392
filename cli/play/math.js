/* math.js: formulas for the eye. tapegradMath(text) turns an expression in the language's
 * syntax (a rule such as "1/(2*sqrt(a))", a node's label such as "a+sin(x)") into MathML
 * (Chromium and Firefox render MathML Core natively: no external fonts or scripts): a/b as a
 * fraction, a^b as a superscript, sqrt as a radical, abs as bars, d(E)/dv as a partial
 * derivative. Text it cannot read is shown as it is. Parentheses are put back only where the
 * precedence needs them, so the picture means what the node computes. */
"use strict";
var tapegradMath = (function () {
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function lex(s) {
    var toks = [], re = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|<=|>=|==|!=|[-+*\/^(),<>]))/y;
    re.lastIndex = 0;
    while (re.lastIndex < s.length) {
      if (/^\s*$/.test(s.slice(re.lastIndex))) break;
      var m = re.exec(s);
      if (!m) return null;
      toks.push(m[1] !== undefined ? { t: "num", v: m[1] } : m[2] !== undefined ? { t: "name", v: m[2] }
                                                                               : { t: m[3] === "**" ? "^" : m[3] });
    }
    return toks;
  }
  /* Pratt parser over the language's precedence: comparisons < + - < * / < unary < ^. */
  function parse(toks) {
    var i = 0;
    function peek() { return toks[i] ? toks[i].t : null; }
    function primary() {
      var tk = toks[i++];
      if (!tk) throw 0;
      if (tk.t === "num") return { k: "num", v: tk.v };
      if (tk.t === "name") {
        if (peek() === "(") {
          i++;
          var args = [expr(0)];
          while (peek() === ",") { i++; args.push(expr(0)); }
          if (toks[i++].t !== ")") throw 0;
          return { k: "call", f: tk.v, args: args };
        }
        return { k: "name", v: tk.v };
      }
      if (tk.t === "(") {
        var e = expr(0);
        if (!toks[i] || toks[i++].t !== ")") throw 0;
        return e;
      }
      if (tk.t === "-" || tk.t === "+") return { k: "neg", op: tk.t, a: unary() };
      throw 0;
    }
    function unary() {
      if (peek() === "-" || peek() === "+") { var op = toks[i++].t; return { k: "neg", op: op, a: unary() }; }
      var base = primary();
      if (peek() === "^") { i++; return { k: "bin", op: "^", a: base, b: unary() }; }
      return base;
    }
    var BP = { "<": 1, "<=": 1, ">": 1, ">=": 1, "==": 1, "!=": 1, "+": 2, "-": 2, "*": 3, "/": 3 };
    function expr(min) {
      var left = unary();
      while (BP[peek()] && BP[peek()] > min) {
        var op = toks[i++].t;
        left = { k: "bin", op: op, a: left, b: expr(BP[op]) };
      }
      return left;
    }
    var e = expr(0);
    if (i !== toks.length) throw 0;
    return e;
  }
  var PREC = { "<": 1, "<=": 1, ">": 1, ">=": 1, "==": 1, "!=": 1, "+": 2, "-": 2, "*": 3, "/": 3, "^": 5 };
  var SYM = { "*": "\u22c5", "-": "\u2212", "<=": "\u2264", ">=": "\u2265", "!=": "\u2260", "==": "=" };
  function prec(e) { return e.k === "bin" ? PREC[e.op] : e.k === "neg" ? 4 : 9; }
  function paren(m) { return "<mrow><mo>(</mo>" + m + "<mo>)</mo></mrow>"; }
  function name(v) {
    if (v === "pi") return "<mi>\u03c0</mi>";
    var m = /^([A-Za-z]{1,2})_?(\d+)$/.exec(v);  /* w1, x_2: a subscript (not atan2, log10) */
    if (m) return "<msub><mi>" + esc(m[1]) + "</mi><mn>" + m[2] + "</mn></msub>";
    return v.length > 1 ? "<mi mathvariant=\"normal\">" + esc(v) + "</mi>" : "<mi>" + esc(v) + "</mi>";
  }
  function ml(e) {
    switch (e.k) {
    case "num": return "<mn>" + esc(e.v) + "</mn>";
    case "name": return name(e.v);
    case "neg": return "<mrow><mo>" + (e.op === "-" ? "\u2212" : "+") + "</mo>" + (prec(e.a) < 4 ? paren(ml(e.a)) : ml(e.a)) + "</mrow>";
    case "call":
      if (e.f === "sqrt" && e.args.length === 1) return "<msqrt>" + ml(e.args[0]) + "</msqrt>";
      if (e.f === "abs" && e.args.length === 1) return "<mrow><mo>|</mo>" + ml(e.args[0]) + "<mo>|</mo></mrow>";
      if (e.f === "exp" && e.args.length === 1) return "<msup><mi>e</mi>" + ml(e.args[0]) + "</msup>";
      return "<mrow><mi>" + esc(e.f) + "</mi><mo>\u2061</mo>" +
             paren(e.args.map(ml).join("<mo>,</mo>")) + "</mrow>";
    }
    var p = PREC[e.op];
    if (e.op === "/") return "<mfrac>" + ml(e.a) + ml(e.b) + "</mfrac>";
    if (e.op === "^") {
      var base = prec(e.a) <= 5 || (e.a.k === "num" && e.a.v.charAt(0) === "-") ? paren(ml(e.a)) : ml(e.a);
      return "<msup>" + base + ml(e.b) + "</msup>";
    }
    var a = prec(e.a) < p ? paren(ml(e.a)) : ml(e.a);
    var b = prec(e.b) < p || (prec(e.b) === p && (e.op === "-" || e.op === "/" || p === 1)) ? paren(ml(e.b)) : ml(e.b);
    return "<mrow>" + a + "<mo>" + (SYM[e.op] || esc(e.op)) + "</mo>" + b + "</mrow>";
  }
  /* MathML (the inside of a <math> element) of text, or null when it is not an expression. */
  function expression(text) {
    var toks = lex(String(text));
    if (!toks || !toks.length) return null;
    try { return ml(parse(toks)); } catch (e) { return null; }
  }
  function any(text) {
    var d = /^d\((.*)\)\/d([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
    if (d) {
      var top = expression(d[1]);
      if (top) return "<mfrac><mrow><mo>\u2202</mo>" + paren(top) + "</mrow><mrow><mo>\u2202</mo>" + name(d[2]) + "</mrow></mfrac>";
    }
    return expression(text) || "<mtext>" + esc(text) + "</mtext>";
  }
  /* dL/d(label) as a fraction; a long label is cut (its node number kept) so that the
     fraction stays one line of the page. */
  function dL(label) {
    if (label.length > 22) {
      var tail = /#\d+$/.exec(label);
      return "<mfrac><mrow><mo>\u2202</mo><mi>L</mi></mrow><mrow><mo>\u2202</mo><mtext>(" +
             esc(label.slice(0, 14).replace(/\s+$/, "")) + "\u2026" + (tail ? " " + tail[0] : "") + ")</mtext></mrow></mfrac>";
    }
    var e = expression(label), simple = e && /^[A-Za-z_][A-Za-z0-9_]*$/.test(label);
    return "<mfrac><mrow><mo>\u2202</mo><mi>L</mi></mrow><mrow><mo>\u2202</mo>" +
           (simple ? e : paren(e || "<mtext>" + esc(label) + "</mtext>")) + "</mrow></mfrac>";
  }
  return { expression: expression, any: any, dL: dL, esc: esc,
           math: function (inner, block) { return "<math" + (block ? " display=\"block\"" : "") + ">" + inner + "</math>"; } };
})();
if (typeof module === "object" && module.exports) module.exports = tapegradMath;

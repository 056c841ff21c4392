/* engine.js: the live page's engine: tapegrad.wasm (the command's own C, cli/play/wasm_entry.c)
 * behind a WASI shim of a few calls. fd 1 and fd 2 are collected as text; files, clocks and
 * the environment are not offered (the command needs none of them for what the page asks).
 * tapegradEngine(bytes) returns a Promise of {command(argv), trace(program, args)}. Also runs
 * under Node.js (tests). No network, no globals but tapegradEngine. */
"use strict";
function tapegradEngine(bytes) {
  var ERRNO_BADF = 8, ERRNO_NOSYS = 52;
  var module = null, instance = null, outputs = null;
  var decoder = new TextDecoder("utf-8"), encoder = new TextEncoder();
  function view() { return new DataView(instance.exports.memory.buffer); }
  function ProcExit(code) { this.code = code; }
  var wasi = {
    fd_write: function (fd, iovs, n_iovs, n_written) {
      var dv = view(), total = 0, mem = new Uint8Array(dv.buffer);
      for (var i = 0; i < n_iovs; i++) {
        var ptr = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
        if (outputs && (fd === 1 || fd === 2)) outputs[fd].push(mem.slice(ptr, ptr + len));
        total += len;
      }
      dv.setUint32(n_written, total, true);
      return fd === 1 || fd === 2 ? 0 : ERRNO_BADF;
    },
    fd_prestat_get: function () { return ERRNO_BADF; }, /* no preopened directories */
    fd_fdstat_get: function () { return ERRNO_BADF; },  /* not a terminal: fully buffered */
    proc_exit: function (code) { throw new ProcExit(code); }
  };
  function start() {
    var imports = { wasi_snapshot_preview1: {} };
    WebAssembly.Module.imports(module).forEach(function (imp) {
      if (imp.kind !== "function") return;
      imports[imp.module] = imports[imp.module] || {};
      imports[imp.module][imp.name] = (imp.module === "wasi_snapshot_preview1" && wasi[imp.name]) ||
        function () { return ERRNO_NOSYS; };
    });
    instance = new WebAssembly.Instance(module, imports);
    instance.exports._initialize();
  }
  function text(chunks) {
    var n = 0, at = 0;
    chunks.forEach(function (c) { n += c.length; });
    var all = new Uint8Array(n);
    chunks.forEach(function (c) { all.set(c, at); at += c.length; });
    return decoder.decode(all);
  }
  /* Copies strings into the module's memory as NUL-terminated UTF-8 and an array of pointers. */
  function cStrings(list) {
    var ex = instance.exports, ptrs = [];
    list.forEach(function (s) {
      var b = encoder.encode(String(s)), p = ex.tgw_alloc(b.length + 1);
      var mem = new Uint8Array(ex.memory.buffer);
      mem.set(b, p);
      mem[p + b.length] = 0;
      ptrs.push(p);
    });
    var arr = ex.tgw_alloc(4 * ptrs.length + 4), dv = view();
    ptrs.forEach(function (p, i) { dv.setUint32(arr + 4 * i, p, true); });
    return { array: arr, ptrs: ptrs };
  }
  function freeStrings(cs) {
    cs.ptrs.forEach(function (p) { instance.exports.tgw_free(p); });
    instance.exports.tgw_free(cs.array);
  }
  /* Calls fn with fresh output buffers; a trap (or exit) gets a new instance for next time. */
  function call(fn) {
    outputs = { 1: [], 2: [] };
    var rc;
    try {
      rc = fn();
    } catch (e) {
      var code = e instanceof ProcExit ? e.code : 2, err = text(outputs[2]);
      start();
      outputs[2] = [encoder.encode(err || "tapegrad: error: the engine stopped (" + e + ")\n")];
      rc = code;
    }
    var res = { code: rc, stdout: text(outputs[1]), stderr: text(outputs[2]) };
    outputs = null;
    return res;
  }
  var api = {
    /* argv without argv[0]: {code, stdout, stderr} exactly as the command gives them. */
    command: function (argv) {
      return call(function () {
        var cs = cStrings(["tapegrad"].concat(argv));
        var rc = instance.exports.tgw_command(argv.length + 1, cs.array);
        freeStrings(cs);
        return rc;
      });
    },
    /* The trace JSON (parsed) of program with args ["NAME=VALUE", ...], or null. */
    trace: function (program, args) { return traced("tgw_trace", program, args); },
    /* Only the trace's numbers (wasm_entry.c's tgw_numbers), or null. */
    numbers: function (program, args) { return traced("tgw_numbers", program, args); }
  };
  function traced(entry, program, args) {
    var r = call(function () {
      var cs = cStrings([program].concat(args));
      var rc = instance.exports[entry](cs.ptrs[0], args.length, cs.array + 4);
      freeStrings(cs);
      return rc;
    });
    return r.code === 0 ? JSON.parse(r.stdout) : null;
  }
  return WebAssembly.compile(bytes).then(function (m) { module = m; start(); return api; });
}
if (typeof module === "object" && module.exports) module.exports = tapegradEngine;

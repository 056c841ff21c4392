// wasi_run.js: runs a wasm32-wasi command under Node.js's WASI (node wasi_run.js prog.wasm args...),
// for tests/ops/libm_wasm.sh. Exits with the program's status.
'use strict';
const { WASI } = require('wasi');
const fs = require('fs');
const wasi = new WASI({ version: 'preview1', args: process.argv.slice(2), env: {}, returnOnExit: true });
WebAssembly.compile(fs.readFileSync(process.argv[2]))
  .then((module) => WebAssembly.instantiate(module, wasi.getImportObject()))
  .then((instance) => process.exit(wasi.start(instance)));

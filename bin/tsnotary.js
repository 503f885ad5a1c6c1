#!/usr/bin/env node
// Entry point, CommonJS on purpose (bin/package.json): on Node 20 an ES module entry costs ~10 ms
// of loader start-up before any of our code runs. Keep this file tiny; everything heavy is
// loaded lazily by the command that needs it.
const { main } = require('../dist/cli-bundle/main.cjs');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() renders every error itself; reaching this means a bug in the renderer.
    process.stderr.write(`tsnotary: internal error: ${err?.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);

#!/usr/bin/env node
// Entry point: keep this file tiny; everything heavy is loaded lazily by the command that needs it.
import { main } from '../dist/bundle/main.js';

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

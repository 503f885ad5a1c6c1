// Entry of the single-file executable (scripts/build-binary.mjs): the same CLI as bin/tsnotary.js,
// bundled into one CommonJS file. Registers the binary's host first, so the one place that
// differs (loading the native PKCS#11 addon, src/keystore/pkcs11/addon.ts) can tell.
import { createRequire } from 'node:module';
import { main } from '../dist/cli/main.js';

globalThis.__tsnotarySingleBinary = { require: createRequire(process.execPath) };
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsnotary: internal error: ${err?.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);

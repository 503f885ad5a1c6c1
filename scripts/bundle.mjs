// Bundles the compiled CLI (dist/) into a few files: the start-up path (argument parsing,
// help, command table) becomes one module, and each handler group one lazily loaded chunk.
// Node's ESM loader reads and compiles every module separately, so ~60 small modules cost
// measurable start-up time; undici and pkcs11js stay external (loaded only when needed).
// Built next to the old bundle and swapped in, so a running CLI sees the bundle missing only
// for the instant between the two renames.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'rolldown';

const out = 'dist/bundle';
const next = `${out}.next`;
const old = `${out}.old`;
rmSync(next, { recursive: true, force: true });
await build({
  // `index`: the library entry (src/index.ts), sharing chunks with the CLI (one engine).
  input: { main: 'dist/cli/main.js', index: 'dist/index.js' },
  platform: 'node',
  external: ['undici', 'pkcs11js', /^node:/],
  logLevel: 'warn',
  output: { dir: next, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
});
rmSync(old, { recursive: true, force: true });
try {
  renameSync(out, old);
} catch {
  // first build: nothing to move aside
}
renameSync(next, out);
rmSync(old, { recursive: true, force: true });

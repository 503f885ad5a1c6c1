// Bundles the compiled sources (dist/) twice, from the same modules:
//   dist/cli-bundle/*.cjs  the CLI (bin/tsnotary.js): CommonJS, because on Node 20 an ES module
//                          entry alone costs ~10 ms of loader start-up and every ESM chunk is
//                          resolved and linked asynchronously (docs/decisions.md, issue 10 round 3);
//   dist/bundle/*.js       the library (`import ... from 'tsnotary'`): ES modules.
// In both, the start-up path (argument parsing, help, command table) is one module and each
// handler group one lazily loaded chunk. undici and pkcs11js stay external (loaded only when
// needed). Each is built next to the old output and swapped in, so a running CLI sees a bundle
// missing only for the instant between the two renames.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'rolldown';

const common = { platform: 'node', external: ['undici', 'pkcs11js', /^node:/], logLevel: 'warn' };

async function bundle(out, input, output) {
  const next = `${out}.next`;
  const old = `${out}.old`;
  rmSync(next, { recursive: true, force: true });
  await build({ ...common, input, output: { dir: next, ...output } });
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(out, old);
  } catch {
    // first build: nothing to move aside
  }
  renameSync(next, out);
  rmSync(old, { recursive: true, force: true });
}

await bundle(
  'dist/cli-bundle',
  { main: 'dist/cli/main.js' },
  { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs' },
);
await bundle(
  'dist/bundle',
  { index: 'dist/index.js' },
  { format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
);

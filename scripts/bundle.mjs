// Bundles the compiled CLI (dist/) into a few files: the start-up path (argument parsing,
// help, command table) becomes one module, and each handler group one lazily loaded chunk.
// Node's ESM loader reads and compiles every module separately, so ~60 small modules cost
// measurable start-up time; undici and pkcs11js stay external (loaded only when needed).
import { rmSync } from 'node:fs';
import { build } from 'rolldown';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  input: { main: 'dist/cli/main.js' },
  platform: 'node',
  external: ['undici', 'pkcs11js', /^node:/],
  logLevel: 'warn',
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
  },
});

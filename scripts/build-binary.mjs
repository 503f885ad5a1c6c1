// `npm run build:binary`: a single-file tsnotary for linux-x64 (Node single-executable
// application). Needs `npm run build` first (it bundles the compiled dist/, as the npm CLI does).
//   1. one CommonJS file (SEA runs only CommonJS and cannot load chunks or call import()),
//      with undici inside and the version built in;
//   2. the SEA blob (`node --experimental-sea-config`), with V8's code cache;
//   3. a copy of this node binary with the blob injected (postject).
// Output: dist/binary/tsnotary (or the directory given as the first argument).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'dist', 'binary'));
const work = join(outDir, '.work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  // not a git checkout: no commit in `version`
}

const bundle = join(work, 'tsnotary.cjs');
await build({
  input: join(root, 'scripts', 'sea-entry.mjs'),
  platform: 'node',
  // pkcs11js is a native addon: it cannot be inside the binary (loaded from beside it, if present).
  external: ['pkcs11js', /^node:/],
  logLevel: 'warn',
  transform: {
    define: {
      __TSNOTARY_VERSION__: JSON.stringify(pkg.version),
      __TSNOTARY_COMMIT__: JSON.stringify(commit),
    },
  },
  output: { file: bundle, format: 'cjs', codeSplitting: false },
});

const blob = join(work, 'sea.blob');
const config = join(work, 'sea-config.json');
writeFileSync(
  config,
  JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    // the start-up snapshot does not build on Node 20 (node:http), the code cache does
    useSnapshot: false,
    useCodeCache: true,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });

const exe = join(work, 'tsnotary');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'postject', 'dist', 'cli.js'),
    exe,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'pipe' },
);
renameSync(exe, join(outDir, 'tsnotary'));
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${join(outDir, 'tsnotary')}\n`);

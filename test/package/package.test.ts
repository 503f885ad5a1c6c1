// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * The package as users get it (issue 13): packed with `npm pack`, installed from a clean
 * directory through a registry (a loopback one serving the local tarballs: the tests have no
 * internet), used as a library by a consumer project compiled with `tsc --strict`, installed
 * globally, run with `npx`, and installed on a machine without build tools (pkcs11js optional).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, type RunOptions, run, tempDir } from '../helpers/cli.js';
import { type LocalRegistry, startLocalRegistry } from '../helpers/local-registry.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { type PackResult, packProject, reportedExports, tarballFiles } from '../helpers/package.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
};
const GUN = 'example.com/library/app';

let work: string;
let pack: PackResult;
let registry: LocalRegistry;
let server: NotaryServer;
/** A trust dir holding GUN, published with the repository's CLI. */
let trustDir: string;

/** npm against the loopback registry with a private, empty cache. */
function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    npm_config_registry: registry.url,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

function npm(args: string[], opts: RunOptions = {}) {
  return run('npm', args, { timeoutMs: 240_000, ...opts, env: { ...npmEnv(), ...opts.env } });
}

beforeAll(async () => {
  work = tempDir('tsnotary-package-');
  pack = await packProject(work);
  registry = await startLocalRegistry(pack.dependencies);
  server = await startNotaryServer();
  trustDir = join(work, 'trust');
  const cli = (args: string[]) =>
    run(
      process.execPath,
      [join(projectRoot, 'bin', 'tsnotary.js'), '-s', server.url, '-d', trustDir, ...args],
      {
        env: PASS,
        cwd: work,
      },
    );
  writeFileSync(join(work, 'payload.txt'), 'hello library\n');
  for (const args of [
    ['init', GUN],
    ['add', GUN, 'v1', join(work, 'payload.txt')],
    ['add', GUN, 'v2', join(work, 'payload.txt')],
    ['publish', GUN],
  ]) {
    const r = await cli(args);
    if (r.code !== 0) throw new Error(`tsnotary ${args.join(' ')} failed: ${r.all}`);
  }
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await registry?.close();
});

describe('public API surface', () => {
  it('matches the checked-in API report (run `npm run api:update` after changing it)', () => {
    expect(pack.apiReport.output).not.toMatch(/changed|missing/i);
    expect(pack.apiReport.ok, pack.apiReport.output).toBe(true);
  });

  it('docs/library.md documents every export', () => {
    const doc = readFileSync(join(projectRoot, 'docs', 'library.md'), 'utf8');
    const headings = new Set([...doc.matchAll(/^### ([A-Za-z0-9_]+)$/gm)].map((m) => m[1]));
    const exported = reportedExports(readFileSync(join(projectRoot, 'api', 'tsnotary.api.md'), 'utf8'));
    expect(exported.length).toBeGreaterThan(20);
    expect(exported.filter((name) => !headings.has(name))).toEqual([]);
  });
});

describe('packed tarball', () => {
  it('holds the bundle, types, README and LICENSE, and no dev-only files', async () => {
    const files = await tarballFiles(pack.tarball);
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/tsnotary.js',
      'bin/package.json',
      'dist/cli-bundle/main.cjs',
      'dist/bundle/index.js',
      'dist/tsnotary.d.ts',
    ]) {
      expect(files).toContain(f);
    }
    const devOnly = files.filter((f) =>
      /^(src|test|bench|scripts|docs|api|fixtures|dist\/(types|cli|repo|tuf|api))\/|tsconfig|vitest|biome|\.ts$/.test(
        f.replace(/\.d\.ts$/, ''),
      ),
    );
    expect(devOnly).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as Record<
      string,
      never
    >;
    expect(manifest['engines']).toHaveProperty('node');
    expect(manifest['optionalDependencies']).toHaveProperty('pkcs11js');
    expect(manifest['dependencies'] ?? {}).not.toHaveProperty('pkcs11js');
    expect(manifest['scripts']).not.toHaveProperty('prepare');
    expect(manifest['exports']).toMatchObject({ '.': { types: './dist/tsnotary.d.ts' } });
  });
});

describe('library consumer project (outside the repository)', () => {
  it('compiles every docs/library.md example with tsc --strict and the first one lists the targets as the CLI does', async () => {
    const consumer = join(work, 'consumer');
    mkdirSync(join(consumer, 'src'), { recursive: true });
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const install = await npm(
      [
        'install',
        '--omit=optional',
        pack.tarball,
        join(projectRoot, 'node_modules', 'typescript'),
        join(projectRoot, 'node_modules', '@types', 'node'),
      ],
      { cwd: consumer },
    );
    expect(install.code, install.all).toBe(0);

    const doc = readFileSync(join(projectRoot, 'docs', 'library.md'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks.length).toBeGreaterThan(20);
    const files = blocks.map((code, i) => {
      const file = join(consumer, 'src', `example${String(i).padStart(2, '0')}.ts`);
      writeFileSync(file, code);
      return file;
    });
    const tsc = await run(
      process.execPath,
      [
        join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--strict',
        '--module',
        'nodenext',
        '--target',
        'es2022',
        '--types',
        'node',
        '--outDir',
        join(consumer, 'out'),
        ...files,
      ],
      { cwd: consumer, timeoutMs: 240_000 },
    );
    expect(tsc.code, tsc.all).toBe(0);

    const env = { NOTARY_SERVER: server.url, GUN, TRUST_DIR: trustDir };
    const lib = await run(process.execPath, [join(consumer, 'out', 'example00.js')], { env, cwd: consumer });
    expect(lib.stderr).toBe('');
    expect(lib.code).toBe(0);
    const cli = await run(
      process.execPath,
      [
        join(consumer, 'node_modules', 'tsnotary', 'bin', 'tsnotary.js'),
        '-s',
        server.url,
        '-d',
        trustDir,
        'list',
        GUN,
        '--format',
        'json',
      ],
      { cwd: consumer },
    );
    expect(cli.code, cli.all).toBe(0);
    expect(lib.stdout).toBe(cli.stdout);
    expect((JSON.parse(lib.stdout) as { targets: { name: string }[] }).targets.map((t) => t.name)).toEqual([
      'v1',
      'v2',
    ]);
  });
});

/** Where `name` is on this machine's PATH. */
function onPath(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not on PATH`);
}

/**
 * A bin directory with node, npm and a shell but no compiler, make or python: node-gyp cannot
 * build pkcs11js there, as on a slim CI image.
 */
function noBuildToolsPath(): string {
  const bin = join(work, 'no-build-tools-bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, target] of [
    ['node', process.execPath],
    ['npm', onPath('npm')],
    ['npx', onPath('npx')],
    ['sh', onPath('sh')],
    ['bash', onPath('bash')],
    ['env', onPath('env')],
  ] as const) {
    try {
      symlinkSync(target, join(bin, name));
    } catch {
      // made by an earlier test
    }
  }
  return bin;
}

describe('install paths from a clean directory', () => {
  it('npm install -g of the packed tarball, on a machine without build tools', async () => {
    const prefix = join(work, 'global');
    const clean = tempDir('tsnotary-clean-');
    const PATH = `${join(prefix, 'bin')}:${noBuildToolsPath()}`;
    const install = await npm(['install', '-g', '--prefix', prefix, pack.tarball], {
      cwd: clean,
      env: { PATH },
    });
    expect(install.code, install.all).toBe(0);
    const pkgDir = join(prefix, 'lib', 'node_modules', 'tsnotary');
    // pkcs11js could not build: npm dropped the optional dependency and carried on
    expect(() => readFileSync(join(pkgDir, 'node_modules', 'pkcs11js', 'package.json'))).toThrow();

    const version = await run('tsnotary', ['version'], { cwd: clean, env: { PATH } });
    expect(version.code, version.all).toBe(0);
    expect(version.stdout).toMatch(/Version:\s+0\.\d+\.\d+/);

    // commands that never touch a token say nothing about PKCS#11
    const trust = join(clean, 'trust');
    const list = await run('tsnotary', ['-s', server.url, '-d', trustDir, 'list', GUN], {
      cwd: clean,
      env: { PATH },
    });
    expect(list.code, list.all).toBe(0);
    expect(list.stdout).toContain('v1');
    expect(list.all).not.toMatch(/pkcs|PKCS/);
    const keys = await run('tsnotary', ['-d', trust, 'key', 'list'], { cwd: clean, env: { PATH } });
    expect(keys.code, keys.all).toBe(0);
    expect(keys.all).not.toMatch(/pkcs|PKCS/);

    // a PKCS#11 module asked for by name: one clear message, and the files still work
    const token = await run('tsnotary', ['-d', trust, 'key', 'list'], {
      cwd: clean,
      env: { PATH, NOTARY_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so' },
    });
    expect(token.code, token.all).toBe(0);
    expect(token.stderr).toMatch(/PKCS#11 support is not installed/);
    expect(token.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('npx tsnotary from the packed tarball', async () => {
    const clean = tempDir('tsnotary-npx-');
    const r = await run(
      'npx',
      [
        '--yes',
        `--package=${pack.tarball}`,
        'tsnotary',
        '-s',
        server.url,
        '-d',
        trustDir,
        'lookup',
        GUN,
        'v2',
      ],
      { cwd: clean, env: npmEnv(), timeoutMs: 240_000 },
    );
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toMatch(/^v2 sha256:[0-9a-f]{64} 14\n$/);
  });
});

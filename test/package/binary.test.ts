// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * The single-file executable (`npm run build:binary`, Node SEA): built from the compiled dist/,
 * copied alone into an empty directory and run through the shared conformance suite's
 * 01-lifecycle with no `node` reachable — not on PATH, and (as root) /usr/bin/node hidden in a
 * private mount namespace, so a launcher calling node by absolute path would fail too. The
 * suite's own runner is a copy of node outside PATH.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, run, tempDir } from '../helpers/cli.js';

const suiteDir = resolve(projectRoot, '..', 'shared', 'conformance');
let work: string;
let binary: string;
/** PATH for everything the binary and the suite spawn: the Go tools, no node. */
let toolPath: string;
/** node for the suite's runner, outside PATH */
let runnerNode: string;

/** Node binaries to hide: whatever a launcher could call by absolute path. */
const NODE_PATHS = ['/usr/bin/node', '/usr/local/bin/node'].filter((p) => existsSync(p));

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs `argv` with PATH = toolPath and, as root, every system node hidden (unshare -m + bind mount). */
function runWithoutNode(
  argv: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; output: string }> {
  const hide = NODE_PATHS.map((p) => `/usr/bin/mount --bind /dev/null ${p}`).join(' && ');
  const [cmd, args] = isRoot()
    ? ['/usr/bin/unshare', ['-m', '/bin/sh', '-c', `${hide} && exec "$@"`, 'sh', ...argv]]
    : [argv[0] as string, argv.slice(1)];
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { PATH: toolPath, HOME: join(work, 'home'), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, output });
    });
  });
}

beforeAll(async () => {
  work = tempDir('tsnotary-binary-');
  mkdirSync(join(work, 'home'));
  const build = await run(
    process.execPath,
    [join(projectRoot, 'scripts', 'build-binary.mjs'), join(work, 'build')],
    {
      cwd: projectRoot,
      timeoutMs: 300_000,
    },
  );
  if (build.code !== 0) throw new Error(`build:binary failed: ${build.all}`);
  // the binary alone in an empty directory: nothing beside it to load
  mkdirSync(join(work, 'app'));
  binary = join(work, 'app', 'tsnotary');
  copyFileSync(join(work, 'build', 'tsnotary'), binary);
  chmodSync(binary, 0o755);
  toolPath = join(work, 'tools');
  mkdirSync(toolPath);
  for (const tool of ['notary', 'notary-server', 'openssl'])
    symlinkSync(`/usr/bin/${tool}`, join(toolPath, tool));
  mkdirSync(join(work, 'runner'));
  runnerNode = join(work, 'runner', 'node-for-suite-runner');
  copyFileSync(process.execPath, runnerNode);
  chmodSync(runnerNode, 0o755);
}, 360_000);

describe('single-file executable', () => {
  it('cannot reach node in the test environment (the check itself works)', async () => {
    const probe = await runWithoutNode(
      ['/bin/sh', '-c', 'command -v node; for n in "$@"; do "$n" --version; done', 'sh', ...NODE_PATHS],
      {
        cwd: work,
      },
    );
    expect(probe.output).not.toMatch(/v\d+\.\d+\.\d+/);
    expect(probe.code).not.toBe(0);
  });

  it('runs on its own: version built in, help', async () => {
    const v = await runWithoutNode([binary, 'version'], { cwd: work });
    expect(v.code, v.output).toBe(0);
    expect(v.output).toMatch(/Version:\s+\d+\.\d+\.\d+/);
    const help = await runWithoutNode([binary, '--help'], { cwd: work });
    expect(help.code, help.output).toBe(0);
    expect(help.output).toContain('tsnotary [command]');
  });

  it('says plainly that it has no PKCS#11 support, without npm advice', async () => {
    const r = await runWithoutNode([binary, '-d', join(work, 'trust'), 'key', 'list'], {
      cwd: work,
      env: { NOTARY_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so' },
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('PKCS#11 support is not built into this single-file tsnotary');
    expect(r.output).not.toMatch(/C\+\+ toolchain|dynamic import callback/);
  });

  it('passes the shared conformance suite 01-lifecycle with no node on the PATH', {
    timeout: 600_000,
  }, async () => {
    const r = await runWithoutNode(
      [
        runnerNode,
        '--test',
        '--test-concurrency=1',
        '--test-reporter=spec',
        join('cases', '01-lifecycle.test.mjs'),
      ],
      { cwd: suiteDir, env: { NOTARY_CLI: binary, REF_CLI: 'notary' }, timeoutMs: 600_000 },
    );
    const failures = r.output
      .split('\n')
      .filter((l) => /^\s*✖/.test(l))
      .join('\n');
    expect(failures, r.output.slice(-4000)).toBe('');
    expect(r.output).toMatch(/pass [1-9]/);
    expect(r.code, r.output.slice(-4000)).toBe(0);
  });
});

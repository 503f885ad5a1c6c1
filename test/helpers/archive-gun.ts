/**
 * Issue 12 fixtures made at test time: a GUN on a real notary-server with a delegation, a
 * rotated root, a server-managed snapshot and many targets (written as Go-format change files,
 * then one publish), and a static web server (`python3 -m http.server`) on a directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fixturesDir, type RunOptions, type RunResult, runTs } from './cli.js';
import { freePort } from './ports.js';

export const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'archive-root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'archive-targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'archive-snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'archive-delegation-passphrase',
};

export async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

/** Go-format change files adding `n` targets (the changelist Go and tsnotary share). */
export function writeAdditions(trustDir: string, gun: string, n: number, prefix = 'bulk/file'): void {
  const dir = join(trustDir, 'tuf', gun, 'changelist');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < n; i++) {
    const body = randomBytes(16);
    const meta = {
      length: 1000 + i,
      hashes: {
        sha256: createHash('sha256').update(body).digest('base64'),
        sha512: createHash('sha512').update(body).digest('base64'),
      },
    };
    const change = {
      action: 'create',
      role: 'targets',
      type: 'target',
      path: `${prefix}-${String(i).padStart(6, '0')}`,
      data: Buffer.from(JSON.stringify(meta)).toString('base64'),
    };
    const name = `${String(base + BigInt(i)).padStart(20, '0')}_${randomUUID()}.change`;
    writeFileSync(join(dir, name), JSON.stringify(change), { mode: 0o600 });
  }
}

/**
 * Builds the GUN with tsnotary on `serverUrl` in `trustDir`: init, server-managed
 * snapshot, delegation `targets/releases` (fixture certificate) with one target, `n` targets in
 * `targets`, then a root key rotation and one more publish. Returns the payload of `hello`.
 */
export async function buildGun(
  serverUrl: string,
  trustDir: string,
  gun: string,
  n: number,
  cwd: string,
  /** Runs before the root key rotation (e.g. a client that will only know the older root). */
  beforeRootRotation?: () => Promise<void>,
): Promise<Buffer> {
  const o: RunOptions = { env: { ...PASS }, cwd, timeoutMs: 120_000 };
  const ts = (args: string[], extra: RunOptions = {}) =>
    ok(runTs(['-s', serverUrl, '-d', trustDir, ...args], { ...o, ...extra }));
  const hello = Buffer.from(`hello ${gun}\n`);
  writeFileSync(join(cwd, 'hello'), hello);
  await ts(['init', '-p', gun]);
  await ts(['add', '-p', gun, 'hello', join(cwd, 'hello')]);
  await ts(['key', 'rotate', gun, 'snapshot', '--server-managed']);
  const cert = join(fixturesDir, 'go', 'certs', 'delegation-ecdsa.crt');
  const key = join(fixturesDir, 'go', 'certs', 'delegation-ecdsa.key');
  await ts(['key', 'import', key, '-r', 'targets/releases']);
  await ts(['delegation', 'add', '-p', gun, 'targets/releases', cert, '--all-paths']);
  await ts(['add', '-p', gun, 'releases/v1', join(cwd, 'hello'), '--roles', 'targets/releases']);
  writeAdditions(trustDir, gun, n);
  await ts(['publish', gun]);
  await beforeRootRotation?.();
  await ts(['key', 'rotate', gun, 'root'], { input: 'yes\n' });
  await ts(['add', '-p', gun, 'after-rotation', join(cwd, 'hello')]);
  return hello;
}

export interface StaticServer {
  url: string;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `python3 -m http.server` on `dir`, loopback only. */
export async function startStaticServer(dir: string): Promise<StaticServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'python3',
    ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 15_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`python3 -m http.server exited (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error('static server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

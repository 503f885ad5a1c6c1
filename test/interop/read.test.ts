// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Interop of the read path: Go notary and tsnotary share one trust directory (metadata cache)
 * against a real notary-server. Go writes the cache, tsnotary reads it (also offline) and the
 * other way round; key and root rotations done by Go are followed by tsnotary's update walk.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunOptions, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { freePort } from '../helpers/ports.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
};

let server: NotaryServer;
let work: string;
let deadUrl: string;

beforeAll(async () => {
  server = await startNotaryServer();
  work = tempDir('tsnotary-interop-read-');
  deadUrl = `http://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  await server?.stop();
});

const o = (): RunOptions => ({ env: { ...PASS }, cwd: work });
const ts = (dir: string, args: string[], url = server.url) => runTs(['-s', url, '-d', dir, ...args], o());
const go = (dir: string, args: string[], url = server.url, input?: string) =>
  runGo(['-s', url, '-d', dir, ...args], input === undefined ? o() : { ...o(), input });

async function ok(p: Promise<{ code: number; stdout: string; stderr: string }>) {
  const r = await p;
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

function file(name: string, content: string): string {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
}

const newGun = () => `example.com/interop/${randomBytes(4).toString('hex')}`;
const cached = (dir: string, gun: string, role: string) =>
  readFileSync(join(dir, 'tuf', ...gun.split('/'), 'metadata', `${role}.json`));

describe('Go and tsnotary sharing a trust directory (read path)', () => {
  it('Go publishes and lists (cache written by Go); tsnotary lists the same from that cache, also offline', async () => {
    const gun = newGun();
    const dir = tempDir('interop-a-');
    await ok(go(dir, ['init', '-p', gun]));
    await ok(go(dir, ['add', '-p', gun, 'a', file('a', 'a')]));
    const g = await ok(go(dir, ['list', gun]));
    const t = await ok(ts(dir, ['list', gun]));
    expect(t.stdout).toBe(g.stdout);
    const off = await ok(ts(dir, ['list', gun], deadUrl));
    expect(off.stdout).toBe(g.stdout);
    expect(off.stderr).toContain('using cached timestamp');
  });

  it('tsnotary lists into a fresh trust dir; Go then reads that cache offline', async () => {
    const gun = newGun();
    const author = tempDir('interop-b-author-');
    await ok(go(author, ['init', '-p', gun]));
    await ok(go(author, ['add', '-p', gun, 'b', file('b', 'b')]));
    const reader = tempDir('interop-b-reader-');
    const t = await ok(ts(reader, ['list', gun]));
    // the cache tsnotary wrote holds exactly the server's bytes
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
      const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/${role}.json`);
      expect(cached(reader, gun, role).equals(Buffer.from(await res.arrayBuffer())), role).toBe(true);
    }
    const g = await ok(go(reader, ['list', gun], deadUrl));
    expect(g.stdout).toBe(t.stdout);
  });

  it('follows a targets key rotation by Go (new root version detected through the snapshot)', async () => {
    const gun = newGun();
    const dir = tempDir('interop-c-');
    const reader = tempDir('interop-c-reader-');
    await ok(go(dir, ['init', '-p', gun]));
    await ok(go(dir, ['add', '-p', gun, 'c1', file('c1', 'c1')]));
    await ok(ts(reader, ['list', gun]));
    await ok(go(dir, ['key', 'rotate', gun, 'targets']));
    await ok(go(dir, ['add', '-p', gun, 'c2', file('c2', 'c2')]));
    const t = await ok(ts(reader, ['list', gun]));
    expect(t.stdout).toBe((await ok(go(dir, ['list', gun]))).stdout);
    expect(t.stdout).toContain('c2');
    expect(JSON.parse(cached(reader, gun, 'root').toString()).signed.version).toBe(2);
  });

  it('follows two root key rotations by Go through <v>.root.json', async () => {
    const gun = newGun();
    const dir = tempDir('interop-d-');
    const reader = tempDir('interop-d-reader-');
    await ok(go(dir, ['init', '-p', gun]));
    await ok(go(dir, ['add', '-p', gun, 'd1', file('d1', 'd1')]));
    await ok(ts(reader, ['list', gun]));
    // Go asks for confirmation before a root rotation (and exits 0 when declined)
    await ok(go(dir, ['key', 'rotate', gun, 'root'], server.url, 'y\n'));
    await ok(go(dir, ['key', 'rotate', gun, 'root'], server.url, 'y\n'));
    await ok(go(dir, ['add', '-p', gun, 'd2', file('d2', 'd2')]));
    const t = await ok(ts(reader, ['list', gun]));
    expect(t.stdout).toContain('d2');
    expect(t.stdout).toBe((await ok(go(dir, ['list', gun]))).stdout);
    expect(JSON.parse(cached(reader, gun, 'root').toString()).signed.version).toBe(3);
  });

  it('follows a server-side timestamp key rotation by Go (old-key timestamp fails, root refetched)', async () => {
    const gun = newGun();
    const dir = tempDir('interop-f-');
    const reader = tempDir('interop-f-reader-');
    await ok(go(dir, ['init', '-p', gun]));
    await ok(go(dir, ['add', '-p', gun, 'f1', file('f1', 'f1')]));
    await ok(ts(reader, ['list', gun]));
    await ok(go(dir, ['key', 'rotate', gun, 'timestamp', '-r']));
    await ok(go(dir, ['add', '-p', gun, 'f2', file('f2', 'f2')]));
    const t = await ok(ts(reader, ['list', gun]));
    expect(t.stdout).toBe((await ok(go(dir, ['list', gun]))).stdout);
    expect(t.stdout).toContain('f2');
  });

  it('refuses, like Go, a repository re-created by someone else', async () => {
    const gun = newGun();
    const dir = tempDir('interop-e-');
    await ok(go(dir, ['init', '-p', gun]));
    const reader = tempDir('interop-e-reader-');
    await ok(ts(reader, ['list', gun]));
    await ok(go(dir, ['delete', '--remote', gun]));
    const other = tempDir('interop-e-other-');
    await ok(go(other, ['init', '-p', gun]));
    const t = await ts(reader, ['list', gun]);
    const g = await go(reader, ['list', gun]);
    expect(g.code).not.toBe(0);
    expect(t.code).not.toBe(0);
    const msg =
      'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates';
    expect(g.all).toContain(msg);
    expect(t.all).toContain(msg);
  });
});

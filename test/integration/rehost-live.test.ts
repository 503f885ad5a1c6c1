// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Issue 12: `rehost` from a live server (the archive case is in archive.test.ts): a Go notary
 * trust dir and a tsnotary one that trusted server A follow the GUN to server B with only `-s`
 * changed, for a server-managed and a client-held snapshot key; no root key, no change.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, PASS } from '../helpers/archive-gun.js';
import { type RunOptions, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

let a: NotaryServer;
let b: NotaryServer;
let work: string;
const o = (extra: RunOptions = {}): RunOptions => ({
  env: { ...PASS },
  cwd: work,
  timeoutMs: 60_000,
  ...extra,
});

beforeAll(async () => {
  work = tempDir('tsnotary-rehost-');
  [a, b] = await Promise.all([startNotaryServer(), startNotaryServer()]);
  writeFileSync(join(work, 'payload'), 'payload\n');
}, 60_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

describe('rehost from a live server', () => {
  it('moves a GUN; Go notary and tsnotary follow with only -s changed; publishing goes on there', async () => {
    const gun = `example.com/rehost/${randomBytes(4).toString('hex')}`;
    const owner = join(work, 'owner');
    const ts = (server: string, dir: string, args: string[]) =>
      runTs(['-s', server, '-d', dir, ...args], o());
    await ok(ts(a.url, owner, ['init', '-p', gun]));
    await ok(ts(a.url, owner, ['key', 'rotate', gun, 'snapshot', '--server-managed']));
    await ok(ts(a.url, owner, ['add', '-p', gun, 'v1', join(work, 'payload')]));
    const goDir = join(work, 'go');
    const tsDir = join(work, 'ts');
    const goBefore = await runGo(['-s', a.url, '-d', goDir, 'list', gun], o());
    expect(goBefore.code, goBefore.all).toBe(0);
    const tsBefore = await ok(ts(a.url, tsDir, ['list', gun]));

    const dry = await ok(ts(a.url, owner, ['rehost', gun, '--to', b.url]));
    expect(dry.stdout).toContain('Dry run: nothing was changed');
    await ok(ts(a.url, owner, ['rehost', gun, '--to', b.url, '--yes']));
    // the old server may go now
    await a.stop();

    const goAfter = await runGo(['-s', b.url, '-d', goDir, 'list', gun], o());
    expect(goAfter.code, goAfter.all).toBe(0);
    expect(goAfter.stdout).toBe(goBefore.stdout);
    expect(goAfter.stderr).not.toContain('cached timestamp');
    expect((await ok(ts(b.url, tsDir, ['list', gun]))).stdout).toBe(tsBefore.stdout);

    const goPublish = await runGo(
      ['-s', b.url, '-d', owner, 'add', '-p', gun, 'v2', join(work, 'payload')],
      o(),
    );
    expect(goPublish.code, goPublish.all).toBe(0);
    await ok(ts(b.url, owner, ['add', '-p', gun, 'v3', join(work, 'payload')]));
    const list = await runGo(['-s', b.url, '-d', goDir, 'list', gun], o());
    expect(list.stdout).toMatch(/v1 .*\n.*v2 .*\n.*v3 /s);
  });

  it('moves a GUN whose snapshot key the client holds: each upload carries a snapshot signed here', async () => {
    const c = await startNotaryServer();
    try {
      const gun = `example.com/rehost/${randomBytes(4).toString('hex')}`;
      const owner = join(work, 'owner2');
      await ok(runTs(['-s', c.url, '-d', owner, 'init', '-p', gun], o()));
      await ok(runTs(['-s', c.url, '-d', owner, 'add', '-p', gun, 'v1', join(work, 'payload')], o()));
      const goDir = join(work, 'go2');
      const before = await runGo(['-s', c.url, '-d', goDir, 'list', gun], o());
      expect(before.code, before.all).toBe(0);
      const r = await ok(runTs(['-s', c.url, '-d', owner, 'rehost', gun, '--to', b.url, '--yes'], o()));
      expect(r.stdout).toContain('(signed here)');
      expect(r.stdout).toContain('snapshot re-upload');
      const after = await runGo(['-s', b.url, '-d', goDir, 'list', gun], o());
      expect(after.code, after.all).toBe(0);
      expect(after.stdout).toBe(before.stdout);
      expect(after.stderr).not.toContain('cached timestamp');
      // the owner keeps publishing there, signing the snapshot as before
      await ok(runTs(['-s', b.url, '-d', owner, 'add', '-p', gun, 'v2', join(work, 'payload')], o()));
      const g = await runGo(['-s', b.url, '-d', goDir, 'lookup', gun, 'v2'], o());
      expect(g.code, g.all).toBe(0);
    } finally {
      await c.stop();
    }
  });

  it('refuses before changing anything when the root key is not here', async () => {
    const c = await startNotaryServer();
    try {
      const gun = `example.com/rehost/${randomBytes(4).toString('hex')}`;
      const owner = join(work, 'owner3');
      await ok(runTs(['-s', c.url, '-d', owner, 'init', '-p', gun], o()));
      const r = await runTs(
        ['-s', c.url, '-d', join(work, 'stranger'), 'rehost', gun, '--to', b.url, '--yes'],
        o(),
      );
      expect(r.code).toBe(7);
      expect(r.stderr).toContain('rehost needs the root key');
      const probe = await runTs(['-s', b.url, '-d', join(work, 'probe'), 'list', gun], o());
      expect(probe.stderr).toContain('does not have trust data');
    } finally {
      await c.stop();
    }
  });
});

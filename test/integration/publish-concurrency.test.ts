// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Publishes that survive each other (issue 9 part 3), against a real notary-server:
 * - another publisher (Go notary, another trust directory) wins the race: the server answers
 *   VERSION, and the publish updates, re-applies its changes on the new state and succeeds;
 * - VERSION on every attempt: 3 attempts, then "another publisher changed the GUN", exit 9,
 *   changes kept; a signature rejection is never retried;
 * - 4 clients x 10 targets x 5 rounds publishing at once: every publish succeeds, all 200
 *   targets present once, Go `notary list` shows them;
 * - two publishes from one trust directory at once, x 10: both succeed (per-GUN lock);
 * - the lock: a stale one is recovered with a warning, waiting is bounded (exit 9), and Go
 *   notary neither reads nor minds it.
 * The only mock is a proxy in front of the real server where a test needs to decide what the
 * server's answer to an upload is (or to let a competing publish in at an exact moment).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentHost } from '../../src/process-owner.js';
import { gunLockPath } from '../../src/repo/gun-lock.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import {
  attempts,
  type Client,
  concurrentRounds,
  listed,
  client as makeClient,
  copyTrust as makeCopy,
  publishedRepo as makePublishedRepo,
  ok,
  serverTargets as targetsOf,
} from '../helpers/publishers.js';

let server: NotaryServer;

beforeAll(async () => {
  server = await startNotaryServer();
});
afterAll(async () => {
  await server?.stop();
});

const client = (trust: string) => makeClient(server.url, trust);
const publishedRepo = () => makePublishedRepo(server.url);
const copyTrust = (from: Client, to: string) => makeCopy(server.url, from, to);
const serverTargets = (gun: string) => targetsOf(server.url, gun);

type UploadMode = 'forward' | 'version' | 'reject-signature';

/**
 * A proxy in front of the real server. Uploads (POST) are answered per `mode`; `beforeUpload`
 * runs (awaited) before the first upload is forwarded, to let a competing publisher in.
 */
async function uploadProxy(): Promise<{
  url: string;
  uploads: () => number;
  setMode(m: UploadMode): void;
  beforeFirstUpload(fn: () => Promise<void>): void;
  close(): Promise<void>;
}> {
  const up = new URL(server.url);
  let mode: UploadMode = 'forward';
  let uploads = 0;
  let hook: (() => Promise<void>) | undefined;
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') {
        uploads++;
        if (mode === 'version') {
          res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(
            '{"errors":[{"code":"VERSION","message":"A newer version of metadata is already available.","detail":{}}]}\n',
          );
          return;
        }
        if (mode === 'reject-signature') {
          res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(
            '{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrBadTargets","Error":{"Msg":"valid signatures did not meet threshold for targets"}}}]}\n',
          );
          return;
        }
        if (hook) {
          const h = hook;
          hook = undefined;
          await h();
        }
      }
      const fwd = request(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          const out: Buffer[] = [];
          upRes.on('data', (c: Buffer) => out.push(c));
          upRes.on('end', () => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(out));
          });
        },
      );
      fwd.on('error', () => req.socket.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    uploads: () => uploads,
    setMode(m) {
      mode = m;
    },
    beforeFirstUpload(fn) {
      hook = fn;
    },
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

describe('VERSION: another publisher changed the GUN meanwhile', () => {
  it('a publish that loses a real race (Go notary published in between) updates, re-applies and succeeds', async () => {
    const { gun, owner, dir } = await publishedRepo();
    const other = copyTrust(owner, join(dir, 'trust-go'));
    const proxy = await uploadProxy();
    try {
      await owner.stage(gun, ['mine-1', 'mine-2']);
      // Go publishes from its own trust dir after our update, just before our upload.
      proxy.beforeFirstUpload(async () => {
        const file = join(dir, 'theirs.txt');
        writeFileSync(file, 'theirs');
        ok(await other.go(['add', gun, 'theirs', file]));
        ok(await other.go(['publish', gun]));
      });
      const r = ok(await owner.ts(['-v', 'publish', gun], { server: proxy.url }));
      expect(r.stdout).toContain(`Successfully published changes for repository ${gun}`);
      expect(attempts(r)).toEqual([`publishing ${gun}: attempt 1 of 3`, `publishing ${gun}: attempt 2 of 3`]);
      expect(r.stderr).toContain(`another publisher changed ${gun} meanwhile`);
      expect(proxy.uploads()).toBe(2);
      expect(Object.keys((await serverTargets(gun)).targets).sort()).toEqual(['mine-1', 'mine-2', 'theirs']);
      expect((await owner.ts(['status', gun])).stdout).toContain('No unpublished changes');
    } finally {
      await proxy.close();
    }
  });

  it('VERSION on every attempt: 3 attempts, then says so, keeps the changes and exits 9', async () => {
    const { gun, owner } = await publishedRepo();
    const proxy = await uploadProxy();
    try {
      await owner.stage(gun, ['kept']);
      proxy.setMode('version');
      const started = Date.now();
      const r = await owner.ts(['-v', 'publish', gun], { server: proxy.url });
      expect(Date.now() - started).toBeLessThan(30_000); // bounded backoff
      expect(r.code).toBe(9);
      expect(proxy.uploads()).toBe(3);
      expect(attempts(r)).toHaveLength(3);
      expect(r.stderr).toContain(
        `another publisher changed ${gun} while this publish was in flight (the server rejected 3 attempts`,
      );
      expect(r.stderr).toContain('changes are kept');
      expect((await owner.ts(['status', gun])).stdout).toContain('kept');
      // Go's exit status when asked for.
      const go = await owner.ts(['publish', gun], {
        server: proxy.url,
        env: { TSNOTARY_GO_EXIT_CODES: '1' },
      });
      expect(go.code).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('a rejection about signatures is never retried', async () => {
    const { gun, owner } = await publishedRepo();
    const proxy = await uploadProxy();
    try {
      await owner.stage(gun, ['x']);
      proxy.setMode('reject-signature');
      const r = await owner.ts(['-v', 'publish', gun], { server: proxy.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'The targets metadata is invalid: valid signatures did not meet threshold for targets',
      );
      expect(proxy.uploads()).toBe(1);
      expect(attempts(r)).toHaveLength(1);
      expect((await owner.ts(['status', gun])).stdout).toContain('x');
    } finally {
      await proxy.close();
    }
  });
});

describe('concurrent publishers on one GUN', () => {
  it('4 clients x 10 targets x 5 rounds: every publish succeeds, 200 targets, none lost or duplicated, Go lists all', async () => {
    const { gun, dir, expected, results, histogram, refreshes } = await concurrentRounds(
      server.url,
      4,
      10,
      5,
    );
    for (const r of results) ok(r); // no retry by the caller: each publish ran once
    expect(results).toHaveLength(20);
    expect(expected).toHaveLength(200);
    const targets = (await serverTargets(gun)).targets;
    expect(Object.keys(targets).sort()).toEqual([...expected].sort());
    for (const name of expected) {
      expect(targets[name]?.length).toBe(Buffer.byteLength(`content of ${name}`));
    }
    // Go reads the result from a fresh trust dir: all 200, each once.
    const names = listed(ok(await client(join(dir, 'go-reader')).go(['list', gun])));
    expect(names).toHaveLength(200);
    expect(new Set(names).size).toBe(200);
    expect(names.sort()).toEqual([...expected].sort());
    for (let i = 1; i <= 4; i++) {
      expect((await client(join(dir, `trust${i}`)).ts(['status', gun])).stdout).toContain(
        'No unpublished changes',
      );
    }
    // For the record: how many attempts the publishers needed among themselves.
    console.info(
      `4x10x5: publishes by attempts needed: 1: ${histogram[1]}, 2: ${histogram[2]}, 3: ${histogram[3]}; redone before upload: ${refreshes}`,
    );
  });

  it('two publishes from one trust dir at once, x10: both succeed, taking turns on the GUN lock', async () => {
    const { gun, owner } = await publishedRepo();
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      const names = [`same/${i}/a`, `same/${i}/b`];
      await owner.stage(gun, names);
      expected.push(...names);
      const [a, b] = await Promise.all([owner.ts(['publish', gun]), owner.ts(['publish', gun])]);
      ok(a!);
      ok(b!);
    }
    expect(Object.keys((await serverTargets(gun)).targets).sort()).toEqual([...expected].sort());
    expect((await owner.ts(['status', gun])).stdout).toContain('No unpublished changes');
    expect(existsSync(gunLockPath(owner.trust, gun))).toBe(false);
  });
});

describe('the per-GUN lock through the CLI', () => {
  function plantLock(c: Client, gun: string, pid: number, host = currentHost()): string {
    const path = gunLockPath(c.trust, gun);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({
        pid,
        host,
        since: '2026-01-01T00:00:00.000Z',
        purpose: 'publish',
        token: 'feedfacecafebeef',
      }),
    );
    return path;
  }

  it('a stale lock (its process is dead) is recovered and named in a warning', async () => {
    const { gun, owner } = await publishedRepo();
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    const path = plantLock(owner, gun, dead);
    await owner.stage(gun, ['after-stale']);
    const r = ok(await owner.ts(['publish', gun]));
    expect(r.stderr).toContain(
      `removed the stale lock ${path} of process ${dead} on ${currentHost()} (publish)`,
    );
    expect(r.stderr).toContain('that process no longer runs');
    expect(existsSync(path)).toBe(false);
    expect(Object.keys((await serverTargets(gun)).targets)).toContain('after-stale');
  });

  it('waiting for a live holder is bounded: a clear message, exit 9, nothing published, changes kept', async () => {
    const { gun, owner } = await publishedRepo();
    const path = plantLock(owner, gun, process.pid); // this test process: alive
    await owner.stage(gun, ['blocked']);
    const r = await owner.ts(['publish', gun], { env: { TSNOTARY_LOCK_TIMEOUT: '1' } });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(
      `timed out after 1 s waiting for process ${process.pid} on ${currentHost()} (publish), since 2026-01-01T00:00:00.000Z, which holds the lock of ${gun}`,
    );
    expect(r.stderr).toContain(`delete ${path}`);
    expect(Object.keys((await serverTargets(gun)).targets)).not.toContain('blocked');
    expect((await owner.ts(['status', gun])).stdout).toContain('blocked');
    expect(readFileSync(path, 'utf8')).toContain('feedfacecafebeef'); // not ours: untouched
  });

  it('Go notary ignores the lock file: status, list, add, publish and delete work beside it', async () => {
    const { gun, owner, dir } = await publishedRepo();
    const path = plantLock(owner, gun, process.pid);
    const file = join(dir, 'go.txt');
    writeFileSync(file, 'go');
    ok(await owner.go(['add', gun, 'go-target', file]));
    const status = ok(await owner.go(['status', gun]));
    expect(status.stdout).toContain('go-target');
    expect(status.all).not.toContain('tsnotary.lock');
    ok(await owner.go(['publish', gun]));
    expect(listed(ok(await owner.go(['list', gun])))).toEqual(['go-target']);
    expect(existsSync(path)).toBe(true);
    ok(await owner.go(['delete', gun]));
    expect(existsSync(join(owner.trust, 'tuf', ...gun.split('/'), 'metadata'))).toBe(false);
  });
});

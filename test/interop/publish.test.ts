// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Publish interop with the Go client: same trust directory, same real notary-server. Whatever
 * one client initialises, stages or publishes, the other reads, extends and publishes.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

let server: NotaryServer;
let counter = 0;

function newCase() {
  const dir = tempDir('tsnotary-pubinterop-');
  const trust = join(dir, 'trust');
  const gun = `ex.io/interop/${++counter}`;
  const flags = () => ['-d', trust, '-s', server.url];
  return {
    gun,
    trust,
    dir,
    ts: (args: string[]) => runTs([...flags(), ...args], { env: PASS }),
    go: (args: string[]) => runGo([...flags(), ...args], { env: PASS }),
    file(name: string, content: string) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
  };
}

/** An ECDSA key + self-signed certificate (openssl) and the canonical ID of its public key. */
function makeCert(dir: string, name: string): { key: string; crt: string; id: string } {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  const spki = new X509Certificate(readFileSync(crt)).publicKey.export({ type: 'spki', format: 'der' });
  const id = createHash('sha256')
    .update(JSON.stringify({ keytype: 'ecdsa', keyval: { private: null, public: spki.toString('base64') } }))
    .digest('hex');
  return { key, crt, id };
}

function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Target names of a `list` table (Go's or ours). */
function names(r: RunResult): string[] {
  ok(r);
  if (r.all.includes('No targets present in this repository.')) return [];
  return r.stdout
    .split('\n')
    .slice(2)
    .map((l) => l.split(/\s+/)[0]!)
    .filter((n) => n !== '')
    .sort();
}

describe('publish interop with Go notary (same trust dir, same server)', () => {
  beforeAll(async () => {
    server = await startNotaryServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('seed 000 flow: list (no trust data), init, publish, list (no targets), add -p, list — Go agrees at every step', async () => {
    const c = newCase();
    for (const cli of [c.ts, c.go]) {
      const r = await cli(['list', c.gun]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain(`does not have trust data for ${c.gun}`);
    }
    expect(ok(await c.ts(['init', c.gun])).stdout).toBe('');
    ok(await c.ts(['publish', c.gun]));
    expect(names(await c.ts(['list', c.gun]))).toEqual([]);
    expect(names(await c.go(['list', c.gun]))).toEqual([]);
    ok(await c.ts(['add', '-p', c.gun, 'v1', c.file('v1', 'version one\n')]));
    expect(names(await c.ts(['list', c.gun]))).toEqual(['v1']);
    const goList = ok(await c.go(['list', c.gun])).stdout;
    expect(goList).toMatch(/v1\s+[0-9a-f]{64}\s+12\s+targets/);
    // Go's lookup verifies the same hash tsnotary wrote
    expect(ok(await c.go(['lookup', c.gun, 'v1'])).stdout.trim()).toBe(
      ok(await c.ts(['lookup', c.gun, 'v1'])).stdout.trim(),
    );
  });

  it('Go init -p + add -p; tsnotary extends and republishes; Go reads and extends; tsnotary reads', async () => {
    const c = newCase();
    ok(await c.go(['init', '-p', c.gun]));
    ok(await c.go(['add', '-p', c.gun, 'go-1', c.file('g1', 'go one')]));
    expect(names(await c.ts(['list', c.gun]))).toEqual(['go-1']);
    ok(await c.ts(['add', '-p', c.gun, 'ts-1', c.file('t1', 'ts one')]));
    expect(names(await c.go(['list', c.gun]))).toEqual(['go-1', 'ts-1']);
    ok(await c.go(['remove', '-p', c.gun, 'go-1']));
    ok(await c.go(['add', '-p', c.gun, 'go-2', c.file('g2', 'go two')]));
    expect(names(await c.ts(['list', c.gun]))).toEqual(['go-2', 'ts-1']);
    ok(await c.ts(['remove', '-p', c.gun, 'ts-1']));
    expect(names(await c.go(['list', c.gun]))).toEqual(['go-2']);
  });

  it('tsnotary init (local) is published by Go; Go init (local) is published by tsnotary', async () => {
    const a = newCase();
    ok(await a.ts(['init', a.gun]));
    const pub = ok(await a.go(['publish', a.gun]));
    expect(pub.stdout).toContain(`Successfully published changes for repository ${a.gun}`);
    expect(names(await a.ts(['list', a.gun]))).toEqual([]);
    ok(await a.go(['add', '-p', a.gun, 'x', a.file('x', 'x')]));
    expect(names(await a.ts(['list', a.gun]))).toEqual(['x']);

    const b = newCase();
    ok(await b.go(['init', b.gun]));
    ok(await b.ts(['publish', b.gun]));
    expect(names(await b.go(['list', b.gun]))).toEqual([]);
    ok(await b.ts(['add', '-p', b.gun, 'y', b.file('y', 'y')]));
    expect(names(await b.go(['list', b.gun]))).toEqual(['y']);
  });

  it('a change staged by one client is published by the other (and the changelist is cleared for both)', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    ok(await c.go(['add', c.gun, 'staged-by-go', c.file('g', 'g')]));
    ok(await c.ts(['addhash', c.gun, 'staged-by-ts', '3', '--sha256', 'a'.repeat(64)]));
    ok(await c.ts(['publish', c.gun]));
    expect(names(await c.go(['list', c.gun]))).toEqual(['staged-by-go', 'staged-by-ts']);
    expect(ok(await c.go(['status', c.gun])).stdout).toContain(`No unpublished changes for ${c.gun}`);
    ok(await c.ts(['add', c.gun, 'second-ts', c.file('s', 's')]));
    ok(await c.go(['publish', c.gun]));
    expect(names(await c.ts(['list', c.gun]))).toEqual(['second-ts', 'staged-by-go', 'staged-by-ts']);
    expect(ok(await c.ts(['status', c.gun])).stdout).toContain(`No unpublished changes for ${c.gun}`);
  });

  it('first publish without init (implicit init) by tsnotary, including custom data, read by Go', async () => {
    const c = newCase();
    const custom = c.file('custom.json', '{"build": 42, "tags": ["a", "<b>"]}');
    ok(await c.ts(['add', c.gun, 'with-custom', c.file('w', 'payload'), '--custom', custom]));
    ok(await c.ts(['publish', c.gun]));
    expect(names(await c.go(['list', c.gun]))).toEqual(['with-custom']);
    const res = await fetch(`${server.url}/v2/${c.gun}/_trust/tuf/targets.json`);
    const raw = Buffer.from(await res.arrayBuffer()).toString('utf8');
    // Go's file form: HTML-escaped, compact custom data
    expect(raw).toContain('"custom":{"build":42,"tags":["a","\\u003cb\\u003e"]}');
    // Go signs custom data as raw text (tuf.md §2.6), so it cannot re-sign a targets file holding
    // `<`: that is Go's limitation. With canonical custom data it extends the repository fine.
    const d = newCase();
    ok(
      await d.ts([
        'add',
        '-p',
        d.gun,
        'canon',
        d.file('w', 'payload'),
        '--custom',
        d.file('c.json', '{"a":[1,2],"b":"x"}'),
      ]),
    );
    ok(await d.go(['add', '-p', d.gun, 'after', d.file('a', 'after')]));
    expect(names(await d.ts(['list', d.gun]))).toEqual(['after', 'canon']);
  });

  it('delegation changes staged by Go (add, nested, paths, purge, remove, witness) are applied and published by tsnotary', async () => {
    const c = newCase();
    const cert = (name: string) => makeCert(c.dir, name);
    const d1 = cert('d1');
    const d2 = cert('d2');
    const delegations = async () =>
      ok(await c.go(['delegation', 'list', c.gun]))
        .stdout.split('\n')
        .filter((l) => l.startsWith('targets/'))
        .map((l) => l.trim().split(/\s{2,}/));
    ok(await c.ts(['init', '-p', c.gun]));
    ok(await c.go(['delegation', 'add', c.gun, 'targets/rel', d1.crt, '--paths', 'rel/']));
    ok(await c.go(['key', 'import', d1.key, '--role', 'targets/rel']));
    ok(await c.ts(['add', c.gun, 'rel/one', c.file('one', 'one'), '--roles', 'targets/rel']));
    ok(await c.ts(['publish', c.gun]));
    expect(ok(await c.go(['list', c.gun])).stdout).toMatch(/rel\/one\s+[0-9a-f]{64}\s+3\s+targets\/rel/);

    // outside the delegation's paths: Go's error, nothing published
    const outside = await c.ts(['add', '-p', c.gun, 'other/x', c.file('x', 'x'), '--roles', 'targets/rel']);
    expect(outside.code).not.toBe(0);
    expect(outside.all).toContain('Could not add all targets');
    ok(await c.ts(['reset', c.gun, '--all']));

    ok(await c.go(['delegation', 'add', c.gun, 'targets/rel/sub', d2.crt, '--paths', 'rel/sub/']));
    ok(await c.go(['delegation', 'add', c.gun, 'targets/b', d2.crt, '--all-paths']));
    ok(await c.ts(['publish', c.gun]));
    expect(await delegations()).toEqual([
      ['targets/b', '"" <all paths>', d2.id, '1'],
      ['targets/rel', 'rel/', d1.id, '1'],
      ['targets/rel/sub', 'rel/sub/', d2.id, '1'],
    ]);
    ok(await c.go(['delegation', 'purge', c.gun, '--key', d2.id]));
    ok(await c.ts(['publish', c.gun]));
    expect(await delegations()).toEqual([
      ['targets/b', '"" <all paths>', '1'],
      ['targets/rel', 'rel/', d1.id, '1'],
      ['targets/rel/sub', 'rel/sub/', '1'],
    ]);
    ok(await c.go(['delegation', 'remove', '-y', c.gun, 'targets/b']));
    ok(await c.go(['delegation', 'remove', c.gun, 'targets/rel', '--paths', 'rel/']));
    ok(await c.ts(['publish', c.gun]));
    expect(names(await c.go(['list', c.gun]))).toEqual([]); // rel/one is outside the (now empty) paths
    ok(await c.go(['delegation', 'add', c.gun, 'targets/rel', '--all-paths']));
    ok(await c.go(['witness', c.gun, 'targets/rel']));
    ok(await c.ts(['publish', c.gun]));
    expect(names(await c.go(['list', c.gun]))).toEqual(['rel/one']);
    expect(names(await c.ts(['list', c.gun]))).toEqual(['rel/one']);
  });

  it('witness by a delegate (own trust dir, server-managed snapshot) re-signs a role whose signing key was removed', async () => {
    const c = newCase();
    const k1 = makeCert(c.dir, 'k1');
    const k2 = makeCert(c.dir, 'k2');
    ok(await c.ts(['init', '-p', c.gun]));
    ok(await c.go(['key', 'rotate', c.gun, 'snapshot', '-r']));
    ok(await c.go(['delegation', 'add', '-p', c.gun, 'targets/releases', k1.crt, k2.crt, '--all-paths']));
    const signer = (trust: string) => (args: string[]) =>
      runTs(['-d', trust, '-s', server.url, ...args], { env: PASS });
    const s1 = signer(join(c.dir, 'signer1'));
    const s2 = signer(join(c.dir, 'signer2'));
    ok(await s1(['key', 'import', k1.key, '--role', 'targets/releases']));
    ok(await s2(['key', 'import', k2.key, '--role', 'targets/releases']));
    ok(await s1(['add', '-p', c.gun, 'rel/1', c.file('r1', 'release one'), '--roles', 'targets/releases']));
    expect(names(await c.go(['list', c.gun]))).toEqual(['rel/1']);
    ok(await c.go(['delegation', 'remove', '-p', c.gun, 'targets/releases', k1.id]));
    expect(
      names(await runGo(['-d', join(c.dir, 'reader1'), '-s', server.url, 'list', c.gun], { env: PASS })),
    ).toEqual([]);
    ok(await s2(['witness', c.gun, 'targets/releases']));
    ok(await s2(['publish', c.gun]));
    expect(
      names(await runGo(['-d', join(c.dir, 'reader2'), '-s', server.url, 'list', c.gun], { env: PASS })),
    ).toEqual(['rel/1']);
    // an unknown role cannot be witnessed
    ok(await s2(['witness', c.gun, 'targets/nonexist']));
    const bad = await s2(['publish', c.gun]);
    expect(bad.code).not.toBe(0);
    expect(bad.all).toContain('tuf: invalid role targets/nonexist. this role is not known');
  });

  it("the locally initialised files are what Go writes: Go accepts our cache and we accept Go's", async () => {
    const c = newCase();
    ok(await c.ts(['init', c.gun]));
    const meta = join(c.trust, 'tuf', ...c.gun.split('/'), 'metadata');
    const ours = JSON.parse(readFileSync(join(meta, 'root.json'), 'utf8'));
    expect(Object.keys(ours.signed)).toEqual([
      '_type',
      'consistent_snapshot',
      'expires',
      'keys',
      'roles',
      'version',
    ]);
    expect(Object.keys(ours.signed.roles)).toEqual(['root', 'snapshot', 'targets', 'timestamp']);
    // Go publishes from our cache and the server validates every file
    ok(await c.go(['publish', c.gun]));
    const served = Buffer.from(
      await (await fetch(`${server.url}/v2/${c.gun}/_trust/tuf/root.json`)).arrayBuffer(),
    );
    expect(served.equals(readFileSync(join(meta, 'root.json')))).toBe(true);
  });
});

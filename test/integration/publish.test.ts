// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { type Change, openChangelist } from '../../src/repo/changelist.js';
import { type RunOptions, type RunResult, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { freePort } from '../helpers/ports.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

let server: NotaryServer;
let counter = 0;

interface Case {
  gun: string;
  trust: string;
  dir: string;
  ts(args: string[], opts?: RunOptions & { server?: string }): Promise<RunResult>;
  file(name: string, content: string | Buffer): string;
}

function newCase(): Case {
  const dir = tempDir('tsnotary-publish-');
  const trust = join(dir, 'trust');
  const gun = `ex.io/pub/${++counter}`;
  return {
    gun,
    trust,
    dir,
    ts: (args, opts = {}) =>
      runTs(['-d', trust, '-s', opts.server ?? server.url, ...args], {
        ...opts,
        env: { ...PASS, ...opts.env },
      }),
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
  };
}

async function serverMeta(gun: string, role: string, url = server.url): Promise<Buffer | undefined> {
  const res = await fetch(`${url}/v2/${gun}/_trust/tuf/${role}.json`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

function signedOf(bytes: Buffer | undefined): { version: number; targets?: Record<string, unknown> } {
  return (JSON.parse(String(bytes)) as { signed: { version: number; targets?: Record<string, unknown> } })
    .signed;
}

function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

function keyFiles(trust: string): Record<string, string> {
  const out: Record<string, string> = {};
  const priv = join(trust, 'private');
  if (!existsSync(priv)) return out;
  for (const f of readdirSync(priv)) out[f] = readFileSync(join(priv, f)).toString('base64');
  return out;
}

function listNames(r: RunResult): string[] {
  return r.stdout
    .split('\n')
    .slice(2)
    .map((l) => l.split(/\s+/)[0]!)
    .filter((n) => n !== '');
}

/** A plain TCP relay 127.0.0.1:port -> 127.0.0.1:to that can be closed (connections included). */
async function startRelay(port: number, to: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv = createServer((client) => {
    const upstream = connect(to, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  let closed = false;
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('init / publish / delete against a real notary-server', () => {
  beforeAll(async () => {
    server = await startNotaryServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('init writes root/targets/snapshot v1 locally only; publish uploads exactly those bytes (targets/snapshot re-signed)', async () => {
    const c = newCase();
    const list0 = await c.ts(['list', c.gun]);
    expect(list0.code).not.toBe(0);
    expect(list0.all).toContain(`does not have trust data for ${c.gun}`);
    ok(await c.ts(['init', c.gun]));
    const meta = join(c.trust, 'tuf', ...c.gun.split('/'), 'metadata');
    expect(readdirSync(meta).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json']);
    for (const role of ['root', 'targets', 'snapshot']) {
      expect(signedOf(readFileSync(join(meta, `${role}.json`))).version).toBe(1);
    }
    expect(await serverMeta(c.gun, 'root')).toBeUndefined();
    const keys = Object.keys(keyFiles(c.trust));
    expect(keys).toHaveLength(3);

    const pub = ok(await c.ts(['publish', c.gun]));
    expect(pub.stdout).toBe(
      `Pushing changes to ${c.gun}\nSuccessfully published changes for repository ${c.gun}\n`,
    );
    const root = await serverMeta(c.gun, 'root');
    expect(root?.equals(readFileSync(join(meta, 'root.json')))).toBe(true);
    expect(signedOf(await serverMeta(c.gun, 'targets')).version).toBe(2);
    expect(signedOf(await serverMeta(c.gun, 'snapshot')).version).toBe(2);
    expect(signedOf(await serverMeta(c.gun, 'timestamp')).version).toBe(1);
    // every file the server serves hashes as the snapshot/timestamp promise (the #1 interop trap)
    const snap = await serverMeta(c.gun, 'snapshot');
    const snapMeta = JSON.parse(String(snap)).signed.meta as Record<
      string,
      { hashes: { sha256: string }; length: number }
    >;
    for (const role of ['root', 'targets']) {
      const bytes = (await serverMeta(c.gun, role))!;
      expect(Buffer.from(snapMeta[role]!.hashes.sha256, 'base64').toString('hex')).toBe(sha256(bytes));
      expect(snapMeta[role]!.length).toBe(bytes.length);
    }
    const list = ok(await c.ts(['list', c.gun]));
    expect(list.all).toContain('No targets present in this repository.');
    expect(Object.keys(keyFiles(c.trust))).toEqual(keys);
  });

  it('publish without init initialises the repository on the fly; nothing staged still re-signs only the snapshot', async () => {
    const c = newCase();
    const data = c.file('a.txt', 'hello\n');
    ok(await c.ts(['add', c.gun, 'first', data]));
    const r = ok(await c.ts(['-v', 'publish', c.gun]));
    expect(r.stderr).toContain(
      `No TUF data found locally or remotely - initializing repository ${c.gun} for the first time`,
    );
    expect(listNames(ok(await c.ts(['list', c.gun])))).toEqual(['first']);
    const targets1 = await serverMeta(c.gun, 'targets');
    const snap1 = signedOf(await serverMeta(c.gun, 'snapshot')).version;
    ok(await c.ts(['publish', c.gun]));
    expect((await serverMeta(c.gun, 'targets'))?.equals(targets1!)).toBe(true);
    expect(signedOf(await serverMeta(c.gun, 'snapshot')).version).toBe(snap1 + 1);
    expect(signedOf(await serverMeta(c.gun, 'root')).version).toBe(1);
  });

  it('init -p; add -p; remove -p; adding twice keeps the last; removing a missing target is harmless', async () => {
    const c = newCase();
    const init = ok(await c.ts(['init', '-p', c.gun]));
    expect(init.stdout).toBe(
      `Auto-publishing changes to ${c.gun}\nSuccessfully published changes for repository ${c.gun}\n`,
    );
    ok(await c.ts(['add', c.gun, 'dup', c.file('1', 'one')]));
    ok(await c.ts(['add', '-p', c.gun, 'dup', c.file('2', 'second')]));
    const t = signedOf(await serverMeta(c.gun, 'targets')).targets as Record<string, { length: number }>;
    expect(t['dup']!.length).toBe(6);
    ok(await c.ts(['remove', '-p', c.gun, 'never-existed']));
    ok(await c.ts(['remove', '-p', c.gun, 'dup']));
    expect(signedOf(await serverMeta(c.gun, 'targets')).targets).toEqual({});
  });

  it('a change that cannot be applied blocks the publish (Go text) and nothing is lost or partly published', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    ok(await c.ts(['add', c.gun, 'bad', c.file('b', 'b'), '--roles', 'targets/missing']));
    ok(await c.ts(['add', c.gun, 'good', c.file('g', 'g')]));
    const targetsBefore = await serverMeta(c.gun, 'targets');
    const r = await c.ts(['publish', c.gun]);
    expect(r.code).not.toBe(0);
    expect(r.all).toContain('tuf: invalid role targets/missing. delegation does not exist');
    expect(r.all).toContain("couldn't add target to targets/missing");
    expect((await serverMeta(c.gun, 'targets'))?.equals(targetsBefore!)).toBe(true);
    expect(ok(await c.ts(['status', c.gun])).stdout).toMatch(
      /0\s+create\s+targets\/missing\s+target\s+bad\n1\s+create\s+targets\s+target\s+good/,
    );
    ok(await c.ts(['reset', c.gun, '-n', '0']));
    ok(await c.ts(['publish', c.gun]));
    expect(listNames(ok(await c.ts(['list', c.gun])))).toEqual(['good']);
  });

  it('wrong targets/snapshot passphrase: publish fails with a hint, keys and changes are untouched', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    const keysBefore = keyFiles(c.trust);
    ok(await c.ts(['add', c.gun, 'x', c.file('x', 'x')]));
    const bad = await c.ts(['publish', c.gun], { env: { NOTARY_TARGETS_PASSPHRASE: 'wrong-wrong-wrong' } });
    expect(bad.code).not.toBe(0);
    expect(bad.all).toContain(
      'could not find necessary signing keys, at least one of these keys must be available:',
    );
    expect(bad.all).toContain('NOTARY_TARGETS_PASSPHRASE');
    const badSnap = await c.ts(['publish', c.gun], {
      env: { NOTARY_SNAPSHOT_PASSPHRASE: 'wrong-wrong-wrong' },
    });
    expect(badSnap.code).not.toBe(0);
    expect(badSnap.all).toMatch(/passphrase|password|signing keys/i);
    expect(keyFiles(c.trust)).toEqual(keysBefore);
    expect(signedOf(await serverMeta(c.gun, 'targets')).targets).toEqual({});
    expect(ok(await c.ts(['status', c.gun])).stdout).toContain('create    targets    target    x');
    ok(await c.ts(['publish', c.gun]));
    expect(listNames(ok(await c.ts(['list', c.gun])))).toEqual(['x']);
  });

  it('server down during publish keeps the change; the next publish (server back on the same port) succeeds', async () => {
    const c = newCase();
    // The server is reached through a TCP relay on a fixed port that we stop and restart, so the
    // server keeps its (memory) storage while the client sees it go away and come back.
    const port = await freePort();
    const target = new URL(server.url);
    let relay = await startRelay(port, Number(target.port));
    const url = `http://127.0.0.1:${port}`;
    try {
      ok(await c.ts(['init', '-p', c.gun], { server: url }));
      ok(await c.ts(['add', c.gun, 'pending', c.file('p', 'pending')]));
      await relay.close();
      const down = await c.ts(['publish', c.gun], { server: url });
      expect(down.code).not.toBe(0);
      expect(down.all).toContain('client is offline');
      expect(ok(await c.ts(['status', c.gun])).stdout).toContain('pending');
      const again = await c.ts(['add', '-p', c.gun, 'second', c.file('s', 'second')], { server: url });
      expect(again.code).not.toBe(0);
      expect(ok(await c.ts(['status', c.gun])).stdout).toContain('second');
      relay = await startRelay(port, Number(target.port));
      ok(await c.ts(['publish', c.gun], { server: url }));
      expect(listNames(ok(await c.ts(['list', c.gun], { server: url }))).sort()).toEqual([
        'pending',
        'second',
      ]);
      expect(ok(await c.ts(['status', c.gun])).stdout).toContain('No unpublished changes');
    } finally {
      await relay.close();
    }
  });

  it('init while the server is unreachable fails as offline and creates no keys', async () => {
    const c = newCase();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = await c.ts(['init', c.gun], { server: dead });
    expect(r.code).not.toBe(0);
    expect(r.all).toContain('client is offline');
    expect(keyFiles(c.trust)).toEqual({});
    expect(existsSync(join(c.trust, 'tuf', ...c.gun.split('/'), 'metadata', 'root.json'))).toBe(false);
  });

  it('re-init of a published GUN warns; the next publish fails with a hint and the server root is unchanged', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    ok(await c.ts(['add', '-p', c.gun, 'x', c.file('x', 'x')]));
    const rootBefore = await serverMeta(c.gun, 'root');
    const re = ok(await c.ts(['init', c.gun]));
    expect(re.stdout).toMatch(/^Root key found, using: [0-9a-f]{64}\n$/);
    expect(re.stderr).toContain(`already has trust data for ${c.gun}`);
    const pub = await c.ts(['publish', c.gun]);
    expect(pub.code).not.toBe(0);
    expect(pub.all).toMatch(/could not rotate trust to a new trusted root|valid/);
    expect(pub.all).toContain(`notary delete ${c.gun}`);
    expect((await serverMeta(c.gun, 'root'))?.equals(rootBefore!)).toBe(true);
    // the hint works: drop the local re-init and the published collection is usable again
    ok(await c.ts(['delete', c.gun]));
    expect(listNames(ok(await c.ts(['list', c.gun])))).toEqual(['x']);
  });

  it('init -p from another trust dir cannot take over an existing GUN', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    const before = await serverMeta(c.gun, 'root');
    const other = join(c.dir, 'attacker');
    const r = await runTs(['-d', other, '-s', server.url, 'init', '-p', c.gun], { env: PASS });
    expect(r.code).not.toBe(0);
    expect((await serverMeta(c.gun, 'root'))?.equals(before!)).toBe(true);
  });

  it('--rootkey must be encrypted; an encrypted one is imported and used; --rootcert must match', async () => {
    const c = newCase();
    // a root key made in another trust dir
    const src = join(c.dir, 'src');
    const gen = ok(await runTs(['-d', src, 'key', 'generate'], { env: PASS }));
    const id = /([0-9a-f]{64})/.exec(gen.stdout)![1]!;
    const keyFile = join(src, 'private', `${id}.key`);
    const plainKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const plain = c.file('plain.key', plainKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const r1 = await c.ts(['init', c.gun, '--rootkey', plain]);
    expect(r1.code).not.toBe(0);
    expect(r1.all).toContain('only encrypted root keys may be imported');
    const missing = await c.ts(['init', c.gun, '--rootkey', join(c.dir, 'nope.key')]);
    expect(missing.all).toContain(
      `Error reading input root key file: open ${join(c.dir, 'nope.key')}: no such file or directory`,
    );
    const r2 = ok(await c.ts(['init', '-p', c.gun, '--rootkey', keyFile]));
    expect(r2.stdout.split('\n')[0]).toBe(`Root key found, using: ${id}`);
    expect(existsSync(join(c.trust, 'private', `${id}.key`))).toBe(true);
    // a certificate of some other key does not match the root key
    const other = newCase();
    ok(await other.ts(['init', other.gun]));
    const otherRoot = JSON.parse(
      readFileSync(join(other.trust, 'tuf', ...other.gun.split('/'), 'metadata', 'root.json'), 'utf8'),
    );
    const rid = otherRoot.signed.roles.root.keyids[0];
    const certPem = Buffer.from(otherRoot.signed.keys[rid].keyval.public, 'base64');
    const certFile = c.file('other.crt', certPem);
    const r3 = await c.ts(['init', other.gun, '--rootcert', certFile]);
    expect(r3.code).not.toBe(0);
    expect(r3.all).toContain(
      'could not obtain public key from IDs: private key is nil or does not match public key',
    );
    // a certificate for another GUN is refused before anything is created
    const r5 = await other.ts(['init', `${other.gun}-2`, '--rootcert', certFile]);
    expect(r5.code).not.toBe(0);
    expect(r5.all).toContain(`does not match the GUN ${other.gun}-2`);
    // with its own root key the certificate is used as is
    const r4 = ok(await other.ts(['init', '-p', other.gun, '--rootcert', certFile]));
    expect(r4.stdout).toContain('Successfully published');
    const published = JSON.parse(String(await serverMeta(other.gun, 'root')));
    expect(published.signed.keys[rid].keyval.public).toBe(otherRoot.signed.keys[rid].keyval.public);
  });

  it('delete removes local data only (keys kept); delete --remote also the server copy; offline --remote deletes locally first', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    ok(await c.ts(['add', c.gun, 'staged', c.file('s', 's')]));
    const keys = keyFiles(c.trust);
    const del = ok(await c.ts(['delete', c.gun]));
    expect(del.stdout).toBe(
      `Deleting trust data for repository ${c.gun}\nSuccessfully deleted local trust data for repository ${c.gun}\n`,
    );
    expect(existsSync(join(c.trust, 'tuf', ...c.gun.split('/'), 'metadata'))).toBe(false);
    expect(ok(await c.ts(['status', c.gun])).stdout).not.toContain('staged');
    expect(keyFiles(c.trust)).toEqual(keys);
    expect(await serverMeta(c.gun, 'root')).toBeDefined();

    ok(await c.ts(['list', c.gun])); // re-populates the cache
    const dead = `http://127.0.0.1:${await freePort()}`;
    const off = await c.ts(['delete', '--remote', c.gun], { server: dead });
    expect(off.code).not.toBe(0);
    expect(off.stdout).toContain(`Deleting trust data for repository ${c.gun}`);
    expect(off.all).toContain('client is offline');
    expect(existsSync(join(c.trust, 'tuf', ...c.gun.split('/'), 'metadata'))).toBe(false);

    const rem = ok(await c.ts(['delete', '--remote', c.gun]));
    expect(rem.stdout).toContain(`Successfully deleted local and remote trust data for repository ${c.gun}`);
    expect(await serverMeta(c.gun, 'root')).toBeUndefined();
    const after = await c.ts(['list', c.gun]);
    expect(after.all).toContain('does not have trust data');
  });

  it('1,000 staged additions publish in one pass: one targets version, every target listed', async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]));
    const cl = openChangelist(c.trust, c.gun, silentLogger);
    const changes: Change[] = [];
    for (let i = 0; i < 1000; i++) {
      const b = Buffer.from(`content ${i}`);
      const meta = {
        length: b.length,
        hashes: {
          sha256: createHash('sha256').update(b).digest('base64'),
          sha512: createHash('sha512').update(b).digest('base64'),
        },
      };
      changes.push({
        action: 'create',
        role: 'targets',
        type: 'target',
        path: `d/f-${i}`,
        data: Buffer.from(JSON.stringify(meta)),
      });
    }
    await cl.stageAll(changes);
    const before = signedOf(await serverMeta(c.gun, 'targets')).version;
    ok(await c.ts(['publish', c.gun]));
    const targets = signedOf(await serverMeta(c.gun, 'targets'));
    expect(targets.version).toBe(before + 1);
    expect(Object.keys(targets.targets ?? {})).toHaveLength(1000);
    expect(listNames(ok(await c.ts(['list', c.gun])))).toHaveLength(1000);
    expect(await cl.list()).toEqual([]);
  });

  it('argument errors: Must specify a GUN (with usage)', async () => {
    const c = newCase();
    for (const cmd of ['init', 'publish', 'delete']) {
      const r = await c.ts([cmd]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain('Must specify a GUN');
      expect(r.all).toContain('Usage:');
    }
  });
});

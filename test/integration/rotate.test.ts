// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * `key rotate` through the CLI against a real notary-server: every role and flag combination,
 * Go's texts, `--legacy`, and the guarantee Go lacks: the old private key stays on disk until the
 * server has accepted the new root (failed uploads, a stopped server, a lost response).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalIdOf, generateKey } from '../../src/crypto/keygen.js';
import { pemEncode } from '../../src/crypto/pem.js';
import { toNotaryPkcs8 } from '../../src/crypto/pkcs8.js';
import { encodeEncryptedKeyPem } from '../../src/crypto/private-key.js';
import { checkRotationInput } from '../../src/repo/rotate.js';
import { canonicalKeyId } from '../../src/tuf/keys.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import type { RootSigned } from '../../src/tuf/types.js';
import { projectRoot, type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { createSoftHsmToken, SOFTHSM_MODULE, softhsmAvailable } from '../helpers/softhsm.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};
const ROOT_PROMPT =
  'Warning: you are about to rotate your root key.\n\nYou must use your old key to sign this root rotation.\nAre you sure you want to proceed?  (yes/no)  ';

let server: NotaryServer;
let n = 0;

function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** A trust dir + GUN on `url`; `ts`/`go` run the clients on it. */
function setup(url = server.url) {
  const dir = tempDir('tsnotary-rotate-');
  const trust = join(dir, 'trust');
  const gun = `ex.io/rotate/${++n}`;
  const ts = (args: string[], input?: string, s = url) =>
    runTs(['-d', trust, '-s', s, ...args], { env: PASS, ...(input === undefined ? {} : { input }) });
  const go = (args: string[], trustDir = trust) => runGo(['-d', trustDir, '-s', url, ...args], { env: PASS });
  const file = (name: string, content = name) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const keyFiles = () =>
    existsSync(join(trust, 'private'))
      ? readdirSync(join(trust, 'private'))
          .filter((f) => f.endsWith('.key'))
          .map((f) => f.slice(0, -4))
          .sort()
      : [];
  const keyRole = (id: string) =>
    /^role: (.*)$/m.exec(readFileSync(join(trust, 'private', `${id}.key`), 'utf8'))?.[1];
  const localKeys = (role: string) => keyFiles().filter((id) => keyRole(id) === role);
  return { dir, trust, gun, ts, go, file, keyFiles, localKeys };
}

async function servedRoot(gun: string, base = server.url) {
  const res = await fetch(`${base}/v2/${gun}/_trust/tuf/root.json`);
  const raw = Buffer.from(await res.arrayBuffer());
  return { raw, meta: parseMetadata<RootSigned>(raw, 'root') };
}

function roleKeyIds(root: { meta: { signed: RootSigned } }, role: string): string[] {
  return root.meta.signed.roles[role]!.keyids;
}

function canonicalOf(root: { meta: { signed: RootSigned } }, tufId: string): string {
  return canonicalKeyId(root.meta.signed.keys[tufId]!);
}

/**
 * A reverse proxy in front of the server whose treatment of the metadata POST can be changed:
 * `pass`, `reject` (500 without contacting the server), `drop` (connection cut after the body:
 * outcome unknown to the client), `forward-then-drop` (the server stores the upload, the client
 * only sees a cut connection).
 */
async function startFaultyProxy(upstream: string) {
  let mode: 'pass' | 'down' | 'reject' | 'drop' | 'forward-then-drop' = 'pass';
  const up = new URL(upstream);
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'down') {
        req.socket.destroy();
        return;
      }
      const body = Buffer.concat(chunks);
      const isUpload = req.method === 'POST' && /\/_trust\/tuf\/?$/.test(req.url ?? '');
      if (isUpload && mode === 'reject') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}');
        return;
      }
      if (isUpload && mode === 'drop') {
        req.socket.destroy();
        return;
      }
      const fwd = request(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          const out: Buffer[] = [];
          upRes.on('data', (c: Buffer) => out.push(c));
          upRes.on('end', () => {
            if (isUpload && mode === 'forward-then-drop') {
              req.socket.destroy();
              return;
            }
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
    setMode(m: typeof mode) {
      mode = m;
    },
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

beforeAll(async () => {
  server = await startNotaryServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('checkRotationInput (Go texts)', () => {
  it('allows root/targets/snapshot locally and snapshot/timestamp on the server, nothing else', () => {
    for (const r of ['root', 'targets', 'snapshot']) expect(() => checkRotationInput(r, false)).not.toThrow();
    for (const r of ['snapshot', 'timestamp']) expect(() => checkRotationInput(r, true)).not.toThrow();
    expect(() => checkRotationInput('timestamp', false)).toThrow(
      'notary does not permit the client managing the timestamp key',
    );
    expect(() => checkRotationInput('targets', true)).toThrow(
      'notary does not permit the server managing the targets key',
    );
    expect(() => checkRotationInput('root', true)).toThrow(
      'notary does not permit the server managing the root key',
    );
    for (const r of ['targets/releases', 'bogus', 'targets/*', '']) {
      expect(() => checkRotationInput(r, false)).toThrow(
        `notary does not currently permit rotating the ${r} key`,
      );
      expect(() => checkRotationInput(r, true)).toThrow(
        `notary does not currently permit rotating the ${r} key`,
      );
    }
  });
});

describe('key rotate (CLI, real server)', () => {
  it('targets: new key in root and on disk, old private key deleted after the publish, staged changes stay staged', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    const oldTargets = t.localKeys('targets');
    expect(oldTargets).toHaveLength(1);
    ok(await t.ts(['add', t.gun, 'staged', t.file('staged')]));
    const r = ok(await t.ts(['key', 'rotate', t.gun, 'targets']));
    expect(r.stdout).toBe(`Successfully rotated targets key for repository ${t.gun}\n`);
    const root = await servedRoot(t.gun);
    expect(root.meta.signed.version).toBe(2);
    const newTargets = t.localKeys('targets');
    expect(newTargets).toEqual([canonicalOf(root, roleKeyIds(root, 'targets')[0]!)]);
    expect(newTargets).not.toEqual(oldTargets);
    // the staged target was not published and is still staged
    expect(ok(await t.ts(['list', t.gun])).stdout).toContain('No targets present');
    expect(ok(await t.ts(['status', t.gun])).stdout).toContain('staged');
    ok(await t.ts(['publish', t.gun]));
    expect(ok(await t.go(['list', t.gun], join(t.dir, 'reader'))).stdout).toContain('staged');
  });

  it('targets -k: rotates to the given (unencrypted) key; an encrypted one is unlocked with the root passphrase, as Go', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    const plain = generateKey('ecdsa');
    const plainFile = t.file(
      'plain.pem',
      pemEncode({ type: 'PRIVATE KEY', headers: {}, bytes: toNotaryPkcs8(plain) }),
    );
    ok(await t.ts(['key', 'rotate', t.gun, 'targets', '-k', plainFile]));
    let root = await servedRoot(t.gun);
    expect(roleKeyIds(root, 'targets')).toEqual([canonicalIdOf(plain)]);
    expect(t.localKeys('targets')).toEqual([canonicalIdOf(plain)]);

    const enc = generateKey('ecdsa');
    const encFile = t.file('enc.pem', encodeEncryptedKeyPem(enc, PASS.NOTARY_ROOT_PASSPHRASE, {}));
    ok(await t.ts(['key', 'rotate', t.gun, 'targets', '--key', encFile]));
    root = await servedRoot(t.gun);
    expect(roleKeyIds(root, 'targets')).toEqual([canonicalIdOf(enc)]);
    expect(t.localKeys('targets')).toEqual([canonicalIdOf(enc)]);
    ok(await t.ts(['add', '-p', t.gun, 'x', t.file('x')]));
    expect(ok(await t.go(['list', t.gun], join(t.dir, 'r'))).stdout).toContain('x');
  });

  it('-k errors: missing file, unencrypted root key, no key in the file; nothing changes', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    const before = t.keyFiles();
    const root = await servedRoot(t.gun);
    let r = await t.ts(['key', 'rotate', t.gun, 'targets', '-k', 'nope.pem']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      '* fatal: Error reading input root key file: open nope.pem: no such file or directory',
    );
    const plainFile = t.file(
      'plain.pem',
      pemEncode({ type: 'PRIVATE KEY', headers: {}, bytes: toNotaryPkcs8(generateKey('ecdsa')) }),
    );
    r = await t.ts(['key', 'rotate', t.gun, 'root', '-k', plainFile], 'yes\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('* fatal: only encrypted root keys may be imported');
    expect(r.stdout).toBe(''); // refused before the question, as Go
    r = await t.ts(['key', 'rotate', t.gun, 'targets', '-k', t.file('empty.pem', 'nothing here')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no valid private key found');
    expect(t.keyFiles()).toEqual(before);
    expect((await servedRoot(t.gun)).raw.equals(root.raw)).toBe(true);
  });

  it('snapshot locally, then -r: the old local snapshot key is deleted only once the server key is in root', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    const first = t.localKeys('snapshot');
    ok(await t.ts(['key', 'rotate', t.gun, 'snapshot']));
    const local = t.localKeys('snapshot');
    expect(local).toHaveLength(1);
    expect(local).not.toEqual(first);
    let root = await servedRoot(t.gun);
    expect(canonicalOf(root, roleKeyIds(root, 'snapshot')[0]!)).toBe(local[0]);
    ok(await t.ts(['key', 'rotate', t.gun, 'snapshot', '-r']));
    root = await servedRoot(t.gun);
    expect(t.localKeys('snapshot')).toEqual([]);
    expect(roleKeyIds(root, 'snapshot')).toHaveLength(1);
    ok(await t.ts(['add', '-p', t.gun, 'after', t.file('after')]));
    expect(ok(await t.go(['list', t.gun], join(t.dir, 'r'))).stdout).toContain('after');
  });

  it('timestamp -r rotates the server key; root -r, targets -r, timestamp and delegations are refused like Go', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    const root = await servedRoot(t.gun);
    const cases: [string[], string | undefined, string, string][] = [
      [['timestamp'], undefined, 'notary does not permit the client managing the timestamp key', ''],
      [['targets', '-r'], undefined, 'notary does not permit the server managing the targets key', ''],
      [['root', '-r'], 'yes\n', 'notary does not permit the server managing the root key', ROOT_PROMPT],
      [
        ['targets/releases'],
        undefined,
        'notary does not currently permit rotating the targets/releases key',
        '',
      ],
      [['bogusrole', '-r'], undefined, 'notary does not currently permit rotating the bogusrole key', ''],
    ];
    for (const [args, input, message, stdout] of cases) {
      const r = await t.ts(['key', 'rotate', t.gun, ...args], input);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`* fatal: ${message}`);
      expect(r.stdout).toBe(stdout);
    }
    const usage = await t.ts(['key', 'rotate', t.gun]);
    expect(usage.code).not.toBe(0);
    expect(usage.all).toContain('Must specify a GUN and a key role to rotate');
    expect(usage.all).toContain('Usage:');
    expect((await servedRoot(t.gun)).raw.equals(root.raw)).toBe(true);

    ok(await t.ts(['key', 'rotate', t.gun, 'timestamp', '-r']));
    const after = await servedRoot(t.gun);
    expect(roleKeyIds(after, 'timestamp')).not.toEqual(roleKeyIds(root, 'timestamp'));
    ok(await t.go(['list', t.gun], join(t.dir, 'r')));
  });

  it('root: confirmation (declined = nothing happens), then old+new signatures and the old root key kept', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    const reader = join(t.dir, 'reader');
    ok(await t.go(['list', t.gun], reader)); // caches root v1
    const v1 = await servedRoot(t.gun);
    for (const answer of ['no\n', '\n', 'yes please\n', '']) {
      const r = await t.ts(['key', 'rotate', t.gun, 'root'], answer);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${ROOT_PROMPT}\nAborting action.\n`);
    }
    expect((await servedRoot(t.gun)).raw.equals(v1.raw)).toBe(true);
    const oldRootKeys = t.localKeys('root');

    const r = ok(await t.ts(['key', 'rotate', t.gun, 'root'], 'YES\n'));
    expect(r.stdout).toBe(`${ROOT_PROMPT}Successfully rotated root key for repository ${t.gun}\n`);
    const v2 = await servedRoot(t.gun);
    expect(v2.meta.signed.version).toBe(2);
    const oldId = roleKeyIds(v1, 'root')[0]!;
    const newId = roleKeyIds(v2, 'root')[0]!;
    expect(newId).not.toBe(oldId);
    expect(v2.meta.signatures.map((s) => s.keyid).sort()).toEqual([oldId, newId].sort());
    // the new root key: a certificate for this GUN; Go (like us) keeps the old root key listed
    const cert = v2.meta.signed.keys[newId]!;
    expect(cert.keytype).toBe('ecdsa-x509');
    expect(cert.public.toString('latin1')).toContain('BEGIN CERTIFICATE');
    expect(Object.keys(v2.meta.signed.keys)).toContain(oldId);
    // old root private key kept (old clients, --legacy), new one stored
    expect(t.localKeys('root').sort()).toEqual([...oldRootKeys, canonicalOf(v2, newId)].sort());
    ok(await t.ts(['add', '-p', t.gun, 'after-root', t.file('after-root')]));
    expect(ok(await t.go(['list', t.gun], reader)).stdout).toContain('after-root');
  });

  it('root --legacy N: also signed by the root keys of the N previous versions (as Go: 4 signatures after 3 rotations with -l 2)', async () => {
    const t = setup();
    ok(await t.ts(['init', '-p', t.gun]));
    ok(await t.ts(['key', 'rotate', t.gun, 'root'], 'yes\n'));
    ok(await t.ts(['key', 'rotate', t.gun, 'root'], 'yes\n'));
    const v3 = await servedRoot(t.gun);
    expect(v3.meta.signatures).toHaveLength(2);
    ok(await t.ts(['key', 'rotate', t.gun, 'root', '-l', '2'], 'yes\n'));
    const v4 = await servedRoot(t.gun);
    expect(v4.meta.signed.version).toBe(4);
    const ids = new Set<string>();
    for (let v = 1; v <= 4; v++) {
      const raw = Buffer.from(
        await (await fetch(`${server.url}/v2/${t.gun}/_trust/tuf/${v}.root.json`)).arrayBuffer(),
      );
      ids.add(parseMetadata<RootSigned>(raw, 'root').signed.roles['root']!.keyids[0]!);
    }
    expect(v4.meta.signatures.map((s) => s.keyid).sort()).toEqual([...ids].sort());
    // -1 = all old versions
    ok(await t.ts(['key', 'rotate', t.gun, 'root', '--legacy=-1'], 'yes\n'));
    expect((await servedRoot(t.gun)).meta.signatures).toHaveLength(5);
    ok(await t.go(['list', t.gun], join(t.dir, 'fresh')));
  });

  it('server stopped: the rotation fails, the old key stays, the new key is removed, staged changes are intact', async () => {
    const own = await startNotaryServer();
    const t = setup(own.url);
    ok(await t.ts(['init', '-p', t.gun]));
    ok(await t.ts(['add', t.gun, 'staged', t.file('staged')]));
    const keys = t.keyFiles();
    const changes = readdirSync(join(t.trust, 'tuf', t.gun, 'changelist'));
    await own.stop();
    for (const args of [['targets'], ['snapshot'], ['snapshot', '-r']]) {
      const r = await t.ts(['key', 'rotate', t.gun, ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain('* fatal:');
      expect(t.keyFiles()).toEqual(keys);
    }
    const r = await t.ts(['key', 'rotate', t.gun, 'root'], 'yes\n');
    expect(r.code).not.toBe(0);
    expect(t.keyFiles()).toEqual(keys);
    expect(readdirSync(join(t.trust, 'tuf', t.gun, 'changelist'))).toEqual(changes);
  });

  it('server down, upload refused or cut: old key kept and the repository stays usable; an upload the server took is recognised', async () => {
    const proxy = await startFaultyProxy(server.url);
    try {
      const t = setup(proxy.url);
      ok(await t.ts(['init', '-p', t.gun]));
      ok(await t.ts(['add', t.gun, 'staged', t.file('staged')]));
      const keys = t.keyFiles();
      const v1 = await servedRoot(t.gun);

      // server unreachable: nothing was sent, the new key is removed again
      proxy.setMode('down');
      let r = await t.ts(['key', 'rotate', t.gun, 'targets']);
      expect(r.code).not.toBe(0);
      expect(t.keyFiles()).toEqual(keys);

      // refused (server answered): nothing changed, new key removed
      proxy.setMode('reject');
      r = await t.ts(['key', 'rotate', t.gun, 'targets']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/new key was removed/);
      expect(t.keyFiles()).toEqual(keys);

      // cut before the server saw it: the client cannot know, asks the server, finds the old root
      proxy.setMode('drop');
      r = await t.ts(['key', 'rotate', t.gun, 'root'], 'yes\n');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/new key was removed/);
      expect(t.keyFiles()).toEqual(keys);
      expect((await servedRoot(t.gun)).raw.equals(v1.raw)).toBe(true);

      // the repository is still usable with the old keys
      proxy.setMode('pass');
      ok(await t.ts(['publish', t.gun]));
      expect(ok(await t.go(['list', t.gun], join(t.dir, 'r1'))).stdout).toContain('staged');

      // the server stored the rotation but the answer was lost: both keys kept, the error says so
      proxy.setMode('forward-then-drop');
      r = await t.ts(['key', 'rotate', t.gun, 'targets']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/rotation took effect/);
      const root = await servedRoot(t.gun);
      const newId = canonicalOf(root, roleKeyIds(root, 'targets')[0]!);
      expect(t.keyFiles()).toEqual([...keys, newId].sort());
      proxy.setMode('pass');
      ok(await t.ts(['add', '-p', t.gun, 'later', t.file('later')]));
      expect(ok(await t.go(['list', t.gun], join(t.dir, 'r2'))).stdout).toContain('later');
    } finally {
      await proxy.close();
    }
  });
});

const addonBuilt = existsSync(
  join(projectRoot, 'node_modules', 'pkcs11js', 'build', 'Release', 'pkcs11.node'),
);

describe.skipIf(!softhsmAvailable || !addonBuilt)('key rotate root with a hardware token (SoftHSM)', () => {
  it('the new root key is made on the token, as Go; a rotation that fails removes it from the token again', async () => {
    const token = await createSoftHsmToken();
    const own = await startNotaryServer();
    try {
      const dir = tempDir('tsnotary-rotate-p11-');
      const trust = join(dir, 'trust');
      const gun = 'ex.io/rotate/token';
      const env = {
        ...PASS,
        ...token.env,
        NOTARY_PKCS11_MODULE: SOFTHSM_MODULE,
        NOTARY_PKCS11_NO_BACKUP: '1',
      };
      const ts = (args: string[], input?: string) =>
        runTs(['-d', trust, '-s', own.url, ...args], { env, ...(input === undefined ? {} : { input }) });
      const tokenRootKeys = async () =>
        ok(await ts(['key', 'list']))
          .stdout.split('\n')
          .filter((l) => l.startsWith('root') && !l.includes(join(trust, 'private')))
          .map((l) => l.split(/\s+/)[1]!)
          .sort();
      ok(await ts(['init', '-p', gun]));
      const first = await tokenRootKeys();
      expect(first).toHaveLength(1);
      ok(await ts(['key', 'rotate', gun, 'root'], 'yes\n'));
      const both = await tokenRootKeys();
      expect(both).toHaveLength(2);
      const root = await servedRoot(gun, own.url);
      expect(both).toContain(canonicalOf(root, roleKeyIds(root, 'root')[0]!));
      expect(root.meta.signatures).toHaveLength(2);
      expect(
        existsSync(join(trust, 'private'))
          ? readdirSync(join(trust, 'private')).filter(
              (f) =>
                /^[0-9a-f]{64}\.key$/.test(f) &&
                readFileSync(join(trust, 'private', f), 'utf8').includes('role: root'),
            )
          : [],
      ).toEqual([]);

      await own.stop();
      const r = await ts(['key', 'rotate', gun, 'root'], 'yes\n');
      expect(r.code).not.toBe(0);
      expect(await tokenRootKeys()).toEqual(both);
    } finally {
      await own.stop();
      token.cleanup();
    }
  }, 120_000);
});

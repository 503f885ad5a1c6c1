// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * In-memory base-role key changes (what `key rotate` publishes) through Repository.publishChanges,
 * against a real notary-server, checked with the Go client reading the result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certToPem, createRootCertificate } from '../../src/crypto/x509.js';
import { CryptoService } from '../../src/keystore/crypto-service.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { envPassphraseRetriever } from '../../src/keystore/passphrase.js';
import { openRemote } from '../../src/remote/open.js';
import type { ChangeToApply } from '../../src/repo/apply-changes.js';
import { Repository } from '../../src/repo/repository.js';
import { NO_PINNING } from '../../src/repo/trust-pinning.js';
import { keyJson } from '../../src/tuf/keys.js';
import type { TufKey } from '../../src/tuf/types.js';
import { type RunResult, runGo, tempDir } from '../helpers/cli.js';
import { memLog } from '../helpers/memlog.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

let server: NotaryServer;
let n = 0;

async function open() {
  const trust = join(tempDir('tsnotary-rot-'), 'trust');
  const gun = `ex.io/rot/${++n}`;
  const log = memLog();
  const store = new FileKeyStore(trust, envPassphraseRetriever(PASS), log);
  await store.open();
  const keys = new CryptoService([store]);
  const repo = new Repository({
    gun,
    trustDir: trust,
    keys,
    keyLocations: [store.location],
    openRemote: () =>
      openRemote({ baseUrl: server.url, gun, access: 'admin', tls: { skipVerify: false }, log, env: {} }),
    pinning: NO_PINNING,
    log,
    clock: () => new Date(),
  });
  const go = (args: string[]) => runGo(['-d', trust, '-s', server.url, ...args], { env: PASS });
  return { trust, gun, repo, keys, log, go };
}

function rootChange(role: string, keys: TufKey[]): ChangeToApply {
  return {
    action: 'create',
    role: 'root',
    type: 'role',
    path: role,
    data: Buffer.from(JSON.stringify({ keys: keys.map(keyJson), role })),
  };
}

function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

async function served(gun: string, role: string) {
  const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/${role}.json`);
  return (await res.json()) as {
    signed: { version: number; roles: Record<string, { keyids: string[] }>; keys: Record<string, TufKey> };
    signatures: Array<{ keyid: string }>;
  };
}

describe('base-role key replacement (key rotation) published through Repository', () => {
  beforeAll(async () => {
    server = await startNotaryServer();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('targets key rotated locally: root v2 + targets re-signed with the new key; Go reads and publishes on top', async () => {
    const t = await open();
    await t.repo.init();
    await t.repo.publish();
    const newId = await t.keys.create('targets', t.gun, 'ecdsa');
    const signer = (await t.keys.getSigner(newId))!;
    const res = await t.repo.publishChanges([
      rootChange('targets', [{ keytype: 'ecdsa', public: signer.publicBytes }]),
    ]);
    expect([...res.files.keys()].sort()).toEqual(['root', 'snapshot', 'targets']);
    expect(res.unusedKeyIds).toHaveLength(1);
    const root = await served(t.gun, 'root');
    expect(root.signed.version).toBe(2);
    expect(root.signed.roles['targets']!.keyids).toEqual([newId]);
    expect((await served(t.gun, 'targets')).signatures.map((s) => s.keyid)).toEqual([newId]);
    const file = join(t.trust, '..', 'payload');
    writeFileSync(file, 'payload');
    ok(await t.go(['add', '-p', t.gun, 'after-rotation', file]));
    expect(ok(await t.go(['list', t.gun])).stdout).toContain('after-rotation');
  });

  it('snapshot key handed to the server: only root is uploaded and later publishes send no snapshot', async () => {
    const t = await open();
    await t.repo.init();
    await t.repo.publish();
    const serverKey = await (await t.repo.remote()).rotateKey('snapshot');
    const res = await t.repo.publishChanges([rootChange('snapshot', [serverKey])]);
    expect([...res.files.keys()]).toEqual(['root']);
    const later = await t.repo.publishChanges([]);
    expect([...later.files.keys()]).toEqual([]);
    ok(await t.go(['list', t.gun]));
  });

  it('root key rotated: the new root is signed by the old and the new root key, and a Go client with the old root updates', async () => {
    const t = await open();
    await t.repo.init();
    await t.repo.publish();
    ok(await t.go(['list', t.gun])); // Go caches root v1
    const oldRoot = await served(t.gun, 'root');
    const oldRootId = oldRoot.signed.roles['root']!.keyids[0]!;
    const newId = await t.keys.create('root', '', 'ecdsa');
    const signer = (await t.keys.getSigner(newId))!;
    const cert: TufKey = {
      keytype: 'ecdsa-x509',
      public: Buffer.from(certToPem(await createRootCertificate(signer, t.gun, new Date())), 'latin1'),
    };
    const res = await t.repo.publishChanges([rootChange('root', [cert])]);
    expect([...res.files.keys()].sort()).toEqual(['root', 'snapshot']);
    const root = await served(t.gun, 'root');
    expect(root.signed.version).toBe(2);
    expect(root.signatures.map((s) => s.keyid).sort()).toEqual(
      [oldRootId, root.signed.roles['root']!.keyids[0]!].sort(),
    );
    expect(root.signed.roles['root']!.keyids).not.toContain(oldRootId);
    // Go, trusting root v1, accepts v2 and can publish with the rotated repository
    const list = ok(await t.go(['list', t.gun]));
    expect(list.all).toContain('No targets present in this repository.');
  });

  it('a publish that fails (bad change) sends nothing and reports the change', async () => {
    const t = await open();
    await t.repo.init();
    await t.repo.publish();
    const before = await served(t.gun, 'targets');
    await expect(
      t.repo.publishChanges([
        {
          action: 'create',
          role: 'targets',
          type: 'target',
          path: 'ok',
          data: Buffer.from('{"length":1,"hashes":{"sha256":"AAAA"}}'),
        },
        {
          action: 'create',
          role: 'targets/nope',
          type: 'target',
          path: 'x',
          data: Buffer.from('{"length":1}'),
        },
      ]),
    ).rejects.toThrow('tuf: invalid role targets/nope. delegation does not exist');
    expect((await served(t.gun, 'targets')).signed.version).toBe(before.signed.version);
    await expect(
      t.repo.publishChanges([
        { action: 'create', role: 'targets', type: 'target', path: 'bad', data: Buffer.from('{not json') },
      ]),
    ).rejects.toThrow(/invalid target meta in change for targets/);
    await expect(
      t.repo.publishChanges([
        { action: 'update', role: 'targets/unknown', type: 'witness', path: '', data: null },
      ]),
    ).rejects.toThrow('tuf: invalid role targets/unknown. this role is not known');
    await expect(
      t.repo.publishChanges([{ action: 'create', role: 'snapshot', type: 'target', path: 'x', data: null }]),
    ).rejects.toThrow('scope not supported: snapshot');
  });
});

// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * The library API in-process against a real notary-server: a repository initialised, staged,
 * published, read, verified (bytes, stream, file, digest), delegated and rotated through
 * `NotaryClient` alone — passphrases from a callback, no environment, nothing printed — and the
 * Go client reading the result from its own trust directory.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isNotaryError, NotaryClient, NotaryError, type PassphraseRequest } from '../../src/index.js';
import { runGo, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

let server: NotaryServer;
let work: string;
const asked: PassphraseRequest[] = [];
const passphrase = async (req: PassphraseRequest) => {
  asked.push(req);
  return `${req.alias || 'other'}-passphrase`;
};

beforeAll(async () => {
  server = await startNotaryServer();
  work = tempDir('tsnotary-library-');
});
afterAll(async () => {
  await server?.stop();
  vi.restoreAllMocks();
});

describe('library API against a real notary-server', () => {
  it('init, stage, publish, list, lookup and verify without printing anything', async () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    const trustDir = join(work, 'trust');
    const client = new NotaryClient({ trustDir, server: server.url, passphrase });
    const repo = client.repository('example.com/lib/app');

    await repo.initialize();
    await repo.publish();
    expect(asked.some((r) => r.alias === 'root' && r.createNew)).toBe(true);

    const payload = Buffer.from('library payload\n');
    const file = join(work, 'payload.bin');
    writeFileSync(file, payload);
    await repo.addTarget('from-bytes', payload, { custom: { build: 7 } });
    await repo.addTargetFile('from-file', file);
    const { createHash } = await import('node:crypto');
    await repo.addTargetHash('from-hash', {
      length: payload.length,
      sha256: createHash('sha256').update(payload).digest('hex'),
    });
    expect((await repo.listChanges()).map((c) => [c.action, c.scope, c.type, c.path])).toEqual([
      ['create', 'targets', 'target', 'from-bytes'],
      ['create', 'targets', 'target', 'from-file'],
      ['create', 'targets', 'target', 'from-hash'],
    ]);
    await repo.publish();
    expect(await repo.listChanges()).toEqual([]);

    const listing = await repo.listTargets();
    expect(listing.gun).toBe('example.com/lib/app');
    expect(listing.targets.map((t) => t.name)).toEqual(['from-bytes', 'from-file', 'from-hash']);
    expect(listing.targets[0]).toMatchObject({
      role: 'targets',
      length: payload.length,
      custom: { build: 7 },
    });
    expect(listing.skipped).toEqual([]);

    const t = await repo.lookupTarget('from-file');
    expect(t.hashes['sha256']).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(await repo.getTarget('nope')).toBeUndefined();
    await expect(repo.lookupTarget('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await expect(repo.verifyTarget('from-bytes', payload)).resolves.toMatchObject({ name: 'from-bytes' });
    await expect(
      repo.verifyTarget('from-bytes', Readable.from([payload.subarray(0, 3), payload.subarray(3)])),
    ).resolves.toMatchObject({
      name: 'from-bytes',
    });
    await expect(repo.verifyTargetFile('from-file', file)).resolves.toMatchObject({ length: payload.length });
    const bad = await repo.verifyTarget('from-bytes', Buffer.from('tampered\n')).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(NotaryError);
    expect(isNotaryError(bad, 'HASH_MISMATCH')).toBe(true);
    expect((bad as NotaryError).hint).toMatch(/not the trusted content/);

    expect(out).not.toHaveBeenCalled();
    expect(err).not.toHaveBeenCalled();
    out.mockRestore();
    err.mockRestore();

    // the Go client reads what the library published
    const go = await runGo(['-s', server.url, '-d', join(work, 'go-trust'), 'list', 'example.com/lib/app']);
    expect(go.code, go.all).toBe(0);
    for (const name of ['from-bytes', 'from-file', 'from-hash']) expect(go.stdout).toContain(name);
  });

  it('delegations, keys and rotation', async () => {
    const trustDir = join(work, 'trust2');
    const client = new NotaryClient({ trustDir, server: server.url, passphrase });
    const repo = client.repository('example.com/lib/delegated');
    await repo.initialize();
    await repo.publish();

    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    await repo.addDelegation('targets/releases', { publicKeys: [publicPem], paths: ['rel/'] });
    await repo.publish();
    const [d] = await repo.listDelegations();
    expect(d).toMatchObject({ name: 'targets/releases', paths: ['rel/'], threshold: 1 });
    expect(d?.keyIds).toHaveLength(1);

    await repo.removeDelegation('targets/releases', { paths: ['rel/'] });
    await repo.publish();
    expect((await repo.listDelegations())[0]?.paths).toEqual([]);

    const keys = await client.keys.list();
    expect(keys[0]?.role).toBe('root');
    expect(keys.map((k) => k.role)).toContain('targets');
    const generated = await client.keys.generate({ role: 'targets/releases' });
    expect((await client.keys.list()).some((k) => k.keyId === generated)).toBe(true);

    const rotated = await repo.rotateKey('snapshot', { serverManaged: true });
    expect(rotated.newKeyIds).toHaveLength(1);
    const targetsRotation = await repo.rotateKey('targets');
    expect(targetsRotation.removedKeyIds).toHaveLength(1);
    // still readable after both rotations
    expect((await repo.listTargets()).targets).toEqual([]);
  });

  it('errors are NotaryErrors with codes and hints; no passphrase callback means NO_PASSPHRASE_INPUT', async () => {
    expect(() => new NotaryClient({ trustDir: '' })).toThrow(NotaryError);
    const client = new NotaryClient({ trustDir: join(work, 'trust3'), server: server.url });
    expect(() => client.repository('../escape')).toThrow(expect.objectContaining({ code: 'INVALID_GUN' }));
    await expect(client.repository('example.com/lib/unknown').listTargets()).rejects.toMatchObject({
      code: 'NO_TRUST_DATA',
    });
    const e = await client.keys.generate().catch((x: unknown) => x);
    expect(isNotaryError(e)).toBe(true);
    expect((e as NotaryError).hint).toMatch(/passphrase/);
    const noServer = new NotaryClient({ trustDir: join(work, 'trust4') });
    await expect(noServer.repository('example.com/x').listTargets()).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });
});

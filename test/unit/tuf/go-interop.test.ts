// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Go interop for the TUF core: a whole repository signed by src/tuf (root with a generated
 * certificate, ecdsa targets/snapshot/delegation keys, ed25519 timestamp) is written as a trust
 * dir cache, and the real Go `notary list` (server unreachable → cached metadata) must verify
 * every signature, hash and threshold and list the targets.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KeyAlgorithm, PrivateKey } from '../../../src/crypto/keys.js';
import { signData } from '../../../src/crypto/sign.js';
import type { Signer } from '../../../src/crypto/signer.js';
import { certToPem, createRootCertificate } from '../../../src/crypto/x509.js';
import { fileMeta } from '../../../src/tuf/hashes.js';
import { canonicalKeyId, certificateKey, tufKeyId } from '../../../src/tuf/keys.js';
import { signMetadata } from '../../../src/tuf/sign.js';
import { defaultExpiry } from '../../../src/tuf/time.js';
import type {
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TimestampSigned,
  TufKey,
} from '../../../src/tuf/types.js';
import { runGo, tempDir } from '../../helpers/cli.js';

function makeKey(alg: KeyAlgorithm): { priv: PrivateKey; pub: TufKey } {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  if (alg === 'ecdsa') ({ privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  else if (alg === 'rsa') ({ privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  else ({ privateKey, publicKey } = generateKeyPairSync('ed25519'));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    priv: { algorithm: alg, keyObject: privateKey },
    pub: { keytype: alg, public: Buffer.from(alg === 'ed25519' ? spki.subarray(12) : spki) },
  };
}

function signerOf(k: { priv: PrivateKey; pub: TufKey }): Signer {
  return {
    algorithm: k.priv.algorithm,
    keyId: canonicalKeyId(k.pub),
    publicBytes: k.pub.public,
    sign: async (data) => signData(k.priv, data),
  };
}

describe('Go notary reads a repository signed by src/tuf', () => {
  it('lists every target (signatures, hashes, thresholds, delegation, odd names)', async () => {
    const gun = 'example.com/tsnotary/tuf-interop';
    const now = new Date();
    const rootPriv = makeKey('ecdsa');
    const rootCert = await createRootCertificate(rootPriv.priv, gun, now);
    const rootKey = certificateKey(certToPem(rootCert));
    const targetsKey = makeKey('ecdsa');
    const snapshotKey = makeKey('rsa');
    const timestampKey = makeKey('ed25519');
    const delegationKey = makeKey('ecdsa');
    const id = (k: TufKey) => tufKeyId(k);
    const role = (k: TufKey) => ({ keyids: [id(k)], threshold: 1 });

    const root: RootSigned = {
      _type: 'Root',
      consistent_snapshot: false,
      expires: defaultExpiry('root', now),
      keys: {
        [id(rootKey)]: rootKey,
        [id(targetsKey.pub)]: targetsKey.pub,
        [id(snapshotKey.pub)]: snapshotKey.pub,
        [id(timestampKey.pub)]: timestampKey.pub,
      },
      roles: {
        root: role(rootKey),
        targets: role(targetsKey.pub),
        snapshot: role(snapshotKey.pub),
        timestamp: role(timestampKey.pub),
      },
      version: 1,
    };
    const names = [
      'a<b>&c',
      'caf\u00e9',
      'x\u{1F600}',
      'x\uFF01',
      'x\uE000',
      'ls\u2028ps\u2029',
      'quote"back\\slash/',
    ];
    const targets: TargetsSigned = {
      _type: 'Targets',
      delegations: {
        keys: { [id(delegationKey.pub)]: delegationKey.pub },
        roles: [
          { name: 'targets/releases', keyids: [id(delegationKey.pub)], threshold: 1, paths: ['releases/'] },
        ],
      },
      expires: defaultExpiry('targets', now),
      targets: Object.fromEntries(names.map((n, i) => [n, fileMeta(Buffer.from(`content ${i}`))])),
      version: 1,
    };
    targets.targets['with-custom'] = fileMeta(Buffer.from('custom'), { z: [1, 2], a: { '<': 'caf\u00e9' } });
    const releases: TargetsSigned = {
      _type: 'Targets',
      delegations: { keys: {}, roles: [] },
      expires: defaultExpiry('targets/releases', now),
      targets: { 'releases/v1.txt': fileMeta(Buffer.from('v1')) },
      version: 1,
    };

    const rootFile = await signMetadata(root, [
      { keyId: id(rootKey), signer: signerOf(rootPriv), key: rootKey },
    ]);
    const targetsFile = await signMetadata(targets, [
      { keyId: id(targetsKey.pub), signer: signerOf(targetsKey) },
    ]);
    const releasesFile = await signMetadata(releases, [
      { keyId: id(delegationKey.pub), signer: signerOf(delegationKey) },
    ]);
    const snapshot: SnapshotSigned = {
      _type: 'Snapshot',
      expires: defaultExpiry('snapshot', now),
      meta: {
        root: fileMeta(rootFile.raw),
        targets: fileMeta(targetsFile.raw),
        'targets/releases': fileMeta(releasesFile.raw),
      },
      version: 1,
    };
    const snapshotFile = await signMetadata(snapshot, [
      { keyId: id(snapshotKey.pub), signer: signerOf(snapshotKey) },
    ]);
    const timestamp: TimestampSigned = {
      _type: 'Timestamp',
      expires: defaultExpiry('timestamp', now),
      meta: { snapshot: fileMeta(snapshotFile.raw) },
      version: 1,
    };
    const timestampFile = await signMetadata(timestamp, [
      { keyId: id(timestampKey.pub), signer: signerOf(timestampKey) },
    ]);

    const trust = tempDir('tuf-interop-');
    const meta = join(trust, 'tuf', gun, 'metadata');
    mkdirSync(join(meta, 'targets'), { recursive: true });
    writeFileSync(join(meta, 'root.json'), rootFile.raw);
    writeFileSync(join(meta, 'targets.json'), targetsFile.raw);
    writeFileSync(join(meta, 'targets', 'releases.json'), releasesFile.raw);
    writeFileSync(join(meta, 'snapshot.json'), snapshotFile.raw);
    writeFileSync(join(meta, 'timestamp.json'), timestampFile.raw);

    // Port 9 (discard) on loopback is closed: Go falls back to its cache.
    const res = await runGo(['-s', 'https://127.0.0.1:9', '-d', trust, 'list', gun]);
    expect(res.stderr).not.toMatch(/fatal|invalid|threshold|checksum/i);
    expect(res.code).toBe(0);
    for (const n of [...names, 'with-custom', 'releases/v1.txt']) expect(res.stdout).toContain(n);
    const lookup = await runGo(['-s', 'https://127.0.0.1:9', '-d', trust, 'lookup', gun, 'releases/v1.txt']);
    expect(lookup.code).toBe(0);
    expect(lookup.stdout).toContain(fileMeta(Buffer.from('v1')).hashes['sha256']!.toString('hex'));
  });
});

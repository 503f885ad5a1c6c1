import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Minimal, independently written signer for test metadata a real notary-server accepts:
 * root (ecdsa-x509 cert made with openssl, CN = GUN), targets, snapshot — ECDSA P-256 over
 * canonical JSON (sorted keys; test content is plain ASCII so no escaping questions arise).
 * It does not use src/ so the remote client is tested against an independent producer.
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

interface PubKey {
  keytype: string;
  keyval: { private: null; public: string };
}

function keyId(k: PubKey): string {
  return createHash('sha256').update(canonical(k)).digest('hex');
}

function envelope(signed: unknown, signers: { id: string; key: KeyObject }[]): Buffer {
  const data = Buffer.from(canonical(signed));
  const signatures = signers.map((s) => ({
    keyid: s.id,
    method: 'ecdsa',
    sig: sign('sha256', data, { key: s.key, dsaEncoding: 'ieee-p1363' }).toString('base64'),
  }));
  // Go's envelope order: signed first (tuf.md §1): the server re-serialises it this way when it
  // hashes the snapshot for the timestamp, so another order breaks the server's own lookup.
  return Buffer.from(`{"signed":${canonical(signed)},"signatures":${canonical(signatures)}}`);
}

function fileMeta(b: Buffer) {
  return {
    hashes: {
      sha256: createHash('sha256').update(b).digest('base64'),
      sha512: createHash('sha512').update(b).digest('base64'),
    },
    length: b.length,
  };
}

export interface SignedRepo {
  root: Buffer;
  targets: Buffer;
  snapshot: Buffer;
  /** re-sign targets with another version (for version-conflict tests) */
  targetsVersion(version: number, extraTarget?: string): Buffer;
  snapshotFor(targets: Buffer, version: number): Buffer;
}

/** Builds root v1 / targets v1 / snapshot v1 for `gun`, using the server-held timestamp key. */
export function makeSignedRepo(gun: string, timestampKey: { keytype: string; public: Buffer }): SignedRepo {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-signed-'));
  const rootKeyFile = join(dir, 'root.key');
  const csr = join(dir, 'root.csr');
  const certFile = join(dir, 'root.crt');
  const ext = join(dir, 'root.ext');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', rootKeyFile]);
  execFileSync('openssl', [
    'req',
    '-new',
    '-key',
    rootKeyFile,
    '-out',
    csr,
    '-subj',
    `/CN=${gun.replace(/\//g, '\\/')}`,
  ]);
  writeFileSync(
    ext,
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=codeSigning\n',
  );
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-signkey',
      rootKeyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      ext,
    ],
    {
      stdio: 'pipe',
    },
  );
  const rootKey = createPrivateKey(readFileSync(rootKeyFile));
  const rootPub: PubKey = {
    keytype: 'ecdsa-x509',
    keyval: { private: null, public: readFileSync(certFile).toString('base64') },
  };
  const mk = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub: PubKey = {
      keytype: 'ecdsa',
      keyval: { private: null, public: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') },
    };
    return { key: privateKey, pub, id: keyId(pub) };
  };
  const targetsK = mk();
  const snapshotK = mk();
  const tsPub: PubKey = {
    keytype: timestampKey.keytype,
    keyval: { private: null, public: timestampKey.public.toString('base64') },
  };
  const rootId = keyId(rootPub);
  const tsId = keyId(tsPub);
  // Three years from the clock this runs on (a notary-server signs its timestamp on that clock too);
  // never a fixed date, which would expire one day.
  const expires = new Date(Date.now() + 3 * 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const rootSigned = {
    _type: 'Root',
    consistent_snapshot: false,
    expires,
    keys: { [rootId]: rootPub, [targetsK.id]: targetsK.pub, [snapshotK.id]: snapshotK.pub, [tsId]: tsPub },
    roles: {
      root: { keyids: [rootId], threshold: 1 },
      snapshot: { keyids: [snapshotK.id], threshold: 1 },
      targets: { keyids: [targetsK.id], threshold: 1 },
      timestamp: { keyids: [tsId], threshold: 1 },
    },
    version: 1,
  };
  const root = envelope(rootSigned, [{ id: rootId, key: rootKey }]);
  const targetsVersion = (version: number, extraTarget?: string) => {
    const targets: Record<string, unknown> = {};
    if (extraTarget) targets[extraTarget] = fileMeta(Buffer.from(extraTarget));
    return envelope({ _type: 'Targets', delegations: { keys: {}, roles: [] }, expires, targets, version }, [
      targetsK,
    ]);
  };
  const snapshotFor = (targets: Buffer, version: number) =>
    envelope(
      { _type: 'Snapshot', expires, meta: { root: fileMeta(root), targets: fileMeta(targets) }, version },
      [snapshotK],
    );
  const targets = targetsVersion(1);
  return { root, targets, snapshot: snapshotFor(targets, 1), targetsVersion, snapshotFor };
}

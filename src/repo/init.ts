/**
 * `init`: creates a repository locally (spec cli.md §5 `init`, tuf.md §3, §7): root key (given,
 * first in the store, or new), new targets and snapshot keys, the server's timestamp key, a
 * root certificate per root key, and root/targets/snapshot version 1 signed and written to the
 * cache exactly as Go writes them (the bytes a first publish uploads). Nothing is sent except
 * `GET timestamp.key`.
 *
 * Differences from Go, on purpose:
 * - the timestamp key is fetched before any key is created, so an offline `init` leaves no
 *   orphaned keys behind (Go creates the targets and snapshot keys first);
 * - re-initialising a GUN the server already has is reported with a warning: Go silently makes a
 *   new, unrelated root that every later publish (and read) of that trust directory refuses.
 */
import type { KeyAlgorithm } from '../crypto/keys.js';
import type { Signer } from '../crypto/signer.js';
import {
  certToPem,
  commonName,
  createRootCertificate,
  parseCertificates,
  validateCertificate,
} from '../crypto/x509.js';
import { isNotaryError, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import { hostPort } from '../remote/errors.js';
import type { Remote } from '../remote/types.js';
import { fileMeta } from '../tuf/hashes.js';
import { canonicalKeyId, certificateDers, certificatePem, tufKeyId } from '../tuf/keys.js';
import { parseMetadata } from '../tuf/metadata.js';
import { type SigningKey, signMetadata } from '../tuf/sign.js';
import { defaultExpiry } from '../tuf/time.js';
import type {
  Clock,
  ParsedMetadata,
  RoleKeys,
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TufKey,
} from '../tuf/types.js';
import type { MetadataCache } from './cache.js';
import type { LocalRepoData } from './publish.js';

/** The key operations `init` needs (a CryptoService). */
export interface InitKeyService {
  /** Generates and stores a key (asks for its new passphrase); returns the canonical ID. */
  create(role: string, gun: string, alg?: KeyAlgorithm): Promise<string>;
  /** Signer for a canonical key ID (may ask for the passphrase); undefined when not held. */
  getSigner(keyId: string): Promise<Signer | undefined>;
  /** Canonical IDs of the stored keys of a role, token first. */
  keysForRole(role: string, gun?: string): Promise<string[]>;
}

export interface InitOptions {
  gun: string;
  cache: MetadataCache;
  remote: Remote;
  keys: InitKeyService;
  log: Logger;
  clock: Clock;
  /**
   * Canonical IDs of the root keys to use (from `--rootkey`, or the first stored root key).
   * Empty or absent: the first stored root key, else a new ECDSA key.
   */
  rootKeyIds?: readonly string[];
  /** Root certificates (`--rootcert`), one per root key, in the same order. */
  rootCerts?: readonly TufKey[];
  /**
   * The server holds the snapshot key (Go's `Initialize(ids, "snapshot")`, what docker does):
   * no local snapshot key is made and no snapshot is written; the server signs it on publish.
   */
  serverManagedSnapshot?: boolean;
}

/** The public TUF key of a signer (bare, not certificate-wrapped). */
export function publicTufKey(s: Signer): TufKey {
  return { keytype: s.algorithm, public: s.publicBytes };
}

async function requireSigner(keys: InitKeyService, keyId: string, role: string): Promise<Signer> {
  const s = await keys.getSigner(keyId);
  if (!s) {
    throw new NotaryError('KEY_NOT_FOUND', `could not retrieve local key for key ID provided: ${keyId}`, {
      details: { keyId, role },
      hint: `The ${role} key ${keyId} is not in the key stores; import it with \`tsnotary key import\`.`,
    });
  }
  return s;
}

/** Go's getAllPrivKeys: the given root keys, else the first stored one, else a new one. */
async function rootSigners(opts: InitOptions): Promise<Signer[]> {
  let ids = opts.rootKeyIds ? [...opts.rootKeyIds] : [];
  if (ids.length === 0) {
    const stored = await opts.keys.keysForRole('root');
    ids = stored.length > 0 ? [stored[0]!] : [await opts.keys.create('root', '', 'ecdsa')];
  }
  const out: Signer[] = [];
  for (const id of ids) out.push(await requireSigner(opts.keys, id, 'root'));
  return out;
}

/** Certificate keys for the root keys: the given `--rootcert`s (checked), or new certificates. */
async function rootCertificateKeys(
  opts: InitOptions,
  signers: readonly Signer[],
  now: Date,
): Promise<TufKey[]> {
  if (opts.rootCerts && opts.rootCerts.length > 0) {
    if (opts.rootCerts.length !== signers.length) {
      throw new NotaryError(
        'KEY_INVALID',
        `require matching number of keyIDs and public keys but got ${signers.length} IDs and ${opts.rootCerts.length} public keys`,
      );
    }
    for (const cert of opts.rootCerts) checkRootCertificate(cert, opts.gun, now);
    opts.rootCerts.forEach((cert, i) => {
      if (canonicalKeyId(cert) !== signers[i]!.keyId) {
        throw new NotaryError(
          'KEY_INVALID',
          'could not obtain public key from IDs: private key is nil or does not match public key',
          {
            details: { keyId: signers[i]!.keyId, certificateKeyId: canonicalKeyId(cert) },
            hint: `The certificate holds the public key ${canonicalKeyId(cert)}, but the root key is ${signers[i]!.keyId}: pass the matching --rootkey.`,
          },
        );
      }
    });
    return [...opts.rootCerts];
  }
  const out: TufKey[] = [];
  for (const s of signers) {
    if (s.algorithm === 'ed25519') {
      throw new NotaryError('UNSUPPORTED', 'key type not supported for Certificate generation: ed25519', {
        hint: 'Root keys must be ECDSA or RSA: notary root keys are wrapped in X.509 certificates.',
      });
    }
    const der = await createRootCertificate(s, opts.gun, now, 10);
    out.push({
      keytype: s.algorithm === 'rsa' ? 'rsa-x509' : 'ecdsa-x509',
      public: Buffer.from(certToPem(der), 'latin1'),
    });
  }
  return out;
}

/**
 * A `--rootcert` the server and every client would refuse is refused here, before anything is
 * created (Go accepts it at init and only the publish fails): CN = GUN (or a `*` prefix of it),
 * notary's validity rules (tuf.md §7).
 */
function checkRootCertificate(cert: TufKey, gun: string, now: Date): void {
  const der = certificateDers(cert.public.toString('latin1'))[0];
  if (!der)
    throw new NotaryError('KEY_INVALID', 'the provided file does not contain a valid PEM certificate');
  const parsed = parseCertificates(certificatePem(der))[0];
  if (!parsed)
    throw new NotaryError('KEY_INVALID', 'the provided file does not contain a valid PEM certificate');
  const cn = commonName(parsed.cert);
  const matches = cn === gun || (cn.endsWith('*') && gun.startsWith(cn.slice(0, -1)));
  if (!matches) {
    throw new NotaryError(
      'KEY_INVALID',
      `root certificate CN ${JSON.stringify(cn)} does not match the GUN ${gun}`,
      {
        details: { cn, gun },
        hint: `notary-server and every client refuse a root whose certificate is not issued for the GUN: use a certificate with CN=${gun}.`,
      },
    );
  }
  validateCertificate(parsed, now, true);
}

/** Warn when the server already serves this GUN: the new root will not be accepted. */
async function warnIfPublished(opts: InitOptions): Promise<void> {
  try {
    await opts.remote.getMeta('root', 100 << 20);
  } catch (e) {
    if (!isNotaryError(e, 'NO_TRUST_DATA'))
      opts.log.debug(`could not check for existing trust data: ${(e as Error).message}`);
    return;
  }
  opts.log.warn(
    `${hostPort(opts.remote.baseUrl)} already has trust data for ${opts.gun}: this init creates a new root that clients ` +
      `trusting the published one (including this trust directory's next publish) will refuse. To keep using the ` +
      `published collection instead, run \`tsnotary delete ${opts.gun}\` (keys are kept).`,
  );
}

function roleKeys(...ids: string[]): RoleKeys {
  return { keyids: ids, threshold: 1 };
}

async function signRole<T extends RootSigned | TargetsSigned | SnapshotSigned>(
  signed: T,
  role: string,
  signers: readonly SigningKey[],
): Promise<ParsedMetadata<T>> {
  const { raw } = await signMetadata(signed, signers);
  return parseMetadata<T>(raw, role);
}

/**
 * Writes the three files of a new repository so that a crash at any point leaves either the
 * previous state or no repository at all, never a mix (Go writes root first: killed after it,
 * every later publish fails on the missing or foreign targets.json). A cached root is what
 * marks a repository as initialised (loadLocalRepo, the update walk), so:
 * - an existing root (re-init) is removed first: killed after that, the repository reads as
 *   not initialised (a publish initialises it again, a read trusts the server's root on first
 *   use), never as the old root with the new targets that it does not sign;
 * - targets and snapshot are written next, each atomically (without a root they are never
 *   read as a local repository, and the update walk re-downloads cached files whose hashes do
 *   not match the server's snapshot);
 * - the root is written last.
 * The metadata directory is fsynced after each rename (atomic-file.ts), so the order also holds
 * after a power loss.
 */
export async function writeInitialCache(
  cache: MetadataCache,
  root: Uint8Array,
  targets: Uint8Array,
  snapshot?: Uint8Array,
): Promise<void> {
  await cache.remove('root');
  await cache.write('targets', targets);
  // A server-managed snapshot key: the server signs the first snapshot, so none is cached here.
  if (snapshot) await cache.write('snapshot', snapshot);
  else await cache.remove('snapshot');
  await cache.write('root', root);
}

/**
 * Initialises the repository locally and writes root/targets/snapshot v1 to the cache.
 * Returns them as parsed metadata (what a first publish starts from).
 */
export async function initializeRepo(opts: InitOptions): Promise<LocalRepoData> {
  const now = opts.clock();
  // Online first: an offline init fails before any key is created or unlocked.
  const timestampKey = await opts.remote.getKey('timestamp');
  const remoteSnapshotKey = opts.serverManagedSnapshot ? await opts.remote.getKey('snapshot') : undefined;
  await warnIfPublished(opts);

  const roots = await rootSigners(opts);
  const rootCerts = await rootCertificateKeys(opts, roots, now);
  const targetsSigner = await requireSigner(
    opts.keys,
    await opts.keys.create('targets', opts.gun, 'ecdsa'),
    'targets',
  );
  const snapshotSigner = remoteSnapshotKey
    ? undefined
    : await requireSigner(opts.keys, await opts.keys.create('snapshot', opts.gun, 'ecdsa'), 'snapshot');

  const targetsKey = publicTufKey(targetsSigner);
  const snapshotKey = remoteSnapshotKey ?? publicTufKey(snapshotSigner!);
  const rootIds = rootCerts.map((k) => tufKeyId(k));
  const keys: Record<string, TufKey> = {};
  rootCerts.forEach((k, i) => {
    keys[rootIds[i]!] = k;
  });
  keys[tufKeyId(targetsKey)] = targetsKey;
  keys[tufKeyId(snapshotKey)] = snapshotKey;
  keys[tufKeyId(timestampKey)] = timestampKey;

  const root = await signRole<RootSigned>(
    {
      _type: 'Root',
      consistent_snapshot: false,
      expires: defaultExpiry('root', now),
      keys,
      roles: {
        root: roleKeys(...rootIds),
        snapshot: roleKeys(tufKeyId(snapshotKey)),
        targets: roleKeys(tufKeyId(targetsKey)),
        timestamp: roleKeys(tufKeyId(timestampKey)),
      },
      version: 1,
    },
    'root',
    roots.map((signer, i) => ({ keyId: rootIds[i]!, signer, key: rootCerts[i]! })),
  );
  const targets = await signRole<TargetsSigned>(
    {
      _type: 'Targets',
      delegations: { keys: {}, roles: [] },
      expires: defaultExpiry('targets', now),
      targets: {},
      version: 1,
    },
    'targets',
    [{ keyId: tufKeyId(targetsKey), signer: targetsSigner, key: targetsKey }],
  );
  if (!snapshotSigner) {
    await writeInitialCache(opts.cache, root.raw, targets.raw);
    return { root, targets };
  }
  const snapshot = await signRole<SnapshotSigned>(
    {
      _type: 'Snapshot',
      expires: defaultExpiry('snapshot', now),
      meta: { root: fileMeta(root.raw), targets: fileMeta(targets.raw) },
      version: 1,
    },
    'snapshot',
    [{ keyId: tufKeyId(snapshotKey), signer: snapshotSigner, key: snapshotKey }],
  );

  await writeInitialCache(opts.cache, root.raw, targets.raw, snapshot.raw);
  return { root, targets, snapshot };
}

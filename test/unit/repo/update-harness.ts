/**
 * Test parts for the update walk: an in-process Remote serving metadata files the way
 * notary-server does (current, by checksum, by version; Go-worded errors), an in-memory cache,
 * and a builder of real signed repositories (fresh ECDSA keys, notary-shaped root certificate).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateKey, publicBytes } from '../../../src/crypto/keygen.js';
import type { PrivateKey } from '../../../src/crypto/keys.js';
import { certToPem, createRootCertificate } from '../../../src/crypto/x509.js';
import { NotaryError } from '../../../src/errors.js';
import { fileSigner } from '../../../src/keystore/signer.js';
import type { Logger } from '../../../src/log.js';
import { statusError } from '../../../src/remote/errors.js';
import type { Remote } from '../../../src/remote/types.js';
import type { MetadataStore } from '../../../src/repo/update.js';
import { fileMeta } from '../../../src/tuf/hashes.js';
import { tufKeyId } from '../../../src/tuf/keys.js';
import { signMetadata } from '../../../src/tuf/sign.js';
import { formatGoTime } from '../../../src/tuf/time.js';
import type {
  DelegationRole,
  FileMeta,
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TimestampSigned,
  TufKey,
} from '../../../src/tuf/types.js';
import { fixturesDir } from '../../helpers/cli.js';

export const FIXTURE_GUN = 'example.com/fixtures/demo';
export const PINNED_NOW = new Date('2026-11-23T00:00:00Z');
export const BASE_URL = 'http://127.0.0.1:4443';

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Serves `files` (role name -> current bytes) plus every older version registered with `addVersion`. */
export class FileRemote implements Remote {
  readonly baseUrl = BASE_URL;
  /** every request, as the URL tail (`root.json`, `snapshot.<hex>.json`, `2.root.json`) */
  readonly calls: string[] = [];
  offline = false;
  /** URL tails that answer 500 */
  readonly failing = new Set<string>();
  private readonly byName = new Map<string, Buffer>();

  constructor(
    readonly gun: string,
    files?: Map<string, Buffer>,
  ) {
    if (files) this.setFiles(files);
  }

  /** Current files of each role; also served by checksum and (root) by version. */
  setFiles(files: Map<string, Buffer>): void {
    for (const [role, raw] of files) this.put(role, raw);
  }

  put(role: string, raw: Buffer, { current = true }: { current?: boolean } = {}): void {
    if (current) this.byName.set(`${role}.json`, raw);
    this.byName.set(`${role}.${sha256hex(raw)}.json`, raw);
    if (role === 'root') {
      const version = (JSON.parse(raw.toString('utf8')) as { signed: { version: number } }).signed.version;
      this.byName.set(`${version}.root.json`, raw);
    }
  }

  /** Replace what is served under exactly this URL tail. */
  override(tail: string, raw: Buffer): void {
    this.byName.set(tail, raw);
  }

  private get(tail: string, isRoot: boolean, maxBytes: number): Promise<Buffer> {
    this.calls.push(tail);
    if (this.offline) {
      return Promise.reject(
        new NotaryError('OFFLINE', 'client is offline', { hint: `could not reach ${this.baseUrl}` }),
      );
    }
    const url = `${this.baseUrl}/v2/${this.gun}/_trust/tuf/${tail}`;
    const ctx = {
      baseUrl: this.baseUrl,
      gun: this.gun,
      name: tail.replace(/\.json$/, ''),
      isRoot,
      method: 'GET',
      url,
    };
    if (this.failing.has(tail)) return Promise.reject(statusError(500, Buffer.alloc(0), ctx));
    const raw = this.byName.get(tail);
    if (!raw)
      return Promise.reject(statusError(404, Buffer.from('{"errors":[{"code":"METADATA_NOT_FOUND"}]}'), ctx));
    if (raw.length > maxBytes) {
      return Promise.reject(new NotaryError('BAD_RESPONSE', 'trust server returned a bad response.'));
    }
    return Promise.resolve(Buffer.from(raw));
  }

  getMeta(role: string, maxBytes: number): Promise<Buffer> {
    return this.get(`${role}.json`, role === 'root', maxBytes);
  }
  getMetaByChecksum(role: string, sha256Hex: string, maxBytes: number): Promise<Buffer> {
    return this.get(`${role}.${sha256Hex}.json`, role === 'root', maxBytes);
  }
  getRootVersion(version: number, maxBytes: number): Promise<Buffer> {
    return this.get(`${version}.root.json`, true, maxBytes);
  }
  publish(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
  getKey(): Promise<TufKey> {
    return Promise.reject(new Error('not used'));
  }
  rotateKey(): Promise<TufKey> {
    return Promise.reject(new Error('not used'));
  }
  deleteAll(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
}

/** The metadata cache in memory (same contract as MetadataCache). */
export class MemoryCache implements MetadataStore {
  readonly files = new Map<string, Buffer>();
  readonly writes: string[] = [];
  async read(role: string, maxSize = 100 << 20): Promise<Buffer | undefined> {
    const b = this.files.get(role);
    if (b && b.length > maxSize)
      throw new NotaryError('METADATA_INVALID', `cached ${role} metadata is too large`);
    return b ? Buffer.from(b) : undefined;
  }
  async write(role: string, bytes: Uint8Array): Promise<void> {
    this.writes.push(role);
    this.files.set(role, Buffer.from(bytes));
  }
}

/** A logger that records what it is told. */
export function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    error: (m) => errors.push(m),
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
  };
}

/** The Go fixture repository exactly as notary-server served it (fixtures/go/server). */
export function goFixtureFiles(): Map<string, Buffer> {
  const dir = join(fixturesDir, 'go', 'server');
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.json') && !/^\d+\./.test(e) && !e.endsWith('.key.json')) {
        out.set(relative(dir, p).replace(/\.json$/, ''), readFileSync(p));
      }
    }
  };
  walk(dir);
  return out;
}

// ---- synthetic repositories with real keys ----

export interface TestKey {
  priv: PrivateKey;
  /** the key as listed in metadata */
  tuf: TufKey;
  /** TUF key ID */
  id: string;
}

export function ecdsaKey(): TestKey {
  const priv = generateKey('ecdsa');
  const tuf: TufKey = { keytype: 'ecdsa', public: publicBytes(priv) };
  return { priv, tuf, id: tufKeyId(tuf) };
}

/** A root key: ECDSA wrapped in a notary-shaped certificate with CN = gun. */
export async function rootKey(gun: string, now: Date = PINNED_NOW, years = 10): Promise<TestKey> {
  const priv = generateKey('ecdsa');
  const der = await createRootCertificate(priv, gun, new Date(now.getTime() - 86_400_000), years);
  const tuf: TufKey = { keytype: 'ecdsa-x509', public: Buffer.from(certToPem(der), 'utf8') };
  return { priv, tuf, id: tufKeyId(tuf) };
}

export async function sign(
  signed: RootSigned | TargetsSigned | SnapshotSigned | TimestampSigned,
  keys: TestKey[],
): Promise<Buffer> {
  const r = await signMetadata(
    signed,
    keys.map((k) => ({ keyId: k.id, signer: fileSigner(k.priv, k.id), key: k.tuf })),
  );
  return r.raw;
}

export interface DelegationSpec {
  name: string;
  paths: string[];
  key: TestKey;
  /** signs the file (default: key) */
  signers?: TestKey[];
  targets?: Record<string, Buffer>;
  version?: number;
  expires?: Date;
}

export interface RepoSpec {
  gun: string;
  now?: Date;
  root: { key: TestKey; version?: number; signers?: TestKey[]; threshold?: number };
  targetsKey: TestKey;
  snapshotKey: TestKey;
  timestampKey: TestKey;
  targets?: Record<string, Buffer>;
  delegations?: DelegationSpec[];
  versions?: { targets?: number; snapshot?: number; timestamp?: number };
  expires?: { root?: Date; targets?: Date; snapshot?: Date; timestamp?: Date };
}

const days = (now: Date, n: number) => formatGoTime(new Date(now.getTime() + n * 86_400_000));

function targetMetas(files: Record<string, Buffer> | undefined): Record<string, FileMeta> {
  const out: Record<string, FileMeta> = {};
  for (const [name, content] of Object.entries(files ?? {})) out[name] = fileMeta(content);
  return out;
}

/** Builds and signs a whole repository: role name -> file bytes F. */
export async function buildRepo(spec: RepoSpec): Promise<Map<string, Buffer>> {
  const now = spec.now ?? PINNED_NOW;
  const files = new Map<string, Buffer>();
  const root: RootSigned = {
    _type: 'Root',
    consistent_snapshot: false,
    expires: spec.expires?.root ? formatGoTime(spec.expires.root) : days(now, 3650),
    keys: {
      [spec.root.key.id]: spec.root.key.tuf,
      [spec.targetsKey.id]: spec.targetsKey.tuf,
      [spec.snapshotKey.id]: spec.snapshotKey.tuf,
      [spec.timestampKey.id]: spec.timestampKey.tuf,
    },
    roles: {
      root: { keyids: [spec.root.key.id], threshold: spec.root.threshold ?? 1 },
      snapshot: { keyids: [spec.snapshotKey.id], threshold: 1 },
      targets: { keyids: [spec.targetsKey.id], threshold: 1 },
      timestamp: { keyids: [spec.timestampKey.id], threshold: 1 },
    },
    version: spec.root.version ?? 1,
  };
  files.set('root', await sign(root, spec.root.signers ?? [spec.root.key]));

  const delegations = spec.delegations ?? [];
  const childrenOf = (parent: string) =>
    delegations.filter((d) => d.name.slice(0, d.name.lastIndexOf('/')) === parent);
  const delegationBlock = (parent: string): TargetsSigned['delegations'] => {
    const keys: Record<string, TufKey> = {};
    const roles: DelegationRole[] = [];
    for (const d of childrenOf(parent)) {
      keys[d.key.id] = d.key.tuf;
      roles.push({ name: d.name, keyids: [d.key.id], threshold: 1, paths: d.paths });
    }
    return { keys, roles };
  };
  const targets: TargetsSigned = {
    _type: 'Targets',
    delegations: delegationBlock('targets'),
    expires: spec.expires?.targets ? formatGoTime(spec.expires.targets) : days(now, 1095),
    targets: targetMetas(spec.targets),
    version: spec.versions?.targets ?? 1,
  };
  files.set('targets', await sign(targets, [spec.targetsKey]));
  for (const d of delegations) {
    const t: TargetsSigned = {
      _type: 'Targets',
      delegations: delegationBlock(d.name),
      expires: d.expires ? formatGoTime(d.expires) : days(now, 1095),
      targets: targetMetas(d.targets),
      version: d.version ?? 1,
    };
    files.set(d.name, await sign(t, d.signers ?? [d.key]));
  }
  const meta: Record<string, FileMeta> = {};
  for (const [role, raw] of files) meta[role] = fileMeta(raw);
  const snapshot: SnapshotSigned = {
    _type: 'Snapshot',
    expires: spec.expires?.snapshot ? formatGoTime(spec.expires.snapshot) : days(now, 1095),
    meta,
    version: spec.versions?.snapshot ?? 1,
  };
  files.set('snapshot', await sign(snapshot, [spec.snapshotKey]));
  const timestamp: TimestampSigned = {
    _type: 'Timestamp',
    expires: spec.expires?.timestamp ? formatGoTime(spec.expires.timestamp) : days(now, 14),
    meta: { snapshot: fileMeta(files.get('snapshot') as Buffer) },
    version: spec.versions?.timestamp ?? 1,
  };
  files.set('timestamp', await sign(timestamp, [spec.timestampKey]));
  return files;
}

/** Keys for a fresh synthetic repository; the root certificate is valid from a day before `now`. */
export async function repoKeys(
  gun: string,
  now: Date = PINNED_NOW,
): Promise<Pick<RepoSpec, 'root' | 'targetsKey' | 'snapshotKey' | 'timestampKey'>> {
  return {
    root: { key: await rootKey(gun, now) },
    targetsKey: ecdsaKey(),
    snapshotKey: ecdsaKey(),
    timestampKey: ecdsaKey(),
  };
}

/** Flip one byte inside the base64 of the first signature (keeps the JSON valid). */
export function tamperSignature(raw: Buffer): Buffer {
  const text = raw.toString('utf8');
  const at = text.indexOf('"sig":"') + 10;
  const c = text[at] === 'A' ? 'B' : 'A';
  return Buffer.from(text.slice(0, at) + c + text.slice(at + 1), 'utf8');
}

/**
 * TUF metadata as Go notary 0.7 writes and reads it (spec/tuf.md §3). These are the parsed,
 * in-memory forms. Bytes on disk and on the wire are produced by ./metadata.ts (envelopeBytes) from these.
 */
import type { KeyType, SignatureMethod } from '../crypto/keys.js';

export type BaseRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export type RoleName = string; // a BaseRole or a delegation name `targets/...`

/** A key as listed in root.json / delegations: `{"keytype":..,"keyval":{"private":null,"public":..}}`. */
export interface TufKey {
  keytype: KeyType;
  /** The decoded `keyval.public` bytes (SPKI DER, raw ed25519, or PEM text of certificates). */
  public: Buffer;
}

export interface Signature {
  keyid: string;
  method: SignatureMethod;
  sig: Buffer;
}

export interface RoleKeys {
  keyids: string[];
  threshold: number;
}

export interface FileMeta {
  length: number;
  /** algorithm name (`sha256`, `sha512`) -> digest bytes */
  hashes: Record<string, Buffer>;
  /** Raw custom JSON value (already parsed); absent when the target has none. */
  custom?: unknown;
}

export interface RootSigned {
  _type: 'Root';
  consistent_snapshot: boolean;
  /** Go RFC3339Nano text, normalised as Go would re-serialise it (see ./time.ts). */
  expires: string;
  /** keys[tufKeyId] */
  keys: Record<string, TufKey>;
  roles: Record<string, RoleKeys>;
  version: number;
}

export interface DelegationRole {
  name: string;
  keyids: string[];
  threshold: number;
  /** Path prefixes; `[]` means the field is omitted (Go omitempty). `[""]` means all paths. */
  paths: string[];
}

export interface TargetsSigned {
  _type: 'Targets';
  delegations: { keys: Record<string, TufKey>; roles: DelegationRole[] };
  /** Go RFC3339Nano text, normalised as Go would re-serialise it (see ./time.ts). */
  expires: string;
  targets: Record<string, FileMeta>;
  version: number;
}

export interface SnapshotSigned {
  _type: 'Snapshot';
  /** Go RFC3339Nano text, normalised as Go would re-serialise it (see ./time.ts). */
  expires: string;
  meta: Record<string, FileMeta>;
  version: number;
}

export interface TimestampSigned {
  _type: 'Timestamp';
  /** Go RFC3339Nano text, normalised as Go would re-serialise it (see ./time.ts). */
  expires: string;
  meta: Record<string, FileMeta>;
  version: number;
}

export type AnySigned = RootSigned | TargetsSigned | SnapshotSigned | TimestampSigned;

/** A parsed metadata file: typed `signed`, its signatures, and the canonical signing bytes. */
export interface SignedMetadata<T extends AnySigned = AnySigned> {
  signed: T;
  signatures: Signature[];
}

/** Injected clock: every expiry decision takes "now" from here, so tests can pin time. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/**
 * A metadata file as loaded: typed view, signatures, the exact file bytes (F, hashed into
 * snapshot/timestamp) and the signing input (C = canonical JSON of the parsed `signed` value).
 */
export interface ParsedMetadata<T extends AnySigned = AnySigned> {
  role: RoleName;
  signed: T;
  signatures: Signature[];
  /** F: the file bytes exactly as read */
  raw: Buffer;
  /** C: Go canonical JSON of the raw `signed` value tree (what signatures cover) */
  canonical: Buffer;
}

/** Result of a threshold check, naming who signed and who was needed (for error messages). */
export interface ThresholdResult {
  role: RoleName;
  threshold: number;
  /** TUF key IDs with a valid signature (deduplicated) */
  validKeyIds: string[];
  /** TUF key IDs the role lists */
  roleKeyIds: string[];
}

/**
 * Metadata files: parsing F into typed metadata (validated like Go's *FromSigned), and the
 * reverse — the JSON value tree Go's structs produce (`signedToValue`) and the envelope bytes
 * Go writes (`envelopeBytes`). Spec tuf.md §1, §3.
 *
 * Two byte strings matter: C (canonical JSON of the parsed `signed` tree — what signatures
 * cover) and F (the file: `{"signed":H(C'),"signatures":[...]}` where C' is the canonical form
 * of the *typed* data). For files written by Go, C' = C; for anything we upload it must be.
 */
import type { SignatureMethod } from '../crypto/keys.js';
import { clipForMessage, isNotaryError, NotaryError } from '../errors.js';
import { canonicalBytes, canonicalString, envelopeForm, parseGoJson } from './canonical.js';
import { hashStructureProblem } from './hashes.js';
import { decodeBase64Field, goField, keyJson, parseTufKey } from './keys.js';
import { signedBytesAsReceived } from './received-canonical.js';
import { isDelegationRole, isDirectChild } from './roles.js';
import { normalizeGoTime } from './time.js';
import type {
  AnySigned,
  DelegationRole,
  FileMeta,
  ParsedMetadata,
  RoleKeys,
  RoleName,
  RootSigned,
  Signature,
  SignedMetadata,
  SnapshotSigned,
  TargetsSigned,
  TimestampSigned,
  TufKey,
} from './types.js';

type Json = Record<string, unknown>;
/** A field path, computed lazily: building paths for every target of a large file is costly. */
type Field = string | (() => string);
const pathOf = (f: Field): string => (typeof f === 'function' ? f() : f);

/** The `_type` each role's metadata must carry (delegations are Targets). */
export function expectedType(role: RoleName): AnySigned['_type'] {
  if (role === 'root') return 'Root';
  if (role === 'snapshot') return 'Snapshot';
  if (role === 'timestamp') return 'Timestamp';
  return 'Targets';
}

/** A map without a prototype, so target names like `__proto__` are ordinary keys. */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Go's ErrInvalidMetadata text: `<role> type metadata invalid: <msg>`. */
export function invalidMetadata(role: RoleName, msg: string, field?: string, cause?: unknown): NotaryError {
  // msg may quote hostile content (a type name, a key ID): keep it one bounded line.
  return new NotaryError('METADATA_INVALID', `${role} type metadata invalid: ${clipForMessage(msg, 500)}`, {
    details: field === undefined ? { role } : { role, field },
    cause,
    hint: 'The metadata is malformed: it was not produced by a notary client or was altered.',
  });
}

// ---- typed field readers (Go's encoding/json rules: null/absent → zero value) ----

class Reader {
  constructor(
    readonly role: RoleName,
    readonly path: string,
  ) {}

  fail(field: Field, problem: string): NotaryError {
    const path = pathOf(field);
    return invalidMetadata(this.role, `field ${path}: ${problem}`, path);
  }

  at(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  object(value: unknown, field: Field): Json | undefined {
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.fail(field, 'expected an object');
    return value as Json;
  }

  array(value: unknown, field: Field): unknown[] {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw this.fail(field, 'expected an array');
    return value;
  }

  int(value: unknown, field: Field): number {
    if (value === null || value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw this.fail(field, `expected an integer, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  str(value: unknown, field: Field): string {
    if (value === null || value === undefined) return '';
    if (typeof value !== 'string') throw this.fail(field, `expected a string, got ${JSON.stringify(value)}`);
    return value;
  }

  bool(value: unknown, field: Field): boolean {
    if (value === null || value === undefined) return false;
    if (typeof value !== 'boolean')
      throw this.fail(field, `expected a boolean, got ${JSON.stringify(value)}`);
    return value;
  }

  time(value: unknown, field: Field): string {
    // Go leaves a zero time.Time for null/absent, which re-serialises as year 1.
    if (value === null || value === undefined) return '0001-01-01T00:00:00Z';
    if (typeof value !== 'string') throw this.fail(field, 'expected an RFC3339 time string');
    try {
      return normalizeGoTime(value);
    } catch (e) {
      throw invalidMetadata(this.role, `field ${pathOf(field)}: ${(e as Error).message}`, pathOf(field), e);
    }
  }

  bytes(value: unknown, field: Field): Buffer {
    try {
      return decodeBase64Field(value, '');
    } catch (e) {
      throw invalidMetadata(this.role, `field ${pathOf(field)}: invalid base64 data`, pathOf(field), e);
    }
  }
}

function readKeys(r: Reader, value: unknown, field: string): Record<string, TufKey> {
  const out = dict<TufKey>();
  const obj = r.object(value, field);
  if (!obj) return out;
  for (const id of Object.keys(obj)) {
    try {
      out[id] = parseTufKey(obj[id], `${field}[${JSON.stringify(id)}]`);
    } catch (e) {
      if (isNotaryError(e)) throw invalidMetadata(r.role, e.message, `${field}.${id}`, e);
      throw e;
    }
  }
  return out;
}

function readRoleKeys(r: Reader, value: unknown, field: string): RoleKeys {
  const obj = r.object(value, field) ?? {};
  const keyids = r
    .array(goField(obj, 'keyids'), `${field}.keyids`)
    .map((v, i) => r.str(v, `${field}.keyids[${i}]`));
  return { keyids, threshold: r.int(goField(obj, 'threshold'), `${field}.threshold`) };
}

function readFileMeta(r: Reader, value: unknown, field: () => string): FileMeta {
  const obj = r.object(value, field) ?? {};
  // A plain object (fast to create, one per target); odd algorithm names like `__proto__` are
  // defined as own properties so they cannot touch the prototype.
  const hashes: Record<string, Buffer> = {};
  const h = r.object(goField(obj, 'hashes'), () => `${field()}.hashes`);
  if (h) {
    for (const alg in h) {
      const digest = r.bytes(h[alg], () => `${field()}.hashes.${alg}`);
      if (alg === 'sha256' || alg === 'sha512') hashes[alg] = digest;
      else
        Object.defineProperty(hashes, alg, {
          value: digest,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }
  const meta: FileMeta = { length: r.int(goField(obj, 'length'), () => `${field()}.length`), hashes };
  const custom = goField(obj, 'custom');
  // `"custom": null` decodes to a nil *json.RawMessage, which Go omits when writing.
  if (custom !== undefined && custom !== null) meta.custom = custom;
  return meta;
}

function readFiles(r: Reader, value: unknown, field: string): Record<string, FileMeta> {
  const out = dict<FileMeta>();
  const obj = r.object(value, field);
  if (!obj) return out;
  for (const name of Object.keys(obj)) {
    out[name] = readFileMeta(r, obj[name], () => `${field}[${JSON.stringify(name)}]`);
  }
  return out;
}

function checkRoleStructure(
  role: RoleName,
  roleName: string,
  rk: RoleKeys,
  keys: Record<string, TufKey>,
  field: string,
): void {
  if (rk.threshold < 1) {
    // Go's text has a trailing space.
    throw invalidMetadata(role, `invalid threshold specified for ${roleName}: ${rk.threshold} `, field);
  }
  for (const id of rk.keyids) {
    if (!Object.hasOwn(keys, id)) {
      throw invalidMetadata(role, `key ID ${id} specified in ${roleName} without corresponding key`, field);
    }
  }
}

function checkCommon(
  role: RoleName,
  type: string,
  version: number,
  expected: string,
  lessThan: string,
): void {
  if (type !== expected) throw invalidMetadata(role, `expected type ${expected}, not ${type}`, '_type');
  if (version < 1) throw invalidMetadata(role, `version cannot be less than ${lessThan}`, 'version');
}

function parseRoot(obj: Json): RootSigned {
  const r = new Reader('root', '');
  const type = r.str(goField(obj, '_type'), '_type');
  const version = r.int(goField(obj, 'version'), 'version');
  const keys = readKeys(r, goField(obj, 'keys'), 'keys');
  const roles = dict<RoleKeys>();
  const rolesObj = r.object(goField(obj, 'roles'), 'roles') ?? {};
  for (const name of Object.keys(rolesObj)) {
    if (rolesObj[name] === null) continue; // a nil *RootRole counts as missing in Go
    roles[name] = readRoleKeys(r, rolesObj[name], `roles.${name}`);
  }
  const signed: RootSigned = {
    _type: type as 'Root',
    consistent_snapshot: r.bool(goField(obj, 'consistent_snapshot'), 'consistent_snapshot'),
    expires: r.time(goField(obj, 'expires'), 'expires'),
    keys,
    roles,
    version,
  };
  checkCommon('root', type, version, 'Root', '1');
  for (const base of ['root', 'targets', 'snapshot', 'timestamp']) {
    const rk = roles[base];
    if (!rk) throw invalidMetadata('root', `missing ${base} role specification`, `roles.${base}`);
    checkRoleStructure('root', base, rk, keys, `roles.${base}`);
  }
  return signed;
}

function parseTargets(obj: Json, role: RoleName): TargetsSigned {
  const r = new Reader(role, '');
  const type = r.str(goField(obj, '_type'), '_type');
  const version = r.int(goField(obj, 'version'), 'version');
  const del = r.object(goField(obj, 'delegations'), 'delegations') ?? {};
  const delKeys = readKeys(r, goField(del, 'keys'), 'delegations.keys');
  const delRoles: DelegationRole[] = r
    .array(goField(del, 'roles'), 'delegations.roles')
    .map((v, i): DelegationRole => {
      const field = `delegations.roles[${i}]`;
      const o = r.object(v, field) ?? {};
      const rk = readRoleKeys(r, o, field);
      const paths = r
        .array(goField(o, 'paths'), `${field}.paths`)
        .map((p, j) => r.str(p, `${field}.paths[${j}]`));
      return {
        name: r.str(goField(o, 'name'), `${field}.name`),
        keyids: rk.keyids,
        threshold: rk.threshold,
        paths,
      };
    });
  const signed: TargetsSigned = {
    _type: type as 'Targets',
    delegations: { keys: delKeys, roles: delRoles },
    expires: r.time(goField(obj, 'expires'), 'expires'),
    targets: readFiles(r, goField(obj, 'targets'), 'targets'),
    version,
  };
  if (role !== 'targets' && !isDelegationRole(role)) {
    throw new NotaryError('INVALID_ROLE', `tuf: invalid role ${role}.`, { details: { role } });
  }
  checkCommon(role, type, version, 'Targets', 'one');
  delRoles.forEach((d, i) => {
    if (!isDelegationRole(d.name) || !isDirectChild(role, d.name)) {
      throw invalidMetadata(role, `delegation role ${d.name} invalid`, `delegations.roles[${i}].name`);
    }
    checkRoleStructure(role, d.name, d, delKeys, `delegations.roles[${i}]`);
  });
  return signed;
}

function parseMetaFile(obj: Json, role: 'snapshot' | 'timestamp'): SnapshotSigned | TimestampSigned {
  const r = new Reader(role, '');
  const type = r.str(goField(obj, '_type'), '_type');
  const version = r.int(goField(obj, 'version'), 'version');
  const signed = {
    _type: type,
    expires: r.time(goField(obj, 'expires'), 'expires'),
    meta: readFiles(r, goField(obj, 'meta'), 'meta'),
    version,
  };
  checkCommon(role, type, version, role === 'snapshot' ? 'Snapshot' : 'Timestamp', 'one');
  const required = role === 'snapshot' ? ['root', 'targets'] : ['snapshot'];
  for (const name of required) {
    const hashes = signed.meta[name]?.hashes;
    if (!hashes || !Object.hasOwn(hashes, 'sha256')) {
      throw invalidMetadata(role, `missing ${name} sha256 checksum information`, `meta.${name}`);
    }
    const problem = hashStructureProblem(hashes);
    if (problem)
      throw invalidMetadata(role, `invalid ${name} checksum information, ${problem}`, `meta.${name}`);
  }
  return signed as SnapshotSigned | TimestampSigned;
}

/** Typed, validated view of a raw `signed` value tree for `role`. */
export function parseSigned(value: unknown, role: RoleName): AnySigned {
  if (value === null || value === undefined) {
    throw invalidMetadata(role, `${role} file contained an empty payload`, 'signed');
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidMetadata(role, 'signed must be an object', 'signed');
  const obj = value as Json;
  if (role === 'root') return parseRoot(obj);
  if (role === 'snapshot' || role === 'timestamp') return parseMetaFile(obj, role);
  return parseTargets(obj, role);
}

function parseSignatures(value: unknown, role: RoleName): Signature[] {
  const r = new Reader(role, '');
  return r.array(value, 'signatures').map((v, i) => {
    const field = `signatures[${i}]`;
    const o = r.object(v, field) ?? {};
    return {
      keyid: r.str(goField(o, 'keyid'), `${field}.keyid`),
      // Go lower-cases the method when decoding; unknown methods are kept and never verify.
      method: r.str(goField(o, 'method'), `${field}.method`).toLowerCase() as SignatureMethod,
      sig: r.bytes(goField(o, 'sig'), `${field}.sig`),
    };
  });
}

/** Split a metadata file into its raw `signed` tree and its signatures. */
export function parseEnvelope(
  bytes: Uint8Array,
  role: RoleName,
): { signedValue: unknown; signatures: Signature[] } {
  let tree: unknown;
  try {
    tree = parseGoJson(bytes);
  } catch (e) {
    throw invalidMetadata(role, (e as Error).message, undefined, e);
  }
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) {
    throw invalidMetadata(role, 'metadata file must be a JSON object with "signed" and "signatures"');
  }
  const obj = tree as Json;
  return {
    signedValue: goField(obj, 'signed'),
    signatures: parseSignatures(goField(obj, 'signatures'), role),
  };
}

/**
 * Parse metadata file bytes F for `role`: typed + validated `signed`, signatures, F itself and
 * C (canonical JSON of the raw `signed` tree, the bytes signatures are verified over).
 * Throws METADATA_INVALID naming the role and the field.
 */
export function parseMetadata<T extends AnySigned = AnySigned>(
  bytes: Uint8Array,
  role: RoleName,
): ParsedMetadata<T> {
  const { signedValue, signatures } = parseEnvelope(bytes, role);
  const signed = parseSigned(signedValue, role) as T;
  const raw = Buffer.from(bytes);
  // Files Go writes are canonical already: verify over their bytes (a view, no rebuild).
  let canonical = signedBytesAsReceived(raw);
  if (!canonical) {
    try {
      canonical = canonicalBytes(signedValue);
    } catch (e) {
      // Go's verifier fails the same way (e.g. a fraction anywhere in `signed`).
      throw invalidMetadata(role, (e as Error).message, undefined, e);
    }
  }
  return { role, signed, signatures, raw, canonical };
}

// ---- serialisation ----

function fileMetaValue(m: FileMeta): Json {
  const hashes: Record<string, string> = {};
  for (const alg in m.hashes) {
    const b64 = m.hashes[alg]!.toString('base64');
    if (alg === 'sha256' || alg === 'sha512') hashes[alg] = b64;
    else
      Object.defineProperty(hashes, alg, {
        value: b64,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  // Field order = canonical order, so the fast canonical path needs no re-sorting.
  return m.custom !== undefined && m.custom !== null
    ? { custom: m.custom, hashes, length: m.length }
    : { hashes, length: m.length };
}

function filesValue(files: Record<string, FileMeta>): Json {
  const out = dict<unknown>();
  for (const name of Object.keys(files)) out[name] = fileMetaValue(files[name]!);
  return out;
}

function keysValue(keys: Record<string, TufKey>): Json {
  const out = dict<unknown>();
  for (const id of Object.keys(keys)) out[id] = keyJson(keys[id]!);
  return out;
}

/**
 * The JSON value tree Go's structs serialise to (fields Go knows only; omitempty `custom` and
 * delegation `paths`; always-present `delegations` and `consistent_snapshot`; `private: null`;
 * base64 with padding). Its canonical form is C' — what we sign and (escaped) upload.
 */
export function signedToValue(signed: AnySigned): unknown {
  switch (signed._type) {
    case 'Root': {
      const roles = dict<unknown>();
      for (const name of Object.keys(signed.roles)) {
        const rk = signed.roles[name]!;
        roles[name] = { keyids: [...rk.keyids], threshold: rk.threshold };
      }
      return {
        _type: 'Root',
        consistent_snapshot: signed.consistent_snapshot,
        expires: signed.expires,
        keys: keysValue(signed.keys),
        roles,
        version: signed.version,
      };
    }
    case 'Targets':
      return {
        _type: 'Targets',
        delegations: {
          keys: keysValue(signed.delegations.keys),
          roles: signed.delegations.roles.map((d) => {
            const v: Json = { keyids: [...d.keyids], name: d.name, threshold: d.threshold };
            if (d.paths.length > 0) v['paths'] = [...d.paths];
            return v;
          }),
        },
        expires: signed.expires,
        targets: filesValue(signed.targets),
        version: signed.version,
      };
    case 'Snapshot':
    case 'Timestamp':
      return {
        _type: signed._type,
        expires: signed.expires,
        meta: filesValue(signed.meta),
        version: signed.version,
      };
  }
}

/**
 * C' of typed metadata: canonical JSON of signedToValue. Custom data that cannot be signed
 * (fractions) fails with INVALID_INPUT naming the target.
 */
export function canonicalSigned(signed: AnySigned): string {
  if (signed._type === 'Targets') {
    for (const name of Object.keys(signed.targets)) {
      const custom = signed.targets[name]!.custom;
      if (custom !== undefined) checkCustomData(custom, name);
    }
  }
  return canonicalString(signedToValue(signed));
}

/**
 * Throws INVALID_INPUT when `custom` can never verify: non-integral numbers (Go canonical JSON
 * rejects them) or control characters (Go cannot embed them in a file).
 */
export function checkCustomData(custom: unknown, target: string): void {
  try {
    envelopeForm(canonicalString(custom));
  } catch (e) {
    throw new NotaryError(
      'INVALID_INPUT',
      `custom data for target ${target} cannot be signed: ${(e as Error).message}`,
      {
        cause: e,
        details: { target },
        hint: 'Custom data may only hold whole numbers and strings without control characters.',
      },
    );
  }
}

function signatureValue(s: Signature): Json {
  return { keyid: s.keyid, method: s.method, sig: s.sig.toString('base64') };
}

/**
 * F: the file bytes Go writes for a signed metadata object:
 * `{"signed":H(C),"signatures":H([{"keyid","method","sig"},...])}` with H = Go's HTML escaping.
 */
export function envelopeBytes(canonical: string | Uint8Array, signatures: readonly Signature[]): Buffer {
  const c = typeof canonical === 'string' ? canonical : Buffer.from(canonical).toString('utf8');
  const sigs = envelopeForm(canonicalString(signatures.map(signatureValue)));
  return Buffer.from(`{"signed":${envelopeForm(c)},"signatures":${sigs}}`, 'utf8');
}

/** Go's re-serialisation of parsed metadata (what Go hashes into snapshot/timestamp meta). */
export function metadataBytes(meta: SignedMetadata): Buffer {
  return envelopeBytes(canonicalSigned(meta.signed), meta.signatures);
}

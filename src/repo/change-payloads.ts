/**
 * Payloads of changelist entries (the `data` field, spec on-disk.md §7 table), encoded exactly
 * as Go's `encoding/json` writes `data.FileMeta` and `changelist.TUFDelegation`, and decoded
 * the way Go's `json.Unmarshal` reads them.
 */
import { errorMessage, NotaryError } from '../errors.js';
import { parseGoJson } from '../tuf/canonical.js';
import type { Change } from './changelist.js';
import { decodeGoBase64, GoJsonSyntaxError, goJsonString, scanGoJson } from './go-json.js';

/** What a `create/target` change carries. */
export interface TargetPayload {
  length: number;
  /** algorithm -> digest bytes (`sha256`, `sha512`) */
  hashes: Record<string, Buffer>;
  /** Raw custom JSON, already compacted as Go stores it; absent when the target has none. */
  custom?: Buffer;
}

/** A key inside a delegation change: `{"keytype":..,"keyval":{"public":..,"private":null}}`. */
export interface DelegationKey {
  keytype: string;
  public: Buffer;
}

/** Go's `changelist.TUFDelegation` (every field omitempty). */
export interface DelegationPayload {
  newName?: string;
  threshold?: number;
  addKeys?: DelegationKey[];
  /** canonical key IDs */
  removeKeys?: string[];
  addPaths?: string[];
  removePaths?: string[];
  clearPaths?: boolean;
}

const PAYLOAD_HINT =
  'The change file is damaged; remove it with `tsnotary reset` and stage the change again.';

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * Validates and compacts the content of a `--custom` file as Go does (whitespace removed,
 * `<>&` U+2028/9 escaped, nothing else changed). Rejects invalid JSON with Go's message and —
 * beyond Go — non-integral numbers, which canonical JSON cannot represent, so a target holding
 * them could never be signed and verified (spec tuf.md §2.6).
 */
export function prepareCustom(bytes: Uint8Array, source = 'custom data'): Buffer {
  let scanned: ReturnType<typeof scanGoJson>;
  try {
    scanned = scanGoJson(bytes);
  } catch (e) {
    if (!(e instanceof GoJsonSyntaxError)) throw e;
    throw new NotaryError(
      'INVALID_INPUT',
      `json: error calling MarshalJSON for type *json.RawMessage: ${e.message}`,
      {
        hint: `${source} must be a valid JSON document (error at byte ${e.offset}).`,
        details: { offset: e.offset },
      },
    );
  }
  for (const n of scanned.numbers) {
    const v = Number(n);
    if (!Number.isFinite(v) || !Number.isInteger(v)) {
      throw new NotaryError(
        'INVALID_INPUT',
        `custom data contains the number ${n}, which is not a whole number`,
        {
          hint:
            'Notary signs canonical JSON, which only allows whole numbers; a target with fractional numbers in ' +
            'its custom data could never be verified. Store such values as strings.',
        },
      );
    }
  }
  return scanned.compact;
}

/** `{"length":N,"hashes":{..sorted..},"custom":<raw>}` as Go marshals `data.FileMeta`. */
export function encodeTargetPayload(p: TargetPayload): Buffer {
  if (!Number.isSafeInteger(p.length) || p.length < 0) {
    throw new NotaryError('INVALID_INPUT', `invalid target length ${p.length}`);
  }
  const hashes = sortedKeys(p.hashes)
    .map((k) => `${goJsonString(k)}:"${p.hashes[k]!.toString('base64')}"`)
    .join(',');
  const parts: Buffer[] = [Buffer.from(`{"length":${p.length},"hashes":{${hashes}}`, 'utf8')];
  if (p.custom !== undefined) parts.push(Buffer.from(',"custom":'), p.custom);
  parts.push(Buffer.from('}'));
  return Buffer.concat(parts);
}

function keyJson(k: DelegationKey): string {
  return `{"keytype":${goJsonString(k.keytype)},"keyval":{"public":"${k.public.toString('base64')}","private":null}}`;
}

const strList = (xs: readonly string[]): string => `[${xs.map(goJsonString).join(',')}]`;

/** Go's `json.Marshal(TUFDelegation)`: field order new_name, threshold, add_keys, remove_keys,
 * add_paths, remove_paths, clear_paths; empty/zero fields omitted. */
export function encodeDelegationPayload(d: DelegationPayload): Buffer {
  const f: string[] = [];
  if (d.newName) f.push(`"new_name":${goJsonString(d.newName)}`);
  if (d.threshold) f.push(`"threshold":${d.threshold}`);
  if (d.addKeys?.length) f.push(`"add_keys":[${d.addKeys.map(keyJson).join(',')}]`);
  if (d.removeKeys?.length) f.push(`"remove_keys":${strList(d.removeKeys)}`);
  if (d.addPaths?.length) f.push(`"add_paths":${strList(d.addPaths)}`);
  if (d.removePaths?.length) f.push(`"remove_paths":${strList(d.removePaths)}`);
  if (d.clearPaths) f.push('"clear_paths":true');
  return Buffer.from(`{${f.join(',')}}`, 'utf8');
}

function payloadError(what: string, reason: string, cause?: unknown): NotaryError {
  return new NotaryError('CHANGELIST', `invalid ${what} change payload: ${reason}`, {
    hint: PAYLOAD_HINT,
    cause,
  });
}

/** Case-insensitive field lookup, last occurrence wins (Go's Unmarshal into a struct). */
function field(o: Record<string, unknown>, name: string): unknown {
  let v: unknown;
  for (const [k, val] of Object.entries(o)) if (k === name || k.toLowerCase() === name) v = val;
  return v;
}

function parseObject(
  bytes: Uint8Array,
  what: string,
): { obj: Record<string, unknown>; scan: ReturnType<typeof scanGoJson> } {
  let scan: ReturnType<typeof scanGoJson>;
  try {
    scan = scanGoJson(bytes);
  } catch (e) {
    throw payloadError(what, errorMessage(e), e);
  }
  const obj = parseGoJson(bytes);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw payloadError(what, 'not a JSON object');
  return { obj: obj as Record<string, unknown>, scan };
}

function intField(o: Record<string, unknown>, name: string, what: string): number | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw payloadError(what, `${name} is not an integer`);
  return v;
}

function stringList(o: Record<string, unknown>, name: string, what: string): string[] | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw payloadError(what, `${name} is not a list of strings`);
  }
  return v as string[];
}

/** Reads a `target` change payload (Go's `json.Unmarshal` into `data.FileMeta`). */
export function decodeTargetPayload(bytes: Uint8Array): TargetPayload & { customValue?: unknown } {
  const what = 'target';
  const { obj, scan } = parseObject(bytes, what);
  const length = intField(obj, 'length', what) ?? 0;
  const rawHashes = field(obj, 'hashes');
  const hashes: Record<string, Buffer> = {};
  if (rawHashes !== undefined && rawHashes !== null) {
    if (typeof rawHashes !== 'object' || Array.isArray(rawHashes))
      throw payloadError(what, 'hashes is not an object');
    for (const [alg, b64] of Object.entries(rawHashes as Record<string, unknown>)) {
      if (typeof b64 !== 'string') throw payloadError(what, `hash ${alg} is not a string`);
      try {
        hashes[alg] = decodeGoBase64(b64);
      } catch (e) {
        throw payloadError(what, `hash ${alg}: ${errorMessage(e)}`, e);
      }
    }
  }
  const result: TargetPayload & { customValue?: unknown } = { length, hashes };
  let span: { start: number; end: number } | undefined;
  for (const [k, s] of scan.members) if (k === 'custom' || k.toLowerCase() === 'custom') span = s;
  if (span !== undefined) {
    const raw = Buffer.from(bytes.subarray(span.start, span.end));
    // `"custom":null` unmarshals to a nil pointer in Go: the target has no custom data.
    if (raw.toString('latin1') !== 'null') {
      result.custom = raw;
      result.customValue = parseGoJson(raw);
    }
  }
  return result;
}

/** Reads a `delegation` change payload (Go's `json.Unmarshal` into `TUFDelegation`). */
export function decodeDelegationPayload(bytes: Uint8Array): DelegationPayload {
  const what = 'delegation';
  const { obj } = parseObject(bytes, what);
  const d: DelegationPayload = {};
  const newName = field(obj, 'new_name');
  if (typeof newName === 'string' && newName !== '') d.newName = newName;
  const threshold = intField(obj, 'threshold', what);
  if (threshold) d.threshold = threshold;
  const addKeys = field(obj, 'add_keys');
  if (Array.isArray(addKeys) && addKeys.length > 0) {
    d.addKeys = addKeys.map((k) => {
      if (k === null || typeof k !== 'object') throw payloadError(what, 'add_keys holds a non-object');
      const keytype = field(k as Record<string, unknown>, 'keytype');
      const keyval = field(k as Record<string, unknown>, 'keyval');
      const pub =
        keyval && typeof keyval === 'object' ? field(keyval as Record<string, unknown>, 'public') : undefined;
      if (typeof keytype !== 'string' || typeof pub !== 'string')
        throw payloadError(what, 'malformed key in add_keys');
      try {
        return { keytype, public: decodeGoBase64(pub) };
      } catch (e) {
        throw payloadError(what, `add_keys public key: ${errorMessage(e)}`, e);
      }
    });
  }
  const removeKeys = stringList(obj, 'remove_keys', what);
  if (removeKeys?.length) d.removeKeys = removeKeys;
  const addPaths = stringList(obj, 'add_paths', what);
  if (addPaths?.length) d.addPaths = addPaths;
  const removePaths = stringList(obj, 'remove_paths', what);
  if (removePaths?.length) d.removePaths = removePaths;
  if (field(obj, 'clear_paths') === true) d.clearPaths = true;
  return d;
}

// ---- change constructors (one per kind of staged change) ----

export function targetCreateChange(role: string, name: string, payload: TargetPayload): Change {
  return { action: 'create', role, type: 'target', path: name, data: encodeTargetPayload(payload) };
}

export function targetDeleteChange(role: string, name: string): Change {
  return { action: 'delete', role, type: 'target', path: name, data: null };
}

export function witnessChange(role: string): Change {
  return { action: 'update', role, type: 'witness', path: '', data: null };
}

/** `create` (add keys/paths) or `update` (remove keys/paths, clear paths) of a delegation. */
export function delegationChange(
  action: 'create' | 'update',
  role: string,
  payload: DelegationPayload,
): Change {
  return { action, role, type: 'delegation', path: '', data: encodeDelegationPayload(payload) };
}

/** Removal of a whole delegation role. */
export function delegationDeleteChange(role: string): Change {
  return { action: 'delete', role, type: 'delegation', path: '', data: null };
}

/** `delegation purge`: remove these canonical key IDs from every delegation (`targets/*`). */
export function purgeKeysChange(keyIds: readonly string[], scope = 'targets/*'): Change {
  return delegationChange('update', scope, { removeKeys: [...keyIds] });
}

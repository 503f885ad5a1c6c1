/**
 * TUF keys: their JSON form, the two key IDs (spec on-disk.md §5) and public KeyObjects.
 *
 * TUF ID = hex sha256 of canonical `{"keytype":T,"keyval":{"private":null,"public":b64}}`
 * (what metadata and signatures name). Canonical ID = the TUF ID of the bare public key, which
 * differs for certificate keys (`*-x509`): it names key files and is shown by the CLI.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { keyIdFor } from '../crypto/keygen.js';
import type { KeyAlgorithm, KeyType } from '../crypto/keys.js';
import { algorithmOf, publicKeyObject } from '../crypto/sign.js';
import { certificatePublicKey } from '../crypto/x509.js';
import { clipForMessage, NotaryError } from '../errors.js';
import type { TufKey } from './types.js';

export const KEY_TYPES: readonly KeyType[] = ['ecdsa', 'rsa', 'ed25519', 'ecdsa-x509', 'rsa-x509'];

export function isKeyType(t: unknown): t is KeyType {
  return typeof t === 'string' && (KEY_TYPES as readonly string[]).includes(t);
}

export function isCertificateKeyType(t: KeyType): t is 'ecdsa-x509' | 'rsa-x509' {
  return t === 'ecdsa-x509' || t === 'rsa-x509';
}

/** The JSON value of a key as it appears in root.json / delegations (and as hashed for IDs). */
export function keyJson(k: TufKey): { keytype: KeyType; keyval: { private: null; public: string } } {
  return { keytype: k.keytype, keyval: { private: null, public: k.public.toString('base64') } };
}

const idCache = new Map<string, string>();
const CACHE_LIMIT = 1024;

function cacheKey(k: TufKey): string {
  return `${k.keytype}:${k.public.toString('base64')}`;
}

/** TUF key ID: lowercase hex sha256 of the canonical key JSON. */
export function tufKeyId(k: TufKey): string {
  const ck = cacheKey(k);
  const hit = idCache.get(ck);
  if (hit) return hit;
  // keyIdFor hashes exactly canonicalString(keyJson(k)): keys sorted, base64 needs no escaping.
  const id = keyIdFor(k.keytype, k.public);
  if (idCache.size >= CACHE_LIMIT) idCache.clear();
  idCache.set(ck, id);
  return id;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * DER of every CERTIFICATE PEM block in `pemText`, in order. Go's pem.Decode is lenient about
 * surrounding text; headers inside a certificate block are not expected and are skipped.
 */
export function certificateDers(pemText: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of pemText.matchAll(CERT_BLOCK)) {
    const body = m[1]!
      .split(/\r?\n/)
      .filter((line) => !line.includes(':'))
      .join('');
    const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    if (der.length > 0) out.push(der);
  }
  return out;
}

/** Go's pem.Encode of a CERTIFICATE: 64-column base64, LF line ends, trailing newline. */
export function certificatePem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const certCache = new Map<string, X509Certificate>();

/** The leaf (first) certificate of an `*-x509` key. */
export function leafCertificate(k: TufKey): X509Certificate {
  const ck = cacheKey(k);
  const hit = certCache.get(ck);
  if (hit) return hit;
  const der = certificateDers(k.public.toString('latin1'))[0];
  if (!der) {
    throw new NotaryError('KEY_INVALID', `${k.keytype} key holds no PEM certificate`, {
      hint: 'Certificate keys must contain a PEM "CERTIFICATE" block.',
    });
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new NotaryError('KEY_INVALID', `invalid certificate in ${k.keytype} key: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (certCache.size >= CACHE_LIMIT) certCache.clear();
  certCache.set(ck, cert);
  return cert;
}

/** The bare public key behind `k` (certificate keys → the leaf's SPKI as an ecdsa/rsa key). */
export function bareKey(k: TufKey): TufKey {
  if (!isCertificateKeyType(k.keytype)) return k;
  const spki = certificatePublicKey(leafCertificate(k)).export({ type: 'spki', format: 'der' });
  return { keytype: algorithmOf(k.keytype), public: spki };
}

/** Canonical key ID: the TUF ID of the bare public key (names key files, shown by the CLI). */
export function canonicalKeyId(k: TufKey): string {
  return tufKeyId(bareKey(k));
}

/** The algorithm of the private key behind `k`. */
export function keyAlgorithm(k: TufKey): KeyAlgorithm {
  return algorithmOf(k.keytype);
}

const certKeyCache = new Map<string, KeyObject>();

/** Public KeyObject for verification (cached; certificate keys use the leaf certificate). */
export function publicKeyObjectOf(k: TufKey): KeyObject {
  if (!isCertificateKeyType(k.keytype)) return publicKeyObject(k.keytype, k.public);
  const ck = cacheKey(k);
  const hit = certKeyCache.get(ck);
  if (hit) return hit;
  const key = certificatePublicKey(leafCertificate(k));
  const expected = k.keytype === 'ecdsa-x509' ? 'ec' : 'rsa';
  if (key.asymmetricKeyType !== expected) {
    throw new NotaryError('KEY_INVALID', `${k.keytype} certificate holds a ${key.asymmetricKeyType} key`);
  }
  if (certKeyCache.size >= CACHE_LIMIT) certKeyCache.clear();
  certKeyCache.set(ck, key);
  return key;
}

function keyError(where: string, what: string): NotaryError {
  // `what` may quote a hostile value (a huge key type): one bounded line.
  return new NotaryError('METADATA_INVALID', clipForMessage(`${where}: ${what}`), {
    details: { field: where },
  });
}

/** Field lookup with Go's case-insensitive struct-field matching (last matching key wins). */
export function goField(obj: Record<string, unknown>, name: string): unknown {
  // Go decodes keys in input order and each matching key (exact or case-folded) overwrites
  // the field, so the last matching key wins.
  let value: unknown;
  // for-in uses V8's enum cache (no key array per call); JSON values have no inherited keys.
  for (const k in obj) if (k === name || foldsTo(k, name)) value = obj[k];
  return value;
}

function foldsTo(key: string, asciiName: string): boolean {
  if (key.length !== asciiName.length) return false;
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    // ASCII case folding, plus the two non-ASCII letters that fold onto ASCII in Go's EqualFold:
    // U+017F (long s) and U+212A (Kelvin sign).
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    else if (c === 0x17f) c = 0x73;
    else if (c === 0x212a) c = 0x6b;
    let n = asciiName.charCodeAt(i);
    if (n >= 0x41 && n <= 0x5a) n += 0x20;
    if (c !== n) return false;
  }
  return true;
}

/** Decode standard base64 with padding as Go's encoding/json does for []byte (CR/LF ignored). */
export function decodeBase64Field(value: unknown, where: string): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (typeof value !== 'string') throw keyError(where, 'expected a base64 string');
  const clean = value.includes('\n') || value.includes('\r') ? value.replace(/[\r\n]/g, '') : value;
  // Node's decoder skips invalid characters and accepts the URL alphabet; Go's does neither.
  // Checking padding placement, the URL characters and the decoded length catches all of it
  // without a per-character regex (hot for targets files with thousands of hashes).
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const eq = clean.indexOf('=');
  if (
    clean.length % 4 !== 0 ||
    (eq !== -1 && eq < clean.length - pad) ||
    clean.includes('-') ||
    clean.includes('_')
  ) {
    throw keyError(where, 'invalid base64 data');
  }
  const decoded = Buffer.from(clean, 'base64');
  if (decoded.length !== (clean.length / 4) * 3 - pad) throw keyError(where, 'invalid base64 data');
  return decoded;
}

/** A key type as shown in errors: scalars as JSON, containers by kind (they may be huge or deep). */
function shownKeyType(v: unknown): string {
  if (v === undefined) return '(missing)';
  if (Array.isArray(v)) return 'array';
  if (v !== null && typeof v === 'object') return 'object';
  return JSON.stringify(v);
}

/** Parse a key JSON value (`{"keytype","keyval":{"public"}}`); `where` names it in errors. */
export function parseTufKey(json: unknown, where: string): TufKey {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw keyError(where, 'key must be a JSON object');
  }
  const obj = json as Record<string, unknown>;
  const keytype = goField(obj, 'keytype');
  if (!isKeyType(keytype)) {
    throw keyError(`${where}.keytype`, `unsupported key type ${shownKeyType(keytype)}`);
  }
  const keyval = goField(obj, 'keyval');
  if (keyval === null || typeof keyval !== 'object' || Array.isArray(keyval)) {
    throw keyError(`${where}.keyval`, 'must be an object with a "public" field');
  }
  // `private` is ignored: Go rebuilds public keys from `public` only and writes `private: null`.
  const pub = decodeBase64Field(
    goField(keyval as Record<string, unknown>, 'public'),
    `${where}.keyval.public`,
  );
  if (pub.length === 0) throw keyError(`${where}.keyval.public`, 'public key is empty');
  return { keytype, public: pub };
}

/**
 * A certificate key as Go stores it when it ingests certificate files (`delegation add`,
 * `--rootcert`): every certificate re-encoded with Go's PEM encoder, leaf first; the type from
 * the leaf's key. `expected`, when given, must match the leaf's algorithm.
 */
export function certificateKey(pemText: string, expected?: KeyAlgorithm): TufKey {
  const ders = certificateDers(pemText);
  if (ders.length === 0) {
    throw new NotaryError('KEY_INVALID', 'no valid certificate found in PEM data', {
      hint: 'Give a PEM file with a "-----BEGIN CERTIFICATE-----" block.',
    });
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(ders[0]!);
  } catch (e) {
    throw new NotaryError('KEY_INVALID', `invalid certificate: ${(e as Error).message}`, { cause: e });
  }
  const t = certificatePublicKey(leaf).asymmetricKeyType;
  const alg: KeyAlgorithm | undefined = t === 'ec' ? 'ecdsa' : t === 'rsa' ? 'rsa' : undefined;
  if (!alg) {
    throw new NotaryError(
      'KEY_INVALID',
      `unsupported certificate key type ${t}; notary accepts ECDSA and RSA`,
    );
  }
  if (expected && expected !== alg) {
    throw new NotaryError('KEY_INVALID', `certificate holds a ${alg} key, expected ${expected}`);
  }
  return {
    keytype: alg === 'ecdsa' ? 'ecdsa-x509' : 'rsa-x509',
    public: Buffer.from(ders.map(certificatePem).join(''), 'latin1'),
  };
}

/**
 * Signing and verification the way notary 0.7 does it (spec tuf.md §4):
 * ecdsa = raw r‖s over SHA-256 (high-S accepted), rsapss = RSASSA-PSS SHA-256 salt 32 (≥ 2048-bit
 * modulus to verify), eddsa = Ed25519, rsapkcs1v15 = verify only. The method must match the key
 * type (NCC CS-DRNT15-1): an RSA key never verifies an `ecdsa` signature and so on.
 */
import { constants, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { NotaryError } from '../errors.js';
import type { KeyAlgorithm, KeyType, PrivateKey, SignatureMethod } from './keys.js';

const MIN_RSA_BITS = 2048;
const PSS_SALT = 32;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The method notary writes for signatures by a key of this algorithm. */
export function methodFor(alg: KeyAlgorithm): SignatureMethod {
  return alg === 'ecdsa' ? 'ecdsa' : alg === 'rsa' ? 'rsapss' : 'eddsa';
}

/** The private-key algorithm behind a TUF key type (x509 types wrap ecdsa/rsa keys). */
export function algorithmOf(type: KeyType): KeyAlgorithm {
  return type === 'ecdsa-x509' ? 'ecdsa' : type === 'rsa-x509' ? 'rsa' : type;
}

/** Sign `data` with a private key in memory; returns notary's method name and signature bytes. */
export function signData(key: PrivateKey, data: Uint8Array): { method: SignatureMethod; sig: Buffer } {
  switch (key.algorithm) {
    case 'ecdsa':
      return {
        method: 'ecdsa',
        sig: sign('sha256', data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }),
      };
    case 'rsa':
      // Node's default PSS salt for signing is the maximum; Go verifies with exactly 32.
      return {
        method: 'rsapss',
        sig: sign('sha256', data, {
          key: key.keyObject,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: PSS_SALT,
        }),
      };
    case 'ed25519':
      return { method: 'eddsa', sig: sign(null, data, key.keyObject) };
  }
}

function ecdsaSignatureLength(key: KeyObject): number | undefined {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const bits: Record<string, number> = {
    prime256v1: 256,
    'P-256': 256,
    secp384r1: 384,
    'P-384': 384,
    secp521r1: 521,
    'P-521': 521,
  };
  const b = curve === undefined ? undefined : bits[curve];
  return b === undefined ? undefined : ((b + 7) >> 3) * 2;
}

/**
 * Verify one signature. Never throws for a bad signature or a method/key mismatch: it returns
 * false, as Go skips such signatures when counting the threshold.
 */
export function verifyData(
  keyObject: KeyObject,
  keyType: KeyType | KeyAlgorithm,
  method: string,
  sig: Uint8Array,
  data: Uint8Array,
): boolean {
  const alg = algorithmOf(keyType as KeyType);
  if (keyObject.asymmetricKeyType !== (alg === 'ed25519' ? 'ed25519' : alg === 'rsa' ? 'rsa' : 'ec')) {
    return false;
  }
  try {
    switch (method) {
      case 'ecdsa': {
        if (alg !== 'ecdsa') return false;
        // Raw r‖s of exactly twice the curve size; DER signatures are rejected by length, as in Go.
        if (sig.length !== ecdsaSignatureLength(keyObject)) return false;
        return verify('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' }, sig);
      }
      case 'rsapss':
      case 'rsapkcs1v15': {
        if (alg !== 'rsa') return false;
        const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < MIN_RSA_BITS || sig.length !== Math.ceil(bits / 8)) return false;
        if (method === 'rsapkcs1v15') {
          return verify('sha256', data, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }, sig);
        }
        return verify(
          'sha256',
          data,
          { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT },
          sig,
        );
      }
      case 'eddsa':
        if (alg !== 'ed25519' || sig.length !== 64) return false;
        return verify(null, data, keyObject, sig);
      default:
        // `pycrypto-pkcs#1 pss` and unknown methods: never valid for tsnotary.
        return false;
    }
  } catch {
    return false;
  }
}

const keyObjectCache = new Map<string, KeyObject>();
const CACHE_LIMIT = 512;

/**
 * Public KeyObject of a bare public key: SPKI DER for ecdsa/rsa, raw 32 bytes for ed25519.
 * Cached: building a KeyObject costs more than one verification.
 */
export function publicKeyObject(alg: KeyAlgorithm, publicBytes: Uint8Array): KeyObject {
  const cacheKey = `${alg}:${Buffer.from(publicBytes).toString('base64')}`;
  const hit = keyObjectCache.get(cacheKey);
  if (hit) return hit;
  let der: Buffer;
  if (alg === 'ed25519') {
    if (publicBytes.length !== 32) {
      throw new NotaryError('KEY_INVALID', `ed25519 public key must be 32 bytes, got ${publicBytes.length}`);
    }
    der = Buffer.concat([ED25519_SPKI_PREFIX, publicBytes]);
  } else {
    der = Buffer.from(publicBytes);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (e) {
    throw new NotaryError('KEY_INVALID', `invalid ${alg} public key: ${(e as Error).message}`, { cause: e });
  }
  const expected = alg === 'ecdsa' ? 'ec' : alg;
  if (key.asymmetricKeyType !== expected) {
    throw new NotaryError('KEY_INVALID', `public key is ${key.asymmetricKeyType}, not ${alg}`);
  }
  if (keyObjectCache.size >= CACHE_LIMIT) keyObjectCache.clear();
  keyObjectCache.set(cacheKey, key);
  return key;
}

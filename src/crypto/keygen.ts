/** Key generation and the public-key forms notary hashes into key IDs (on-disk.md §5). */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { NotaryError } from '../errors.js';
import type { KeyAlgorithm, PrivateKey } from './keys.js';

export function generateKey(alg: KeyAlgorithm, rsaBits = 2048): PrivateKey {
  switch (alg) {
    case 'ecdsa':
      return {
        algorithm: 'ecdsa',
        keyObject: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
      };
    case 'rsa':
      return {
        algorithm: 'rsa',
        keyObject: generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey,
      };
    case 'ed25519':
      return { algorithm: 'ed25519', keyObject: generateKeyPairSync('ed25519').privateKey };
    default:
      throw new NotaryError('UNSUPPORTED', `unsupported key algorithm ${String(alg)}`);
  }
}

/** SPKI DER for ecdsa/rsa (OpenSSL writes RSA with NULL params, as Go), raw 32 bytes for ed25519. */
export function publicBytes(key: PrivateKey): Buffer {
  if (key.algorithm === 'ed25519') {
    const j = key.keyObject.export({ format: 'jwk' });
    return Buffer.from(j.x ?? '', 'base64url');
  }
  const pub = key.keyObject.type === 'private' ? createPublicKey(key.keyObject) : key.keyObject;
  return pub.export({ format: 'der', type: 'spki' }) as Buffer;
}

/** Hex SHA-256 of `{"keytype":T,"keyval":{"private":null,"public":B64}}` (TUF key JSON). */
export function keyIdFor(keyType: string, pub: Uint8Array): string {
  const json = `{"keytype":"${keyType}","keyval":{"private":null,"public":"${Buffer.from(pub).toString('base64')}"}}`;
  return createHash('sha256').update(json).digest('hex');
}

/** Canonical key ID of a private key: names its file, shown by `key list`. */
export function canonicalIdOf(key: PrivateKey): string {
  return keyIdFor(key.algorithm, publicBytes(key));
}

/**
 * Key algorithms and the shapes shared by crypto/, tuf/ and keystore/.
 * (Implementation of generation/conversion lives next to this file.)
 */
import type { KeyObject } from 'node:crypto';

/** Algorithms of private keys notary handles. */
export type KeyAlgorithm = 'ecdsa' | 'rsa' | 'ed25519';
/** TUF key types: the bare algorithms plus certificate-wrapped public keys. */
export type KeyType = KeyAlgorithm | 'ecdsa-x509' | 'rsa-x509';
/** Signature methods as written in metadata. The last two are verify-only. */
export type SignatureMethod = 'ecdsa' | 'rsapss' | 'eddsa' | 'rsapkcs1v15' | 'pycrypto-pkcs#1 pss';

/** A private key held in memory (file keys). Hardware keys never take this shape. */
export interface PrivateKey {
  algorithm: KeyAlgorithm;
  /** node:crypto key object: cached because building one costs more than a signature. */
  keyObject: KeyObject;
}

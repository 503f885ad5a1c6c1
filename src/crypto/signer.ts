import type { KeyAlgorithm, SignatureMethod } from './keys.js';

/**
 * Something that can sign with one private key: a decrypted file key or a PKCS#11 token
 * object. TUF code signs only through this, so hardware keys stand in for file keys.
 */
export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** Canonical key ID (of the bare public key): the file name / token CKA_ID form. */
  readonly keyId: string;
  /** SPKI DER (ecdsa, rsa) or raw 32 bytes (ed25519): the bare public key. */
  readonly publicBytes: Buffer;
  /** Signs `data` the way notary does (ECDSA raw r||s over SHA-256, RSA-PSS salt 32, Ed25519). */
  sign(data: Uint8Array): Promise<{ method: SignatureMethod; sig: Buffer }>;
}

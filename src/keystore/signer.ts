/** A Signer over an in-memory private key (file keys). */
import { publicBytes } from '../crypto/keygen.js';
import type { PrivateKey } from '../crypto/keys.js';
import { signData } from '../crypto/sign.js';
import type { Signer } from '../crypto/signer.js';

/** Signs as notary does (crypto/sign.ts): ECDSA raw r‖s over SHA-256, RSA-PSS salt 32, Ed25519. */
export function fileSigner(key: PrivateKey, keyId: string): Signer {
  const pub = publicBytes(key);
  return {
    algorithm: key.algorithm,
    keyId,
    publicBytes: pub,
    sign: async (data) => signData(key, data),
  };
}

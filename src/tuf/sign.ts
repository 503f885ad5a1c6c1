/**
 * Signing typed metadata: C' = canonical(signedToValue(signed)), signatures over C' from each
 * signer, F = Go's envelope of C' and the signatures (spec tuf.md §1, §8).
 */

import { methodFor } from '../crypto/sign.js';
import type { Signer } from '../crypto/signer.js';
import { NotaryError } from '../errors.js';
import { tufKeyId } from './keys.js';
import { canonicalSigned, envelopeBytes } from './metadata.js';
import type { AnySigned, Signature, TufKey } from './types.js';
import { verifySignature } from './verify.js';

export interface SigningKey {
  /** TUF key ID written as the signature's `keyid` (the cert-wrapped ID for root keys). */
  keyId: string;
  signer: Signer;
  /**
   * The role's public key with this ID, when the caller has it: we then check that its ID is
   * `keyId` and that the new signature verifies (a wrong token key or cert fails here, not on
   * the server).
   */
  key?: TufKey;
}

export interface SignedResult {
  /** F: the exact file bytes to upload / cache. */
  raw: Buffer;
  /** C': the signing input. */
  canonical: Buffer;
  signatures: Signature[];
}

/**
 * Sign `signed` with every signer; signatures in `keep` by other keys are kept after the new
 * ones (Go keeps still-valid signatures of other role keys; the caller filters `keep`).
 */
export async function signMetadata(
  signed: AnySigned,
  signers: readonly SigningKey[],
  keep: readonly Signature[] = [],
): Promise<SignedResult> {
  const canonicalText = canonicalSigned(signed);
  const canonical = Buffer.from(canonicalText, 'utf8');
  const fresh: Signature[] = [];
  const seen = new Set<string>();
  for (const { keyId, signer, key } of signers) {
    if (seen.has(keyId)) continue;
    seen.add(keyId);
    if (key && tufKeyId(key) !== keyId) {
      throw new NotaryError(
        'INTERNAL',
        `signing key ID ${keyId} does not match its public key (${tufKeyId(key)})`,
      );
    }
    const { method, sig } = await signer.sign(canonical);
    if (method !== methodFor(signer.algorithm)) {
      throw new NotaryError(
        'KEY_INVALID',
        `key ${signer.keyId} signed with method ${method}, expected ${methodFor(signer.algorithm)}`,
      );
    }
    const signature: Signature = { keyid: keyId, method, sig };
    if (key && !verifySignature(key, signature, canonical)) {
      throw new NotaryError(
        'SIGNATURE',
        `signature by key ${signer.keyId} does not verify with the role's public key ${keyId}`,
        {
          details: { keyId, canonicalKeyId: signer.keyId },
          hint: 'The private key does not belong to this role key (wrong hardware token object or certificate?).',
        },
      );
    }
    fresh.push(signature);
  }
  const signatures = [...fresh, ...keep.filter((s) => !seen.has(s.keyid))];
  return { raw: envelopeBytes(canonicalText, signatures), canonical, signatures };
}

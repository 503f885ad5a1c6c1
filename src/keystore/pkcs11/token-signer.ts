/**
 * Signing with a key that lives on the token. CKM_ECDSA over SHA-256(data) returns raw r‖s,
 * which is exactly a TUF `ecdsa` signature. X.509 needs a DER ECDSA-Sig-Value instead: Go's
 * token signer hands raw r‖s to crypto/x509 and `init` fails (pkcs11.md §5), so certificate
 * code must go through `signDer` / `ecdsaRawToDer`.
 */
import { createHash, verify } from 'node:crypto';
import type { SignatureMethod } from '../../crypto/keys.js';
import { publicKeyObject } from '../../crypto/sign.js';
import type { Signer } from '../../crypto/signer.js';
import { p1363ToDer } from '../../crypto/x509.js';
import { NotaryError } from '../../errors.js';
import type { Handle } from './addon.js';
import { CKM_ECDSA, CKO_PRIVATE_KEY } from './ck.js';
import { operationError } from './errors.js';
import { findById } from './objects.js';
import type { TokenSession } from './session.js';

/** Go's touchToSignUI text, shown before every signature (even on tokens without touch). */
export const TOUCH_MESSAGE = 'Please touch the attached Yubikey to perform signing.';
/** Go's sigAttempts: a signature that does not verify locally is retried this many times. */
export const SIGN_ATTEMPTS = 5;

/** DER ECDSA-Sig-Value (two positive INTEGERs) from raw r‖s, for X.509 signatures. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  return p1363ToDer(raw);
}

/** Output buffer large enough for any curve the token may hold (P-521: 2 × 66 bytes). */
const SIG_BUFFER = 132;

async function signDigest(s: TokenSession, key: Handle, digest: Buffer): Promise<Buffer> {
  s.api.C_SignInit(s.handle, { mechanism: CKM_ECDSA }, key);
  const out = Buffer.alloc(SIG_BUFFER);
  // The async variant waits for the touch on a worker thread instead of freezing the event loop.
  const sig = s.api.C_SignAsync
    ? await s.api.C_SignAsync(s.handle, digest, out)
    : s.api.C_Sign(s.handle, digest, out);
  return Buffer.from(sig);
}

/**
 * Signs inside an open, user-logged-in session: find the private key by CKA_ID, then up to
 * SIGN_ATTEMPTS times sign and check the signature against `spki` locally.
 */
export async function signInSession(
  s: TokenSession,
  slotId: Buffer,
  spki: Buffer,
  data: Uint8Array,
  notify: (line: string) => void,
): Promise<Buffer> {
  const keys = findById(s, CKO_PRIVATE_KEY, slotId);
  if (keys.length !== 1) {
    throw new NotaryError(
      'PKCS11',
      `failed to sign using Yubikey: ${keys.length === 0 ? 'no private key found for slot ' : 'several private keys found for slot '}${slotId.toString('hex')}`,
      {
        hint:
          keys.length === 0
            ? 'The token holds the certificate but not the private key (or hides it from this PIN): re-import the key.'
            : 'Remove the stale private key objects that share this CKA_ID with the vendor tool.',
      },
    );
  }
  const key = keys[0]!;
  const digest = createHash('sha256').update(data).digest();
  const pub = publicKeyObject('ecdsa', spki);
  for (let i = 0; i < SIGN_ATTEMPTS; i++) {
    let sig: Buffer;
    try {
      notify(TOUCH_MESSAGE);
      sig = await signDigest(s, key, digest);
    } catch (e) {
      throw operationError('failed to sign using Yubikey', e);
    }
    if (verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)) return sig;
  }
  throw new NotaryError('PKCS11', 'failed to generate signature on Yubikey', {
    hint: `The token returned ${SIGN_ATTEMPTS} signatures that do not match its certificate's public key; the key objects on the token may be inconsistent.`,
  });
}

/** What a TokenSigner needs from its store: one signature, done in a fresh token session. */
export type TokenSignFn = (slotId: Buffer, spki: Buffer, data: Uint8Array) => Promise<Buffer>;

/** A `Signer` backed by a token key; usable for TUF metadata and (via `signDer`) certificates. */
export class TokenSigner implements Signer {
  readonly algorithm = 'ecdsa' as const;

  constructor(
    readonly keyId: string,
    readonly publicBytes: Buffer,
    readonly slotId: Buffer,
    private readonly signFn: TokenSignFn,
  ) {}

  async sign(data: Uint8Array): Promise<{ method: SignatureMethod; sig: Buffer }> {
    return { method: 'ecdsa', sig: await this.signFn(this.slotId, this.publicBytes, data) };
  }

  /** The same signature DER-encoded, as an X.509 signatureValue needs. */
  async signDer(data: Uint8Array): Promise<Buffer> {
    return ecdsaRawToDer(await this.signFn(this.slotId, this.publicBytes, data));
  }
}

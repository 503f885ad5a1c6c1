/**
 * PKCS#8 exactly as Go notary writes it (on-disk.md §3.2–3.3): PBES2 + PBKDF2 with the PRF field
 * absent (HMAC-SHA1), 2048 iterations, 8-byte salt, AES-256-CBC; and notary's own plaintext
 * PrivateKeyInfo (ECDSA version 1, RSA without NULL, Ed25519 under a private OID with 96 bytes).
 */
import { createCipheriv, createDecipheriv, createPrivateKey, pbkdf2Sync, randomBytes } from 'node:crypto';
import { NotaryError } from '../errors.js';
import type { Tlv } from './der.js';
import { children, int, intValue, octets, oid, oidToString, readTlv, seq } from './der.js';
import type { PrivateKey } from './keys.js';

export const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacSha1: '1.2.840.113549.2.7',
  hmacSha256: '1.2.840.113549.2.9',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519Notary: '1.3.6.1.4.1.11591.15.1',
  ed25519: '1.3.101.112',
} as const;

/** Node curve names ↔ named-curve OIDs (P-256 is what notary generates; others can be imported). */
export const CURVE_OIDS: Record<string, string> = {
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  secp224r1: '1.3.132.0.33',
};

/** RFC 8410 PKCS#8 prefix for an Ed25519 seed (what OpenSSL/Node understand). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface EncryptOptions {
  salt?: Uint8Array;
  iv?: Uint8Array;
  iterations?: number;
}

export function encryptPkcs8(plain: Uint8Array, passphrase: string, opts: EncryptOptions = {}): Buffer {
  const salt = Buffer.from(opts.salt ?? randomBytes(8));
  const iv = Buffer.from(opts.iv ?? randomBytes(16));
  const iterations = opts.iterations ?? 2048;
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha1');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return seq(
    seq(
      oid(OID.pbes2),
      seq(seq(oid(OID.pbkdf2), seq(octets(salt), int(iterations))), seq(oid(OID.aes256cbc), octets(iv))),
    ),
    octets(ct),
  );
}

export interface Pbes2Params {
  salt: Buffer;
  iterations: number;
  iv: Buffer;
  /** 'sha1' unless the file names HMAC-SHA256 (which Go would ignore; we honour it on read) */
  prf: 'sha1' | 'sha256';
  ciphertext: Buffer;
}

function malformed(cause?: unknown): NotaryError {
  return new NotaryError('KEY_INVALID', 'pkcs8: malformed encrypted private key', { cause });
}

/** Most PBKDF2 rounds we run for a key file (Go writes 2048; OWASP's 2023 advice is 600,000). */
export const MAX_PBKDF2_ITERATIONS = 1_000_000;

export function parseEncryptedPkcs8(der: Buffer): Pbes2Params {
  let alg: Tlv | undefined;
  let data: Tlv | undefined;
  try {
    [alg, data] = children(readTlv(der));
  } catch (e) {
    throw malformed(e);
  }
  if (!alg || !data) throw malformed();
  const [algOid, params] = children(alg);
  if (!algOid || !params || oidToString(algOid.value) !== OID.pbes2) {
    throw new NotaryError('KEY_INVALID', 'pkcs8: only PBES2 supported');
  }
  const [kdf, enc] = children(params);
  if (!kdf || !enc) throw malformed();
  const [kdfOid, kdfParams] = children(kdf);
  if (!kdfOid || !kdfParams || oidToString(kdfOid.value) !== OID.pbkdf2) {
    throw new NotaryError('KEY_INVALID', 'pkcs8: only PBKDF2 supported');
  }
  const kp = children(kdfParams);
  const salt = kp[0];
  const iter = kp[1];
  if (!salt || !iter || salt.tag !== 0x04) throw malformed();
  // Optional keyLength (INTEGER) then optional prf (SEQUENCE { OID, NULL? }).
  let prf: 'sha1' | 'sha256' = 'sha1';
  for (const extra of kp.slice(2)) {
    if (extra.tag === 0x30) {
      const prfOid = children(extra)[0];
      if (prfOid && oidToString(prfOid.value) === OID.hmacSha256) prf = 'sha256';
    }
  }
  const [encOid, iv] = children(enc);
  if (!encOid || !iv || oidToString(encOid.value) !== OID.aes256cbc || iv.value.length !== 16) {
    throw new NotaryError('KEY_INVALID', 'pkcs8: only AES-256-CBC supported');
  }
  // The count comes from the file: bound it, or a hostile key makes every unlock attempt spin
  // for hours (Node itself throws a RangeError for 0 or > 2^31-1). Go writes 2048.
  const iterations =
    iter.tag === 0x02 && iter.value.length > 0 && !(iter.value[0]! & 0x80) ? intValue(iter) : 0;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new NotaryError('KEY_INVALID', 'pkcs8: invalid PBKDF2 iteration count', {
      hint:
        iterations < 1
          ? 'The key file asks for no key-derivation rounds: it is damaged.'
          : `The key file asks for more than ${MAX_PBKDF2_ITERATIONS} key-derivation rounds: it is damaged or hostile.`,
    });
  }
  return {
    salt: Buffer.from(salt.value),
    iterations,
    iv: Buffer.from(iv.value),
    prf,
    ciphertext: Buffer.from(data.value),
  };
}

function incorrectPassword(): NotaryError {
  return new NotaryError('PASSPHRASE', 'pkcs8: incorrect password');
}

function tryDecrypt(p: Pbes2Params, passphrase: string, prf: 'sha1' | 'sha256'): Buffer | undefined {
  if (p.ciphertext.length === 0 || p.ciphertext.length % 16 !== 0) return undefined;
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), p.salt, p.iterations, 32, prf);
  const d = createDecipheriv('aes-256-cbc', key, p.iv);
  d.setAutoPadding(false);
  const out = Buffer.concat([d.update(p.ciphertext), d.final()]);
  // Go does not check the padding, it relies on the DER parse; we do both, leniently.
  try {
    const t = readTlv(out);
    privateKeyFromPkcs8(t.raw);
    return Buffer.from(t.raw);
  } catch {
    return undefined;
  }
}

/** Decrypts an EncryptedPrivateKeyInfo to the plaintext PrivateKeyInfo DER. */
export function decryptPkcs8(der: Buffer, passphrase: string): Buffer {
  const p = parseEncryptedPkcs8(der);
  const plain =
    tryDecrypt(p, passphrase, p.prf) ?? (p.prf !== 'sha1' ? tryDecrypt(p, passphrase, 'sha1') : undefined);
  if (!plain) throw incorrectPassword();
  return plain;
}

function ed25519Raw(k: PrivateKey): { pub: Buffer; seed: Buffer } {
  const j = k.keyObject.export({ format: 'jwk' });
  return { pub: Buffer.from(j.x ?? '', 'base64url'), seed: Buffer.from(j.d ?? '', 'base64url') };
}

/** The 96 bytes notary stores for an Ed25519 key: public ‖ seed ‖ public. */
export function ed25519NotaryBytes(k: PrivateKey): Buffer {
  const { pub, seed } = ed25519Raw(k);
  return Buffer.concat([pub, seed, pub]);
}

/** Byte-identical to Go notary's convertTUFKeyToPKCS8. */
export function toNotaryPkcs8(key: PrivateKey): Buffer {
  const k = key.keyObject;
  switch (key.algorithm) {
    case 'ecdsa': {
      const curve = k.asymmetricKeyDetails?.namedCurve ?? '';
      const curveOid = CURVE_OIDS[curve];
      if (!curveOid) throw new NotaryError('KEY_INVALID', `unsupported elliptic curve ${curve}`);
      return seq(
        int(1),
        seq(oid(OID.ecPublicKey), oid(curveOid)),
        octets(k.export({ format: 'der', type: 'sec1' })),
      );
    }
    case 'rsa':
      return seq(int(0), seq(oid(OID.rsaEncryption)), octets(k.export({ format: 'der', type: 'pkcs1' })));
    case 'ed25519':
      return seq(int(0), seq(oid(OID.ed25519Notary)), octets(ed25519NotaryBytes(key)));
  }
}

/** Ed25519 key from notary's 96 raw bytes (or a 64-byte Go private key: seed ‖ public). */
export function ed25519FromNotaryBytes(raw: Buffer): PrivateKey {
  let seed: Buffer;
  if (raw.length === 96) seed = raw.subarray(32, 64);
  else if (raw.length === 64) seed = raw.subarray(0, 32);
  else throw new NotaryError('KEY_INVALID', 'invalid ed25519 private key length');
  const keyObject = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return { algorithm: 'ed25519', keyObject };
}

/** Reads notary's PrivateKeyInfo and standard PKCS#8 (ecdsa, rsa, RFC 8410 ed25519). */
export function privateKeyFromPkcs8(der: Buffer): PrivateKey {
  let parts: Tlv[];
  try {
    parts = children(readTlv(der));
  } catch (e) {
    throw new NotaryError('KEY_INVALID', 'x509: failed to parse private key', { cause: e });
  }
  const alg = parts[1];
  const priv = parts[2];
  const algOidTlv = alg ? children(alg)[0] : undefined;
  if (!algOidTlv || !priv || priv.tag !== 0x04)
    throw new NotaryError('KEY_INVALID', 'x509: failed to parse private key');
  const algOid = oidToString(algOidTlv.value);
  if (algOid === OID.ed25519Notary) return ed25519FromNotaryBytes(Buffer.from(priv.value));
  if (algOid !== OID.ecPublicKey && algOid !== OID.rsaEncryption && algOid !== OID.ed25519) {
    throw new NotaryError('KEY_INVALID', 'unsupported key type');
  }
  try {
    const keyObject = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const t = keyObject.asymmetricKeyType;
    const algorithm = t === 'ec' ? 'ecdsa' : t === 'rsa' ? 'rsa' : t === 'ed25519' ? 'ed25519' : undefined;
    if (!algorithm) throw new NotaryError('KEY_INVALID', 'unsupported key type');
    return { algorithm, keyObject };
  } catch (e) {
    if (e instanceof NotaryError) throw e;
    throw new NotaryError('KEY_INVALID', 'x509: failed to parse private key', { cause: e });
  }
}

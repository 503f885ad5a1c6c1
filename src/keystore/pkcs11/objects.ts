/**
 * The token object model of Go notary's Yubikey store (pkcs11.md §3): up to four keys, each a
 * certificate + private key + public key sharing a one-byte CKA_ID. A key "exists" iff its
 * certificate does; the certificate's CN is the role and its public key gives the key ID.
 */
import { X509Certificate } from 'node:crypto';
import { bitString, children, oid, readTlv, seq } from '../../crypto/der.js';
import { keyIdFor } from '../../crypto/keygen.js';
import { commonName } from '../../crypto/x509.js';
import { NotaryError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { isBaseRole, isDelegationRole } from '../../tuf/roles.js';
import type { Attribute, Handle } from './addon.js';
import {
  CKA_CERTIFICATE_TYPE,
  CKA_CLASS,
  CKA_EC_PARAMS,
  CKA_EC_POINT,
  CKA_EXTRACTABLE,
  CKA_ID,
  CKA_KEY_TYPE,
  CKA_LABEL,
  CKA_PRIVATE,
  CKA_SENSITIVE,
  CKA_SIGN,
  CKA_SUBJECT,
  CKA_TOKEN,
  CKA_VALUE,
  CKA_VENDOR_DEFINED,
  CKA_VERIFY,
  CKC_X_509,
  CKK_EC,
  CKO_CERTIFICATE,
  CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY,
  P256_EC_PARAMS,
  YUBIKEY_KEYMODE_TOUCH_PIN_ONCE,
} from './ck.js';
import { tokenFullError } from './errors.js';
import type { TokenSession } from './session.js';

/** Four PIV slots (9c, 9e, 9d, 9a), in Go's order of preference. */
export const SLOT_ORDER: readonly number[] = [2, 1, 3, 0];
export const NUM_SLOTS = 4;

const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';
const P256_OID = '1.2.840.10045.3.1.7';

/** A notary key found on the token through its certificate. */
export interface TokenKey {
  keyId: string;
  role: string;
  /** CKA_ID (one byte for notary's keys) */
  slotId: Buffer;
  /** SPKI DER of the certificate's public key */
  spki: Buffer;
  certDer: Buffer;
}

/** SPKI DER of a P-256 point given as CKA_EC_POINT: raw `04‖X‖Y` or DER OCTET STRING-wrapped (SoftHSM, ykcs11). */
export function ecPointToSpki(point: Buffer): Buffer {
  let raw = point;
  if (point.length === 67 && point[0] === 0x04 && point[1] === 0x41 && point[2] === 0x04)
    raw = point.subarray(2);
  if (raw.length !== 65 || raw[0] !== 0x04) {
    throw new NotaryError('PKCS11', 'unsupported public key on token: expected an uncompressed P-256 point');
  }
  return seq(seq(oid(EC_PUBLIC_KEY_OID), oid(P256_OID)), bitString(raw));
}

/** CKA_EC_POINT value (DER-wrapped, as PKCS#11 v2.20+ and Go's reader expect) of a P-256 SPKI. */
export function spkiToEcPoint(spki: Buffer): Buffer {
  const parts = children(readTlv(spki));
  const bits = parts[1];
  if (bits?.tag !== 0x03 || bits.value.length !== 66) {
    throw new NotaryError('PKCS11', 'unsupported public key: expected a P-256 key');
  }
  const raw = bits.value.subarray(1);
  return Buffer.concat([Buffer.from([0x04, raw.length]), raw]);
}

/** DER of the subject Name of a certificate (for CKA_SUBJECT). */
export function certificateSubject(certDer: Buffer): Buffer {
  const tbs = children(readTlv(certDer))[0];
  if (!tbs) throw new NotaryError('PKCS11', 'malformed certificate');
  const fields = children(tbs);
  // version [0] is optional; subject is the 5th field after it.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject) throw new NotaryError('PKCS11', 'malformed certificate');
  return Buffer.from(subject.raw);
}

/** Go's data.ValidRole: a base role or a valid delegation name. */
function validRole(name: string): boolean {
  return isBaseRole(name) || isDelegationRole(name);
}

/** Parses a certificate object as Go's yubiListKeys does; undefined when notary would skip it. */
export function tokenKeyFromCertificate(certDer: Buffer, slotId: Buffer, log: Logger): TokenKey | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
  } catch {
    log.debug('Skipping an unparsable certificate on the token');
    return undefined;
  }
  const role = commonName(cert);
  if (!validRole(role)) return undefined;
  if (cert.publicKey.asymmetricKeyType !== 'ec') {
    log.info(`Unsupported x509 PublicKeyAlgorithm: ${cert.publicKey.asymmetricKeyType ?? 'unknown'}`);
    return undefined;
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer;
  return {
    keyId: keyIdFor('ecdsa', spki),
    role,
    slotId: Buffer.from(slotId),
    spki,
    certDer: Buffer.from(certDer),
  };
}

/** Every notary key on the token (no login needed: certificates are public objects). */
export function listTokenKeys(s: TokenSession, log: Logger): TokenKey[] {
  const certs = s.find([
    { type: CKA_TOKEN, value: true },
    { type: CKA_CLASS, value: CKO_CERTIFICATE },
  ]);
  log.debug(`Found ${certs.length} objects matching list filters`);
  const out: TokenKey[] = [];
  for (const obj of certs) {
    const attrs = s.attributes(obj, [CKA_ID, CKA_VALUE]);
    const der = attrs.get(CKA_VALUE);
    if (!der) continue;
    const key = tokenKeyFromCertificate(der, attrs.get(CKA_ID) ?? Buffer.alloc(0), log);
    if (key) out.push(key);
  }
  return out;
}

/** Go's getNextEmptySlot: the first of 02, 01, 03, 00 that no token object's CKA_ID uses. */
export function nextFreeSlot(s: TokenSession): Buffer {
  const taken = new Set<number>();
  for (const obj of s.find([{ type: CKA_TOKEN, value: true }])) {
    const id = s.attributes(obj, [CKA_ID]).get(CKA_ID);
    if (id && id.length >= 1 && id[0]! < NUM_SLOTS) taken.add(id[0]!);
  }
  const free = SLOT_ORDER.find((n) => !taken.has(n));
  if (free === undefined) throw tokenFullError();
  return Buffer.from([free]);
}

/** Objects of one class with one CKA_ID. */
export function findById(s: TokenSession, cls: number, slotId: Buffer): Handle[] {
  const template: Attribute[] = [
    { type: CKA_TOKEN, value: true },
    { type: CKA_CLASS, value: cls },
    { type: CKA_ID, value: slotId },
  ];
  if (cls === CKO_PRIVATE_KEY) template.push({ type: CKA_KEY_TYPE, value: CKK_EC });
  return s.find(template);
}

/** SPKI of the public-key object with this CKA_ID (Go's getECDSAKey), undefined if there is none. */
export function publicKeySpki(s: TokenSession, slotId: Buffer): Buffer | undefined {
  for (const obj of findById(s, CKO_PUBLIC_KEY, slotId)) {
    const point = s.attributes(obj, [CKA_EC_POINT]).get(CKA_EC_POINT);
    if (point) return ecPointToSpki(point);
  }
  return undefined;
}

/**
 * Certificate object. On Yubico's module Go's exact template (it is what ykcs11 expects); on
 * other tokens the complete one PKCS#11 requires (SoftHSM refuses Go's: CKR_TEMPLATE_INCOMPLETE).
 */
export function certificateTemplate(
  certDer: Buffer,
  slotId: Buffer,
  role: string,
  yubico: boolean,
): Attribute[] {
  const base: Attribute[] = [
    { type: CKA_CLASS, value: CKO_CERTIFICATE },
    { type: CKA_VALUE, value: certDer },
    { type: CKA_ID, value: slotId },
  ];
  if (yubico) return base;
  return [
    ...base,
    { type: CKA_CERTIFICATE_TYPE, value: CKC_X_509 },
    { type: CKA_TOKEN, value: true },
    { type: CKA_PRIVATE, value: false },
    { type: CKA_SUBJECT, value: certificateSubject(certDer) },
    { type: CKA_LABEL, value: role },
  ];
}

/** Private key object for an imported P-256 scalar `d` (32 bytes, left-padded). */
export function privateKeyTemplate(d: Buffer, slotId: Buffer, role: string, yubico: boolean): Attribute[] {
  const base: Attribute[] = [
    { type: CKA_CLASS, value: CKO_PRIVATE_KEY },
    { type: CKA_KEY_TYPE, value: CKK_EC },
    { type: CKA_ID, value: slotId },
    { type: CKA_EC_PARAMS, value: P256_EC_PARAMS },
    { type: CKA_VALUE, value: d },
  ];
  // ykcs11 reads the touch/PIN policy from the vendor attribute; other tokens reject it.
  if (yubico) return [...base, { type: CKA_VENDOR_DEFINED, value: YUBIKEY_KEYMODE_TOUCH_PIN_ONCE }];
  return [
    ...base,
    { type: CKA_TOKEN, value: true },
    { type: CKA_PRIVATE, value: true },
    { type: CKA_SIGN, value: true },
    { type: CKA_SENSITIVE, value: true },
    { type: CKA_LABEL, value: role },
  ];
}

/** Public key object (a Yubikey derives it itself; other tokens need it for Go's GetKey). */
export function publicKeyTemplate(spki: Buffer, slotId: Buffer, role: string): Attribute[] {
  return [
    { type: CKA_CLASS, value: CKO_PUBLIC_KEY },
    { type: CKA_KEY_TYPE, value: CKK_EC },
    { type: CKA_TOKEN, value: true },
    { type: CKA_PRIVATE, value: false },
    { type: CKA_VERIFY, value: true },
    { type: CKA_ID, value: slotId },
    { type: CKA_EC_PARAMS, value: P256_EC_PARAMS },
    { type: CKA_EC_POINT, value: spkiToEcPoint(spki) },
    { type: CKA_LABEL, value: role },
  ];
}

/** Templates for C_GenerateKeyPair: the private half never leaves the token. */
export function generateTemplates(
  slotId: Buffer,
  role: string,
): { publicKey: Attribute[]; privateKey: Attribute[] } {
  return {
    publicKey: [
      { type: CKA_TOKEN, value: true },
      { type: CKA_PRIVATE, value: false },
      { type: CKA_VERIFY, value: true },
      { type: CKA_EC_PARAMS, value: P256_EC_PARAMS },
      { type: CKA_ID, value: slotId },
      { type: CKA_LABEL, value: role },
    ],
    privateKey: [
      { type: CKA_TOKEN, value: true },
      { type: CKA_PRIVATE, value: true },
      { type: CKA_SIGN, value: true },
      { type: CKA_SENSITIVE, value: true },
      { type: CKA_EXTRACTABLE, value: false },
      { type: CKA_ID, value: slotId },
      { type: CKA_LABEL, value: role },
    ],
  };
}

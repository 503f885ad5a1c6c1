/**
 * Root certificates shaped exactly like Go notary's (tuf.md §7, deps.md §4) and certificate
 * checks notary applies to root and delegation certificates.
 */
import { createHash, type KeyObject, sign as nodeSign, randomBytes, X509Certificate } from 'node:crypto';
import { NotaryError } from '../errors.js';
import { children, int, nullValue, octets, oid, oidToString, readTlv, seq, set, tlv } from './der.js';
import { publicBytes } from './keygen.js';
import type { PrivateKey } from './keys.js';
import { pemDecodeAll, pemEncode } from './pem.js';
import type { Signer } from './signer.js';

const DAY_MS = 24 * 3600 * 1000;

const SIG_OIDS = {
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecdsaSha512: '1.2.840.10045.4.3.4',
  rsaSha256: '1.2.840.113549.1.1.11',
} as const;

/** Signature algorithm OIDs using SHA-1 (rejected by notary). */
const SHA1_SIG_OIDS = new Set([
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsa-with-sha1
  '1.3.14.3.2.29', // sha1WithRSASignature (OIW)
]);

/** Go asn1: PrintableString when every character allows it, else UTF8String. */
function directoryString(s: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
  return tlv(printable ? 0x13 : 0x0c, Buffer.from(s, 'utf8'));
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280, as Go does). */
function certTime(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(two(y % 100) + rest));
  return tlv(0x18, Buffer.from(String(y).padStart(4, '0') + rest));
}

/** DER ECDSA-Sig-Value from raw r‖s. */
export function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  return seq(int(sig.subarray(0, half)), int(sig.subarray(half)));
}

interface CertSigning {
  algorithm: Buffer;
  sign(tbs: Buffer): Promise<Buffer>;
  spki: Buffer;
}

function signingFor(key: PrivateKey | Signer): CertSigning {
  if ('keyObject' in key) {
    const k = key.keyObject;
    if (key.algorithm === 'ecdsa') {
      const curve = k.asymmetricKeyDetails?.namedCurve;
      const [alg, hash] =
        curve === 'secp384r1'
          ? [SIG_OIDS.ecdsaSha384, 'sha384']
          : curve === 'secp521r1'
            ? [SIG_OIDS.ecdsaSha512, 'sha512']
            : [SIG_OIDS.ecdsaSha256, 'sha256'];
      return {
        algorithm: seq(oid(alg)),
        spki: publicBytes(key),
        sign: async (tbs) => nodeSign(hash, tbs, k),
      };
    }
    if (key.algorithm === 'rsa') {
      return {
        algorithm: seq(oid(SIG_OIDS.rsaSha256), nullValue()),
        spki: publicBytes(key),
        sign: async (tbs) => nodeSign('sha256', tbs, k),
      };
    }
  } else if (key.algorithm === 'ecdsa') {
    const signer = key;
    return {
      algorithm: seq(oid(SIG_OIDS.ecdsaSha256)),
      spki: signer.publicBytes,
      sign: async (tbs) => p1363ToDer((await signer.sign(tbs)).sig),
    };
  }
  throw new NotaryError('UNSUPPORTED', `key type not supported for Certificate generation: ${key.algorithm}`);
}

/**
 * Self-signed root certificate (DER) for `gun`, valid from `now` (whole seconds) for
 * `years` × 365 days, exactly as Go notary's cryptoservice.GenerateCertificate. Also signs
 * through a Signer (token keys): its raw r‖s is converted to the DER X.509 needs.
 */
export async function createRootCertificate(
  key: PrivateKey | Signer,
  gun: string,
  now: Date,
  /** N × 365 days (Go's `notary.Year*N`), or `{calendarYears}` for Go's `AddDate(N,0,0)` (Yubikey import path) */
  years: number | { calendarYears: number } = 10,
  /** fixed serial magnitude (tests); default: uniformly random in [0, 2^128) */
  serial?: Uint8Array,
): Promise<Buffer> {
  const s = signingFor(key);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  let notAfter: Date;
  if (typeof years === 'number') notAfter = new Date(notBefore.getTime() + years * 365 * DAY_MS);
  else {
    notAfter = new Date(notBefore.getTime());
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years.calendarYears);
  }
  // uniformly random in [0, 2^128), as Go's rand.Int(rand.Reader, 1<<128)
  const serialInt = int(serial ?? randomBytes(16));
  const name = seq(set(seq(oid('2.5.4.3'), directoryString(gun))));
  const critical = tlv(0x01, Buffer.from([0xff]));
  const extensions = tlv(
    0xa3,
    seq(
      seq(oid('2.5.29.15'), critical, octets(Buffer.from('030205a0', 'hex'))),
      seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.3')))),
      seq(oid('2.5.29.19'), critical, octets(seq())),
    ),
  );
  const tbs = seq(
    tlv(0xa0, int(2)),
    serialInt,
    s.algorithm,
    name,
    seq(certTime(notBefore), certTime(notAfter)),
    name,
    s.spki,
    extensions,
  );
  const sig = await s.sign(tbs);
  return seq(tbs, s.algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
}

export function certToPem(der: Buffer): string {
  return pemEncode({ type: 'CERTIFICATE', headers: {}, bytes: der });
}

export interface ParsedCertificate {
  der: Buffer;
  cert: X509Certificate;
}

/** Every CERTIFICATE block of a PEM text (other blocks ignored), parsed. */
export function parseCertificates(pemText: string): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  for (const b of pemDecodeAll(pemText)) {
    if (b.type !== 'CERTIFICATE') continue;
    try {
      out.push({ der: b.bytes, cert: new X509Certificate(b.bytes) });
    } catch (e) {
      throw new NotaryError('KEY_INVALID', 'x509: malformed certificate', { cause: e });
    }
  }
  return out;
}

/** The signatureAlgorithm OID of a DER certificate (Node 20 does not expose it). */
export function signatureAlgorithmOid(der: Buffer): string {
  const parts = children(readTlv(der));
  const alg = parts[1];
  const algOid = alg ? children(alg)[0] : undefined;
  if (!algOid) throw new NotaryError('KEY_INVALID', 'x509: malformed certificate');
  return oidToString(algOid.value);
}

/**
 * The public key of a parsed certificate. Node parses a certificate whose key it cannot decode
 * (an unknown algorithm OID, a damaged point) and only fails when `publicKey` is read, with a
 * plain OpenSSL error: that is a KEY_INVALID certificate, as Go's x509 parser says.
 */
export function certificatePublicKey(cert: X509Certificate): KeyObject {
  try {
    return cert.publicKey;
  } catch (e) {
    throw new NotaryError('KEY_INVALID', 'x509: malformed certificate: its public key cannot be read', {
      cause: e,
      hint: 'The certificate is damaged or holds a key type notary does not know (it needs ECDSA or RSA).',
    });
  }
}

/** The subject CN of a certificate (first CN attribute), '' when absent. */
export function commonName(cert: X509Certificate): string {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}

export function certNotBefore(cert: X509Certificate): Date {
  return new Date(cert.validFrom);
}

export function certNotAfter(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

/**
 * notary's certificate checks (tuf.md §7): validity order, no SHA-1, RSA ≥ 2048; with
 * `checkExpiry`, `now+1 day ≥ notBefore` and `now ≤ notAfter`.
 */
export function validateCertificate(p: ParsedCertificate, now: Date, checkExpiry: boolean): void {
  const cn = commonName(p.cert);
  const nb = certNotBefore(p.cert);
  const na = certNotAfter(p.cert);
  if (nb.getTime() > na.getTime()) {
    throw new NotaryError('KEY_INVALID', `notBefore is after notAfter for certificate with CN ${cn}`);
  }
  if (SHA1_SIG_OIDS.has(signatureAlgorithmOid(p.der))) {
    throw new NotaryError('KEY_INVALID', `certificate with CN ${cn} uses invalid SHA1 signature algorithm`);
  }
  const pub: KeyObject = certificatePublicKey(p.cert);
  if (pub.asymmetricKeyType === 'rsa' && (pub.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new NotaryError('KEY_INVALID', `RSA bit length is too short for certificate with CN ${cn}`);
  }
  if (checkExpiry) {
    if (now.getTime() + DAY_MS < nb.getTime() || now.getTime() > na.getTime()) {
      throw new NotaryError('EXPIRED', `certificate with CN ${cn} is expired`);
    }
  }
}

/** SHA-256 fingerprint of the DER (for messages). */
export function certFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

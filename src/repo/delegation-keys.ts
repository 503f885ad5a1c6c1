/**
 * Public keys and certificates for delegations, read as Go's ParsePEMPublicKey does (cli.md §6):
 * the first PEM block decides; certificates are validated like Go's ValidateCertificate (same
 * texts); RSA keys under 2048 bits and Ed25519 certificates are refused (notary could never use
 * them). Shared by `delegation add` and the library's `addDelegation`.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { pemDecodeFirst } from '../crypto/pem.js';
import { certificatePublicKey, commonName, signatureAlgorithmOid } from '../crypto/x509.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { certificatePem } from '../tuf/keys.js';
import type { Clock, TufKey } from '../tuf/types.js';

/** The clock certificates are checked against, and where the near-expiry warning goes. */
export interface KeyParseContext {
  clock: Clock;
  log: Logger;
}

/** Signature algorithms Go's ValidateCertificate refuses (SHA1WithRSA, DSAWithSHA1, ECDSAWithSHA1). */
const SHA1_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.10040.4.3', '1.2.840.10045.4.1']);
const MIN_RSA_BITS = 2048;
const DAY_MS = 24 * 3600 * 1000;

/** Why a PEM file does not give a usable key; becomes `unable to parse ... <f>: <reason>`. */
export class KeyFileProblem extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly problemCause?: unknown,
  ) {
    super(message);
  }
}

function addMonths(d: Date, months: number): Date {
  const r = new Date(d.getTime());
  r.setUTCMonth(r.getUTCMonth() + months);
  return r;
}

/** Go's ValidateCertificate(cert, checkExpiry=true), same texts; warns when near expiry. */
function validateDelegationCertificate(ctx: KeyParseContext, der: Buffer, cert: X509Certificate): void {
  const cn = commonName(cert);
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (notBefore.getTime() > notAfter.getTime()) {
    throw new KeyFileProblem('invalid certificate: certificate validity window is invalid');
  }
  if (SHA1_SIGNATURES.has(signatureAlgorithmOid(der))) {
    throw new KeyFileProblem(
      `invalid certificate: certificate with CN ${cn} uses invalid SHA1 signature algorithm`,
      'Issue the certificate with a SHA-256 (or stronger) signature.',
    );
  }
  let pub: KeyObject;
  try {
    pub = certificatePublicKey(cert);
  } catch (e) {
    throw new KeyFileProblem(
      'could not parse provided certificate: x509: malformed certificate',
      'The certificate is damaged or holds a key type notary does not know (it needs ECDSA or RSA).',
      e,
    );
  }
  if (pub.asymmetricKeyType === 'rsa' && (pub.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new KeyFileProblem(
      'invalid certificate: RSA bit length is too short',
      `Use an RSA key of at least ${MIN_RSA_BITS} bits, or an ECDSA key.`,
    );
  }
  const now = ctx.clock();
  if (now.getTime() + DAY_MS < notBefore.getTime() || now.getTime() > notAfter.getTime()) {
    throw new KeyFileProblem(
      `invalid certificate: certificate with CN ${cn} is expired`,
      `The certificate is valid from ${notBefore.toISOString()} to ${notAfter.toISOString()}; issue a new one.`,
    );
  }
  if (notAfter.getTime() < addMonths(now, 6).getTime()) {
    ctx.log.warn(`certificate with CN ${cn} is near expiry`);
  }
}

/** A `CERTIFICATE` block → `ecdsa-x509`/`rsa-x509` key holding only this certificate, Go-PEM encoded. */
function certificateBlockKey(ctx: KeyParseContext, der: Buffer): TufKey {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new KeyFileProblem(
      'could not parse provided certificate: x509: malformed certificate',
      'The file must hold a valid PEM-encoded X.509 certificate.',
      e,
    );
  }
  validateDelegationCertificate(ctx, der, cert);
  // validateDelegationCertificate has read the key already: it is readable here.
  const t = certificatePublicKey(cert).asymmetricKeyType;
  if (t !== 'ec' && t !== 'rsa') {
    throw new KeyFileProblem(
      `unsupported certificate key type ${t ?? 'unknown'}, expected an ECDSA or RSA key`,
      'Delegation certificates must hold an ECDSA or RSA public key.',
    );
  }
  return {
    keytype: t === 'ec' ? 'ecdsa-x509' : 'rsa-x509',
    public: Buffer.from(certificatePem(der), 'latin1'),
  };
}

/** A `PUBLIC KEY` block → `ecdsa`/`rsa` key whose public value is the block's DER as given (as Go). */
function publicKeyBlockKey(der: Buffer): TufKey {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (e) {
    throw new KeyFileProblem(
      `unable to parse pem encoded public key: ${errorMessage(e)}`,
      'The file must hold a PKIX (SubjectPublicKeyInfo) "PUBLIC KEY" PEM block.',
      e,
    );
  }
  const t = key.asymmetricKeyType;
  if (t === 'ec') return { keytype: 'ecdsa', public: der };
  if (t === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new KeyFileProblem(
        `RSA public key is shorter than ${MIN_RSA_BITS} bits`,
        `tsnotary never accepts signatures of such keys; use an RSA key of at least ${MIN_RSA_BITS} bits, or an ECDSA key.`,
      );
    }
    return { keytype: 'rsa', public: der };
  }
  throw new KeyFileProblem(
    'unknown public key format',
    'Delegation keys must be ECDSA or RSA public keys (or certificates holding one).',
  );
}

/** Go's ParsePEMPublicKey on the file content: the first PEM block decides. */
export function parseDelegationKeyPem(ctx: KeyParseContext, content: Buffer): TufKey {
  // latin1 keeps every byte as one character, so Go's byte-oriented PEM rules apply unchanged.
  const { block } = pemDecodeFirst(content.toString('latin1'));
  if (!block) {
    throw new KeyFileProblem(
      'no valid public key found',
      'Give a PEM file with a "CERTIFICATE" or "PUBLIC KEY" block.',
    );
  }
  switch (block.type) {
    case 'CERTIFICATE':
      return certificateBlockKey(ctx, block.bytes);
    case 'PUBLIC KEY':
      return publicKeyBlockKey(block.bytes);
    default:
      throw new KeyFileProblem(
        `unsupported PEM block type ${JSON.stringify(block.type)}, expected CERTIFICATE or PUBLIC KEY`,
        'Give a PEM file with a "CERTIFICATE" or "PUBLIC KEY" block.',
      );
  }
}

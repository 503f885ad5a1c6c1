/**
 * Root validation: certificate checks, rotation against the previously trusted root and trust
 * pinning (tuf.md §7, §11, §12) — Go's trustpinning.ValidateRoot, step for step.
 *
 * Go reports every refusal with a fixed sentence (`could not validate the path to a trusted
 * root: ...`); we keep that sentence as the message and put what Go hides into hint/details:
 * the GUN, the pinned IDs or CA file, and the key IDs the root actually carries.
 */

import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  commonName,
  type ParsedCertificate,
  parseCertificates,
  validateCertificate,
} from '../crypto/x509.js';
import { NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ParsedMetadata, RootSigned, TufKey } from '../tuf/types.js';
import { verifySignatures } from '../tuf/verify.js';
import type { TrustPinning } from './settings.js';

const SIX_MONTHS_MS = 183 * 24 * 3600 * 1000;
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_ANY_EKU = '2.5.29.37.0';

/** The empty pinning configuration: trust on first use, TOFU allowed. */
export const NO_PINNING: TrustPinning = { certs: {}, ca: {}, disableTofu: false };

/** One root key's certificate bundle: the single leaf and the intermediates after it. */
interface RootCert {
  keyId: string;
  leaf: ParsedCertificate;
  intermediates: ParsedCertificate[];
}

export interface RootValidationInput {
  gun: string;
  root: ParsedMetadata<RootSigned>;
  /** The root trusted so far (rotation check), undefined on first bootstrap. */
  prevRoot?: ParsedMetadata<RootSigned> | undefined;
  /** Pinning config; NO_PINNING for a root bootstrapped from the cache. */
  pinning: TrustPinning;
  now: Date;
  log: Logger;
  /** Reads a CA bundle (injected for tests). */
  readFile?: (path: string) => Buffer;
}

/** Go's ErrValidationFail: `could not validate the path to a trusted root: <reason>`. */
function validationFail(
  reason: string,
  code: 'TRUST_PINNING' | 'THRESHOLD' | 'METADATA_INVALID',
  hint: string,
  details: Record<string, unknown>,
): NotaryError {
  return new NotaryError(code, `could not validate the path to a trusted root: ${reason}`, { hint, details });
}

function isCaCert(c: X509Certificate): boolean {
  return c.ca;
}

/** Go's parseAllCerts: per root-role key, the bundle's unique leaf (first in the PEM) and intermediates. */
export function rootCertificates(root: RootSigned, log: Logger): RootCert[] {
  const out: RootCert[] = [];
  const role = root.roles['root'];
  if (!role) return out;
  for (const keyId of role.keyids) {
    const key: TufKey | undefined = root.keys[keyId];
    if (!key) continue;
    let certs: ParsedCertificate[];
    try {
      certs = parseCertificates(key.public.toString('utf8'));
    } catch (e) {
      log.debug(`error while parsing root certificate with keyID: ${keyId}, ${String(e)}`);
      continue;
    }
    const leaves = certs.filter((c) => !isCaCert(c.cert));
    if (leaves.length !== 1 || certs[0] === undefined || isCaCert(certs[0].cert)) {
      log.debug(
        `invalid chain due to leaf certificate missing or too many leaf certificates for keyID: ${keyId}`,
      );
      continue;
    }
    out.push({
      keyId,
      leaf: leaves[0] as ParsedCertificate,
      intermediates: certs.filter((c) => isCaCert(c.cert)),
    });
  }
  return out;
}

/** CN must equal the GUN, or end in `*` and be a prefix of it (tuf.md §7). */
function cnMatches(cn: string, gun: string): boolean {
  if (cn === gun) return true;
  return cn.endsWith('*') && gun.startsWith(cn.slice(0, -1));
}

/** Go's validRootLeafCerts: CN matches the GUN and the certificate is valid (expiry optional). */
function validLeafCerts(
  all: RootCert[],
  gun: string,
  checkExpiry: boolean,
  now: Date,
  log: Logger,
): RootCert[] {
  const valid: RootCert[] = [];
  for (const rc of all) {
    const cn = commonName(rc.leaf.cert);
    if (!cnMatches(cn, gun)) {
      log.debug(`error leaf certificate CN: ${cn} doesn't match the given GUN: ${gun}`);
      continue;
    }
    try {
      validateCertificate(rc.leaf, now, checkExpiry);
    } catch (e) {
      log.debug(`${rc.keyId} is invalid: ${String(e)}`);
      continue;
    }
    if (checkExpiry && new Date(rc.leaf.cert.validTo).getTime() < now.getTime() + SIX_MONTHS_MS) {
      log.warn(`certificate with CN ${cn} is near expiry`);
    }
    valid.push(rc);
  }
  return valid;
}

/** Number of distinct keys among `keyIds` (looked up in `keys`) with a valid signature on `root`. */
function signedBy(
  root: ParsedMetadata<RootSigned>,
  keys: Record<string, TufKey>,
  keyIds: string[],
  threshold: number,
): boolean {
  const subset: Record<string, TufKey> = {};
  for (const id of keyIds) {
    const k = keys[id];
    if (k) subset[id] = k;
  }
  const result = verifySignatures(root, subset, { keyids: Object.keys(subset), threshold });
  return result.validKeyIds.length >= threshold;
}

type PinCheck = (rc: RootCert) => boolean;

interface PinChecker {
  mode: 'certs' | 'ca' | 'tofu';
  check: PinCheck;
  /** What was pinned, for messages. */
  pinned: string;
}

/** Go's wildcardMatch: the longest `prefix*` key matching the GUN. */
function wildcardCerts(gun: string, certs: Record<string, string[]>): string[] | undefined {
  let longest = '';
  let ids: string[] | undefined;
  for (const [prefix, keyIds] of Object.entries(certs)) {
    if (!prefix.endsWith('*')) continue;
    if (gun.startsWith(prefix.slice(0, -1)) && prefix.length > longest.length) {
      longest = prefix;
      ids = keyIds;
    }
  }
  return ids;
}

/** Go's getPinnedCAFilepathByPrefix: the longest GUN prefix with a CA file. */
function pinnedCaPath(gun: string, ca: Record<string, string>): string | undefined {
  let best: string | undefined;
  let bestPrefix = '';
  for (const [prefix, path] of Object.entries(ca)) {
    if (gun.startsWith(prefix) && prefix.length >= bestPrefix.length) {
      bestPrefix = prefix;
      best = path;
    }
  }
  return best;
}

function validAt(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(c.validTo).getTime();
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  if (child.issuer !== issuer.subject) return false;
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Go's x509 Verify with the pinned CAs as roots and the bundle's intermediates: a chain must
 * exist, every certificate valid now, and (Go quirk, verified) the leaf's extended key usage must
 * allow serverAuth — a codeSigning-only leaf is rejected.
 */
function chainsToCa(rc: RootCert, cas: X509Certificate[], now: Date): boolean {
  const eku = rc.leaf.cert.keyUsage;
  if (eku !== undefined && eku.length > 0 && !eku.includes(OID_SERVER_AUTH) && !eku.includes(OID_ANY_EKU)) {
    return false;
  }
  const ints = rc.intermediates.map((i) => i.cert);
  const walk = (cert: X509Certificate, depth: number): boolean => {
    if (!validAt(cert, now)) return false;
    if (cas.some((ca) => issuedBy(cert, ca))) return true;
    if (depth >= 8) return false;
    return ints.some((i) => i !== cert && issuedBy(cert, i) && walk(i, depth + 1));
  };
  return walk(rc.leaf.cert, 0);
}

function pinChecker(input: RootValidationInput, firstBootstrap: boolean, seen: string[]): PinChecker {
  const { gun, pinning } = input;
  const details = { gun, rootKeyIds: seen };
  // Own keys only: a GUN such as `constructor` must not find Object.prototype's members.
  const exact = Object.hasOwn(pinning.certs, gun) ? pinning.certs[gun] : undefined;
  const ids = exact ?? wildcardCerts(gun, pinning.certs);
  if (ids !== undefined) {
    return { mode: 'certs', check: (rc) => ids.includes(rc.keyId), pinned: ids.join(', ') };
  }
  const caPath = pinnedCaPath(gun, pinning.ca);
  if (caPath !== undefined) {
    let pem: string;
    try {
      pem = (input.readFile ?? readFileSync)(caPath).toString('utf8');
    } catch (e) {
      throw new NotaryError(
        'TRUST_PINNING',
        'could not validate the path to a trusted root: could not load root cert from CA path',
        {
          cause: e,
          hint: `Check trust_pinning.ca for ${gun}: the file ${caPath} cannot be read.`,
          details: { ...details, caFile: caPath },
        },
      );
    }
    let certs: ParsedCertificate[] = [];
    try {
      certs = parseCertificates(pem);
    } catch {
      certs = [];
    }
    const valid = certs.filter((c) => {
      try {
        validateCertificate(c, input.now, true);
        return true;
      } catch (e) {
        input.log.debug(`ignoring root CA certificate with CN ${commonName(c.cert)} in bundle: ${String(e)}`);
        return false;
      }
    });
    if (valid.length === 0) {
      throw new NotaryError(
        'TRUST_PINNING',
        certs.length === 0
          ? 'could not validate the path to a trusted root: could not load root cert from CA path'
          : 'could not validate the path to a trusted root: invalid CA certs provided',
        {
          hint: `trust_pinning.ca for ${gun} names ${caPath}, which holds no valid, unexpired CA certificate.`,
          details: { ...details, caFile: caPath },
        },
      );
    }
    const cas = valid.map((c) => c.cert);
    return { mode: 'ca', check: (rc) => chainsToCa(rc, cas, input.now), pinned: `CA ${caPath}` };
  }
  if (pinning.disableTofu && firstBootstrap) {
    throw validationFail(
      'invalid trust pinning specified',
      'TRUST_PINNING',
      `TOFU is disabled (trust_pinning.disable_tofu) and neither trust_pinning.certs nor trust_pinning.ca covers ${gun}; pin its root certificate IDs (${seen.join(', ') || 'none seen'}) or a CA.`,
      details,
    );
  }
  return { mode: 'tofu', check: () => true, pinned: 'TOFU' };
}

/**
 * Validates a root as Go's trustpinning.ValidateRoot does; throws NotaryError with Go's text.
 * Expiry and version are the caller's business (as in Go's builder).
 */
export function validateRoot(input: RootValidationInput): void {
  const { gun, root, prevRoot, now, log } = input;
  const rootRole = root.signed.roles['root'];
  if (!rootRole) {
    throw new NotaryError('METADATA_INVALID', 'root type metadata invalid: missing root role');
  }
  const all = rootCertificates(root.signed, log);
  const seen = all.map((rc) => rc.keyId);
  const fromRoot = validLeafCerts(all, gun, true, now, log);
  if (fromRoot.length === 0) {
    throw validationFail(
      'unable to retrieve valid leaf certificates',
      'METADATA_INVALID',
      `The root of ${gun} has no unexpired certificate whose CN is ${gun} (root key IDs: ${root.signed.roles['root']?.keyids.join(', ') ?? ''}).`,
      { gun, rootKeyIds: rootRole.keyids },
    );
  }

  if (prevRoot) {
    const trusted = validLeafCerts(rootCertificates(prevRoot.signed, log), gun, false, now, log);
    if (trusted.length === 0) {
      throw validationFail(
        'could not retrieve trusted certs from previous root role data',
        'METADATA_INVALID',
        `The trusted root of ${gun} in the local cache has no certificate for ${gun}; remove the local data with "tsnotary delete ${gun}" only if you trust the server's root.`,
        { gun },
      );
    }
    const prevThreshold = prevRoot.signed.roles['root']?.threshold ?? 1;
    const ids = trusted.map((t) => t.keyId);
    if (!signedBy(root, prevRoot.signed.keys, ids, prevThreshold)) {
      throw new NotaryError(
        'ROOT_ROTATION',
        'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates',
        {
          hint: `The server's root for ${gun} (version ${root.signed.version}) is not signed by the root keys you trust (${ids.join(', ')}, version ${prevRoot.signed.version}). If the repository was re-created on purpose, remove the local trust data with "tsnotary delete ${gun}" and list again; otherwise treat it as an attack.`,
          details: {
            gun,
            trustedKeyIds: ids,
            newRootKeyIds: rootRole.keyids,
            newVersion: root.signed.version,
            trustedVersion: prevRoot.signed.version,
          },
        },
      );
    }
  }

  const checker = pinChecker(input, prevRoot === undefined, seen);
  const pinned = fromRoot.filter((rc) => {
    const ok = checker.check(rc);
    if (!ok) log.debug(`trust-pinning check failed for cert: ${rc.keyId}`);
    return ok;
  });
  if (pinned.length === 0) {
    throw validationFail(
      'unable to match any certificates to trust_pinning config',
      'TRUST_PINNING',
      `trust_pinning for ${gun} allows ${checker.pinned}, but the root served has certificate key IDs ${seen.join(', ') || '(none)'}.`,
      { gun, pinned: checker.pinned, rootKeyIds: seen },
    );
  }
  if (
    !signedBy(
      root,
      root.signed.keys,
      pinned.map((p) => p.keyId),
      rootRole.threshold,
    )
  ) {
    throw validationFail(
      'failed to validate integrity of roots',
      'THRESHOLD',
      `root.json of ${gun} is not signed by ${rootRole.threshold} of its own valid root certificates (${pinned.map((p) => p.keyId).join(', ')}).`,
      { gun, threshold: rootRole.threshold, keyIds: pinned.map((p) => p.keyId) },
    );
  }
}

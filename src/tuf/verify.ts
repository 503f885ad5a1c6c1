/**
 * Signature threshold checks as Go's signed.VerifySignatures (spec tuf.md §4):
 * signatures by keys outside the role are ignored; a listed key whose computed ID differs from
 * its key ID is a hard error; bad or mismatched-method signatures are ignored; distinct valid
 * key IDs must reach the threshold.
 */
import { verifyData } from '../crypto/sign.js';
import { NotaryError } from '../errors.js';
import { canonicalKeyId, publicKeyObjectOf, tufKeyId } from './keys.js';
import type { RoleKeys, RoleName, Signature, ThresholdResult, TufKey } from './types.js';

/** What is needed to check signatures: the role name, C, and the signatures. */
export interface Verifiable {
  role: RoleName;
  /** C: canonical JSON of the `signed` tree */
  canonical: Uint8Array;
  signatures: readonly Signature[];
}

/** Does `sig` verify over `data` with `key`? Never throws. */
export function verifySignature(key: TufKey, sig: Signature, data: Uint8Array): boolean {
  try {
    return verifyData(publicKeyObjectOf(key), key.keytype, sig.method, sig.sig, data);
  } catch {
    return false; // unusable key (bad certificate, short RSA...): Go skips it
  }
}

/**
 * Count distinct role keys with a valid signature. Throws SIGNATURE for no signatures or a key
 * whose content does not match its ID, THRESHOLD for a threshold < 1; otherwise returns who
 * signed (the caller decides with requireThreshold).
 */
export function verifySignatures(
  meta: Verifiable,
  keys: Readonly<Record<string, TufKey>>,
  role: RoleKeys,
): ThresholdResult {
  if (meta.signatures.length === 0) {
    throw new NotaryError('SIGNATURE', 'tuf: data has no signatures', {
      details: { role: meta.role },
      hint: `The ${meta.role} metadata is unsigned; it was not produced by a notary client.`,
    });
  }
  if (role.threshold < 1) {
    throw new NotaryError('THRESHOLD', 'valid signatures did not meet threshold', {
      details: { role: meta.role, needed: role.threshold },
    });
  }
  const roleKeyIds = [...new Set(role.keyids)];
  const valid = new Set<string>();
  for (const sig of meta.signatures) {
    if (!roleKeyIds.includes(sig.keyid)) continue;
    const key = keys[sig.keyid];
    if (!key) continue; // listed in the role but absent from the key map: Go has no key to use
    if (tufKeyId(key) !== sig.keyid) {
      throw new NotaryError('SIGNATURE', 'key ID is not valid for key content', {
        details: { role: meta.role, keyId: sig.keyid, computedKeyId: tufKeyId(key) },
        hint: `The key listed as ${sig.keyid} for ${meta.role} hashes to ${tufKeyId(key)}; the metadata was tampered with.`,
      });
    }
    if (valid.has(sig.keyid)) continue;
    if (verifySignature(key, sig, meta.canonical)) valid.add(sig.keyid);
  }
  return { role: meta.role, threshold: role.threshold, validKeyIds: [...valid], roleKeyIds };
}

/** Throws THRESHOLD `valid signatures did not meet threshold for <role>` naming who signed and who was needed. */
export function assertThreshold(result: ThresholdResult, keys?: Readonly<Record<string, TufKey>>): void {
  if (result.validKeyIds.length >= result.threshold) return;
  const describe = (id: string) => {
    const k = keys?.[id];
    if (!k) return id;
    try {
      const canonical = canonicalKeyId(k);
      return canonical === id ? id : `${id} (key file ${canonical})`;
    } catch {
      return id;
    }
  };
  const signed = result.validKeyIds.length ? result.validKeyIds.map(describe).join(', ') : 'none';
  throw new NotaryError('THRESHOLD', `valid signatures did not meet threshold for ${result.role}`, {
    details: {
      role: result.role,
      needed: result.threshold,
      valid: result.validKeyIds,
      roleKeyIds: result.roleKeyIds,
    },
    hint:
      `${result.role} needs ${result.threshold} valid signature(s) from: ${result.roleKeyIds.map(describe).join(', ') || 'no keys'}; ` +
      `valid signatures from: ${signed}.`,
  });
}

/** verifySignatures + assertThreshold. */
export function requireThreshold(
  meta: Verifiable,
  keys: Readonly<Record<string, TufKey>>,
  role: RoleKeys,
): ThresholdResult {
  const result = verifySignatures(meta, keys, role);
  assertThreshold(result, keys);
  return result;
}

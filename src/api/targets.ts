/**
 * Targets as the library and `--format json` present them, and the checks `verify` makes:
 * Go's ErrNoSuchTarget (with the roles that were not trusted) and Go's CheckHashes over
 * digests computed while the data streamed in. One implementation for the CLI and the API.
 */
import { NotaryError } from '../errors.js';
import type { TargetWithRole } from '../repo/state.js';
import { StreamingHasher } from '../tuf/hashes.js';
import type { FileMeta } from '../tuf/types.js';
import type { SkippedRole, Target, TargetDigest } from './options.js';

/** The public form of a target: hex digests in algorithm order, custom JSON when present. */
export function toTarget(t: TargetWithRole): Target {
  const hashes: Record<string, string> = {};
  for (const alg of Object.keys(t.hashes).sort()) hashes[alg] = (t.hashes[alg] as Buffer).toString('hex');
  const out: Target = { name: t.name, role: t.role, length: t.length, hashes };
  if (t.custom !== undefined) out.custom = t.custom;
  return out;
}

/** Go's ErrNoSuchTarget, naming the roles that were ignored as untrusted. */
export function noSuchTarget(gun: string, name: string, skipped: readonly SkippedRole[] = []): NotaryError {
  // The seeds' troubleshooting case: the target exists, but in a role that is not trusted.
  const untrusted =
    skipped.length > 0
      ? ` These roles were not trusted and were ignored: ${skipped.map((s) => `${s.role} (${s.reason})`).join('; ')}.`
      : '';
  return new NotaryError('NOT_FOUND', `No valid trust data for ${name}`, {
    hint: `No trusted role of ${gun} lists the target ${JSON.stringify(name)}; "tsnotary list ${gun}" shows what is there.${untrusted}`,
    details: { gun, target: name, skipped },
  });
}

/** A caller's digest (hex) as the internal FileMeta, refusing malformed hex. */
export function digestMeta(d: TargetDigest): FileMeta {
  const hashes: Record<string, Buffer> = {};
  const take = (alg: 'sha256' | 'sha512', hexLen: number) => {
    const v = d[alg];
    if (v === undefined) return;
    if (v.length !== hexLen || !/^[0-9a-fA-F]*$/.test(v)) {
      throw new NotaryError('INVALID_INPUT', `invalid ${alg} hex contents provided`, {
        hint: `${alg} takes exactly ${hexLen} hexadecimal characters.`,
      });
    }
    hashes[alg] = Buffer.from(v, 'hex');
  };
  take('sha256', 64);
  take('sha512', 128);
  if (Object.keys(hashes).length === 0) {
    throw new NotaryError('INVALID_INPUT', 'at least one of sha256 and sha512 is required');
  }
  if (!Number.isSafeInteger(d.length) || d.length < 0) {
    throw new NotaryError('INVALID_INPUT', `invalid byte size ${d.length}: not a non-negative integer`);
  }
  return { length: d.length, hashes };
}

/** Length, SHA-256 and SHA-512 of bytes or a stream, in one pass. */
export async function hashContent(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<FileMeta> {
  const hasher = new StreamingHasher();
  if (data instanceof Uint8Array) hasher.update(data);
  else for await (const chunk of data) hasher.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return hasher.digest();
}

/**
 * Go's CheckHashes over the streamed digests: every known algorithm the target lists must match
 * (`data not present in the trusted collection, <alg> checksum for <TARGET> did not match:
 * expected <hex>`); at least one must be listed.
 */
export function checkStreamedHashes(got: FileMeta, t: TargetWithRole, name: string): void {
  let checked = 0;
  const prefix = 'data not present in the trusted collection, ';
  for (const [alg, want] of Object.entries(t.hashes)) {
    const have = got.hashes[alg];
    if (alg !== 'sha256' && alg !== 'sha512') continue;
    if (!have?.equals(want)) {
      throw new NotaryError(
        'HASH_MISMATCH',
        `${prefix}${alg} checksum for ${name} did not match: expected ${want.toString('hex')}`,
        {
          hint: `The data (${got.length} bytes) is not the trusted content of ${name} (${t.length} bytes, role ${t.role}).`,
          details: {
            target: name,
            role: t.role,
            algorithm: alg,
            expected: want.toString('hex'),
            actual: have?.toString('hex'),
            expectedLength: t.length,
            actualLength: got.length,
          },
        },
      );
    }
    checked++;
  }
  if (checked === 0) {
    throw new NotaryError(
      'HASH_MISMATCH',
      `${prefix}no checksums for supported algorithms were provided for ${name}`,
      {
        details: { target: name, role: t.role },
      },
    );
  }
}

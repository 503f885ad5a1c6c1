/**
 * File meta (length + hashes) as notary writes it into targets/snapshot/timestamp, and Go's
 * CheckHashes semantics (spec tuf.md §5).
 */
import { createHash, type Hash, timingSafeEqual } from 'node:crypto';
import { NotaryError } from '../errors.js';
import type { FileMeta, RoleName } from './types.js';

/** Digest sizes of the algorithms notary knows; other names in `hashes` are carried but ignored. */
export const KNOWN_HASHES: Readonly<Record<string, number>> = { sha256: 32, sha512: 64 };

/** Length, sha256 and sha512 of `bytes` (what `notary add` and snapshot generation write). */
export function fileMeta(bytes: Uint8Array, custom?: unknown): FileMeta {
  const meta: FileMeta = {
    length: bytes.length,
    hashes: {
      sha256: createHash('sha256').update(bytes).digest(),
      sha512: createHash('sha512').update(bytes).digest(),
    },
  };
  if (custom !== undefined && custom !== null) meta.custom = custom;
  return meta;
}

/**
 * Go's CheckHashes plus a length check: every known algorithm listed must match, at least one
 * must be listed. Throws HASH_MISMATCH `<alg> checksum for <role> did not match: expected <hex>`.
 */
export function checkFileMeta(bytes: Uint8Array, expected: FileMeta, role: RoleName): void {
  let checked = 0;
  for (const [alg, want] of Object.entries(expected.hashes)) {
    if (!(alg in KNOWN_HASHES)) continue;
    const got = createHash(alg).update(bytes).digest();
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new NotaryError(
        'HASH_MISMATCH',
        `${alg} checksum for ${role} did not match: expected ${want.toString('hex')}`,
        {
          details: { role, algorithm: alg, expected: want.toString('hex'), actual: got.toString('hex') },
          hint: 'The data does not match what the signed metadata promises: it was modified or is stale.',
        },
      );
    }
    checked++;
  }
  if (checked === 0) {
    throw new NotaryError(
      'HASH_MISMATCH',
      `no checksums for supported algorithms were provided for ${role}`,
      {
        details: { role },
      },
    );
  }
  if (bytes.length !== expected.length) {
    throw new NotaryError(
      'HASH_MISMATCH',
      `length for ${role} did not match: expected ${expected.length} bytes, got ${bytes.length}`,
      { details: { role, expected: expected.length, actual: bytes.length } },
    );
  }
}

/**
 * Go's CheckValidHashStructures: known algorithms must have the right digest size and at least
 * one must be present. Returns an error text or undefined.
 */
export function hashStructureProblem(hashes: Record<string, Buffer>): string | undefined {
  let count = 0;
  for (const [alg, digest] of Object.entries(hashes)) {
    const size = KNOWN_HASHES[alg];
    if (size === undefined) continue;
    if (digest.length !== size) return `${alg} checksum invalid`;
    count++;
  }
  return count === 0 ? 'at least one supported hash needed' : undefined;
}

/** sha256 and sha512 over a stream in one pass (`verify` reads inputs of hundreds of MB). */
export class StreamingHasher {
  private readonly sha256: Hash = createHash('sha256');
  private readonly sha512: Hash = createHash('sha512');
  private length = 0;

  update(chunk: Uint8Array): this {
    this.sha256.update(chunk);
    this.sha512.update(chunk);
    this.length += chunk.length;
    return this;
  }

  /** The file meta of everything seen so far; the hasher cannot be used afterwards. */
  digest(): FileMeta {
    return { length: this.length, hashes: { sha256: this.sha256.digest(), sha512: this.sha512.digest() } };
  }

  /** Hash a whole stream (e.g. fs.createReadStream or process.stdin). */
  static async fromStream(stream: AsyncIterable<Uint8Array | string>): Promise<FileMeta> {
    const h = new StreamingHasher();
    for await (const chunk of stream) h.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return h.digest();
  }
}

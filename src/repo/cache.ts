/**
 * The local metadata cache `<trust_dir>/tuf/<gun>/metadata/<role>.json` (spec on-disk.md §6).
 * Holds the exact bytes received from the server (or produced by `init`); never re-serialised.
 * Delegations nest like their name: `targets/a/b` -> `metadata/targets/a/b.json`.
 *
 * Writes are atomic (Go deletes the old file first, then writes — a crash loses the cache);
 * reads are capped at 100 MiB like Go's MaxDownloadSize.
 */
import { open, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDir, writeFileAtomic } from '../atomic-file.js';
import { errorMessage, NotaryError } from '../errors.js';
import { isInside, type RepoPaths, repoPaths } from './paths.js';

/** Go's notary.MaxDownloadSize: 100 MiB. */
export const MAX_METADATA_SIZE = 100 << 20;

const ROLE_RE = /^[-A-Za-z0-9_.]+(?:\/[-A-Za-z0-9_.]+)*$/;

export class MetadataCache {
  readonly paths: RepoPaths;

  constructor(
    readonly trustDir: string,
    readonly gun: string,
  ) {
    this.paths = repoPaths(trustDir, gun);
  }

  /** Path of a role's cached file. Refuses names that could leave the metadata directory. */
  fileOf(role: string): string {
    const segments = role.split('/');
    if (!ROLE_RE.test(role) || segments.some((s) => s === '.' || s === '..')) {
      throw new NotaryError('INVALID_ROLE', `tuf: invalid role ${role}. invalid delegation role name`, {
        details: { role },
      });
    }
    const file = join(this.paths.metadataDir, ...segments.slice(0, -1), `${segments.at(-1)}.json`);
    if (!isInside(this.paths.metadataDir, file)) {
      throw new NotaryError('INVALID_ROLE', `tuf: invalid role ${role}. invalid delegation role name`);
    }
    return file;
  }

  /**
   * The cached bytes of `role`, or undefined when not cached. `maxSize` (default 100 MiB) caps
   * the read: a larger file is an error, never read into memory.
   */
  async read(role: string, maxSize: number = MAX_METADATA_SIZE): Promise<Buffer | undefined> {
    const file = this.fileOf(role);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new NotaryError('IO', `could not read cached ${role} metadata ${file}: ${errorMessage(e)}`, {
        cause: e,
      });
    }
    try {
      const { size } = await handle.stat();
      if (size > maxSize) {
        throw new NotaryError(
          'METADATA_INVALID',
          `cached ${role} metadata is too large (${size} bytes, limit ${maxSize})`,
          {
            hint: `Delete ${file}; it will be downloaded again.`,
            details: { role, size, limit: maxSize },
          },
        );
      }
      const buf = Buffer.alloc(size);
      let off = 0;
      while (off < size) {
        const { bytesRead } = await handle.read(buf, off, size - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return off === size ? buf : buf.subarray(0, off);
    } finally {
      await handle.close();
    }
  }

  /** Stores `bytes` as the cached file of `role` (atomic, mode 0600, dirs 0700). */
  async write(role: string, bytes: Uint8Array): Promise<void> {
    const file = this.fileOf(role);
    try {
      await writeFileAtomic(file, bytes);
    } catch (e) {
      throw new NotaryError('IO', `could not write cached ${role} metadata ${file}: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  }

  /** Removes the cached file of `role` (no error when absent); the removal is fsynced. */
  async remove(role: string): Promise<void> {
    const file = this.fileOf(role);
    await rm(file, { force: true });
    await syncDir(dirname(file));
  }

  /** Removes the whole metadata cache of this repository. */
  async removeAll(): Promise<void> {
    await rm(this.paths.metadataDir, { recursive: true, force: true });
  }
}

/**
 * `notary delete`: removes the repository's metadata cache and changelist. Unlike Go (which
 * removes `tuf/<gun>/` recursively), repositories whose GUN extends this one (`a/b` below `a`)
 * are kept; the GUN directory itself goes only when nothing else is left in it.
 */
export async function deleteLocalRepoData(trustDir: string, gun: string): Promise<void> {
  const paths = repoPaths(trustDir, gun);
  try {
    await rm(paths.metadataDir, { recursive: true, force: true });
    await rm(paths.changelistDir, { recursive: true, force: true });
    const st = await stat(paths.repoDir).catch(() => undefined);
    if (st?.isDirectory()) await rmdir(paths.repoDir).catch(() => {});
  } catch (e) {
    throw new NotaryError('IO', `error clearing TUF repo data: ${errorMessage(e)}`, { cause: e });
  }
}

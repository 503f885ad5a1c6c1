/**
 * Crash-safe file writes for everything tsnotary persists (keys, metadata cache, changelist).
 *
 * Go notary writes in place (`ioutil.WriteFile`, or delete-then-write for metadata), so a kill at
 * the wrong moment leaves an empty or half-written file that breaks later commands. We write a
 * temp file on the same file system, fsync it, and rename it over the target: readers (including
 * a concurrently running Go client) see either the old or the new content, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of every private file notary writes (keys, metadata, changes, exports). */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every directory notary creates. Existing directories are left as they are (as Go). */
export const PRIVATE_DIR_MODE = 0o700;

export interface AtomicWriteOptions {
  /** File mode of the result (default 0600). Applied with fchmod, so the umask cannot widen it. */
  mode?: number;
  /**
   * Directory for the temp file (default: the target's directory). Must be on the same file
   * system. The changelist uses a sub-directory so that Go, which counts every non-directory
   * entry of `changelist/`, never sees a temp file.
   */
  tmpDir?: string;
}

function tempPath(file: string, tmpDir: string | undefined): string {
  return join(tmpDir ?? dirname(file), `.${basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
}

/** `mkdir -p` with mode 0700 for the directories it creates. */
export async function ensureDir(dir: string, mode: number = PRIVATE_DIR_MODE): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
}

/** Synchronous `ensureDir`. */
export function ensureDirSync(dir: string, mode: number = PRIVATE_DIR_MODE): void {
  mkdirSync(dir, { recursive: true, mode });
}

/** Best-effort fsync of a directory so the rename itself survives a power loss. */
async function syncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the data itself is already synced.
  }
}

/**
 * Writes `data` to `file` atomically: temp file (created exclusively, mode 0600) + write +
 * fsync + rename. Creates the parent directory (0700) when missing. On failure the temp file is
 * removed and the previous content of `file` is untouched.
 */
export async function writeFileAtomic(
  file: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? PRIVATE_FILE_MODE;
  await ensureDir(dirname(file));
  if (options.tmpDir !== undefined) await ensureDir(options.tmpDir);
  const tmp = tempPath(file, options.tmpDir);
  const handle = await open(tmp, 'wx', mode);
  let renamed = false;
  try {
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {});
  }
  await syncDir(dirname(file));
}

/** Synchronous `writeFileAtomic` (same guarantees, for callers that cannot be async). */
export function writeFileAtomicSync(
  file: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): void {
  const mode = options.mode ?? PRIVATE_FILE_MODE;
  ensureDirSync(dirname(file));
  if (options.tmpDir !== undefined) ensureDirSync(options.tmpDir);
  const tmp = tempPath(file, options.tmpDir);
  const fd = openSync(tmp, 'wx', mode);
  let renamed = false;
  try {
    try {
      fchmodSync(fd, mode);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }
}

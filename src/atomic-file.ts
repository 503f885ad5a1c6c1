/**
 * Crash-safe file writes for everything tsnotary persists (keys, metadata cache, changelist).
 *
 * Go notary writes in place (`ioutil.WriteFile`, or delete-then-write for metadata), so a kill at
 * the wrong moment leaves an empty or half-written file that breaks later commands. We write a
 * temp file on the same file system, fsync it, and rename it over the target: readers (including
 * a concurrently running Go client) see either the old or the new content, never a torn one.
 *
 * A process killed between creating the temp file and renaming it leaves the temp file behind
 * (`kill -9` during `key rotate` left an empty `.timestamp.json.tmp-…`). Temp names therefore
 * carry their owner (`.<name>.tmp-<pid>-<host tag>-<random>`), and the first write of a process
 * into a directory removes the temp files of owners that are gone: same host and the pid no
 * longer runs, or older than STALE_TEMP_AGE_MS whoever wrote them. No reader mistakes a temp
 * file for data: its name never ends in `.key`, `.json` or `.change`, and change files are
 * staged in a sub-directory (Go reads every file of `changelist/`, but skips directories).
 */
import {
  closeSync,
  fchmodSync,
  promises as fsp,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { nodeCrypto } from './lazy-builtin.js';
import { currentOwner, hostTag, isProcessAlive } from './process-owner.js';

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

/**
 * A temp file whose owner may still be writing it is never removed before this age (an owner
 * on another host, or a name without an owner written by an older tsnotary). Writing a temp
 * file takes milliseconds; an hour leaves room for a stalled network file system.
 */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000;

/** `.<target>.tmp-<pid>-<host tag>-<random>`, or the owner-less `.<target>.tmp-<12 hex>` of older builds. */
const TEMP_NAME = /^\..+\.tmp-(?:(\d{1,10})-([0-9a-f]{8})-[0-9a-f]{8}|[0-9a-f]{12})$/;

/** The owner a temp file name records; undefined when `name` is not one of our temp files. */
export function parseTempName(name: string): { pid?: number; hostTag?: string } | undefined {
  const m = TEMP_NAME.exec(name);
  if (!m) return undefined;
  return m[1] === undefined ? {} : { pid: Number(m[1]), hostTag: m[2]! };
}

/** True when `name` follows our temp naming (any owner). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Name of a new temp file for `target` (exported for tests). */
export function tempName(target: string): string {
  return `.${target}.tmp-${currentOwner().pid}-${hostTag()}-${nodeCrypto().randomBytes(4).toString('hex')}`;
}

function tempPath(file: string, tmpDir: string | undefined): string {
  return join(tmpDir ?? dirname(file), tempName(basename(file)));
}

export interface SweepOptions {
  /** Wall clock in ms (tests). */
  nowMs?: number;
  /** Liveness probe for pids of this host (tests). */
  isAlive?: (pid: number) => boolean;
  /** Age after which any temp file is stale (default STALE_TEMP_AGE_MS). */
  maxAgeMs?: number;
}

/** Whether a temp file (already known to follow our naming) is abandoned. */
function abandoned(
  owner: { pid?: number; hostTag?: string },
  mtimeMs: () => number | undefined,
  o: SweepOptions,
): boolean {
  if (owner.pid !== undefined && owner.hostTag === hostTag()) {
    if (owner.pid === currentOwner().pid) return false; // ours: being written right now
    if (!(o.isAlive ?? isProcessAlive)(owner.pid)) return true;
  }
  const mtime = mtimeMs();
  return mtime !== undefined && (o.nowMs ?? Date.now()) - mtime > (o.maxAgeMs ?? STALE_TEMP_AGE_MS);
}

/**
 * Removes the abandoned temp files of `dir` (see the module comment); returns their names.
 * Never throws: a directory that cannot be read or a file that vanished is simply skipped.
 */
export async function sweepStaleTemps(dir: string, o: SweepOptions = {}): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = parseTempName(name);
    if (!owner) continue;
    const file = join(dir, name);
    let mtime: number | undefined;
    try {
      mtime = (await fsp.stat(file)).mtimeMs;
    } catch {
      continue;
    }
    if (!abandoned(owner, () => mtime, o)) continue;
    try {
      await fsp.unlink(file);
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/** Synchronous `sweepStaleTemps`. */
export function sweepStaleTempsSync(dir: string, o: SweepOptions = {}): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = parseTempName(name);
    if (!owner) continue;
    const file = join(dir, name);
    const mtime = () => {
      try {
        return statSync(file).mtimeMs;
      } catch {
        return undefined;
      }
    };
    if (!abandoned(owner, mtime, o)) continue;
    try {
      unlinkSync(file);
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/** Directories this process has swept already: one readdir per directory per run is enough. */
const swept = new Set<string>();

async function sweepOnce(dir: string): Promise<void> {
  if (swept.has(dir)) return;
  swept.add(dir);
  await sweepStaleTemps(dir);
}

function sweepOnceSync(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  sweepStaleTempsSync(dir);
}

/**
 * `mkdir -p` with mode 0700 for the directories it creates. When it created any, the parent
 * of the first one is fsynced so the new directory entry survives a power loss.
 */
export async function ensureDir(dir: string, mode: number = PRIVATE_DIR_MODE): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true, mode });
  if (first !== undefined) await syncDir(dirname(first));
}

/** Synchronous `ensureDir`. */
export function ensureDirSync(dir: string, mode: number = PRIVATE_DIR_MODE): void {
  const first = mkdirSync(dir, { recursive: true, mode });
  if (first !== undefined) syncDirSync(dirname(first));
}

/** Best-effort fsync of a directory so the rename itself survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fsp.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the data itself is already synced.
  }
}

/** Synchronous `syncDir`. */
export function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // see syncDir
  } finally {
    if (fd !== undefined) closeSync(fd);
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
  await sweepOnce(options.tmpDir ?? dirname(file));
  const tmp = tempPath(file, options.tmpDir);
  const handle = await fsp.open(tmp, 'wx', mode);
  let renamed = false;
  try {
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) await fsp.unlink(tmp).catch(() => {});
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
  sweepOnceSync(options.tmpDir ?? dirname(file));
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
  syncDirSync(dirname(file));
}

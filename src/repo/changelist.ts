/**
 * The on-disk changelist of a repository: `<trust_dir>/tuf/<gun>/changelist/`, one Go-format
 * JSON file per staged change (spec on-disk.md §7). Shared with Go notary byte for byte:
 * Go reads the files we write and we read (and keep) the ones it writes.
 *
 * Beyond Go:
 * - files are written atomically (temp file in `changelist/.staging/`, then rename), so a kill
 *   never leaves a half-written change (Go does, and then refuses every publish);
 * - a change file that cannot be parsed is named in a warning and, once it is older than a short
 *   grace period (so a file another process is still writing is never touched), moved to
 *   `changelist/.corrupt/` where the user can inspect it. Go skips directories, so both clients
 *   then agree on the numbering again, and the other changes are never blocked;
 * - new file names are strictly increasing even if the clock goes backwards, so staging order
 *   is always application order;
 * - publish removes exactly the files it applied (`removeFiles`), so a change staged while a
 *   publish runs is not lost.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../atomic-file.js';
import { clipForMessage, errorMessage, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import { decodeGoBase64, GoJsonSyntaxError, goJsonString, scanGoJson } from './go-json.js';
import { repoPaths } from './paths.js';

export type ChangeAction = 'create' | 'update' | 'delete';
export type ChangeType = 'target' | 'delegation' | 'witness' | 'role';

/** One staged change, as Go's `changelist.TUFChange`. */
export interface Change {
  action: ChangeAction;
  /** The scope: `targets`, `targets/<x>`, `targets/*` (purge), `root` (in-memory only). */
  role: string;
  type: ChangeType;
  /** Target name for `target` changes, `""` otherwise. */
  path: string;
  /** The payload JSON bytes (stored base64 in the file), or null. */
  data: Buffer | null;
}

/** A change read from disk. */
export interface StagedChange extends Change {
  /** File name inside the changelist directory. */
  file: string;
  /**
   * Position among all non-directory entries of the directory in name order — the number Go's
   * `reset -n` uses (unparseable files count too, a Go quirk kept for compatibility).
   */
  index: number;
}

/** Name of the sub-directory unparseable change files are moved to. */
export const CORRUPT_DIR = '.corrupt';
/** Name of the sub-directory holding temp files while a change is written. */
export const STAGING_DIR = '.staging';
/** Unparseable files younger than this may still be being written by another process. */
export const CORRUPT_GRACE_MS = 10_000;

const ACTIONS: readonly string[] = ['create', 'update', 'delete'];
const TYPES: readonly string[] = ['target', 'delegation', 'witness', 'role'];

/** The file bytes Go's `json.Marshal(TUFChange)` produces (no trailing newline). */
export function serializeChange(change: Change): Buffer {
  const data = change.data === null ? 'null' : `"${change.data.toString('base64')}"`;
  return Buffer.from(
    `{"action":${goJsonString(change.action)},"role":${goJsonString(change.role)},` +
      `"type":${goJsonString(change.type)},"path":${goJsonString(change.path)},"data":${data}}`,
    'utf8',
  );
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // number, string
}

const FIELDS = ['action', 'role', 'type', 'path', 'data'] as const;
type Field = (typeof FIELDS)[number];

/** A change file that cannot be read as a change (Go's Unmarshal text where Go has one). */
function changeFileError(message: string, cause?: unknown): NotaryError {
  return new NotaryError('CHANGELIST', clipForMessage(message), {
    cause,
    hint: 'The change file is damaged; remove it with `tsnotary reset` and stage the change again.',
  });
}

/**
 * Parses a change file the way Go's `json.Unmarshal` into `TUFChange` does (case-insensitive
 * field names, unknown fields ignored, `data` as padded standard base64), plus a sanity check
 * that it really is a change. Throws NotaryError CHANGELIST whose message is Go's where Go has one.
 */
export function parseChange(bytes: Uint8Array): Change {
  try {
    scanGoJson(bytes);
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) throw changeFileError(e.message, e);
    throw e;
  }
  const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
  if (value === null) throw changeFileError('not a change: the file holds JSON null');
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw changeFileError(
      `json: cannot unmarshal ${jsonKind(value)} into Go value of type changelist.TUFChange`,
    );
  }
  const fields: Record<Field, unknown> = {
    action: undefined,
    role: undefined,
    type: undefined,
    path: undefined,
    data: undefined,
  };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = FIELDS.find((f) => f === key) ?? FIELDS.find((f) => f === key.toLowerCase());
    if (field !== undefined) fields[field] = v;
  }
  const str = (f: Exclude<Field, 'data'>): string => {
    const v = fields[f];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      throw changeFileError(
        `json: cannot unmarshal ${jsonKind(v)} into Go struct field TUFChange.${f} of type string`,
      );
    }
    return v;
  };
  const action = str('action');
  const role = str('role');
  const type = str('type');
  const path = str('path');
  let data: Buffer | null = null;
  if (typeof fields.data === 'string') {
    try {
      data = decodeGoBase64(fields.data);
    } catch (e) {
      throw changeFileError(errorMessage(e), e);
    }
  } else if (fields.data !== undefined && fields.data !== null) {
    throw changeFileError(
      `json: cannot unmarshal ${jsonKind(fields.data)} into Go struct field TUFChange.data of type []uint8`,
    );
  }
  if (!ACTIONS.includes(action))
    throw changeFileError(`not a change: unknown action ${JSON.stringify(action)}`);
  if (!TYPES.includes(type)) throw changeFileError(`not a change: unknown type ${JSON.stringify(type)}`);
  if (role === '') throw changeFileError('not a change: no role (scope)');
  return { action: action as ChangeAction, role, type: type as ChangeType, path, data };
}

/** `%020d_<uuid>.change` */
export function changeFileName(ns: bigint, uuid: string): string {
  return `${ns.toString().padStart(20, '0')}_${uuid}.change`;
}

const CLOCK_OFFSET = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
/** Wall-clock nanoseconds since the epoch, monotonic within this process. */
export function nowNanos(): bigint {
  return process.hrtime.bigint() + CLOCK_OFFSET;
}

let lastIssued = 0n;

function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface ChangelistOptions {
  log: Logger;
  /** Nanosecond clock for file names (tests). */
  now?: () => bigint;
  /** Wall clock in ms, to age unparseable files (tests). */
  nowMs?: () => number;
  /** Override CORRUPT_GRACE_MS (tests). */
  corruptGraceMs?: number;
}

interface Entry {
  name: string;
  index: number;
}

export class Changelist {
  private readonly log: Logger;
  private readonly now: () => bigint;
  private readonly nowMs: () => number;
  private readonly graceMs: number;

  constructor(
    readonly dir: string,
    options: ChangelistOptions,
  ) {
    this.log = options.log;
    this.now = options.now ?? nowNanos;
    this.nowMs = options.nowMs ?? Date.now;
    this.graceMs = options.corruptGraceMs ?? CORRUPT_GRACE_MS;
  }

  /** Every non-directory entry, sorted by name bytes (Go's getFileNames). Missing dir = empty. */
  private async entries(): Promise<Entry[]> {
    let dirents: import('node:fs').Dirent[];
    try {
      dirents = await readdir(this.dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new NotaryError('IO', `could not read changelist ${this.dir}: ${errorMessage(e)}`, { cause: e });
    }
    return dirents
      .filter((d) => !d.isDirectory())
      .map((d) => d.name)
      .sort(compareNames)
      .map((name, index) => ({ name, index }));
  }

  /**
   * The parseable changes in order. Unparseable files are reported with `log.warn` and skipped;
   * once older than the grace period they are moved to `.corrupt/`.
   */
  async list(): Promise<StagedChange[]> {
    const first = await this.read(true);
    // Positions shift when a file was set aside: read again so `index` matches `reset -n`.
    return first.movedAny ? (await this.read(false)).changes : first.changes;
  }

  private async read(mayMove: boolean): Promise<{ changes: StagedChange[]; movedAny: boolean }> {
    const changes: StagedChange[] = [];
    let movedAny = false;
    for (const entry of await this.entries()) {
      const file = join(this.dir, entry.name);
      let bytes: Buffer;
      try {
        // Synchronous on purpose: change files are tiny, and awaiting 10,000 reads one by one
        // costs seconds of event-loop round trips for a large publish.
        bytes = readFileSync(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        if (mayMove) this.log.warn(`skipping change file ${file}: ${errorMessage(e)}`);
        continue;
      }
      try {
        changes.push({ ...parseChange(bytes), file: entry.name, index: entry.index });
      } catch (e) {
        if (await this.setAside(entry.name, errorMessage(e), mayMove)) movedAny = true;
      }
    }
    return { changes, movedAny };
  }

  /** Warns about an unparseable file and moves it to `.corrupt/` when old enough; true if moved. */
  private async setAside(name: string, reason: string, mayMove: boolean): Promise<boolean> {
    const file = join(this.dir, name);
    let young = true;
    try {
      young = this.nowMs() - (await stat(file)).mtimeMs < this.graceMs;
    } catch {
      return false; // vanished: nothing to do
    }
    if (!mayMove) return false; // second pass: already reported
    if (young) {
      this.log.warn(`skipping unreadable change file ${file}: ${reason}`);
      return false;
    }
    const target = join(this.dir, CORRUPT_DIR, name);
    try {
      await ensureDir(join(this.dir, CORRUPT_DIR));
      await rename(file, target);
      this.log.warn(
        `unreadable change file ${file} (${reason}) was moved to ${target}; ` +
          'it is not applied on publish. Inspect it, then delete it or move it back once fixed.',
      );
      return true;
    } catch (e) {
      this.log.warn(
        `skipping unreadable change file ${file}: ${reason} (could not set it aside: ${errorMessage(e)})`,
      );
      return false;
    }
  }

  /** Newest timestamp among existing change names, so new names sort after them. */
  private async newestStaged(): Promise<bigint> {
    let newest = 0n;
    for (const { name } of await this.entries()) {
      const m = /^(\d{20})_/.exec(name);
      if (m) {
        const existing = BigInt(m[1]!);
        if (existing > newest) newest = existing;
      }
    }
    return newest;
  }

  /** A file name later than `newest` and than every name this process issued. */
  private nextName(newest: bigint): string {
    let ns = this.now();
    // Keep staging order = application order even if the clock went backwards.
    if (ns <= newest) ns = newest + 1n;
    if (ns <= lastIssued) ns = lastIssued + 1n;
    lastIssued = ns;
    return changeFileName(ns, randomUUID());
  }

  /** Writes one change file (atomically, mode 0600); returns its file name. */
  async stage(change: Change): Promise<string> {
    const [name] = await this.stageAll([change]);
    return name!;
  }

  /** Stages several changes in order; returns their file names. */
  async stageAll(changes: readonly Change[]): Promise<string[]> {
    await ensureDir(this.dir);
    const newest = await this.newestStaged();
    const names: string[] = [];
    for (const c of changes) {
      const name = this.nextName(newest);
      await writeFileAtomic(join(this.dir, name), serializeChange(c), {
        tmpDir: join(this.dir, STAGING_DIR),
      });
      names.push(name);
    }
    return names;
  }

  /**
   * `reset -n`: removes the entries at the given 0-based positions of the sorted, unfiltered
   * listing; out-of-range and duplicate numbers are ignored (as Go).
   */
  async removeIndices(indices: readonly number[]): Promise<void> {
    const wanted = new Set(indices);
    for (const entry of await this.entries()) {
      if (!wanted.has(entry.index)) continue;
      try {
        await unlink(join(this.dir, entry.name));
      } catch (e) {
        this.log.error(`could not remove change ${entry.index}: ${errorMessage(e)}`);
      }
    }
  }

  /** Removes exactly these change files (publish: the ones it applied). Missing files are fine. */
  async removeFiles(files: readonly string[]): Promise<void> {
    for (const name of files) {
      if (name.includes('/') || name === '..' || name === '.') continue;
      try {
        unlinkSync(join(this.dir, name)); // synchronous: thousands of awaited unlinks are slow
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new NotaryError('IO', `could not remove applied change ${name}: ${errorMessage(e)}`, {
            cause: e,
            hint: `Remove it by hand from ${this.dir}, or it will be applied again on the next publish.`,
          });
        }
      }
    }
  }

  /** `reset --all`: removes every change file. Set-aside (`.corrupt/`) files are kept. */
  async clear(): Promise<void> {
    for (const entry of await this.entries()) {
      try {
        await unlink(join(this.dir, entry.name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.log.error(`could not remove change ${entry.index}: ${errorMessage(e)}`);
        }
      }
    }
  }
}

/** The changelist of `gun` in `trustDir` (validates the GUN). */
export function openChangelist(trustDir: string, gun: string, log: Logger): Changelist {
  return new Changelist(repoPaths(trustDir, gun).changelistDir, { log });
}

export * from './change-payloads.js';

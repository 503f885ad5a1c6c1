/**
 * Per-GUN lock of a trust directory: two tsnotary processes publishing (or initialising) the
 * same repository from one trust directory take turns instead of racing, so neither uploads a
 * version the other already used and neither applies the other's staged changes twice.
 *
 * The lock is `<trust_dir>/tuf/<gun>/.tsnotary.lock`, holding who took it
 * (`{"pid","host","since","purpose","token"}`). It lives beside `metadata/` and `changelist/`,
 * where Go notary never looks: Go reads only `changelist/*` and `metadata/<role>.json` of a
 * repository directory, so Go ignores the lock (and is not serialised by it) and `notary delete`
 * simply removes it with the directory.
 *
 * - Taking it is atomic: the content is written to a temp file first and hard-linked to the lock
 *   name (link fails when the name exists), so a lock file is never seen empty. File systems
 *   without hard links fall back to an exclusive create (O_EXCL).
 * - A stale lock (its process, on this host, no longer runs; or an unreadable lock older than
 *   UNREADABLE_LOCK_AGE_MS) is recovered and named in a warning. A lock of another host is
 *   never judged stale: a pid means nothing there.
 * - Waiting is bounded (default DEFAULT_LOCK_TIMEOUT_MS); the error names the holder and what to do.
 * - It is not re-entrant: a second acquisition in the same process waits like any other
 *   (Repository takes it once per command and calls the unlocked steps inside).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE, sweepStaleTemps, tempName } from '../atomic-file.js';
import { errorMessage, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import { currentOwner, isProcessAlive } from '../process-owner.js';
import { repoPaths } from './paths.js';

/** File name of the lock inside `tuf/<gun>/`. */
export const LOCK_FILE_NAME = '.tsnotary.lock';
/** How long a command waits for another process's lock by default. */
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;
/** An unreadable lock (a crash inside the O_EXCL fallback) older than this is stale. */
export const UNREADABLE_LOCK_AGE_MS = 10_000;
/** After this long waiting, the info message is repeated as a warning. */
const WARN_AFTER_MS = 5_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken */
  since: string;
  purpose: string;
  token: string;
}

export interface GunLockOptions {
  trustDir: string;
  gun: string;
  log: Logger;
  /** What the holder does (`publish`, `init`), shown to whoever waits. */
  purpose: string;
  /** Maximum wait for another holder (default DEFAULT_LOCK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Poll interval while waiting (default 100 ms, jittered). */
  pollMs?: number;
  /** Liveness probe for pids of this host (tests). */
  isAlive?: (pid: number) => boolean;
}

/** Path of the lock file of `gun`. */
export function gunLockPath(trustDir: string, gun: string): string {
  return join(repoPaths(trustDir, gun).repoDir, LOCK_FILE_NAME);
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.since === 'string' &&
      typeof v.token === 'string'
    ) {
      return { pid: v.pid, host: v.host, since: v.since, purpose: String(v.purpose ?? ''), token: v.token };
    }
  } catch {
    // unreadable
  }
  return undefined;
}

interface Observed {
  holder?: LockHolder;
  /** raw content (to recognise an unreadable lock after renaming it) */
  text: string;
  mtimeMs: number;
}

async function observe(path: string): Promise<Observed | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const holder = parseHolder(text);
    return holder ? { holder, text, mtimeMs: st.mtimeMs } : { text, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw lockIoError(path, e);
  }
}

function lockIoError(path: string, e: unknown): NotaryError {
  return new NotaryError('IO', `could not use the lock ${path}: ${errorMessage(e)}`, { cause: e });
}

function describe(h: LockHolder): string {
  return `process ${h.pid} on ${h.host}${h.purpose ? ` (${h.purpose})` : ''}, since ${h.since}`;
}

/** Creates the lock atomically; false when it exists. */
async function tryCreate(path: string, dir: string, content: string): Promise<boolean> {
  const tmp = join(dir, tempName(LOCK_FILE_NAME));
  const h = await open(tmp, 'wx', 0o600);
  try {
    await h.writeFile(content);
  } finally {
    await h.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      return createExclusive(path, content);
    }
    throw lockIoError(path, e);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Fallback for file systems without hard links: O_EXCL create, then write. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  let h: Awaited<ReturnType<typeof open>>;
  try {
    h = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockIoError(path, e);
  }
  try {
    await h.writeFile(content);
  } finally {
    await h.close();
  }
  return true;
}

/**
 * Removes a lock judged stale, only if it is still the one observed: it is renamed away first
 * (atomic, so of two processes recovering at once only one gets it), and put back if another
 * process replaced it in between. True when the stale lock is gone.
 */
async function recoverStale(path: string, seen: Observed): Promise<boolean> {
  // A temp name of ours: if this process dies before removing it, the next sweep does.
  const aside = join(dirname(path), tempName(LOCK_FILE_NAME));
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // someone else recovered it
    throw lockIoError(path, e);
  }
  const text = await readFile(aside, 'utf8').catch(() => undefined);
  const same = seen.holder ? parseHolder(text ?? '')?.token === seen.holder.token : text === seen.text;
  if (!same) {
    // We took a fresh lock another process had just created: give it back.
    await link(aside, path).catch(() => {});
    await unlink(aside).catch(() => {});
    return false;
  }
  await unlink(aside).catch(() => {});
  return true;
}

function isStale(seen: Observed, o: GunLockOptions, nowMs: number): boolean {
  if (!seen.holder) return nowMs - seen.mtimeMs > UNREADABLE_LOCK_AGE_MS;
  const me = currentOwner();
  if (seen.holder.host !== me.host) return false;
  return !(o.isAlive ?? isProcessAlive)(seen.holder.pid);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Takes the lock (waiting for another holder, bounded); returns its release function. */
export async function acquireGunLock(o: GunLockOptions): Promise<() => Promise<void>> {
  const path = gunLockPath(o.trustDir, o.gun);
  const dir = repoPaths(o.trustDir, o.gun).repoDir;
  // The first directory this creates (if any): removed again on release when still empty, so
  // a command that fails early (offline init) leaves the trust directory as it found it.
  let createdDir: string | undefined;
  try {
    createdDir = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (e) {
    throw lockIoError(path, e);
  }
  await sweepStaleTemps(dir); // lock temp files of killed processes
  const me = currentOwner();
  const token = randomBytes(8).toString('hex');
  const content = `${JSON.stringify({
    pid: me.pid,
    host: me.host,
    since: new Date().toISOString(),
    purpose: o.purpose,
    token,
  })}\n`;
  const timeoutMs = o.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const pollMs = o.pollMs ?? 100;
  const started = Date.now();
  let announced: 'no' | 'info' | 'warn' = 'no';
  let last: Observed | undefined;
  for (;;) {
    let created: boolean;
    try {
      created = await tryCreate(path, dir, content);
    } catch (e) {
      if (!(e instanceof NotaryError) && (e as NodeJS.ErrnoException).code === 'ENOENT') {
        // The previous holder removed the directory it had created (see release): again.
        await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE }).catch(() => {});
        if (Date.now() - started < timeoutMs) continue;
      }
      throw e instanceof NotaryError ? e : lockIoError(path, e);
    }
    if (created) {
      if (announced !== 'no') o.log.info(`took the lock of ${o.gun} after ${Date.now() - started} ms`);
      return async () => {
        await release(path, token);
        if (createdDir !== undefined) await removeEmptyDirs(dir, createdDir);
      };
    }
    const seen = await observe(path);
    if (!seen) continue; // released between our attempt and the read
    last = seen;
    if (isStale(seen, o, Date.now())) {
      if (await recoverStale(path, seen)) {
        o.log.warn(
          seen.holder
            ? `removed the stale lock ${path} of ${describe(seen.holder)}: that process no longer runs`
            : `removed the unreadable stale lock ${path} (left by a process that was killed while taking it)`,
        );
      }
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw lockTimeout(o, path, last, timeoutMs);
    const who = seen.holder ? describe(seen.holder) : 'another process';
    if (announced === 'no') {
      o.log.info(`waiting for ${who} to release the lock of ${o.gun} (${path})`);
      announced = 'info';
    } else if (announced === 'info' && waited >= WARN_AFTER_MS) {
      o.log.warn(
        `still waiting for ${who} to release the lock of ${o.gun}; giving up after ${Math.round(timeoutMs / 1000)} s`,
      );
      announced = 'warn';
    }
    await sleep(Math.min(pollMs * (0.5 + Math.random()), Math.max(1, timeoutMs - waited)));
  }
}

function lockTimeout(o: GunLockOptions, path: string, seen: Observed | undefined, timeoutMs: number) {
  const holder = seen?.holder;
  const secs = Math.round(timeoutMs / 100) / 10;
  return new NotaryError(
    'LOCKED',
    `timed out after ${secs} s waiting for ${holder ? describe(holder) : 'another process'}, which holds the lock of ${o.gun}`,
    {
      hint: holder
        ? `Another tsnotary command is using ${o.gun} in this trust directory: wait for it and run this one again (TSNOTARY_LOCK_TIMEOUT=<seconds> waits longer). If process ${holder.pid} on ${holder.host} is gone, delete ${path}.`
        : `Another tsnotary command is using ${o.gun} in this trust directory: wait for it and run this one again. If none is running, delete ${path}.`,
      details: { gun: o.gun, lock: path, ...(holder ? { holder } : {}), timeoutMs },
    },
  );
}

async function release(path: string, token: string): Promise<void> {
  // Only our own lock: if it was (wrongly) recovered meanwhile, the file is someone else's.
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text !== undefined && parseHolder(text)?.token === token) await unlink(path).catch(() => {});
}

/** rmdir `from` and its parents up to `upTo` (inclusive) while they are empty. */
async function removeEmptyDirs(from: string, upTo: string): Promise<void> {
  for (let d = from; ; d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (the command wrote its data there) or gone
    }
    if (d === upTo || dirname(d) === d) return;
  }
}

/** Runs `fn` holding the lock of `gun`; the lock is released however `fn` ends. */
export async function withGunLock<T>(o: GunLockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireGunLock(o);
  try {
    return await fn();
  } finally {
    await release();
  }
}

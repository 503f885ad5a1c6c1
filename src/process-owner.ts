/**
 * Who owns a temp file or a lock: this process's identity (pid + host) and whether another
 * owner is still running. Shared by atomic-file.ts (stale temp files left by a killed process)
 * and repo/gun-lock.ts (stale publish locks).
 *
 * A pid only means something on the host that issued it, so an owner on another host (a trust
 * directory on a shared file system) is never judged dead: callers fall back to an age limit or
 * to asking the user.
 */
import { nodeCrypto, nodeOs } from './lazy-builtin.js';

export interface ProcessOwner {
  pid: number;
  host: string;
}

let cachedHost: string | undefined;

/** The host name as `os.hostname()` reports it (cached; it does not change during a run). */
export function currentHost(): string {
  cachedHost ??= nodeOs().hostname();
  return cachedHost;
}

/** This process. */
export function currentOwner(): ProcessOwner {
  return { pid: process.pid, host: currentHost() };
}

/** 8 hex digits naming a host in file names (a host name may hold characters a file name cannot). */
export function hostTag(host: string = currentHost()): string {
  return nodeCrypto().createHash('sha256').update(host).digest('hex').slice(0, 8);
}

/**
 * True when process `pid` of this host still runs (signal 0 probes without delivering
 * anything). EPERM means it runs under another user: alive. Only meaningful for pids of this
 * host; a recycled pid reads as alive, which errs on the safe side (the caller waits or keeps
 * the file).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

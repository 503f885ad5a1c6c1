/**
 * The per-GUN lock of a trust directory (issue 9 part 3): serialises publishes, recovers a
 * stale lock with a warning naming it, and gives up waiting with a clear message.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { currentHost } from '../../../src/process-owner.js';
import { acquireGunLock, gunLockPath, LOCK_FILE_NAME, withGunLock } from '../../../src/repo/gun-lock.js';
import { failure, memLog } from '../../helpers/memlog.js';

const GUN = 'ex.io/lock/app';
const tmp = () => mkdtempSync(join(tmpdir(), 'tsn-lock-'));

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

function plant(trust: string, holder: Record<string, unknown> | string, ageMs = 0): string {
  const path = gunLockPath(trust, GUN);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof holder === 'string' ? holder : JSON.stringify(holder));
  // Always stamped from this process's clock, the one the code under test judges ages by: a
  // file system timestamp would disagree with it under the shifted-clock pass (libfaketime).
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(path, t, t);
  return path;
}

const holder = (pid: number, host = currentHost()) => ({
  pid,
  host,
  since: '2026-01-01T00:00:00.000Z',
  purpose: 'publish',
  token: 'abcdef0123456789',
});

describe('per-GUN lock', () => {
  it('lives in tuf/<gun>/ beside metadata and changelist, records its holder, and is removed on release', async () => {
    const trust = tmp();
    const log = memLog();
    const path = gunLockPath(trust, GUN);
    expect(path).toBe(join(trust, 'tuf', 'ex.io', 'lock', 'app', LOCK_FILE_NAME));
    await withGunLock({ trustDir: trust, gun: GUN, log, purpose: 'publish' }, async () => {
      const h = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      expect(h).toMatchObject({ pid: process.pid, host: currentHost(), purpose: 'publish' });
      expect(typeof h['since']).toBe('string');
      expect(typeof h['token']).toBe('string');
    });
    expect(existsSync(path)).toBe(false);
    // Nor the directories it had to create (the work wrote nothing there): a command that
    // fails early leaves the trust directory as it was.
    expect(existsSync(join(trust, 'tuf'))).toBe(false);
    // Released also when the work fails.
    await expect(
      withGunLock({ trustDir: trust, gun: GUN, log, purpose: 'publish' }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(path)).toBe(false);
    // Directories the work filled stay, without a temp file of the atomic creation.
    await withGunLock({ trustDir: trust, gun: GUN, log, purpose: 'publish' }, async () => {
      mkdirSync(join(dirname(path), 'metadata'));
    });
    expect(readdirSync(dirname(path))).toEqual(['metadata']);
  });

  it('serialises holders: never two inside at once, every one gets its turn', async () => {
    const trust = tmp();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        withGunLock(
          { trustDir: trust, gun: GUN, log: memLog(), purpose: 'publish', pollMs: 10 },
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 20));
            order.push(i);
            inside--;
          },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('waits for a live holder and says so at info level', async () => {
    const trust = tmp();
    const log = memLog();
    const release = await acquireGunLock({ trustDir: trust, gun: GUN, log: memLog(), purpose: 'init' });
    setTimeout(() => void release(), 300);
    const started = Date.now();
    await withGunLock({ trustDir: trust, gun: GUN, log, purpose: 'publish', pollMs: 20 }, async () => {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(log.lines[0]).toMatch(
      new RegExp(
        `^info: waiting for process ${process.pid} on .+ \\(init\\), since .+ to release the lock of ${GUN}`,
      ),
    );
  });

  it('recovers the lock of a process that no longer runs, naming it in a warning', async () => {
    const trust = tmp();
    const log = memLog();
    const dead = deadPid();
    const path = plant(trust, holder(dead));
    await withGunLock({ trustDir: trust, gun: GUN, log, purpose: 'publish' }, async () => {
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    });
    expect(log.lines).toContain(
      `warn: removed the stale lock ${path} of process ${dead} on ${currentHost()} (publish), since 2026-01-01T00:00:00.000Z: that process no longer runs`,
    );
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it('two processes recovering the same stale lock at once still exclude each other', async () => {
    const trust = tmp();
    plant(trust, holder(deadPid()));
    let inside = 0;
    let most = 0;
    await Promise.all(
      [1, 2].map(() =>
        withGunLock(
          { trustDir: trust, gun: GUN, log: memLog(), purpose: 'publish', pollMs: 10 },
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 30));
            inside--;
          },
        ),
      ),
    );
    expect(most).toBe(1);
  });

  it('an unreadable lock is stale only once old (a crash while taking it), never while fresh', async () => {
    const trust = tmp();
    const log = memLog();
    const path = plant(trust, '', 60_000);
    await withGunLock({ trustDir: trust, gun: GUN, log, purpose: 'publish' }, async () => {});
    expect(log.lines.some((l) => l.startsWith(`warn: removed the unreadable stale lock ${path}`))).toBe(true);

    plant(trust, '{"pid":');
    const e = await failure(
      withGunLock(
        { trustDir: trust, gun: GUN, log: memLog(), purpose: 'publish', timeoutMs: 200 },
        async () => {},
      ),
    );
    expect(e.code).toBe('LOCKED');
  });

  it('gives up after the timeout with the holder, the lock file and what to do; exit code 9', async () => {
    const trust = tmp();
    const path = plant(trust, holder(process.ppid)); // alive
    const e = await failure(
      withGunLock(
        { trustDir: trust, gun: GUN, log: memLog(), purpose: 'publish', timeoutMs: 300 },
        async () => {},
      ),
    );
    expect(e.code).toBe('LOCKED');
    expect(e.exitCode).toBe(ExitCode.conflict);
    expect(e.message).toBe(
      `timed out after 0.3 s waiting for process ${process.ppid} on ${currentHost()} (publish), since 2026-01-01T00:00:00.000Z, which holds the lock of ${GUN}`,
    );
    expect(e.hint).toContain('TSNOTARY_LOCK_TIMEOUT');
    expect(e.hint).toContain(`delete ${path}`);
    expect(existsSync(path)).toBe(true); // not ours: left alone
  });

  it('never judges the lock of another host stale (a pid means nothing there)', async () => {
    const trust = tmp();
    plant(trust, holder(deadPid(), `not-${currentHost()}`));
    const e = await failure(
      withGunLock(
        { trustDir: trust, gun: GUN, log: memLog(), purpose: 'publish', timeoutMs: 200 },
        async () => {},
      ),
    );
    expect(e.code).toBe('LOCKED');
    expect(e.message).toContain(`on not-${currentHost()}`);
  });
});

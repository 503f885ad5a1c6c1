/**
 * Stale temp files (issue 9 part 2): a process killed between creating its temp file and the
 * rename leaves `.<name>.tmp-…` behind; the next write of any process into that directory
 * removes it when its owner is gone, and never one whose owner may still be writing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isTempName,
  parseTempName,
  STALE_TEMP_AGE_MS,
  sweepStaleTemps,
  sweepStaleTempsSync,
  tempName,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../src/atomic-file.js';
import { hostTag, isProcessAlive } from '../../src/process-owner.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsn-sweep-'));

/** The pid of a process that has exited (its pid is free again). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const pid = Number(r.stdout.toString());
  expect(isProcessAlive(pid)).toBe(false);
  return pid;
}

function touch(dir: string, name: string, ageMs = 0): string {
  const p = join(dir, name);
  writeFileSync(p, '');
  // Always stamped from this process's clock, the one the code under test judges ages by: a
  // file system timestamp would disagree with it under the shifted-clock pass (libfaketime).
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(p, t, t);
  return name;
}

describe('temp file names', () => {
  it('name their owner (pid, host) and never end like data (.key, .json, .change)', () => {
    const name = tempName('0123abcd.key');
    expect(name).toMatch(new RegExp(`^\\.0123abcd\\.key\\.tmp-${process.pid}-${hostTag()}-[0-9a-f]{8}$`));
    expect(parseTempName(name)).toEqual({ pid: process.pid, hostTag: hostTag() });
    for (const target of ['x.key', 'root.json', '00000000000000000001_u.change']) {
      const t = tempName(target);
      expect(t.endsWith('.key') || t.endsWith('.json') || t.endsWith('.change')).toBe(false);
    }
    // The owner-less names of earlier builds are recognised too (removed by age only).
    expect(parseTempName('.timestamp.json.tmp-4ff697e30048')).toEqual({});
    for (const data of ['root.json', 'abc.key', '.corrupt', '.staging', '.tsnotary.lock', 'x.tmp-1-2-3']) {
      expect(isTempName(data)).toBe(false);
    }
  });
});

describe('sweepStaleTemps', () => {
  it('removes temp files of dead owners on this host and old ones of any owner, nothing else', async () => {
    const dir = tmp();
    const dead = deadPid();
    const live = process.ppid; // alive while this test runs
    const other = 'deadbeef' === hostTag() ? 'feedface' : 'deadbeef';
    const gone = [
      touch(dir, `.timestamp.json.tmp-${dead}-${hostTag()}-0a0b0c0d`),
      touch(dir, `.x.key.tmp-${live}-${other}-0a0b0c0d`, STALE_TEMP_AGE_MS + 60_000), // other host, old
      touch(dir, '.snapshot.json.tmp-4ff697e30048', STALE_TEMP_AGE_MS + 60_000), // older build, old
      // "alive" but that old: the pid was recycled (a write takes milliseconds)
      touch(dir, `.old.json.tmp-${live}-${hostTag()}-0a0b0c0d`, STALE_TEMP_AGE_MS + 60_000),
    ];
    const kept = [
      touch(dir, `.root.json.tmp-${live}-${hostTag()}-0a0b0c0d`), // alive: still writing
      touch(dir, `.root.json.tmp-${process.pid}-${hostTag()}-01020304`), // our own, in flight
      touch(dir, `.y.key.tmp-${dead}-${other}-0a0b0c0d`), // a pid of another host means nothing here
      touch(dir, '.targets.json.tmp-4ff697e30048'), // older build, young
      touch(dir, 'root.json'),
      touch(dir, '.hidden'),
    ];
    mkdirSync(join(dir, '.staging'));
    expect((await sweepStaleTemps(dir)).sort()).toEqual([...gone].sort());
    expect(readdirSync(dir).sort()).toEqual([...kept, '.staging'].sort());
    // A missing directory is not an error.
    expect(await sweepStaleTemps(join(dir, 'missing'))).toEqual([]);
  });

  it('has a synchronous twin with the same rules', () => {
    const dir = tmp();
    const dead = deadPid();
    const gone = touch(dir, `.a.key.tmp-${dead}-${hostTag()}-0a0b0c0d`);
    const kept = touch(dir, `.b.key.tmp-${process.ppid}-${hostTag()}-0a0b0c0d`);
    expect(sweepStaleTempsSync(dir)).toEqual([gone]);
    expect(readdirSync(dir)).toEqual([kept]);
  });

  it('runs on the first write of a process into a directory (async and sync writers, changelist staging dir)', async () => {
    const dir = tmp();
    const dead = deadPid();
    const left = touch(dir, `.timestamp.json.tmp-${dead}-${hostTag()}-0a0b0c0d`);
    await writeFileAtomic(join(dir, 'timestamp.json'), '{}');
    expect(readdirSync(dir)).toEqual(['timestamp.json']);
    expect(existsSync(join(dir, left))).toBe(false);

    const dir2 = tmp();
    touch(dir2, `.k.key.tmp-${dead}-${hostTag()}-0a0b0c0d`);
    writeFileAtomicSync(join(dir2, 'k.key'), 'x');
    expect(readdirSync(dir2)).toEqual(['k.key']);

    const cl = tmp();
    const staging = join(cl, '.staging');
    mkdirSync(staging);
    touch(staging, `.0001_u.change.tmp-${dead}-${hostTag()}-0a0b0c0d`);
    await writeFileAtomic(join(cl, '0001_u.change'), '{}', { tmpDir: staging });
    expect(readdirSync(staging)).toEqual([]);
  });
});

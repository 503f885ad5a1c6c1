// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Issue 12: `archive`, then reading the archive after the server is gone — as a tar file, an
 * extracted directory and from a static web server — with every TUF check of a live server
 * (tampered, dropped and rolled-back files refused, naming the role), `--as-of` for expired
 * data, and writes refused with one clear line.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileArchive } from '../../src/remote/archive-remote.js';
import { type RehostOptions, verifySource } from '../../src/repo/rehost.js';
import { NO_PINNING } from '../../src/repo/trust-pinning.js';
import { buildGun, ok, PASS, type StaticServer, startStaticServer } from '../helpers/archive-gun.js';
import { type RunOptions, run, runGo, runTs, tempDir, tsnotaryBin } from '../helpers/cli.js';
import { memLog } from '../helpers/memlog.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const N_TARGETS = 1000;

let server: NotaryServer | undefined;
let server2: NotaryServer | undefined;
let web: StaticServer | undefined;
let work: string;
const gun = `example.com/archive/${randomBytes(4).toString('hex')}`;
let owner: string;
let hello: Buffer;
let tarFile: string;
let extracted: string;
/** What the live server showed (tsnotary, fresh trust dir). */
const live: Record<string, string> = {};
/** A trust dir that read the GUN from the live server (its cache holds the newest timestamp). */
let follower: string;
/** Go notary's trust dir that read the GUN from the live server. */
let goFollower: string;
/** A trust dir that last read the GUN before its root key was rotated. */
let earlyFollower: string;

const o = (extra: RunOptions = {}): RunOptions => ({
  env: { ...PASS },
  cwd: work,
  timeoutMs: 60_000,
  ...extra,
});
const ts = (server: string, dir: string, args: string[], extra: RunOptions = {}) =>
  runTs(['-s', server, '-d', dir, ...args], o(extra));
const fileUrl = (p: string) => `file://${p}`;

function reads(server: string, dir: string) {
  return {
    list: () => ts(server, dir, ['list', gun]),
    lookup: () => ts(server, dir, ['lookup', gun, 'releases/v1']),
    delegations: () => ts(server, dir, ['delegation', 'list', gun]),
    verify: () => ts(server, dir, ['verify', gun, 'hello'], { input: hello }),
  };
}

const tuf = (root: string, file: string) => join(root, 'v2', ...gun.split('/'), '_trust', 'tuf', file);

/** Copies the extracted archive; `edit` changes it; `fixManifest` re-hashes the manifest (an attacker would). */
function tampered(name: string, edit: (dir: string) => void, fixManifest: boolean): string {
  const dir = join(work, `tamper-${name}-${fixManifest ? 'fixed' : 'raw'}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(extracted, dir, { recursive: true });
  edit(dir);
  if (fixManifest) {
    const mpath = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(mpath, 'utf8')) as {
      files: Record<string, { sha256: string; length: number }>;
    };
    for (const path of Object.keys(m.files)) {
      const full = join(dir, ...path.split('/'));
      if (!existsSync(full)) {
        delete m.files[path];
        continue;
      }
      const data = readFileSync(full);
      m.files[path] = { sha256: createHash('sha256').update(data).digest('hex'), length: data.length };
    }
    writeFileSync(mpath, JSON.stringify(m));
  }
  return dir;
}

/** Replaces one file (breaking its hard links to other names). */
function replace(file: string, data: Buffer): void {
  unlinkSync(file);
  writeFileSync(file, data);
}

/** Changes one character inside every signature: still valid JSON and base64. */
function flipSignature(file: string): void {
  let text = readFileSync(file, 'latin1');
  for (let at = text.indexOf('"sig":"'); at >= 0; at = text.indexOf('"sig":"', at + 1)) {
    const i = at + 10;
    text = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
  }
  replace(file, Buffer.from(text, 'latin1'));
}

function currentFile(dir: string, role: string): string {
  // the checksum-named copy the client fetches (`<role>.<sha256>.json`), found by pattern
  const tufDir = join(dir, 'v2', ...gun.split('/'), '_trust', 'tuf', ...role.split('/').slice(0, -1));
  const base = role.split('/').at(-1) as string;
  const name = readdirSync(tufDir).find((f) => new RegExp(`^${base}\\.[0-9a-f]{64}\\.json$`).test(f));
  if (!name) throw new Error(`no checksum file for ${role}`);
  return join(tufDir, name);
}

beforeAll(async () => {
  work = tempDir('tsnotary-archive-');
  server = await startNotaryServer();
  owner = join(work, 'owner');
  earlyFollower = join(work, 'early-follower');
  const url = server.url;
  hello = await buildGun(url, owner, gun, N_TARGETS, work, async () => {
    await ok(ts(url, earlyFollower, ['list', gun]));
  });
  const fresh = join(work, 'live-reader');
  const r = reads(server.url, fresh);
  live['list'] = (await ok(r.list())).stdout;
  live['lookup'] = (await ok(r.lookup())).stdout;
  live['delegations'] = (await ok(r.delegations())).stdout;
  follower = join(work, 'follower');
  await ok(ts(server.url, follower, ['list', gun]));
  goFollower = join(work, 'go-follower');
  const g = await runGo(['-s', server.url, '-d', goFollower, 'list', gun], o());
  expect(g.code, g.all).toBe(0);

  tarFile = join(work, 'out', 'gun.tar');
  const a = await ok(ts(server.url, owner, ['archive', gun, '-o', tarFile]));
  expect(a.stderr).toMatch(/archiving .*: older versions \d+\/\d+/);
  extracted = join(work, 'extracted');
  execFileSync('mkdir', ['-p', extracted]);
  execFileSync('tar', ['xf', tarFile, '-C', extracted]);
  web = await startStaticServer(extracted);
  // The server closes for good.
  await server.stop();
  server = undefined;
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await server2?.stop();
  await web?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('archive', () => {
  it('holds the server URL space, every root version, older versions and a manifest', () => {
    const m = JSON.parse(readFileSync(join(extracted, 'manifest.json'), 'utf8')) as {
      gun: string;
      server: string;
      archivedAt: string;
      roles: Record<string, { current: number; versions: number[] }>;
      files: Record<string, { sha256: string; length: number }>;
    };
    expect(m.gun).toBe(gun);
    expect(m.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Date.now() - Date.parse(m.archivedAt)).toBeLessThan(10 * 60_000);
    const rootVersion = m.roles['root']?.current as number;
    expect(rootVersion).toBeGreaterThanOrEqual(2);
    for (let v = 1; v <= rootVersion; v++) expect(existsSync(tuf(extracted, `${v}.root.json`))).toBe(true);
    expect(readFileSync(tuf(extracted, `${rootVersion}.root.json`))).toEqual(
      readFileSync(tuf(extracted, 'root.json')),
    );
    expect(m.roles['targets']?.versions.length).toBeGreaterThan(1);
    expect(m.roles['targets/releases']?.current).toBeGreaterThanOrEqual(1);
    expect(existsSync(tuf(extracted, 'targets/releases.json'))).toBe(true);
    for (const [path, f] of Object.entries(m.files)) {
      const data = readFileSync(join(extracted, ...path.split('/')));
      expect(createHash('sha256').update(data).digest('hex'), path).toBe(f.sha256);
    }
    // written once, readable by anyone (it holds public data only)
    expect(statSync(tarFile).mode & 0o777).toBe(0o644);
    expect(readdirSync(join(work, 'out'))).toEqual(['gun.tar']);
  });

  it('refuses a missing -o with usage', async () => {
    const r = await ts(fileUrl(tarFile), join(work, 'x'), ['archive', gun]);
    expect(r.code).toBe(2);
    expect(r.all).toContain('-o/--output');
  });
});

describe('reading the archive after the server is gone', () => {
  const sources = (): Array<[string, string]> => [
    ['tar file', fileUrl(tarFile)],
    ['directory', fileUrl(extracted)],
    ['static web server', (web as StaticServer).url],
  ];

  it('list, lookup, delegation list and verify show what the live server showed', async () => {
    for (const [what, url] of sources()) {
      const r = reads(url, join(work, `reader-${what.replace(/ /g, '-')}`));
      expect((await ok(r.list())).stdout, what).toBe(live['list']);
      expect((await ok(r.lookup())).stdout, what).toBe(live['lookup']);
      expect((await ok(r.delegations())).stdout, what).toBe(live['delegations']);
      const v = await ok(r.verify());
      expect(Buffer.from(v.stdout)).toEqual(hello);
    }
    expect(live['list']?.split('\n').length).toBeGreaterThan(N_TARGETS);
  });

  it('a trust dir that trusted the live server reads the archive with no new TOFU', async () => {
    const r = await ok(ts(fileUrl(tarFile), follower, ['list', gun]));
    expect(r.stdout).toBe(live['list']);
  });

  it('Go notary reads the archive from the static web server', async () => {
    const r = await runGo(['-s', (web as StaticServer).url, '-d', join(work, 'go-reader'), 'list', gun], o());
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toBe(live['list']);
  });

  it('write commands fail with one clear line', async () => {
    for (const [, url] of sources()) {
      for (const args of [
        ['publish', gun],
        ['init', gun],
        ['delete', '--remote', gun],
      ]) {
        const r = await ts(url, owner, args);
        expect(r.code, `${url} ${args.join(' ')}`).not.toBe(0);
        const fatal = r.stderr.split('\n').filter((l) => l.startsWith('* fatal:'));
        expect(fatal, r.all).toHaveLength(1);
        expect(fatal[0]).toContain('is a read-only copy of trust data');
      }
    }
  });
});

describe('tampered archives are refused, naming the role', () => {
  const cases: Array<[string, string, (dir: string) => void]> = [
    ['root', 'root', (d) => flipSignature(tuf(d, 'root.json'))],
    ['timestamp', 'timestamp', (d) => flipSignature(tuf(d, 'timestamp.json'))],
    ['snapshot', 'snapshot', (d) => flipSignature(currentFile(d, 'snapshot'))],
    ['targets', 'targets', (d) => flipSignature(currentFile(d, 'targets'))],
    ['delegation', 'targets/releases', (d) => flipSignature(currentFile(d, 'targets/releases'))],
  ];

  it('a flipped byte in any archived file (manifest check, also for files a read never touches)', async () => {
    for (const [name, role, edit] of [
      ...cases,
      ['old root', 'root', (d: string) => flipSignature(tuf(d, '1.root.json'))] as const,
    ]) {
      const dir = tampered(name, edit, false);
      const r = await ts(fileUrl(dir), join(work, `t-${name}`), ['list', gun]);
      expect(r.code, r.all).toBe(6);
      expect(r.stderr, name).toMatch(
        new RegExp(`fatal: ${role.replace('/', '\\/')}: .* does not match its manifest\\.json`),
      );
    }
    // the tar form checks every file when opened
    const dir = tampered('old-root-tar', (d) => flipSignature(tuf(d, '1.root.json')), false);
    const tar = join(work, 'tampered.tar');
    execFileSync('tar', ['cf', tar, '-C', dir, '.']);
    const r = await ts(fileUrl(tar), join(work, 't-tar'), ['list', gun]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/fatal: root: .*1\.root\.json.* does not match its manifest\.json/);
  });

  it('a flipped byte with the manifest re-hashed is caught by TUF, naming the role', async () => {
    for (const [name, role, edit] of cases) {
      const dir = tampered(name, edit, true);
      const r = await ts(fileUrl(dir), join(work, `tf-${name}`), ['list', gun]);
      expect(r.code, `${name}: ${r.all}`).toBe(6);
      expect(r.all, name).toContain(role);
    }
  });

  it('a dropped file', async () => {
    const drop = (d: string) => unlinkSync(currentFile(d, 'snapshot'));
    const raw = await ts(fileUrl(tampered('drop', drop, false)), join(work, 'd1'), ['list', gun]);
    expect(raw.code).toBe(6);
    expect(raw.stderr).toMatch(/fatal: snapshot: .* is missing from .*, but its manifest\.json lists it/);
    const fixed = await ts(fileUrl(tampered('drop', drop, true)), join(work, 'd2'), ['list', gun]);
    expect(fixed.code).toBe(3);
    expect(fixed.stderr).toMatch(/fatal: snapshot\.[0-9a-f]{64} trust data unavailable/);
  });

  it('a rolled-back timestamp, against the cache of a client that saw a newer one', async () => {
    const rollback = (d: string) =>
      replace(tuf(d, 'timestamp.json'), readFileSync(tuf(d, '1.timestamp.json')));
    const dir = tampered('rollback', rollback, true);
    const cache = join(work, 'rollback-follower');
    cpSync(follower, cache, { recursive: true });
    const r = await ts(fileUrl(dir), cache, ['list', gun]);
    expect(r.code, r.all).toBe(6);
    expect(r.stderr).toMatch(/fatal: version 1 is lower than current version \d+/);
    expect(r.stderr).toContain('timestamp version 1');
    const raw = await ts(fileUrl(tampered('rollback', rollback, false)), join(work, 'r2'), ['list', gun]);
    expect(raw.stderr).toMatch(/fatal: timestamp: .* does not match its manifest\.json/);
  });
});

describe('--as-of: expired data only on purpose', () => {
  // 20 days on: the archive's timestamp (14 days) has expired. faketime moves the clock of the
  // whole tsnotary process, so everything it judges uses the same (moved) clock.
  const later = (dir: string, args: string[]) =>
    run(
      'faketime',
      ['-f', '+20d', process.execPath, tsnotaryBin, '-s', fileUrl(tarFile), '-d', dir, ...args],
      o(),
    );

  it('an expired archive fails as before, and says how to judge it as of a past time', async () => {
    const r = await later(join(work, 'exp1'), ['list', gun]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/fatal: timestamp expired at /);
    expect(r.stderr).toMatch(/--as-of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
  });

  it('with --as-of it lists, warns per expired role with its expiry, and never writes the cache', async () => {
    const m = JSON.parse(readFileSync(join(extracted, 'manifest.json'), 'utf8')) as { archivedAt: string };
    const dir = join(work, 'exp2');
    const r = await later(dir, ['list', gun, '--as-of', m.archivedAt]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toBe(live['list']);
    expect(r.stderr).toMatch(/timestamp expired at \S+; trusted only because --as-of/);
    expect(existsSync(join(dir, 'tuf', gun, 'metadata'))).toBe(false);
  });

  it('is refused for write commands and for a time in the future', async () => {
    const p = await ts(fileUrl(tarFile), owner, ['publish', gun, '--as-of', '2026-01-01']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('--as-of cannot be used with publish');
    const f = await ts(fileUrl(tarFile), owner, ['list', gun, '--as-of', '2999-01-01']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('in the future');
  });
});

describe('rehost from the archive to a second server', () => {
  const rootVersion = (dir: string) =>
    (
      JSON.parse(readFileSync(join(dir, 'tuf', gun, 'metadata', 'root.json'), 'utf8')) as {
        signed: { version: number };
      }
    ).signed.version;

  beforeAll(async () => {
    server2 = await startNotaryServer();
  }, 60_000);

  it('needs the root key and says so before changing anything', async () => {
    const r = await ts(fileUrl(tarFile), join(work, 'no-keys'), [
      'rehost',
      gun,
      '--to',
      (server2 as NotaryServer).url,
      '--yes',
    ]);
    expect(r.code, r.all).toBe(7);
    expect(r.stdout).toContain('it needs the root key');
    expect(r.stderr).toMatch(/fatal: rehost needs the root key of /);
    const probe = await ts((server2 as NotaryServer).url, join(work, 'probe1'), ['list', gun]);
    expect(probe.stderr).toContain('does not have trust data');
  });

  it('a dry run shows the plan and changes nothing', async () => {
    const r = await ok(ts(fileUrl(tarFile), owner, ['rehost', gun, '--to', (server2 as NotaryServer).url]));
    expect(r.stdout).toMatch(/upload root versions 1\.\.\d+/);
    expect(r.stdout).toContain('Dry run: nothing was changed');
    const probe = await ts((server2 as NotaryServer).url, join(work, 'probe2'), ['list', gun]);
    expect(probe.stderr).toContain('does not have trust data');
  });

  it('--yes moves it; Go notary and tsnotary that trusted the first server follow with only -s changed', async () => {
    const s2 = (server2 as NotaryServer).url;
    const before = rootVersion(follower);
    const r = await ok(
      ts(fileUrl(tarFile), owner, ['rehost', gun, '--to', s2, '--yes'], { timeoutMs: 120_000 }),
    );
    expect(r.stdout).toContain(`Moved ${gun} to ${s2}`);
    for (const dir of [follower, earlyFollower]) {
      const l = await ok(ts(s2, dir, ['list', gun]));
      expect(l.stdout).toBe(live['list']);
      expect(rootVersion(dir)).toBe(before + 1);
    }
    const g = await runGo(['-s', s2, '-d', goFollower, 'list', gun], o());
    expect(g.code, g.all).toBe(0);
    expect(g.stdout).toBe(live['list']);
    expect(g.stderr).not.toContain('using cached timestamp');
    expect(rootVersion(goFollower)).toBe(before + 1);
    // the Go client now holds the new server's timestamp (not a fallback to its cache)
    const goTs = JSON.parse(readFileSync(join(goFollower, 'tuf', gun, 'metadata', 'timestamp.json'), 'utf8'));
    const newRoot = JSON.parse(readFileSync(join(goFollower, 'tuf', gun, 'metadata', 'root.json'), 'utf8'));
    expect(newRoot.signed.roles.timestamp.keyids).toContain(goTs.signatures[0].keyid);
  });

  it('a new publish works there, and every follower sees it', async () => {
    const s2 = (server2 as NotaryServer).url;
    await ok(ts(s2, owner, ['add', '-p', gun, 'after-move', join(work, 'hello')]));
    const g = await runGo(['-s', s2, '-d', goFollower, 'lookup', gun, 'after-move'], o());
    expect(g.code, g.all).toBe(0);
    await ok(ts(s2, follower, ['lookup', gun, 'after-move']));
    const goPublish = await runGo(
      ['-s', s2, '-d', owner, 'add', '-p', gun, 'go-after-move', join(work, 'hello')],
      o(),
    );
    expect(goPublish.code, goPublish.all).toBe(0);
    await ok(ts(s2, earlyFollower, ['lookup', gun, 'go-after-move']));
  });

  it('refuses a server that already has the GUN', async () => {
    // the owner's keys, in a trust dir that never saw the new server (the owner's own cache now
    // trusts root N+1, so the archive's root N is refused there as a rollback)
    const keysOnly = join(work, 'keys-only');
    cpSync(join(owner, 'private'), join(keysOnly, 'private'), { recursive: true });
    const r = await ts(fileUrl(tarFile), keysOnly, ['rehost', gun, '--to', (server2 as NotaryServer).url]);
    expect(r.code, r.all).not.toBe(0);
    expect(r.stderr).toContain('already has trust data');
    const rollback = await ts(fileUrl(tarFile), owner, [
      'rehost',
      gun,
      '--to',
      (server2 as NotaryServer).url,
    ]);
    expect(rollback.stderr).toMatch(/fatal: version \d+ is lower than current version \d+/);
  });

  it('accepts an archive whose timestamp has expired (the new server signs its own), never caching that verdict', async () => {
    const written: string[] = [];
    const notes: string[] = [];
    const in20days = new Date(Date.now() + 20 * 86_400_000);
    const state = await verifySource(
      {
        gun,
        source: await openFileArchive(fileUrl(tarFile), gun, 'pull'),
        cache: { read: async () => undefined, write: async (role: string) => void written.push(role) },
        pinning: NO_PINNING,
        trustDir: work,
        clock: () => in20days,
        log: memLog(),
      } as unknown as RehostOptions,
      notes,
    );
    expect(state.targets.get('targets/releases')).toBeDefined();
    expect(notes.join()).toMatch(/the source's timestamp expired at .*replaced by the new server's own/);
    // only the normal attempt (real clock) may cache: the root it trusted before the timestamp failed
    expect(written.filter((r) => r !== 'root')).toEqual([]);
  });

  it('refuses an archive or a static server as the destination', async () => {
    const r = await ts(fileUrl(tarFile), owner, ['rehost', gun, '--to', (web as StaticServer).url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a read-only copy of trust data');
  });
});

/**
 * `kill -9` at random points of tsnotary commands, against a real notary-server, and the checks
 * that nothing was left behind (issue 9 part 2). Used by test/e2e/crash-kill.test.ts (a bounded
 * number of runs, in CI) and test/stress/crash.stress.ts (many runs, by hand).
 *
 * One scenario = one trust directory and one GUN, prepared once; its kill runs are chained on
 * that trust directory (run n starts from what run n-1 and its recovery left), so every run
 * also checks that the next command works after a crash. Each run:
 *   1. records the keys, staged changes and server state;
 *   2. starts the command and SIGKILLs it after a random delay (within the time an unkilled
 *      run of the same command took, measured first);
 *   3. checks the trust directory: every key, metadata and change file is complete and
 *      readable (no empty or partial file), only temp files of our own naming are left, a
 *      cached root comes with its targets and snapshot, no key the server still uses and no
 *      staged change was lost;
 *   4. runs the recovery command(s) (the next command writing to the same directories) and
 *      checks they succeed and removed the stale temp files of every directory they wrote to.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isTempName } from '../../src/atomic-file.js';
import { pemDecodeAll } from '../../src/crypto/pem.js';
import { parsePrivateKeyPem } from '../../src/crypto/private-key.js';
import { parseChange } from '../../src/repo/changelist.js';
import { LOCK_FILE_NAME } from '../../src/repo/gun-lock.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import type { RootSigned, TargetsSigned } from '../../src/tuf/types.js';
import { type RunResult, run, tempDir, tsnotaryBin } from './cli.js';

export const PASS: Record<string, string> = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};
const ALL_PASSPHRASES = Object.values(PASS);

export interface Ctx {
  serverUrl: string;
  dir: string;
  trust: string;
  gun: string;
  /** Runs tsnotary on this trust dir and server; throws unless it exits 0. */
  ts(args: string[]): Promise<RunResult>;
  /** A file in the scenario's scratch directory. */
  file(name: string, content: string | Buffer): string;
  /** Counter for unique names (targets, GUNs). */
  seq(): number;
}

export interface Scenario {
  name: string;
  /** Prepares the trust dir / server once (unkilled). */
  setup(c: Ctx): Promise<void>;
  /** Prepares one run (unkilled; e.g. stage a change to publish) and returns the command to kill. */
  command(c: Ctx): Promise<string[]>;
  /** The next command(s) after a kill: must succeed (and sweep what the kill left). */
  recover(c: Ctx): Promise<void>;
  /** Extra state checks after the kill (the generic ones always run). */
  check?(c: Ctx, before: Inventory, after: Inventory): Promise<string[]>;
}

export interface RunStats {
  scenario: string;
  runs: number;
  /** runs where the process was really killed (not finished before the signal) */
  killed: number;
  /** temp files found right after a kill (expected now and then) */
  tempsAfterKill: number;
  /** temp files still present after recovery in a directory the recovery wrote */
  tempsAfterRecovery: number;
  /** runs whose kill hit after the command had written something */
  changedState: number;
  problems: string[];
}

/** Files of the trust dir, classified. */
export interface Inventory {
  keys: Map<string, Buffer>;
  changes: Map<string, Buffer>;
  metadata: Map<string, Buffer>;
  temps: string[];
  other: string[];
}

function walk(root: string, dir: string, out: string[]): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(root, p, out);
    else out.push(relative(root, p));
  }
}

export function inventory(trust: string): Inventory {
  const files: string[] = [];
  walk(trust, trust, files);
  const inv: Inventory = { keys: new Map(), changes: new Map(), metadata: new Map(), temps: [], other: [] };
  for (const rel of files.sort()) {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const bytes = readFileSync(join(trust, rel));
    if (isTempName(base)) inv.temps.push(rel);
    else if (rel.startsWith('private/') && rel.endsWith('.key')) inv.keys.set(rel, bytes);
    else if (/\/changelist\/[^/]+$/.test(rel)) inv.changes.set(rel, bytes);
    else if (/\/metadata\/.+\.json$/.test(rel)) inv.metadata.set(rel, bytes);
    else inv.other.push(rel);
  }
  return inv;
}

/** Every visible file complete and readable: the "no empty or partial file" check. */
export function fileProblems(trust: string, inv: Inventory): string[] {
  const out: string[] = [];
  for (const [rel, bytes] of inv.keys) {
    if (bytes.length === 0) {
      out.push(`empty key file ${rel}`);
      continue;
    }
    const blocks = pemDecodeAll(bytes.toString('latin1'));
    if (blocks.length === 0) {
      out.push(`key file ${rel} holds no PEM block`);
      continue;
    }
    let opened = false;
    for (const pass of ['', ...ALL_PASSPHRASES]) {
      try {
        parsePrivateKeyPem(blocks[0]!, pass);
        opened = true;
        break;
      } catch {
        // next passphrase
      }
    }
    if (!opened) out.push(`key file ${rel} does not decrypt with any test passphrase`);
  }
  for (const [rel, bytes] of inv.changes) {
    try {
      parseChange(bytes);
    } catch (e) {
      out.push(`change file ${rel} unreadable (${bytes.length} bytes): ${(e as Error).message}`);
    }
  }
  for (const [rel, bytes] of inv.metadata) {
    const role = rel.replace(/^tuf\/.+?\/metadata\//, '').replace(/\.json$/, '');
    try {
      parseMetadata(bytes, role.startsWith('targets/') ? 'targets' : role);
    } catch (e) {
      out.push(`metadata ${rel} unreadable (${bytes.length} bytes): ${(e as Error).message}`);
    }
  }
  for (const rel of inv.other) {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base === LOCK_FILE_NAME) {
      const text = readFileSync(join(trust, rel), 'utf8');
      try {
        JSON.parse(text);
      } catch {
        out.push(`lock file ${rel} unreadable: ${JSON.stringify(text)}`);
      }
      continue;
    }
    if (/^tuf\/.+\/changelist\/\.corrupt\//.test(rel)) {
      out.push(`a change file was set aside as corrupt: ${rel}`);
      continue;
    }
    out.push(`unexpected file ${rel}`);
  }
  // A cached root means "initialised": targets and snapshot must be there with it.
  const roots = [...inv.metadata.keys()].filter((r) => r.endsWith('/metadata/root.json'));
  for (const root of roots) {
    const dir = root.slice(0, -'root.json'.length);
    for (const need of ['targets.json', 'snapshot.json']) {
      if (!inv.metadata.has(dir + need)) {
        out.push(`half-initialised repository: ${root} without ${dir}${need}`);
      }
    }
  }
  return out;
}

/** Directories (relative) whose mtime is after `sinceMs`: the ones a command wrote into. */
function dirWrittenSince(trust: string, rel: string, sinceMs: number): boolean {
  try {
    return statSync(join(trust, rel)).mtimeMs >= sinceMs;
  } catch {
    return false;
  }
}

export async function serverJson<T>(url: string, gun: string, role: string): Promise<T | undefined> {
  const res = await fetch(`${url}/v2/${gun}/_trust/tuf/${role}.json`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${role} of ${gun}: ${res.status}`);
  return ((await res.json()) as { signed: T }).signed;
}

/** Key IDs (file names) the server's root and targets of `gun` reference. */
export async function serverKeyIds(url: string, gun: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const root = await serverJson<RootSigned>(url, gun, 'root');
  if (root) for (const r of Object.values(root.roles)) for (const id of r.keyids) ids.add(id);
  const targets = await serverJson<TargetsSigned>(url, gun, 'targets');
  if (targets) for (const id of Object.keys(targets.delegations?.keys ?? {})) ids.add(id);
  return ids;
}

export async function serverTargets(url: string, gun: string): Promise<Set<string>> {
  const targets = await serverJson<TargetsSigned>(url, gun, 'targets');
  return new Set(Object.keys(targets?.targets ?? {}));
}

/** When to kill: after a delay, or at the n-th file system event under `watchDir`. */
export type KillPoint = { afterMs: number } | { watchDir: string; nthEvent: number };

/**
 * Spawns tsnotary and SIGKILLs it at `at` (never when `at` is undefined); `killed` is true when
 * the signal ended it (not a normal exit first). `events` counts the file system events seen
 * under the watched directory (calibration).
 */
export function runAndKill(
  args: string[],
  env: Record<string, string>,
  home: string,
  at: KillPoint | undefined,
  watchDir?: string,
  bin: string = tsnotaryBin,
): Promise<{ killed: boolean; code: number | null; stderr: string; events: number }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (/^(NOTARY_|DOCKER_CONTENT_TRUST)/.test(k) || /^(https?|no|all)_proxy$/i.test(k)) continue;
      childEnv[k] = v;
    }
    Object.assign(childEnv, env, { HOME: home });
    let events = 0;
    let killed = false;
    const dir = at && 'watchDir' in at ? at.watchDir : watchDir;
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: home,
      env: childEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Watching starts while node is still starting the child: no write is missed.
    const watcher = dir
      ? watch(dir, { recursive: true }, () => {
          events++;
          if (at && 'nthEvent' in at && events === at.nthEvent) killed = child.kill('SIGKILL');
        })
      : undefined;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer =
      at && 'afterMs' in at
        ? setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, at.afterMs)
        : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      watcher?.close();
      resolve({ killed: killed && signal === 'SIGKILL', code, stderr, events });
    });
  });
}

export interface HarnessOptions {
  serverUrl: string;
  runs: number;
  /** Random source (seeded by the caller for reproducible runs). */
  random: () => number;
  /** The CLI entry point (default bin/tsnotary.js; the stress script can compare builds). */
  bin?: string;
  /** Progress line per run (stress script). */
  progress?: (line: string) => void;
}

function makeCtx(serverUrl: string, name: string, bin: string): Ctx {
  const dir = tempDir(`tsnotary-crash-${name.replace(/\W+/g, '-')}-`);
  const trust = join(dir, 'trust');
  let n = 0;
  const gun = `crash.io/${name.replace(/\W+/g, '-')}/${Date.now().toString(36)}`;
  return {
    serverUrl,
    dir,
    trust,
    gun,
    async ts(args) {
      const r = await run(process.execPath, [bin, '-d', trust, '-s', serverUrl, ...args], {
        env: PASS,
        home: dir,
      });
      if (r.code !== 0) {
        throw new Error(`tsnotary ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      }
      return r;
    },
    file(fname, content) {
      const p = join(dir, fname);
      writeFileSync(p, content);
      return p;
    },
    seq: () => ++n,
  };
}

/** Runs one scenario: setup, a calibration run, then `runs` kill runs. */
export async function runScenario(s: Scenario, o: HarnessOptions): Promise<RunStats> {
  const bin = o.bin ?? tsnotaryBin;
  const c = makeCtx(o.serverUrl, s.name, bin);
  const stats: RunStats = {
    scenario: s.name,
    runs: 0,
    killed: 0,
    tempsAfterKill: 0,
    tempsAfterRecovery: 0,
    changedState: 0,
    problems: [],
  };
  await s.setup(c);
  mkdirSync(c.trust, { recursive: true });
  // Calibration: how long the command takes and how many file system events it causes when
  // it is not killed.
  const calArgs = await s.command(c);
  const t0 = performance.now();
  const cal = await runAndKill(
    ['-d', c.trust, '-s', c.serverUrl, ...calArgs],
    PASS,
    c.dir,
    undefined,
    c.trust,
  );
  if (cal.code !== 0) throw new Error(`${s.name}: calibration run failed (${cal.code}): ${cal.stderr}`);
  const duration = performance.now() - t0;

  for (let i = 0; i < o.runs; i++) {
    const args = await s.command(c);
    const before = inventory(c.trust);
    const serverKeysBefore = await serverKeyIds(c.serverUrl, c.gun);
    // Every other run is killed at a random time after node's start-up; the others at a random
    // one of the file system events the command causes (an uncalibrated timer mostly hits the
    // start-up, the events hit the writes).
    const at: KillPoint =
      i % 2 === 0 || cal.events === 0
        ? { afterMs: Math.round(duration * (0.25 + 0.85 * o.random())) }
        : { watchDir: c.trust, nthEvent: 1 + Math.floor(o.random() * cal.events) };
    const where = 'afterMs' in at ? `after ${at.afterMs} ms` : `at event ${at.nthEvent} of ${cal.events}`;
    const r = await runAndKill(['-d', c.trust, '-s', c.serverUrl, ...args], PASS, c.dir, at, undefined, bin);
    stats.runs++;
    if (r.killed) stats.killed++;
    else if (r.code !== 0) stats.problems.push(`${s.name} run ${i}: exited ${r.code} unkilled: ${r.stderr}`);
    const after = inventory(c.trust);
    stats.tempsAfterKill += after.temps.length;
    if (
      [...after.keys.keys(), ...after.changes.keys(), ...after.metadata.keys()].some(
        (k) =>
          !(before.keys.get(k) ?? before.changes.get(k) ?? before.metadata.get(k))?.equals(
            (after.keys.get(k) ?? after.changes.get(k) ?? after.metadata.get(k))!,
          ),
      )
    ) {
      stats.changedState++;
    }
    const problems = fileProblems(c.trust, after);
    problems.push(...(await lostKeys(c, before, after, serverKeysBefore)));
    problems.push(...(await lostChanges(c, before, after)));
    if (s.check) problems.push(...(await s.check(c, before, after)));
    const recoveryStart = Date.now() - 5; // mtime granularity
    try {
      await s.recover(c);
    } catch (e) {
      problems.push(`recovery failed: ${(e as Error).message}`);
    }
    const recovered = inventory(c.trust);
    problems.push(...fileProblems(c.trust, recovered).map((p) => `after recovery: ${p}`));
    for (const t of recovered.temps) {
      const dir = t.includes('/') ? t.slice(0, t.lastIndexOf('/')) : '.';
      if (dirWrittenSince(c.trust, dir, recoveryStart)) {
        stats.tempsAfterRecovery++;
        problems.push(`stale temp file ${t} survived a command that wrote to its directory`);
      }
    }
    for (const p of problems) stats.problems.push(`${s.name} run ${i} (kill ${where}): ${p}`);
    o.progress?.(
      `${s.name} #${i + 1}: ${r.killed ? `killed ${where}` : `finished (${r.code})`}, ` +
        `${after.temps.length} temp file(s) left by the kill, ${problems.length} problem(s)`,
    );
  }
  return stats;
}

/** A key that existed before and that the server still references must still exist and open. */
async function lostKeys(
  c: Ctx,
  before: Inventory,
  after: Inventory,
  serverBefore: Set<string>,
): Promise<string[]> {
  const out: string[] = [];
  const serverNow = await serverKeyIds(c.serverUrl, c.gun);
  for (const rel of before.keys.keys()) {
    if (after.keys.has(rel)) continue;
    const id = rel.slice(rel.lastIndexOf('/') + 1, -'.key'.length);
    if (serverNow.has(id) || !serverBefore.has(id)) {
      out.push(
        `key ${id} was lost (${serverNow.has(id) ? 'the server still uses it' : 'it was not used by the server'})`,
      );
    }
  }
  // Every local-role key the server lists for targets must be held (we are its only signer).
  const root = await serverJson<RootSigned>(c.serverUrl, c.gun, 'root');
  for (const id of root?.roles['targets']?.keyids ?? []) {
    if (![...after.keys.keys()].some((k) => k.endsWith(`/${id}.key`) || k === `private/${id}.key`)) {
      out.push(`the server's targets key ${id} is not in the trust directory`);
    }
  }
  return out;
}

/** A change staged before the kill is still staged, or the server has it (publish succeeded). */
async function lostChanges(c: Ctx, before: Inventory, after: Inventory): Promise<string[]> {
  const gone = [...before.changes.keys()].filter((k) => !after.changes.has(k));
  if (gone.length === 0) return [];
  const targets = await serverJson<TargetsSigned>(c.serverUrl, c.gun, 'targets');
  const onServer = new Set(Object.keys(targets?.targets ?? {}));
  const roles = new Set((targets?.delegations?.roles ?? []).map((r) => r.name));
  const out: string[] = [];
  for (const rel of gone) {
    const ch = parseChange(before.changes.get(rel)!);
    if (ch.type === 'target' && ch.action === 'create' && !onServer.has(ch.path)) {
      out.push(`staged change ${rel} (add ${ch.path}) was lost: neither staged nor published`);
    }
    if (ch.type === 'delegation' && ch.action === 'create' && !roles.has(ch.role)) {
      out.push(`staged change ${rel} (delegation ${ch.role}) was lost: neither staged nor published`);
    }
  }
  return out;
}

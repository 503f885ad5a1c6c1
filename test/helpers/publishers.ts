/**
 * Several publishers of one GUN (issue 9 part 3): trust directories with the same keys (copies,
 * as CI jobs restoring one trust dir), each running the real CLI against a real notary-server.
 * Used by test/integration/publish-concurrency.test.ts and test/stress/publish.stress.ts.
 */
import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { type Change, openChangelist } from '../../src/repo/changelist.js';
import type { TargetsSigned } from '../../src/tuf/types.js';
import { type RunResult, runGo, runTs, tempDir } from './cli.js';

export const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

export function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export interface Client {
  trust: string;
  ts(args: string[], opts?: { server?: string; env?: Record<string, string> }): Promise<RunResult>;
  go(args: string[]): Promise<RunResult>;
  /** Stages `create target` changes for `names` (content: `content of <name>`). */
  stage(gun: string, names: string[]): Promise<void>;
}

export function client(serverUrl: string, trust: string): Client {
  return {
    trust,
    ts: (args, opts = {}) =>
      runTs(['-d', trust, '-s', opts.server ?? serverUrl, ...args], { env: { ...PASS, ...opts.env } }),
    go: (args) => runGo(['-d', trust, '-s', serverUrl, ...args], { env: PASS }),
    async stage(gun, names) {
      const changes: Change[] = names.map((name) => {
        const b = Buffer.from(`content of ${name}`);
        return {
          action: 'create',
          role: 'targets',
          type: 'target',
          path: name,
          data: Buffer.from(
            JSON.stringify({
              length: b.length,
              hashes: {
                sha256: createHash('sha256').update(b).digest('base64'),
                sha512: createHash('sha512').update(b).digest('base64'),
              },
            }),
          ),
        };
      });
      // The same Go-format change files `tsnotary add` writes, staged in-process: spawning
      // 200 `add` commands would only measure node's start-up.
      await openChangelist(trust, gun, silentLogger).stageAll(changes);
    },
  };
}

let n = 0;

/** A published GUN and the trust dir that owns it. */
export async function publishedRepo(serverUrl: string): Promise<{ gun: string; owner: Client; dir: string }> {
  const dir = tempDir('tsnotary-concurrency-');
  const gun = `ex.io/concurrent/${Date.now().toString(36)}-${++n}`;
  const owner = client(serverUrl, join(dir, 'trust0'));
  ok(await owner.ts(['init', '-p', gun]));
  return { gun, owner, dir };
}

/** A copy of a trust dir: another machine with the same keys. */
export function copyTrust(serverUrl: string, from: Client, to: string): Client {
  cpSync(from.trust, to, { recursive: true });
  return client(serverUrl, to);
}

export async function serverTargets(serverUrl: string, gun: string): Promise<TargetsSigned> {
  const res = await fetch(`${serverUrl}/v2/${gun}/_trust/tuf/targets.json`);
  if (res.status !== 200) throw new Error(`GET targets of ${gun}: ${res.status}`);
  return ((await res.json()) as { signed: TargetsSigned }).signed;
}

/** Names listed by `notary list` (Go or tsnotary: header, dashes, then one row per target). */
export function listed(r: RunResult): string[] {
  return r.stdout
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((x) => x !== '');
}

/** The "publishing <gun>: attempt k of 3" lines of a `-v` run. */
export const attempts = (r: RunResult) => r.stderr.match(/publishing \S+: attempt \d of 3/g) ?? [];
/** How often a `-v` run redid an attempt because the server moved before its upload. */
export const refreshes = (r: RunResult) => (r.stderr.match(/again before uploading/g) ?? []).length;

export interface RoundsResult {
  gun: string;
  dir: string;
  expected: string[];
  results: RunResult[];
  /** publishes by the number of attempts they needed (index 1..3) */
  histogram: number[];
  /** redos before an upload (the server moved during the attempt), all publishes together */
  refreshes: number;
}

/**
 * `clients` publishers x `perRound` targets x `rounds`: each round every client stages its
 * targets, then all publish at once (separate processes, separate trust dirs).
 */
export async function concurrentRounds(
  serverUrl: string,
  clients: number,
  perRound: number,
  rounds: number,
): Promise<RoundsResult> {
  const { gun, owner, dir } = await publishedRepo(serverUrl);
  const cs = Array.from({ length: clients }, (_, i) =>
    copyTrust(serverUrl, owner, join(dir, `trust${i + 1}`)),
  );
  const expected: string[] = [];
  const results: RunResult[] = [];
  const histogram = [0, 0, 0, 0];
  let redone = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const [i, c] of cs.entries()) {
      const names = Array.from({ length: perRound }, (_, t) => `c${i + 1}/r${round}/t${t}`);
      await c.stage(gun, names);
      expected.push(...names);
    }
    const rs = await Promise.all(cs.map((c) => c.ts(['-v', 'publish', gun])));
    for (const r of rs) {
      results.push(r);
      histogram[attempts(r).length] = (histogram[attempts(r).length] ?? 0) + 1;
      redone += refreshes(r);
    }
  }
  return { gun, dir, expected, results, histogram, refreshes: redone };
}

// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Issue 9 part 2, in CI: `kill -9` at random points of init, add, publish, key rotate (targets,
 * snapshot -r), key generate, key import, delegation add and key passwd against a real
 * notary-server. No run may leave an empty or partial file, lose a key or a staged change, or
 * leave a stale temp file behind once the next command wrote to its directory
 * (test/helpers/crash-harness.ts). A bounded number of runs per command keeps this near a
 * minute; test/stress/crash.stress.ts runs many more by hand.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTag } from '../../src/process-owner.js';
import { type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { PASS, runScenario } from '../helpers/crash-harness.js';
import { crashScenarios } from '../helpers/crash-scenarios.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

/** Kill runs per command in CI. */
const RUNS = 2;

/** Deterministic "random" kill points per run of the suite, different on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let server: NotaryServer;
beforeAll(async () => {
  server = await startNotaryServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('kill -9 at random points leaves nothing behind', () => {
  const seed = Date.now() % 1_000_000;
  for (const scenario of crashScenarios()) {
    it(scenario.name, async () => {
      const stats = await runScenario(scenario, {
        serverUrl: server.url,
        runs: RUNS,
        random: mulberry32(seed + scenario.name.length),
      });
      expect(stats.problems, `kill points from seed ${seed}`).toEqual([]);
      expect(stats.runs).toBe(RUNS);
    });
  }
});

describe('temp files left by a kill are never read as data', () => {
  it('tsnotary and Go list the same keys, changes and targets with them present; the next write sweeps them', async () => {
    const dir = tempDir('tsnotary-temps-');
    const trust = join(dir, 'trust');
    const gun = 'crash.io/temps/app';
    const ok = (r: RunResult) => {
      expect(r.code, r.all).toBe(0);
      return r;
    };
    const ts = (args: string[]) => runTs(['-d', trust, '-s', server.url, ...args], { env: PASS });
    const go = (args: string[]) => runGo(['-d', trust, '-s', server.url, ...args], { env: PASS });
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'f');
    ok(await ts(['init', '-p', gun]));
    ok(await ts(['add', gun, 'staged', file]));
    const before = {
      tsKeys: ok(await ts(['key', 'list'])).stdout,
      goKeys: ok(await go(['key', 'list'])).stdout,
      tsStatus: ok(await ts(['status', gun])).stdout,
      goStatus: ok(await go(['status', gun])).stdout,
    };

    // What `kill -9` leaves: temp files of a dead process, empty or with data-like content.
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    const tmp = (name: string) => `.${name}.tmp-${dead}-${hostTag()}-0a0b0c0d`;
    const priv = join(trust, 'private');
    const someKey = readdirSync(priv).find((f) => f.endsWith('.key'))!;
    copyFileSync(join(priv, someKey), join(priv, tmp(`${'e'.repeat(64)}.key`)));
    writeFileSync(join(priv, tmp(`${'f'.repeat(64)}.key`)), '');
    const md = join(trust, 'tuf', 'crash.io', 'temps', 'app', 'metadata');
    writeFileSync(join(md, tmp('timestamp.json')), '');
    writeFileSync(join(md, tmp('targets.json')), '{"signed":');
    const staging = join(trust, 'tuf', 'crash.io', 'temps', 'app', 'changelist', '.staging');
    mkdirSync(staging, { recursive: true });
    writeFileSync(
      join(staging, tmp('99999999999999999999_ghost.change')),
      '{"action":"create","role":"targets","type":"target","path":"ghost","data":null}',
    );

    expect(ok(await ts(['key', 'list'])).stdout).toBe(before.tsKeys);
    expect(ok(await go(['key', 'list'])).stdout).toBe(before.goKeys);
    expect(ok(await ts(['status', gun])).stdout).toBe(before.tsStatus);
    expect(ok(await go(['status', gun])).stdout).toBe(before.goStatus);
    ok(await ts(['list', gun]));
    ok(await go(['list', gun]));

    // The next command writing to each directory removes them.
    ok(await ts(['add', gun, 'second', file]));
    expect(readdirSync(staging)).toEqual([]);
    ok(await ts(['key', 'generate', 'ecdsa', '--role', 'delegation']));
    expect(readdirSync(priv).filter((f) => f.includes('.tmp-'))).toEqual([]);
    ok(await ts(['publish', gun]));
    expect(readdirSync(md).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(existsSync(join(md, 'root.json'))).toBe(true);
  });
});

/**
 * Issue 9 part 2, in CI: `kill -9` at random points of init, add, publish, key rotate (targets,
 * snapshot -r), key generate, key import, delegation add and key passwd against a real
 * notary-server. No run may leave an empty or partial file, lose a key or a staged change, or
 * leave a stale temp file behind once the next command wrote to its directory
 * (test/helpers/crash-harness.ts). A bounded number of runs per command keeps this near a
 * minute; test/stress/crash.stress.ts runs many more by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../helpers/crash-harness.js';
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
    it(`${scenario.name} (seed ${seed})`, async () => {
      const stats = await runScenario(scenario, {
        serverUrl: server.url,
        runs: RUNS,
        random: mulberry32(seed + scenario.name.length),
      });
      expect(stats.problems).toEqual([]);
      expect(stats.runs).toBe(RUNS);
    });
  }
});

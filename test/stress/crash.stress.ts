/**
 * The by-hand version of test/e2e/crash-kill.test.ts: many kill runs per command, with a
 * summary of what the kills hit. Not part of `npm test` (`*.stress.ts` is outside the default
 * include); run it with
 *
 *   CRASH_RUNS=30 npx vitest run --config test/stress/vitest.config.ts
 *
 * (CRASH_ONLY=publish limits it to the scenarios whose name contains the text; CRASH_BIN=path runs
 * another build's bin/tsnotary.js, e.g. the previous commit's, to see what the checks catch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunStats, runScenario } from '../helpers/crash-harness.js';
import { crashScenarios } from '../helpers/crash-scenarios.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const RUNS = Number(process.env['CRASH_RUNS'] ?? '30');
const ONLY = process.env['CRASH_ONLY'] ?? '';

let server: NotaryServer;
const all: RunStats[] = [];
beforeAll(async () => {
  server = await startNotaryServer();
});
afterAll(async () => {
  await server?.stop();
  const lines = all.map(
    (s) =>
      `${s.scenario.padEnd(24)} runs ${String(s.runs).padStart(4)}  killed ${String(s.killed).padStart(4)}  ` +
      `changed-state ${String(s.changedState).padStart(4)}  temps-after-kill ${String(s.tempsAfterKill).padStart(3)}  ` +
      `temps-after-recovery ${s.tempsAfterRecovery}  problems ${s.problems.length}`,
  );
  process.stdout.write(`\nkill -9 stress summary (${RUNS} runs per command)\n${lines.join('\n')}\n`);
});

describe('kill -9 stress', () => {
  for (const scenario of crashScenarios().filter((s) => s.name.includes(ONLY))) {
    it(scenario.name, async () => {
      const stats = await runScenario(scenario, {
        serverUrl: server.url,
        runs: RUNS,
        random: Math.random,
        ...(process.env['CRASH_BIN'] ? { bin: process.env['CRASH_BIN'] } : {}),
        progress: (line) => process.stdout.write(`${line}\n`),
      });
      all.push(stats);
      expect(stats.problems).toEqual([]);
    }, 3_600_000);
  }
});

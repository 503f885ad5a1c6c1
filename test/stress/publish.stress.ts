/**
 * The by-hand version of the "4 clients x 10 targets x 5 rounds" test of
 * test/integration/publish-concurrency.test.ts, repeated to measure how often a publish needs
 * its 2nd or 3rd attempt and whether any runs out of attempts:
 *
 *   PUBLISH_REPEAT=10 npx vitest run --config test/stress/vitest.config.ts test/stress/publish.stress.ts
 *
 * (PUBLISH_CLIENTS, PUBLISH_TARGETS, PUBLISH_ROUNDS change the shape; defaults 4, 10, 5.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { concurrentRounds, serverTargets } from '../helpers/publishers.js';

const REPEAT = Number(process.env['PUBLISH_REPEAT'] ?? '5');
const CLIENTS = Number(process.env['PUBLISH_CLIENTS'] ?? '4');
const TARGETS = Number(process.env['PUBLISH_TARGETS'] ?? '10');
const ROUNDS = Number(process.env['PUBLISH_ROUNDS'] ?? '5');

let server: NotaryServer;
beforeAll(async () => {
  server = await startNotaryServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('concurrent publishers stress', () => {
  it(`${REPEAT} x (${CLIENTS} clients x ${TARGETS} targets x ${ROUNDS} rounds)`, async () => {
    const total = [0, 0, 0, 0];
    let failed = 0;
    let lost = 0;
    let redone = 0;
    for (let i = 0; i < REPEAT; i++) {
      const r = await concurrentRounds(server.url, CLIENTS, TARGETS, ROUNDS);
      const bad = r.results.filter((x) => x.code !== 0);
      failed += bad.length;
      for (const b of bad)
        process.stdout.write(`failed publish (${b.code}): ${b.stderr.split('\n').slice(-3).join(' | ')}\n`);
      const have = new Set(Object.keys((await serverTargets(server.url, r.gun)).targets));
      const missing = r.expected.filter((t) => !have.has(t));
      lost += bad.length > 0 ? 0 : missing.length;
      redone += r.refreshes;
      r.histogram.forEach((v, k) => {
        total[k] = (total[k] ?? 0) + v;
      });
      process.stdout.write(
        `repeat ${i + 1}: attempts needed 1: ${r.histogram[1]}, 2: ${r.histogram[2]}, 3: ${r.histogram[3]}; ` +
          `redone before upload ${r.refreshes}; failed ${bad.length}; missing ${missing.length}\n`,
      );
    }
    process.stdout.write(
      `\n${REPEAT * CLIENTS * ROUNDS} publishes: attempts needed 1: ${total[1]}, 2: ${total[2]}, 3: ${total[3]}; ` +
        `redone before upload ${redone}; ` +
        `failed ${failed}; targets lost ${lost}\n`,
    );
    expect(failed).toBe(0);
    expect(lost).toBe(0);
  }, 3_600_000);
});

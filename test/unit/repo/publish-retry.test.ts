import { describe, expect, it } from 'vitest';
import { ExitCode, NotaryError } from '../../../src/errors.js';
import type { PublishContext, PublishResult } from '../../../src/repo/publish.js';
import { backoffDelay, MAX_PUBLISH_ATTEMPTS, publishWithRetry } from '../../../src/repo/publish-retry.js';
import { failure, memLog } from '../../helpers/memlog.js';

const version = () =>
  new NotaryError('VERSION_CONFLICT', 'trust server rejected operation.', { details: { status: 400 } });
const ok: PublishResult = { files: new Map(), initialPublish: false, unusedKeyIds: [] };

function harness(outcomes: Array<Error | 'ok'>) {
  const log = memLog();
  const ctx = { gun: 'ex.io/retry', log } as unknown as PublishContext;
  const slept: number[] = [];
  let calls = 0;
  const publish = async () => {
    const next = outcomes[calls++];
    if (next === undefined || next === 'ok') return ok;
    throw next;
  };
  const run = () =>
    publishWithRetry(
      ctx,
      [],
      {
        random: () => 0.5,
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
      publish,
    );
  return { run, log, slept, calls: () => calls };
}

describe('publish retry on VERSION (another publisher was faster)', () => {
  it('updates and publishes again after a jittered backoff, logging every attempt at info level', async () => {
    const h = harness([version(), version(), 'ok']);
    await expect(h.run()).resolves.toBe(ok);
    expect(h.calls()).toBe(3);
    expect(h.slept).toHaveLength(2);
    expect(h.slept[0]).toBeGreaterThan(0);
    expect(h.slept[1]!).toBeGreaterThan(h.slept[0]!); // the window grows
    const info = h.log.lines.filter((l) => l.startsWith('info: ')).map((l) => l.slice(6));
    expect(info.filter((m) => /attempt \d of 3/.test(m))).toEqual([
      'publishing ex.io/retry: attempt 1 of 3',
      'publishing ex.io/retry: attempt 2 of 3',
      'publishing ex.io/retry: attempt 3 of 3',
    ]);
    expect(info.some((m) => m.includes('another publisher changed ex.io/retry meanwhile'))).toBe(true);
  });

  it('gives up after 3 attempts: says another publisher changed the GUN, exits with the conflict code', async () => {
    const h = harness([version(), version(), version(), 'ok']);
    const err = await failure(h.run());
    expect(h.calls()).toBe(MAX_PUBLISH_ATTEMPTS);
    expect(err.code).toBe('VERSION_CONFLICT');
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.exitCode).toBe(9);
    expect(err.message).toBe(
      'another publisher changed ex.io/retry while this publish was in flight (the server rejected 3 attempts with "A newer version of metadata is already available")',
    );
    expect(err.hint).toMatch(/changes are kept/);
    expect(err.cause).toBeInstanceOf(NotaryError);
  });

  it.each([
    [
      'a signature rejection',
      new NotaryError(
        'SERVER_REJECTED',
        'The targets metadata is invalid: valid signatures did not meet threshold for targets',
      ),
    ],
    [
      'a threshold failure',
      new NotaryError('THRESHOLD', 'valid signatures did not meet threshold for targets'),
    ],
    ['missing keys', new NotaryError('SIGNING_KEYS_MISSING', 'could not find necessary signing keys')],
    [
      'a root that does not chain',
      new NotaryError('ROOT_ROTATION', 'could not rotate trust to a new trusted root'),
    ],
    ['a network failure', new NotaryError('NETWORK', 'connection refused')],
  ])('never retries %s', async (_what, error) => {
    const h = harness([error, 'ok']);
    await expect(h.run()).rejects.toBe(error);
    expect(h.calls()).toBe(1);
    expect(h.slept).toEqual([]);
  });

  it('backoff: full jitter in a window that grows per attempt and with the lost attempt, capped', () => {
    expect(backoffDelay(2, 10, { random: () => 0 })).toBe(0);
    expect(backoffDelay(2, 10, { random: () => 0.999 })).toBe(999); // base window 1 s
    expect(backoffDelay(3, 10, { random: () => 0.999 })).toBe(1998); // doubled for attempt 3
    expect(backoffDelay(2, 500, { random: () => 0.999 })).toBe(3996); // 8 x a 500 ms attempt
    expect(backoffDelay(3, 5000, { random: () => 0.999 })).toBe(7992); // capped at 8 s
  });
});

import { describe, expect, it } from 'vitest';
import { ExitCode, NotaryError } from '../../../src/errors.js';
import type { PublishContext, PublishResult } from '../../../src/repo/publish.js';
import {
  backoffDelay,
  MAX_PUBLISH_ATTEMPTS,
  MAX_REFRESHES,
  publishWithRetry,
} from '../../../src/repo/publish-retry.js';
import type { RepoState } from '../../../src/repo/state.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { TimestampSigned } from '../../../src/tuf/types.js';
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
        checkBeforeUpload: false,
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

/** A timestamp.json pointing at snapshot `n` (structure only: the guard never trusts it). */
function timestamp(n: number): Buffer {
  const sha = Buffer.alloc(32, n).toString('base64');
  return Buffer.from(
    JSON.stringify({
      signed: {
        _type: 'Timestamp',
        expires: '2030-01-01T00:00:00Z',
        meta: { snapshot: { hashes: { sha256: sha }, length: 1 } },
        version: n,
      },
      signatures: [],
    }),
  );
}

describe('check before upload: the server moved during the attempt', () => {
  /**
   * A server whose snapshot advances `moves` times between an update and the following upload
   * (another publisher getting in each time), and a one-attempt publish shaped like
   * publishChanges: update, then upload.
   */
  function server(moves: number) {
    let snapshot = 1;
    let left = moves;
    const uploads: number[] = [];
    const log = memLog();
    const remote = {
      getMeta: async (role: string) => {
        expect(role).toBe('timestamp');
        return timestamp(snapshot);
      },
      publish: async () => {
        uploads.push(snapshot);
      },
    };
    const ctx = {
      gun: 'ex.io/fresh',
      log,
      remote,
      update: async () => {
        const state = { timestamp: parseMetadata<TimestampSigned>(timestamp(snapshot), 'timestamp') };
        if (left > 0) {
          left--;
          snapshot++; // someone publishes while we apply and sign
        }
        return state as unknown as RepoState;
      },
    } as unknown as PublishContext;
    const publish = async (c: PublishContext) => {
      await c.update();
      await c.remote.publish(new Map());
      return ok;
    };
    const slept: number[] = [];
    const run = () =>
      publishWithRetry(ctx, [], { random: () => 0.5, sleep: async (ms) => void slept.push(ms) }, publish);
    return { run, uploads, log, slept };
  }

  it('redoes the attempt at once instead of uploading what the server would refuse; no attempt is spent', async () => {
    const s = server(2);
    await expect(s.run()).resolves.toBe(ok);
    expect(s.uploads).toEqual([3]); // one upload, made from the latest state
    const info = s.log.lines.filter((l) => l.startsWith('info: '));
    expect(info.filter((l) => l.includes('attempt 1 of 3'))).toHaveLength(1);
    expect(info.filter((l) => l.includes('attempt 2 of 3'))).toHaveLength(0);
    expect(info.filter((l) => l.includes('before uploading'))).toHaveLength(2);
    expect(s.slept.every((ms) => ms < 50)).toBe(true); // no backoff, only a little jitter
  });

  it(`is bounded: after ${MAX_REFRESHES} redos the attempt uploads anyway`, async () => {
    const s = server(100);
    await expect(s.run()).resolves.toBe(ok);
    expect(s.uploads).toHaveLength(1);
    expect(s.log.lines.filter((l) => l.includes('before uploading'))).toHaveLength(MAX_REFRESHES);
  });

  it('an unchanged server is uploaded to directly (one extra GET of timestamp.json)', async () => {
    const s = server(0);
    await expect(s.run()).resolves.toBe(ok);
    expect(s.uploads).toEqual([1]);
    expect(s.log.lines.filter((l) => l.includes('before uploading'))).toEqual([]);
  });
});

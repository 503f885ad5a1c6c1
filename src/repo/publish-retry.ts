/**
 * Publishing that survives a concurrent publisher (another machine, another trust directory):
 * when the server answers VERSION ("A newer version of metadata is already available",
 * server-api.md §3), someone published between our update and our upload. The whole publish
 * is then run again — update to the new state, re-apply the same changes on it, re-sign,
 * upload — after a jittered backoff, at most MAX_PUBLISH_ATTEMPTS times in all.
 *
 * Only VERSION is retried. Every other rejection (signatures, keys, thresholds, a root that does
 * not chain, a malformed upload) says something about this publish itself and would fail the
 * same way again. Nothing is written locally by a failed attempt, so the staged changes are
 * still there when every attempt lost: the final error says another publisher changed the GUN
 * meanwhile and exits with the conflict code (docs/exit-codes.md).
 */
import { isNotaryError, NotaryError } from '../errors.js';
import type { ChangeToApply } from './apply-changes.js';
import { type PublishContext, type PublishResult, publishChanges } from './publish.js';

/** Attempts in all (the first one included). */
export const MAX_PUBLISH_ATTEMPTS = 3;

export interface RetryPolicy {
  /** Attempts in all (default MAX_PUBLISH_ATTEMPTS). */
  attempts?: number;
  /** Smallest backoff window in ms (default 1000). */
  baseDelayMs?: number;
  /** Largest backoff window in ms (default 8000). */
  maxDelayMs?: number;
  /** [0, 1) random source (tests). */
  random?: () => number;
  /** Sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic ms clock, to measure attempts (tests). */
  nowMs?: () => number;
}

/**
 * The backoff before attempt `next` (2, 3, ...): "full jitter", uniform in [0, window). The
 * window grows with the attempt and with how long the lost attempt took, because two
 * publishers collide when their update-to-upload spans overlap: a window many spans wide makes
 * a second collision unlikely even with four publishers at once.
 */
export function backoffDelay(
  next: number,
  lostAttemptMs: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'> = {},
): number {
  const base = Math.max(policy.baseDelayMs ?? 1000, 8 * lostAttemptMs);
  const window = Math.min(policy.maxDelayMs ?? 8000, base * 2 ** (next - 2));
  return Math.floor((policy.random ?? Math.random)() * window);
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `publishChanges` with the VERSION retry loop; `changes` are re-applied on every attempt
 * (`publish` is the one-attempt publish, replaceable in tests).
 */
export async function publishWithRetry(
  ctx: PublishContext,
  changes: readonly ChangeToApply[],
  policy: RetryPolicy = {},
  publish: typeof publishChanges = publishChanges,
): Promise<PublishResult> {
  const attempts = Math.max(1, policy.attempts ?? MAX_PUBLISH_ATTEMPTS);
  const sleep = policy.sleep ?? defaultSleep;
  const nowMs = policy.nowMs ?? (() => performance.now());
  for (let attempt = 1; ; attempt++) {
    ctx.log.info(`publishing ${ctx.gun}: attempt ${attempt} of ${attempts}`);
    const started = nowMs();
    try {
      return await publish(ctx, changes);
    } catch (e) {
      if (!isNotaryError(e, 'VERSION_CONFLICT')) throw e;
      if (attempt >= attempts) throw conflictError(ctx.gun, attempts, e);
      const delay = backoffDelay(attempt + 1, nowMs() - started, policy);
      ctx.log.info(
        `publishing ${ctx.gun}: the server already has a newer version (another publisher changed ${ctx.gun} meanwhile); ` +
          `updating and applying the changes again in ${delay} ms`,
      );
      await sleep(delay);
    }
  }
}

function conflictError(gun: string, attempts: number, last: NotaryError): NotaryError {
  return new NotaryError(
    'VERSION_CONFLICT',
    `another publisher changed ${gun} while this publish was in flight (the server rejected ${attempts} attempts with "A newer version of metadata is already available")`,
    {
      cause: last,
      hint: `Nothing was published and the changes are kept: run the command again (e.g. \`tsnotary publish ${gun}\`) once the other publisher is done.`,
      details: { gun, attempts, ...(last.details ?? {}) },
    },
  );
}

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
 *
 * Between signing and uploading, one cheap GET of timestamp.json tells whether the server's
 * snapshot moved since our update (`freshnessGuard`). If it did, the upload would only be
 * rejected: the attempt is redone at once instead (update, re-apply, re-sign; at most
 * MAX_REFRESHES times per attempt, then it uploads anyway), without spending an attempt. This
 * shrinks the span in which another publisher's upload makes ours fail from "update to upload"
 * to "last check to upload", which is what keeps four publishers starting together within the
 * three attempts.
 */
import { errorMessage, isNotaryError, NotaryError } from '../errors.js';
import type { Remote } from '../remote/types.js';
import { parseMetadata } from '../tuf/metadata.js';
import type { TimestampSigned } from '../tuf/types.js';
import type { ChangeToApply } from './apply-changes.js';
import { type PublishContext, type PublishResult, publishChanges } from './publish.js';
import type { RepoState } from './state.js';
import { MAX_TIMESTAMP_SIZE } from './update.js';

/** Attempts in all (the first one included). */
export const MAX_PUBLISH_ATTEMPTS = 3;
/** Redos of one attempt because the server moved before the upload (no upload was made). */
export const MAX_REFRESHES = 3;

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
  /** Check the server's timestamp before each upload (default true). */
  checkBeforeUpload?: boolean;
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
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    ctx.log.info(`publishing ${ctx.gun}: attempt ${attempt} of ${attempts}`);
    const started = nowMs();
    for (let refresh = 0; ; refresh++) {
      const guarded = policy.checkBeforeUpload === false ? ctx : freshnessGuard(ctx, refresh < MAX_REFRESHES);
      try {
        return await publish(guarded, changes);
      } catch (e) {
        if (isNotaryError(e, 'VERSION_CONFLICT') && e.details?.['beforeUpload'] === true) {
          ctx.log.info(
            `publishing ${ctx.gun}: another publisher changed ${ctx.gun} during this attempt; ` +
              `updating and applying the changes again before uploading (${refresh + 1} of ${MAX_REFRESHES})`,
          );
          // A few ms of jitter so that publishers that noticed the same change spread out.
          await sleep(Math.floor(random() * 50));
          continue;
        }
        if (!isNotaryError(e, 'VERSION_CONFLICT')) throw e;
        if (attempt >= attempts) throw conflictError(ctx.gun, attempts, e);
        break;
      }
    }
    const delay = backoffDelay(attempt + 1, nowMs() - started, { ...policy, random });
    ctx.log.info(
      `publishing ${ctx.gun}: the server already has a newer version (another publisher changed ${ctx.gun} meanwhile); ` +
        `updating and applying the changes again in ${delay} ms`,
    );
    await sleep(delay);
  }
}

/** sha256 (hex) of the snapshot a timestamp points at; undefined when it names none. */
function snapshotDigest(ts: TimestampSigned | undefined): string | undefined {
  const h = ts?.meta['snapshot']?.hashes['sha256'];
  return h ? Buffer.from(h).toString('hex') : undefined;
}

/**
 * The publish context of one try: `update` remembers which snapshot the server's timestamp
 * pointed at, and the upload is preceded by a GET of timestamp.json. When the timestamp points
 * at another snapshot now, the upload is not made and a VERSION_CONFLICT with
 * `details.beforeUpload` is thrown instead. The fetched timestamp is only compared, never
 * trusted (the update of the next try verifies whatever it uses); a failed fetch skips the check.
 */
function freshnessGuard(ctx: PublishContext, check: boolean): PublishContext {
  if (!check) return ctx;
  let seen: string | undefined;
  const remote = ctx.remote;
  const publish = async (files: ReadonlyMap<string, Buffer>): Promise<void> => {
    if (seen !== undefined) {
      let now: string | undefined;
      try {
        const raw = await remote.getMeta('timestamp', MAX_TIMESTAMP_SIZE);
        now = snapshotDigest(parseMetadata<TimestampSigned>(raw, 'timestamp').signed);
      } catch (e) {
        ctx.log.debug(`could not check the server's timestamp before uploading: ${errorMessage(e)}`);
      }
      if (now !== undefined && now !== seen) {
        throw new NotaryError(
          'VERSION_CONFLICT',
          'the server has a newer snapshot than this publish started from',
          {
            details: { beforeUpload: true },
          },
        );
      }
    }
    return remote.publish(files);
  };
  const guardedRemote = new Proxy(remote, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Remote;
  return {
    ...ctx,
    remote: guardedRemote,
    update: async (): Promise<RepoState> => {
      const state = await ctx.update();
      seen = snapshotDigest(state.timestamp?.signed);
      return state;
    },
  };
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

/**
 * `--as-of TIME` (issue 12): judge trust data as of an explicit past time, for archives whose
 * timestamp expired after their server closed. Only on purpose: read commands only (main.ts
 * refuses it elsewhere), a warning per expired role with its expiry, and the trusted cache is
 * never updated (everything verified this way stays out of the trust dir).
 */
import { NotaryError } from '../errors.js';
import type { RepoState } from '../repo/state.js';
import type { MetadataStore } from '../repo/update.js';
import { formatGoTime, isExpired } from '../tuf/time.js';
import type { CommandContext } from './context.js';

/** Commands that may judge data as of a past time: they only read. */
export const AS_OF_COMMANDS: ReadonlySet<string> = new Set([
  'list',
  'lookup',
  'verify',
  'delegation list',
  'trust inspect',
  'archive',
]);

/** Parses the flag value: RFC 3339 (`2026-12-01T12:00:00Z`) or a date (`2026-12-01`, UTC midnight). */
export function parseAsOf(text: string, now: Date): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text);
  const d = new Date(dateOnly ? `${text}T00:00:00Z` : text);
  if ((!dateOnly && !rfc3339) || Number.isNaN(d.getTime())) {
    throw new NotaryError(
      'USAGE',
      `invalid argument ${JSON.stringify(text)} for "--as-of" flag: not a time`,
      {
        hint: 'Give an RFC 3339 time such as 2026-12-01T00:00:00Z, or a date such as 2026-12-01 (UTC).',
      },
    );
  }
  if (d.getTime() > now.getTime()) {
    throw new NotaryError(
      'USAGE',
      `invalid argument ${JSON.stringify(text)} for "--as-of" flag: the time is in the future`,
      {
        hint: '--as-of judges data as of a past time, e.g. when an archive was made (its manifest.json says when).',
      },
    );
  }
  return d;
}

export function asOfRefused(command: string): NotaryError {
  return new NotaryError('USAGE', `--as-of cannot be used with ${command}: it only judges data for reading`, {
    hint: `--as-of works with ${[...AS_OF_COMMANDS].join(', ')}; commands that write (publish, rehost, key rotate, ...) always use the current time.`,
  });
}

/** The cache as the update sees it: reads as usual, writes dropped when judging as of a past time. */
export function cacheFor(ctx: CommandContext, cache: MetadataStore): MetadataStore {
  if (!ctx.globals.asOf) return cache;
  return { read: (role, max) => cache.read(role, max), write: async () => {} };
}

/** Warns about every role of `state` that has expired by now (only when judging as of a past time). */
export function warnExpiredAsOf(ctx: CommandContext, state: RepoState): void {
  const asOf = ctx.globals.asOf;
  if (!asOf) return;
  const now = new Date();
  const roles: Array<[string, string]> = [['root', state.root.signed.expires]];
  if (state.timestamp) roles.push(['timestamp', state.timestamp.signed.expires]);
  if (state.snapshot) roles.push(['snapshot', state.snapshot.signed.expires]);
  for (const [name, meta] of state.targets) roles.push([name, meta.signed.expires]);
  for (const [role, expires] of roles) {
    if (isExpired(expires, now)) {
      ctx.log.warn(
        `${role} expired at ${expires}; trusted only because --as-of ${formatGoTime(asOf)} judges it as of that time`,
      );
    }
  }
}

/**
 * Go `time.Time` in TUF metadata (spec tuf.md §6): RFC3339 with nanoseconds, trailing fraction
 * zeros trimmed, `Z` for a zero offset. The text is part of the signed bytes and of the file
 * hashes, so we keep it exactly as Go would re-serialise the parsed instant (including a
 * non-UTC offset written by a Go signer in another time zone).
 */
import { NotaryError } from '../errors.js';
import type { RoleName } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A parsed Go time: instant (ms since epoch + sub-ms nanoseconds) and its zone offset. */
export interface GoTime {
  /** Milliseconds since the Unix epoch, floored. */
  epochMs: number;
  /** Nanoseconds within the second (0..999999999). */
  nanos: number;
  /** Zone offset in minutes east of UTC. */
  offsetMinutes: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function invalidTime(text: string, why: string): NotaryError {
  return new NotaryError('METADATA_INVALID', `parsing time ${JSON.stringify(text)}: ${why}`);
}

/** Parse RFC3339 as Go's time.Parse(time.RFC3339) does: any offset, any number of fraction digits. */
export function parseGoTimeParts(text: string): GoTime {
  const m = RFC3339.exec(text);
  if (!m) throw invalidTime(text, 'not an RFC3339 time (e.g. 2029-11-21T01:56:47.02296352Z)');
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m as unknown as string[];
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  if (month < 1 || month > 12) throw invalidTime(text, 'month out of range');
  if (day < 1 || day > daysIn(year, month)) throw invalidTime(text, 'day out of range');
  if (hour > 23) throw invalidTime(text, 'hour out of range');
  if (minute > 59) throw invalidTime(text, 'minute out of range');
  if (second > 59) throw invalidTime(text, 'second out of range');
  // Go keeps at most 9 fraction digits (parseNanoseconds truncates longer input).
  const nanos = frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : 0;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone![0] === '-' ? -1 : 1;
    offsetMinutes = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years < 100 literal
  wall.setUTCHours(hour, minute, second, 0);
  const epochMs = wall.getTime() - offsetMinutes * 60_000 + Math.floor(nanos / 1e6);
  return { epochMs, nanos, offsetMinutes };
}

/** Parse a Go time text into a Date (millisecond precision). */
export function parseGoTime(text: string): Date {
  return new Date(parseGoTimeParts(text).epochMs);
}

function pad(n: number, width: number): string {
  return n.toString().padStart(width, '0');
}

/** Format a GoTime as Go's RFC3339Nano (time.Time.MarshalJSON). */
export function formatGoTimeParts(t: GoTime): string {
  const wall = new Date(t.epochMs - (((t.epochMs % 1000) + 1000) % 1000) + t.offsetMinutes * 60_000);
  const year = wall.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new NotaryError('INVALID_INPUT', 'Time.MarshalJSON: year outside of range [0,9999]');
  }
  let text =
    `${pad(year, 4)}-${pad(wall.getUTCMonth() + 1, 2)}-${pad(wall.getUTCDate(), 2)}` +
    `T${pad(wall.getUTCHours(), 2)}:${pad(wall.getUTCMinutes(), 2)}:${pad(wall.getUTCSeconds(), 2)}`;
  if (t.nanos !== 0) text += `.${pad(t.nanos, 9).replace(/0+$/, '')}`;
  if (t.offsetMinutes === 0) return `${text}Z`;
  const abs = Math.abs(t.offsetMinutes);
  return `${text}${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

/**
 * Go RFC3339Nano text of an instant in UTC: `2029-11-21T01:56:47.02Z`, no fraction when zero.
 * `nanos` (0..999999999), when given, replaces the sub-second part of `date`.
 */
export function formatGoTime(date: Date, nanos?: number): string {
  const ms = date.getTime();
  const wholeSecondMs = ms - (((ms % 1000) + 1000) % 1000);
  const ns = nanos ?? (ms - wholeSecondMs) * 1e6;
  if (!Number.isInteger(ns) || ns < 0 || ns > 999_999_999) {
    throw new NotaryError('INTERNAL', `invalid nanoseconds ${ns}`);
  }
  return formatGoTimeParts({ epochMs: wholeSecondMs + Math.floor(ns / 1e6), nanos: ns, offsetMinutes: 0 });
}

/** The text Go writes after parsing `text` and serialising it again (offset and nanos kept). */
export function normalizeGoTime(text: string): string {
  return formatGoTimeParts(parseGoTimeParts(text));
}

/** Nanoseconds since the epoch, exact. */
function epochNanos(t: GoTime): bigint {
  const seconds = Math.floor(t.epochMs / 1000);
  return BigInt(seconds) * 1_000_000_000n + BigInt(t.nanos);
}

/** Go's IsExpired: `expires` strictly before now. */
export function isExpired(expires: string, now: Date): boolean {
  return epochNanos(parseGoTimeParts(expires)) < BigInt(now.getTime()) * 1_000_000n;
}

/** Go's nearExpiry: `expires` before now + 6 calendar months (AddDate(0, 6, 0), normalised). */
export function nearExpiry(expires: string, now: Date): boolean {
  const limit = new Date(now.getTime());
  limit.setUTCMonth(limit.getUTCMonth() + 6);
  return epochNanos(parseGoTimeParts(expires)) < BigInt(limit.getTime()) * 1_000_000n;
}

const EXPIRY_DAYS: Record<string, number> = { root: 3650, targets: 1095, snapshot: 1095, timestamp: 14 };

/** Default expiry Go notary writes for a role (delegations like targets). */
export function defaultExpiry(role: RoleName, now: Date): string {
  const days = EXPIRY_DAYS[role] ?? EXPIRY_DAYS['targets']!;
  return formatGoTime(new Date(now.getTime() + days * DAY_MS));
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's `Format("Mon Jan 2 15:04:05 MST 2006")` of a metadata time, in the text's own zone. */
export function goExpiryText(expires: string): string {
  const t = parseGoTimeParts(expires);
  const wall = new Date(t.epochMs + t.offsetMinutes * 60_000);
  // A parsed non-UTC offset has no zone name in Go (FixedZone("")): MST then prints -0700.
  const abs = Math.abs(t.offsetMinutes);
  const zone =
    t.offsetMinutes === 0
      ? 'UTC'
      : `${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}${pad(abs % 60, 2)}`;
  return (
    `${WEEKDAYS[wall.getUTCDay()]} ${MONTHS[wall.getUTCMonth()]} ${wall.getUTCDate()} ` +
    `${pad(wall.getUTCHours(), 2)}:${pad(wall.getUTCMinutes(), 2)}:${pad(wall.getUTCSeconds(), 2)} ` +
    `${zone} ${pad(wall.getUTCFullYear(), 4)}`
  );
}

/** One second before `expires`, as RFC 3339 UTC without fractions: a value for `--as-of`. */
function asOfExample(expires: string): string {
  const t = new Date(parseGoTimeParts(expires).epochMs - 1000);
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** NotaryError EXPIRED with Go's text `<role> expired at <Mon Jan 2 15:04:05 MST 2006>`. */
export function expiredError(role: RoleName, expires: string): NotaryError {
  return new NotaryError('EXPIRED', `${role} expired at ${goExpiryText(expires)}`, {
    details: { role, expires },
    hint: `${
      role === 'timestamp'
        ? 'The server re-signs the timestamp on every update; ask the server operator, or check your clock.'
        : `The ${role} metadata must be re-signed by its owner (publish a change to ${role}); also check your clock.`
    } If the server is gone (reading an archive), you may judge the data as of a time before it expired, on purpose: add --as-of ${asOfExample(expires)} (or an earlier time, such as the archivedAt of the archive's manifest.json; read commands only).`,
  });
}

/** Throws expiredError when `expires` is before now. */
export function checkNotExpired(role: RoleName, expires: string, now: Date): void {
  if (isExpired(expires, now)) throw expiredError(role, expires);
}

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isNotaryError } from '../../../src/errors.js';
import { checkFileMeta, fileMeta, hashStructureProblem, StreamingHasher } from '../../../src/tuf/hashes.js';
import {
  BASE_ROLES,
  isBaseRole,
  isDelegationRole,
  isTargetsRole,
  parentRole,
  pathAllowed,
  restrictPaths,
  validateDelegationName,
} from '../../../src/tuf/roles.js';
import {
  defaultExpiry,
  expiredError,
  formatGoTime,
  goExpiryText,
  isExpired,
  nearExpiry,
  normalizeGoTime,
  parseGoTime,
} from '../../../src/tuf/time.js';

describe('Go time', () => {
  it('formats RFC3339Nano with a trimmed fraction and Z', () => {
    expect(formatGoTime(new Date('2029-11-21T01:56:47.120Z'))).toBe('2029-11-21T01:56:47.12Z');
    expect(formatGoTime(new Date('2029-11-21T01:56:47.000Z'))).toBe('2029-11-21T01:56:47Z');
    expect(formatGoTime(new Date('2029-11-21T01:56:47.000Z'), 22963520)).toBe(
      '2029-11-21T01:56:47.02296352Z',
    );
    expect(formatGoTime(new Date('0099-01-02T03:04:05.006Z'))).toBe('0099-01-02T03:04:05.006Z');
  });

  it('normalises as Go re-serialises: offsets and nanoseconds kept, zeros trimmed', () => {
    expect(normalizeGoTime('2036-11-18T20:53:41.429475373-05:00')).toBe(
      '2036-11-18T20:53:41.429475373-05:00',
    );
    expect(normalizeGoTime('2029-11-21T01:56:47.120Z')).toBe('2029-11-21T01:56:47.12Z');
    expect(normalizeGoTime('2029-11-21T01:56:47.000000000Z')).toBe('2029-11-21T01:56:47Z');
    expect(normalizeGoTime('2029-11-21T01:56:47+00:00')).toBe('2029-11-21T01:56:47Z');
    expect(normalizeGoTime('2029-11-21T01:56:47.1234567891234Z')).toBe('2029-11-21T01:56:47.123456789Z');
    expect(normalizeGoTime('2029-11-21T05:56:47.5+05:30')).toBe('2029-11-21T05:56:47.5+05:30');
    // Go's zero time (a missing `expires`) and other pre-1970 instants
    expect(normalizeGoTime('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00Z');
    expect(normalizeGoTime('1969-12-31T23:59:59.999999999Z')).toBe('1969-12-31T23:59:59.999999999Z');
    expect(isExpired('0001-01-01T00:00:00Z', new Date(0))).toBe(true);
  });

  it('parses any offset to the right instant and rejects malformed text', () => {
    expect(parseGoTime('2036-11-18T20:53:41.429475373-05:00').toISOString()).toBe('2036-11-19T01:53:41.429Z');
    expect(parseGoTime('2029-11-21T05:56:47+05:30').toISOString()).toBe('2029-11-21T00:26:47.000Z');
    for (const bad of [
      '2029-11-21',
      '2029-13-01T00:00:00Z',
      '2029-02-30T00:00:00Z',
      '2029-11-21T24:00:00Z',
      '2029-11-21T00:00:00',
    ]) {
      expect(() => normalizeGoTime(bad)).toThrow(/parsing time/);
    }
  });

  it('expiry: strictly before now, with nanosecond precision', () => {
    const now = new Date('2026-12-06T02:00:04.846Z');
    expect(isExpired('2026-12-06T02:00:04.846Z', now)).toBe(false);
    expect(isExpired('2026-12-06T02:00:04.845999999Z', now)).toBe(true);
    expect(isExpired('2026-12-06T02:00:04.846000001Z', now)).toBe(false);
    expect(isExpired('2026-12-05T21:00:04.8-05:00', now)).toBe(true);
  });

  it('near expiry uses six calendar months', () => {
    const now = new Date('2026-08-31T00:00:00Z');
    // Go's AddDate(0,6,0) from Aug 31 normalises Feb 31 to Mar 3 (2027 is not a leap year).
    expect(nearExpiry('2027-03-02T23:59:59Z', now)).toBe(true);
    expect(nearExpiry('2027-03-03T00:00:00Z', now)).toBe(false);
  });

  it("renders Go's expiry error text", () => {
    expect(goExpiryText('2026-12-06T02:00:04.846545322Z')).toBe('Sun Dec 6 02:00:04 UTC 2026');
    expect(goExpiryText('2036-11-18T20:53:41.429475373-05:00')).toBe('Tue Nov 18 20:53:41 -0500 2036');
    const e = expiredError('targets/releases', '2029-11-21T02:00:04Z');
    expect(isNotaryError(e, 'EXPIRED')).toBe(true);
    expect(e.message).toBe('targets/releases expired at Wed Nov 21 02:00:04 UTC 2029');
  });

  it('default expiries: root 10y, targets/snapshot/delegations 3y, timestamp 14d', () => {
    const now = new Date('2026-11-22T00:00:00.5Z');
    expect(defaultExpiry('root', now)).toBe('2036-11-19T00:00:00.5Z');
    expect(defaultExpiry('targets', now)).toBe('2029-11-21T00:00:00.5Z');
    expect(defaultExpiry('snapshot', now)).toBe('2029-11-21T00:00:00.5Z');
    expect(defaultExpiry('targets/releases', now)).toBe('2029-11-21T00:00:00.5Z');
    expect(defaultExpiry('timestamp', now)).toBe('2026-12-06T00:00:00.5Z');
  });
});

describe('roles', () => {
  it('base roles and delegation names (tuf.md §9)', () => {
    expect(BASE_ROLES).toEqual(['root', 'targets', 'snapshot', 'timestamp']);
    expect(isBaseRole('snapshot')).toBe(true);
    expect(isBaseRole('targets/x')).toBe(false);
    for (const ok of ['targets/a', 'targets/a/b-c_d/0', `targets/${'a'.repeat(247)}`]) {
      expect(isDelegationRole(ok)).toBe(true);
    }
    for (const bad of [
      'targets',
      'targets/',
      'targets/A',
      'targets//a',
      'targets/a/',
      'targets/a.b',
      'targets/../x',
      'root/x',
      'targets/é',
      `targets/${'a'.repeat(248)}`,
    ]) {
      expect(isDelegationRole(bad)).toBe(false);
    }
    expect(isTargetsRole('targets')).toBe(true);
    expect(isTargetsRole('targets/x')).toBe(true);
    expect(isTargetsRole('snapshot')).toBe(false);
    expect(() => validateDelegationName('targets/Bad')).toThrow(
      'tuf: invalid role targets/Bad. invalid delegation role name',
    );
    expect(parentRole('targets/a/b')).toBe('targets/a');
    expect(parentRole('targets/a')).toBe('targets');
  });

  it('paths are prefixes and children are restricted to the parent', () => {
    expect(pathAllowed(['releases/'], 'releases/v1')).toBe(true);
    expect(pathAllowed(['releases/'], 'docs/x')).toBe(false);
    expect(pathAllowed([''], 'anything')).toBe(true);
    expect(pathAllowed([], 'anything')).toBe(false);
    expect(restrictPaths(['releases/'], ['releases/v1/', 'docs/', 'rel'])).toEqual(['releases/v1/']);
    expect(restrictPaths([''], ['a', 'b'])).toEqual(['a', 'b']);
    expect(restrictPaths(['a'], [])).toEqual([]);
  });
});

describe('hashes', () => {
  const data = Buffer.from('hello\n');

  it('fileMeta gives length, sha256 and sha512 (and custom when given)', () => {
    const m = fileMeta(data, { a: 1 });
    expect(m.length).toBe(6);
    expect(m.hashes['sha256']!.toString('base64')).toBe('WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=');
    expect(m.hashes['sha512']!.length).toBe(64);
    expect(m.custom).toEqual({ a: 1 });
    expect('custom' in fileMeta(data)).toBe(false);
  });

  it('checkFileMeta checks every known hash and the length, naming the role', () => {
    const m = fileMeta(data);
    checkFileMeta(data, m, 'targets');
    checkFileMeta(
      data,
      { length: 6, hashes: { sha256: m.hashes['sha256']!, md5: Buffer.alloc(16) } },
      'targets',
    );
    const bad = { length: 6, hashes: { ...m.hashes, sha512: Buffer.alloc(64) } };
    expect(() => checkFileMeta(data, bad, 'snapshot')).toThrow(
      `sha512 checksum for snapshot did not match: expected ${'00'.repeat(64)}`,
    );
    expect(() => checkFileMeta(data, { length: 6, hashes: { md5: Buffer.alloc(16) } }, 'root')).toThrow(
      'no checksums for supported algorithms were provided for root',
    );
    expect(() => checkFileMeta(data, { ...m, length: 5 }, 'root')).toThrow(/length for root did not match/);
    try {
      checkFileMeta(data, bad, 'snapshot');
    } catch (e) {
      expect(isNotaryError(e, 'HASH_MISMATCH')).toBe(true);
    }
  });

  it('hash structure validation as Go', () => {
    expect(hashStructureProblem({ sha256: Buffer.alloc(32) })).toBeUndefined();
    expect(hashStructureProblem({ sha256: Buffer.alloc(31) })).toBe('sha256 checksum invalid');
    expect(hashStructureProblem({ md5: Buffer.alloc(16) })).toBe('at least one supported hash needed');
  });

  it('StreamingHasher hashes a stream in one pass', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    const chunks = [big.subarray(0, 1000), big.subarray(1000, 2_000_000), big.subarray(2_000_000)];
    const m = await StreamingHasher.fromStream(Readable.from(chunks));
    const expected = fileMeta(big);
    expect(m.length).toBe(big.length);
    expect(m.hashes['sha256']!.equals(expected.hashes['sha256']!)).toBe(true);
    expect(m.hashes['sha512']!.equals(expected.hashes['sha512']!)).toBe(true);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotaryError } from '../../../src/errors.js';
import { gunProblem, validateGun } from '../../../src/repo/gun.js';
import { isInside, repoPaths } from '../../../src/repo/paths.js';

describe('validateGun', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['../x', /"\.\."/],
    ['a/../../x', /"\.\."/],
    ['..', /"\.\."/],
    ['a/./b', /"\."/],
    ['/abs', /absolute/],
    ['/etc/passwd', /absolute/],
    ['a/', /ends with/],
    ['a//b', /\/\//],
    ['a\0b', /NUL/],
    ['a\nb', /line break/],
    ['a\rb', /line break/],
    ['star*x', /\*/],
  ];
  for (const [gun, why] of bad) {
    it(`rejects ${JSON.stringify(gun)}`, () => {
      let err: unknown;
      try {
        validateGun(gun);
      } catch (e) {
        err = e;
      }
      expect(isNotaryError(err, 'INVALID_GUN')).toBe(true);
      const e = err as Error & { hint?: string };
      expect(e.message).toContain(JSON.stringify(gun));
      expect(e.message).toMatch(why);
      expect(e.hint).toBeTruthy();
    });
  }

  const good = [
    'example.com/org/repo',
    'docker.io/library/alpine',
    'localhost:5000/x',
    'Upper/Case',
    'with space/x',
    'a..b/c...d',
    '.hidden/x',
    'café/日本',
    'per%cent',
    'x',
  ];
  for (const gun of good) {
    it(`accepts ${JSON.stringify(gun)}`, () => {
      expect(gunProblem(gun)).toBeUndefined();
      expect(validateGun(gun)).toBe(gun);
    });
  }
});

describe('repoPaths', () => {
  const trust = mkdtempSync(join(tmpdir(), 'tsn-gun-'));
  it('maps the GUN below tuf/', () => {
    const p = repoPaths(trust, 'example.com/a b/C');
    expect(p.repoDir).toBe(resolve(trust, 'tuf', 'example.com', 'a b', 'C'));
    expect(p.metadataDir).toBe(join(p.repoDir, 'metadata'));
    expect(p.changelistDir).toBe(join(p.repoDir, 'changelist'));
    expect(isInside(p.tufDir, p.changelistDir)).toBe(true);
  });
  it('refuses escapes', () => {
    expect(() => repoPaths(trust, '../escape')).toThrow(/invalid GUN/);
    expect(() => repoPaths(trust, '/abs')).toThrow(/invalid GUN/);
    expect(() => repoPaths(trust, '')).toThrow(/invalid GUN/);
  });
  it('isInside', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    expect(isInside('/a/b', '/a/b/../c')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { parseAsOf } from '../../../src/cli/as-of.js';
import {
  checkAgainstManifest,
  parseManifest,
  roleOfFile,
  sha256Hex,
  tufPath,
} from '../../../src/remote/archive-manifest.js';

describe('archive manifest', () => {
  it('names the role of every file form', () => {
    expect(roleOfFile('root.json')).toBe('root');
    expect(roleOfFile('3.root.json')).toBe('root');
    expect(roleOfFile(`targets.${'a'.repeat(64)}.json`)).toBe('targets');
    expect(roleOfFile('12.targets/releases.json')).toBe('targets/releases');
    expect(roleOfFile(`targets/a/b.${'0'.repeat(64)}.json`)).toBe('targets/a/b');
  });

  it('refuses files it does not list or whose bytes differ, naming the role', () => {
    const data = Buffer.from('{"signed":{}}');
    const path = tufPath('example.com/x', 'snapshot.json');
    const m = parseManifest(
      Buffer.from(
        JSON.stringify({
          format: 'tsnotary-archive/1',
          gun: 'example.com/x',
          server: 'https://n',
          archivedAt: '2026-12-01T00:00:00Z',
          files: { [path]: { sha256: sha256Hex(data), length: data.length } },
        }),
      ),
      'a.tar',
    );
    expect(() => checkAgainstManifest(m, path, data, 'a.tar')).not.toThrow();
    expect(() => checkAgainstManifest(m, path, Buffer.from('{"signed":[]}'), 'a.tar')).toThrow(
      /^snapshot: .* does not match its manifest\.json/,
    );
    expect(() => checkAgainstManifest(m, tufPath('example.com/x', '2.root.json'), data, 'a.tar')).toThrow(
      /^root: .* is not listed in its manifest\.json/,
    );
    expect(() => parseManifest(Buffer.from('{"format":"x"}'), 'a.tar')).toThrow(
      /not a tsnotary archive manifest/,
    );
  });
});

describe('--as-of values', () => {
  const now = new Date('2026-12-04T00:00:00Z');
  it('takes RFC 3339 times and dates (UTC midnight) in the past', () => {
    expect(parseAsOf('2026-12-01T10:20:30Z', now).toISOString()).toBe('2026-12-01T10:20:30.000Z');
    expect(parseAsOf('2026-12-01T10:20:30+02:00', now).toISOString()).toBe('2026-12-01T08:20:30.000Z');
    expect(parseAsOf('2026-12-01', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
  it('refuses other text and the future', () => {
    expect(() => parseAsOf('yesterday', now)).toThrow(/not a time/);
    expect(() => parseAsOf('2026-12-05', now)).toThrow(/in the future/);
  });
});

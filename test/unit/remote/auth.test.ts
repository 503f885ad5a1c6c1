import { describe, expect, test } from 'vitest';
import {
  goQueryEscape,
  parseChallenges,
  parseNotaryAuth,
  tokenScope,
  tokenUrl,
} from '../../../src/remote/auth.js';
import { memLog } from '../../helpers/memlog.js';

describe('WWW-Authenticate parsing', () => {
  test('Bearer with quoted params, names case-insensitive', () => {
    expect(
      parseChallenges([
        'Bearer Realm="https://auth.example/token",SERVICE="notary",scope="repository:a/b:pull,push"',
      ]),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'notary', scope: 'repository:a/b:pull,push' },
      },
    ]);
  });

  test('several challenges in one value and several values; unquoted and escaped values', () => {
    expect(parseChallenges(['Basic realm="x, y", Bearer realm=https://t/x,service=s', 'Negotiate'])).toEqual([
      { scheme: 'basic', params: { realm: 'x, y' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', service: 's' } },
      { scheme: 'negotiate', params: {} },
    ]);
    expect(parseChallenges(['Basic realm="a\\"b"'])[0]?.params['realm']).toBe('a"b');
  });

  test('garbage does not throw', () => {
    expect(parseChallenges(['', '=', ',,,'])).toEqual([]);
    expect(() =>
      parseChallenges(['"unterminated', 'Bearer realm="open', 'Bearer realm=', '\\']),
    ).not.toThrow();
  });
});

describe('NOTARY_AUTH', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  test('user:pass, split at the first colon, password trimmed', () => {
    const log = memLog();
    expect(parseNotaryAuth(b64('alice:pa:ss \n'), log)).toEqual({ username: 'alice', password: 'pa:ss' });
    expect(log.lines).toEqual([]);
  });
  test("Go's error messages", () => {
    const log = memLog();
    expect(parseNotaryAuth('***', log)).toBeUndefined();
    expect(parseNotaryAuth(b64(':pw'), log)).toBeUndefined();
    expect(parseNotaryAuth(b64('nocolon'), log)).toBeUndefined();
    expect(log.lines).toEqual([
      'error: Could not base64-decode authentication string',
      'error: Authentication string with zero-length username',
      'error: Malformatted authentication string; format must be <username>:<password>',
    ]);
  });
});

describe('token request', () => {
  test('scope per access (server-api.md §4.2)', () => {
    expect(tokenScope('a/b', 'pull')).toBe('repository:a/b:pull');
    expect(tokenScope('a/b', 'push')).toBe('repository:a/b:push,pull');
    expect(tokenScope('a/b', 'admin')).toBe('repository:a/b:*');
  });

  test("URL as Go builds it (verified against Go's request: keys sorted, QueryEscape)", () => {
    expect(
      tokenUrl('http://127.0.0.1:5/auth', 'notary-server', 'repository:example.com/go/a:push,pull', 'alice'),
    ).toBe(
      '/auth?account=alice&scope=repository%3Aexample.com%2Fgo%2Fa%3Apush%2Cpull&service=notary-server'.replace(
        /^/,
        'http://127.0.0.1:5',
      ),
    );
    expect(tokenUrl('https://t/x?z=1&a=2', undefined, 'repository:g:*', undefined)).toBe(
      'https://t/x?a=2&scope=repository%3Ag%3A%2A&z=1',
    );
  });

  test('QueryEscape', () => {
    expect(goQueryEscape("a b!'()*~-_.")).toBe('a+b%21%27%28%29%2A~-_.');
  });
});

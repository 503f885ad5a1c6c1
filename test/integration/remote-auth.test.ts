// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRemote } from '../../src/remote/open.js';
import type { Access, CredentialSource, RemoteOptions } from '../../src/remote/types.js';
import { failure, memLog } from '../helpers/memlog.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

const MiB = 1 << 20;
const b64 = (s: string) => Buffer.from(s).toString('base64');
let tokens: TokenServer;
let server: NotaryServer;

beforeAll(async () => {
  tokens = await startTokenServer({ alice: 'correct-horse' });
  server = await startNotaryServer({ extraConfig: { auth: tokens.authConfig() } });
});
afterAll(async () => {
  await server?.stop();
  await tokens?.stop();
});

function opts(gun: string, access: Access, extra: Partial<RemoteOptions> = {}): RemoteOptions {
  return { baseUrl: server.url, gun, access, tls: { skipVerify: false }, log: memLog(), env: {}, ...extra };
}

describe('token auth on a real notary-server', () => {
  test("push with NOTARY_AUTH: token fetched with Go's query (account, scope push,pull, service) and Basic; key endpoint works", async () => {
    const gun = 'example.com/auth/push';
    const before = tokens.log.length;
    const r = await openRemote(opts(gun, 'push', { env: { NOTARY_AUTH: b64('alice:correct-horse') } }));
    const k = await r.getKey('timestamp');
    expect(k.public.length).toBeGreaterThan(0);
    await r.getKey('snapshot');
    const calls = tokens.log.slice(before);
    expect(calls).toHaveLength(1); // cached for the run
    expect(calls[0]?.user).toBe('alice');
    expect(calls[0]?.url).toBe(
      `/auth?account=alice&scope=repository%3A${encodeURIComponent(gun).replace(/%2F/g, '%2F')}%3Apush%2Cpull&service=notary-server`,
    );
  });

  test('read-only: anonymous token first, then credentials on 401 (sticky for the run)', async () => {
    const gun = 'example.com/auth/pull';
    const before = tokens.log.length;
    const r = await openRemote(opts(gun, 'pull', { env: { NOTARY_AUTH: b64('alice:correct-horse') } }));
    expect((await failure(r.getMeta('root', MiB))).code).toBe('NO_TRUST_DATA');
    expect((await failure(r.getMeta('timestamp', MiB))).code).toBe('NOT_FOUND');
    const calls = tokens.log
      .slice(before)
      .map((c) => [c.user, c.query['scope']?.[0], c.query['account']?.[0]]);
    expect(calls).toEqual([
      [null, `repository:${gun}:pull`, undefined],
      ['alice', `repository:${gun}:pull`, 'alice'],
    ]);
  });

  test('admin access asks for scope "*"', async () => {
    const gun = 'example.com/auth/admin';
    const before = tokens.log.length;
    const r = await openRemote(opts(gun, 'admin', { env: { NOTARY_AUTH: b64('alice:correct-horse') } }));
    await r.deleteAll();
    expect(tokens.log.slice(before).map((c) => c.query['scope']?.[0])).toEqual([`repository:${gun}:*`]);
  });

  test('no credentials at all: 401 reported as unauthorized (not offline), hint explains NOTARY_AUTH; no hang', async () => {
    const r = await openRemote(opts('example.com/auth/none', 'push'));
    const e = await failure(r.getKey('timestamp'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toBe('you are not authorized to perform this operation: server returned 401.');
    expect(e.hint).toContain('NOTARY_AUTH');
    const pull = await openRemote(opts('example.com/auth/none', 'pull'));
    expect((await failure(pull.getMeta('root', MiB))).code).toBe('UNAUTHORIZED');
  });

  test('wrong password: the token service refusal is reported as unauthorized naming the user', async () => {
    const r = await openRemote(
      opts('example.com/auth/wrong', 'push', { env: { NOTARY_AUTH: b64('alice:nope') } }),
    );
    const e = await failure(r.getKey('timestamp'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toBe('unauthorized: invalid username or password');
    expect(e.hint).toContain('"alice"');
    expect(e.hint).toContain('NOTARY_AUTH');
  });

  test('malformed NOTARY_AUTH values log Go\'s messages and mean "no credentials"', async () => {
    const cases: [string, string][] = [
      ['%%%not-base64%%%', 'error: Could not base64-decode authentication string'],
      [b64(':pw'), 'error: Authentication string with zero-length username'],
      [
        b64('no-colon-here'),
        'error: Malformatted authentication string; format must be <username>:<password>',
      ],
    ];
    for (const [value, line] of cases) {
      const log = memLog();
      let prompted = 0;
      const credentials: CredentialSource = async () => {
        prompted++;
        return { username: 'alice', password: 'correct-horse' };
      };
      const r = await openRemote(
        opts('example.com/auth/bad', 'push', { env: { NOTARY_AUTH: value }, log, credentials }),
      );
      expect((await failure(r.getKey('timestamp'))).code).toBe('UNAUTHORIZED');
      expect(log.lines).toContain(line);
      expect(prompted).toBe(0); // Go does not prompt when NOTARY_AUTH is set
    }
  });

  test("interactive credentials: asked lazily, once per run; password whitespace is the caller's business", async () => {
    let asked = 0;
    const credentials: CredentialSource = async () => {
      asked++;
      return { username: 'alice', password: 'correct-horse' };
    };
    const pull = await openRemote(opts('example.com/auth/prompt', 'pull', { credentials }));
    expect(asked).toBe(0);
    await failure(pull.getMeta('root', MiB));
    await failure(pull.getMeta('targets', MiB));
    expect(asked).toBe(1);
    // a source that cannot ask (no terminal) returns undefined: immediate 401, not a hang
    const none = await openRemote(
      opts('example.com/auth/prompt', 'push', { credentials: async () => undefined }),
    );
    expect((await failure(none.getKey('timestamp'))).code).toBe('UNAUTHORIZED');
  });
});

/** A Basic-auth front (as a proxy in front of notary would be): answers the ping 401 Basic. */
async function basicServer(): Promise<{ url: string; server: Server; seen: (string | undefined)[] }> {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== `Basic ${b64('bob:secret')}`) {
      res.writeHead(401, { 'www-authenticate': 'BASIC Realm="notary"', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

describe('Basic auth', () => {
  test('read-only retries with credentials after the anonymous 401 (Go fails with "no basic auth credentials")', async () => {
    const b = await basicServer();
    try {
      const r = await openRemote({
        ...opts('example.com/basic', 'pull'),
        baseUrl: b.url,
        env: { NOTARY_AUTH: b64('bob:secret') },
      });
      expect((await failure(r.getMeta('root', MiB))).code).toBe('NO_TRUST_DATA');
      expect((await failure(r.getMeta('targets', MiB))).code).toBe('NOT_FOUND');
      // ping (no auth), anonymous try, retry with Basic, then Basic directly
      expect(b.seen).toEqual([
        undefined,
        undefined,
        `Basic ${b64('bob:secret')}`,
        `Basic ${b64('bob:secret')}`,
      ]);
      const push = await openRemote({
        ...opts('example.com/basic', 'push'),
        baseUrl: b.url,
        env: { NOTARY_AUTH: b64('bob:wrong') },
      });
      const e = await failure(push.getKey('timestamp'));
      expect(e.code).toBe('UNAUTHORIZED');
      expect(e.hint).toContain('"bob"');
    } finally {
      b.server.close();
    }
  });
});

describe('token caching under concurrency', () => {
  test('parallel requests share one token fetch', async () => {
    const gun = 'example.com/auth/parallel';
    const before = tokens.log.length;
    const r = await openRemote(opts(gun, 'push', { env: { NOTARY_AUTH: b64('alice:correct-horse') } }));
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => r.getMeta('root', MiB)));
    expect(
      results.every(
        (x) => x.status === 'rejected' && (x.reason as { code?: string }).code === 'NO_TRUST_DATA',
      ),
    ).toBe(true);
    expect(tokens.log.length - before).toBe(1);
  });
});

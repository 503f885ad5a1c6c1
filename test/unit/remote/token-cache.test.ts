import { describe, expect, test } from 'vitest';
import { Authorizer } from '../../../src/remote/auth.js';
import type { HttpRequest, HttpResponse, Transport } from '../../../src/remote/transport.js';
import { DEFAULT_TIMEOUTS } from '../../../src/remote/transport.js';
import { memLog } from '../../helpers/memlog.js';

/** A scripted token endpoint (the caching logic needs control over issued_at/expires_in). */
function tokenTransport(
  answer: (n: number) => Record<string, unknown>,
): Transport & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  return {
    requests,
    async request(req: HttpRequest): Promise<HttpResponse> {
      requests.push(req);
      return { status: 200, headers: {}, body: Buffer.from(JSON.stringify(answer(requests.length))) };
    },
    async close() {},
  };
}

function authorizer(transport: Transport) {
  return new Authorizer({
    challenges: [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'svc' } }],
    baseUrl: 'https://notary.example',
    gun: 'g',
    access: 'push',
    env: { NOTARY_AUTH: Buffer.from('u:p').toString('base64') },
    log: memLog(),
    transport,
    tls: { skipVerify: false },
    timeouts: DEFAULT_TIMEOUTS,
  });
}

describe('bearer token cache', () => {
  test('reused while valid; access_token wins over token', async () => {
    const t = tokenTransport((n) => ({ token: `t${n}`, access_token: `a${n}`, expires_in: 300 }));
    const a = authorizer(t);
    expect(await a.header('credentials')).toBe('Bearer a1');
    expect(await a.header('credentials')).toBe('Bearer a1');
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]?.headers?.['authorization']).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    // anonymous mode has its own token, fetched without account/credentials
    expect(await a.header('anonymous')).toBe('Bearer a2');
    expect(t.requests[1]?.url).not.toContain('account=');
    expect(t.requests[1]?.headers?.['authorization']).toBeUndefined();
  });

  test('expired tokens (issued_at + expires_in, minimum 60 s) are fetched again', async () => {
    const longAgo = new Date(Date.now() - 3600_000).toISOString();
    const t = tokenTransport((n) => ({ token: `t${n}`, expires_in: 10, issued_at: longAgo }));
    const a = authorizer(t);
    expect(await a.header('credentials')).toBe('Bearer t1');
    expect(await a.header('credentials')).toBe('Bearer t2');
  });

  test('a response without a token is a bad response', async () => {
    const a = authorizer(tokenTransport(() => ({ expires_in: 60 })));
    await expect(a.header('credentials')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      message: 'authorization server did not include a token in the response',
    });
  });
});

import { createServer as createHttpServer, type Server } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRemote } from '../../src/remote/open.js';
import type { RemoteOptions, RemoteTimeouts } from '../../src/remote/types.js';
import { startProxy } from '../helpers/http-proxy.js';
import { failure, memLog, offlineCause } from '../helpers/memlog.js';
import { freePort } from '../helpers/ports.js';

const fast: Partial<RemoteTimeouts> = { read: 400, retryDelays: [10, 20] };

function opts(baseUrl: string, extra: Partial<RemoteOptions> = {}): RemoteOptions {
  return {
    baseUrl,
    gun: 'g',
    access: 'pull',
    tls: { skipVerify: false },
    log: memLog(),
    env: {},
    timeouts: fast,
    ...extra,
  };
}

async function listen(server: Server | NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** A server that lies (allowed: it is a server that lies): sizes, floods, hangs, 5xx. */
const hits: Record<string, number> = {};
const flood = { sent: 0, closed: false };
let liar: Server;
let liarUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  liar = createHttpServer((req, res) => {
    const path = (req.url ?? '').replace('/v2/g/_trust/tuf/', '');
    hits[`${req.method} ${path}`] = (hits[`${req.method} ${path}`] ?? 0) + 1;
    const n = hits[`${req.method} ${path}`] ?? 0;
    if (req.url === '/v2/') return res.end('{}');
    switch (path) {
      case 'declared.json':
        res.writeHead(200, { 'content-length': String(10_000_000) });
        res.write('{"signed":');
        return;
      case 'flood.json': {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = () => {
          while (!res.destroyed && flood.sent < 50 * 1024 * 1024) {
            flood.sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => {
          flood.closed = true;
        });
        return pump();
      }
      case 'exact.json':
        return res.end('0123456789');
      case 'hang.json':
        return; // never answers
      case 'flaky.json':
        if (n <= 2) {
          res.writeHead(503);
          return res.end('busy');
        }
        return res.end('ok');
      case 'always502.json':
        res.writeHead(502);
        return res.end();
      case 'redirect.json':
        res.writeHead(301, { location: '/elsewhere' });
        return res.end();
      case 'huge-error.json':
        res.writeHead(500, { 'content-type': 'application/json' });
        return res.end(Buffer.alloc(2 * 1024 * 1024, 0x20));
      case '':
        res.writeHead(503);
        return res.end();
      default:
        res.writeHead(404);
        return res.end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
    }
  });
  liar.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  liarUrl = `http://127.0.0.1:${await listen(liar)}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  liar?.close();
});

describe('size caps (a lying server)', () => {
  test('Content-Length over the cap: bad response, without reading the body', async () => {
    const r = await openRemote(opts(liarUrl));
    const e = await failure(r.getMeta('declared', 1024));
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toBe('trust server returned a bad response.');
    expect(e.hint).toContain('1024-byte limit');
    expect(e.hint).toContain('Content-Length 10000000');
  });

  test('an endless body is cut at the cap (the connection is closed, far below what the server would send)', async () => {
    const r = await openRemote(opts(liarUrl));
    const e = await failure(r.getMeta('flood', 100 * 1024));
    expect(e.code).toBe('BAD_RESPONSE');
    await expect.poll(() => flood.closed).toBe(true);
    expect(flood.sent).toBeLessThan(50 * 1024 * 1024);
  });

  test('a body of exactly the cap is accepted', async () => {
    const r = await openRemote(opts(liarUrl));
    expect((await r.getMeta('exact', 10)).toString()).toBe('0123456789');
    expect((await failure(r.getMeta('exact', 9))).code).toBe('BAD_RESPONSE');
  });

  test('a huge error body is read only in part and still maps by status', async () => {
    const r = await openRemote(opts(liarUrl));
    const e = await failure(r.getMeta('huge-error', 100));
    expect(e.code).toBe('SERVER');
    expect(e.message).toBe('unable to reach trust server at this time: 500.');
  });
});

describe('status mapping, retries', () => {
  test('GET retries 502/503/504 (bounded), then succeeds or reports the status', async () => {
    const r = await openRemote(opts(liarUrl));
    expect((await r.getMeta('flaky', 100)).toString()).toBe('ok');
    expect(hits['GET flaky.json']).toBe(3);
    const e = await failure(r.getMeta('always502', 100));
    expect(e.message).toBe('unable to reach trust server at this time: 502.');
    expect(hits['GET always502.json']).toBe(3);
  });

  test('POST (publish) is never retried', async () => {
    const r = await openRemote(opts(liarUrl));
    const e = await failure(r.publish(new Map([['targets', Buffer.from('{}')]])));
    expect(e.message).toBe('unable to reach trust server at this time: 503.');
    expect(hits['POST ']).toBe(1);
  });

  test('404 is not retried; redirects are not followed (Go: 301 → unable to reach)', async () => {
    const r = await openRemote(opts(liarUrl));
    await failure(r.getMeta('nothing', 100));
    expect(hits['GET nothing.json']).toBe(1);
    const e = await failure(r.getMeta('redirect', 100));
    expect(e.code).toBe('SERVER');
    expect(e.message).toBe('unable to reach trust server at this time: 301.');
    expect(e.hint).toMatch(/redirect/);
  });
});

describe('the ping decides online/offline (server-api.md §4.1, §5)', () => {
  async function answering(status: number): Promise<{ url: string; close(): void }> {
    const s = createHttpServer((_req, res) => {
      res.writeHead(status);
      res.end();
    });
    const port = await listen(s);
    return { url: `http://127.0.0.1:${port}`, close: () => s.close() };
  }

  test('a non-notary answer (404 on /v2/): offline, logged with the status like Go', async () => {
    const srv = await answering(404);
    try {
      const log = memLog();
      const r = await openRemote(opts(srv.url, { log }));
      const e = await failure(r.getMeta('root', 100));
      expect(offlineCause(e).message).toBe('unable to reach trust server at this time: 404.');
      expect(e.hint).toContain('/v2/ does not exist');
      expect(log.lines[0]).toBe(`error: could not reach ${srv.url}: 404`);
    } finally {
      srv.close();
    }
  });

  test('403 on /v2/ is reported as forbidden on each request, not as offline', async () => {
    const srv = await answering(403);
    try {
      const r = await openRemote(opts(srv.url));
      const e = await failure(r.getMeta('root', 100));
      expect(e.code).toBe('UNAUTHORIZED');
      expect(e.message).toBe('unable to reach trust server at this time: 403.');
      expect(e.hint).toContain('forbids');
    } finally {
      srv.close();
    }
  });

  test('the ping follows redirects (Go does), later requests do not', async () => {
    const target = createHttpServer((req, res) => {
      res.writeHead(req.url === '/moved/v2/' ? 200 : 404);
      res.end('{}');
    });
    const port = await listen(target);
    const front = createHttpServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/moved/v2/` });
      res.end();
    });
    const frontPort = await listen(front);
    try {
      const r = await openRemote(opts(`http://127.0.0.1:${frontPort}`));
      const e = await failure(r.getMeta('root', 100));
      expect(e.message).toBe('unable to reach trust server at this time: 302.');
    } finally {
      target.close();
      front.close();
    }
  });
});

describe('network failures name their cause', () => {
  test('connection refused: offline, with the refused cause, logged like Go', async () => {
    const port = await freePort();
    const log = memLog();
    const r = await openRemote(opts(`http://127.0.0.1:${port}`, { log }));
    const e = await failure(r.getMeta('root', 100));
    expect(e.code).toBe('OFFLINE');
    expect(e.message).toBe('client is offline');
    expect(offlineCause(e).code).toBe('NETWORK');
    expect(e.hint).toBe(
      `could not reach http://127.0.0.1:${port}: dial tcp 127.0.0.1:${port}: connect: connection refused. Nothing is listening on 127.0.0.1:${port}: is the notary server running there, and is the URL right? (choose the server with -s/--server or remote_server.url in the config file)`,
    );
    expect(log.lines).toEqual([
      `error: could not reach http://127.0.0.1:${port}: Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`,
      'info: continuing in offline mode',
    ]);
    // every operation fails the same way
    for (const call of [() => r.publish(new Map()), () => r.getKey('timestamp'), () => r.deleteAll()]) {
      expect((await failure(call())).code).toBe('OFFLINE');
    }
  });

  test('unknown host: offline with "no such host" and a hint about the server URL', async () => {
    const r = await openRemote(opts('https://tsnotary-nonexistent.invalid:4443'));
    const e = await failure(r.getMeta('root', 100));
    const cause = offlineCause(e);
    expect(cause.code).toBe('NETWORK');
    expect(cause.message).toBe(
      'Get "https://tsnotary-nonexistent.invalid:4443/v2/": dial tcp: lookup tsnotary-nonexistent.invalid: no such host',
    );
    expect(e.hint).toContain('-s/--server');
  });

  test('a silent server: the ping times out (offline, TIMEOUT cause)', async () => {
    const silent = createNetServer(() => {});
    const port = await listen(silent);
    try {
      const r = await openRemote(opts(`http://127.0.0.1:${port}`, { timeouts: { ...fast, ping: 300 } }));
      const e = await failure(r.getMeta('root', 100));
      const cause = offlineCause(e);
      expect(cause.code).toBe('TIMEOUT');
      expect(cause.message).toContain('Client.Timeout exceeded');
      // https to the same silent socket: TLS handshake timeout, as Go words it
      const t = await openRemote(opts(`https://127.0.0.1:${port}`, { timeouts: { ...fast, tls: 200 } }));
      const te = offlineCause(await failure(t.getMeta('root', 100)));
      expect(te.code).toBe('TIMEOUT');
      expect(te.message).toContain('net/http: TLS handshake timeout');
    } finally {
      silent.close();
    }
  });

  test('after a good ping, a request that gets no answer fails with a read timeout (not offline)', async () => {
    const r = await openRemote(opts(liarUrl));
    const e = await failure(r.getMeta('hang', 100));
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toBe(
      `Get "${liarUrl}/v2/g/_trust/tuf/hang.json": net/http: timeout awaiting response headers`,
    );
    expect(hits['GET hang.json']).toBe(1); // a hung server is not hammered with retries
  });

  test('connection refused after a good ping: Go-style url.Error text, retried, then NETWORK', async () => {
    const s = createHttpServer((_req, res) => res.end('{}'));
    const port = await listen(s);
    const r = await openRemote(opts(`http://127.0.0.1:${port}`));
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
    const e = await failure(r.getMeta('root', 100));
    expect(e.code).toBe('NETWORK');
    expect(e.message).toBe(
      `Get "http://127.0.0.1:${port}/v2/g/_trust/tuf/root.json": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });
});

describe('proxies from the environment', () => {
  test('loopback is never proxied, even with HTTP_PROXY/HTTPS_PROXY set', async () => {
    const proxy = await startProxy(1);
    try {
      const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url };
      const r = await openRemote(opts(liarUrl, { env }));
      expect((await r.getMeta('exact', 100)).toString()).toBe('0123456789');
      const local = await openRemote(opts(liarUrl.replace('127.0.0.1', 'localhost'), { env }));
      expect((await local.getMeta('exact', 100)).toString()).toBe('0123456789');
      expect(proxy.log).toEqual([]);
    } finally {
      proxy.close();
    }
  });

  test('a remote host goes through HTTP_PROXY; NO_PROXY bypasses it', async () => {
    const port = Number(new URL(liarUrl).port);
    const proxy = await startProxy(port);
    try {
      const base = `http://notary.proxytest.example:${port}`;
      const r = await openRemote(opts(base, { env: { HTTP_PROXY: proxy.url } }));
      expect((await r.getMeta('exact', 100)).toString()).toBe('0123456789');
      expect(proxy.log[0]).toBe(`CONNECT notary.proxytest.example:${port}`);
      const before = proxy.log.length;
      const direct = await openRemote(
        opts(base, { env: { HTTP_PROXY: proxy.url, NO_PROXY: '.proxytest.example' } }),
      );
      const e = await failure(direct.getMeta('root', 100));
      expect(offlineCause(e).message).toContain('no such host'); // went direct: DNS fails
      expect(proxy.log.length).toBe(before);
    } finally {
      proxy.close();
    }
  });
});

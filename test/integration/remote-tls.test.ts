import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRemote } from '../../src/remote/open.js';
import type { RemoteOptions } from '../../src/remote/types.js';
import type { TlsSettings } from '../../src/repo/settings.js';
import { startProxy } from '../helpers/http-proxy.js';
import { failure, memLog, offlineCause } from '../helpers/memlog.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

const MiB = 1 << 20;
let pki: TestPki;
let other: TestPki;
let server: NotaryServer;

beforeAll(() => {
  pki = makeTestPki();
  other = makeTestPki();
});

function opts(baseUrl: string, tls: Partial<TlsSettings>, log = memLog()): RemoteOptions {
  return {
    baseUrl,
    gun: 'example.com/tls',
    access: 'pull',
    tls: { skipVerify: false, ...tls },
    log,
    env: {},
  };
}

describe('TLS notary-server with a CA made at test time', { tags: ['go'] }, () => {
  beforeAll(async () => {
    server = await startNotaryServer({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('without the CA: offline, cause is the unknown-authority TLS error, hint names --tlscacert and remote_server.root_ca', async () => {
    const log = memLog();
    const r = await openRemote(opts(server.url, {}, log));
    const e = await failure(r.getMeta('root', MiB));
    expect(e.message).toBe('client is offline');
    const cause = offlineCause(e);
    expect(cause.code).toBe('TLS');
    expect(cause.message).toBe(`Get "${server.url}/v2/": x509: certificate signed by unknown authority`);
    expect(e.hint).toContain('--tlscacert');
    expect(e.hint).toContain('remote_server.root_ca');
    expect(log.lines).toContain(
      `error: could not reach ${server.url}: Get "${server.url}/v2/": x509: certificate signed by unknown authority`,
    );
    expect(log.lines).toContain('info: continuing in offline mode');
  });

  test('with caFile: online (404 → no trust data proves the request went through)', async () => {
    const r = await openRemote(opts(server.url, { caFile: pki.caCert }));
    const e = await failure(r.getMeta('root', MiB));
    expect(e.code).toBe('NO_TRUST_DATA');
    const k = await (
      await openRemote({ ...opts(server.url, { caFile: pki.caCert }), access: 'push' })
    ).getKey('timestamp');
    expect(k.public.length).toBeGreaterThan(0);
  });

  test('an unrelated CA file replaces the system roots and fails; the hint names that file', async () => {
    const r = await openRemote(opts(server.url, { caFile: other.caCert }));
    const e = await failure(r.getMeta('root', MiB));
    expect(offlineCause(e).code).toBe('TLS');
    expect(e.hint).toContain(other.caCert);
  });

  test('skipVerify connects without the CA', async () => {
    const r = await openRemote(opts(server.url, { skipVerify: true }));
    expect((await failure(r.getMeta('root', MiB))).code).toBe('NO_TRUST_DATA');
  });

  test('plain http:// to the TLS server: offline with a hint to use https://', async () => {
    const r = await openRemote(opts(server.url.replace('https:', 'http:'), {}));
    const e = await failure(r.getMeta('root', MiB));
    expect(offlineCause(e).code).toBe('SERVER');
    expect(e.hint).toContain('https://');
  });

  test('https:// to a plain http server: TLS error saying it is not TLS', async () => {
    const plain = await startNotaryServer();
    try {
      const r = await openRemote(opts(plain.url.replace('http:', 'https:'), {}));
      const e = await failure(r.getMeta('root', MiB));
      const cause = offlineCause(e);
      expect(cause.code).toBe('TLS');
      expect(cause.message).toContain('tls: first record does not look like a TLS handshake');
      expect(e.hint).toContain('http://');
    } finally {
      await plain.stop();
    }
  });

  test('a client cert without key (or the reverse) is refused before any request', async () => {
    await expect(openRemote(opts(server.url, { certFile: pki.clientCert }))).rejects.toMatchObject({
      code: 'CONFIG',
      message: 'either pass both client key and cert, or neither',
    });
    await expect(openRemote(opts(server.url, { keyFile: pki.clientKey }))).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });

  test("unusable TLS files fail before any request with Go's messages", async () => {
    const cases: [Partial<TlsSettings>, string][] = [
      [
        { caFile: '/nonexistent/ca.pem' },
        'unable to configure TLS: could not read CA certificate "/nonexistent/ca.pem": open /nonexistent/ca.pem: no such file or directory',
      ],
      [
        { caFile: pki.serverKey },
        `unable to configure TLS: failed to append certificates from PEM file: "${pki.serverKey}"`,
      ],
      [
        { caFile: pki.caCert, certFile: '/nonexistent/c.pem', keyFile: pki.clientKey },
        'unable to configure TLS: Could not load X509 key pair: open /nonexistent/c.pem: no such file or directory',
      ],
      [
        { caFile: pki.caCert, certFile: pki.serverCert, keyFile: pki.clientKey },
        'unable to configure TLS: Could not load X509 key pair: tls: private key does not match public key',
      ],
    ];
    for (const [tls, message] of cases) {
      await expect(openRemote(opts(server.url, tls))).rejects.toMatchObject({ code: 'CONFIG', message });
    }
  });
});

/** A real TLS server (node:https) for what notary-server cannot be configured to do. */
async function httpsServer(o: {
  cert: string;
  key: string;
  requestCert?: boolean;
  ca?: string;
}): Promise<{ url: string; server: Server }> {
  const server = createHttpsServer(
    {
      cert: readFileSync(o.cert),
      key: readFileSync(o.key),
      ...(o.requestCert ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(o.ca ?? '') } : {}),
    },
    (req, res) => {
      res.writeHead(req.url === '/v2/' ? 200 : 404, { 'content-type': 'application/json' });
      res.end('{}');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('TLS edge cases on a node:https server', () => {
  test('hostname mismatch names the host and how to fix it', async () => {
    const wrong = makeTestPki({ serverSan: 'DNS:other.example' });
    const s = await httpsServer({ cert: wrong.serverCert, key: wrong.serverKey });
    try {
      const r = await openRemote(opts(s.url, { caFile: wrong.caCert }));
      const e = await failure(r.getMeta('root', MiB));
      const cause = offlineCause(e);
      expect(cause.code).toBe('TLS');
      expect(cause.message).toContain('x509: certificate is not valid for 127.0.0.1');
      expect(e.hint).toContain('subjectAltName');
    } finally {
      s.server.close();
    }
  });

  test('a server requiring a client certificate: TLS error naming --tlscert/--tlskey; works with the client cert', async () => {
    const s = await httpsServer({
      cert: pki.serverCert,
      key: pki.serverKey,
      requestCert: true,
      ca: pki.caCert,
    });
    try {
      const r = await openRemote(opts(s.url, { caFile: pki.caCert }));
      const e = await failure(r.getMeta('root', MiB));
      const cause = offlineCause(e);
      expect(cause.code).toBe('TLS');
      expect(e.hint).toContain('--tlscert');
      expect(e.hint).toContain('tls_client_cert');
      const ok = await openRemote(
        opts(s.url, { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey }),
      );
      // online now: the server answers 404 for metadata
      expect((await failure(ok.getMeta('root', MiB))).code).toBe('NO_TRUST_DATA');
    } finally {
      s.server.closeAllConnections();
      s.server.close();
    }
  });
});

describe('TLS through an HTTPS_PROXY tunnel', () => {
  test('the CA file and server name reach the tunnelled TLS connection', async () => {
    const named = makeTestPki({ serverSan: 'DNS:notary.proxytest.example' });
    const s = await httpsServer({ cert: named.serverCert, key: named.serverKey });
    const proxy = await startProxy(Number(new URL(s.url).port));
    try {
      const base = `https://notary.proxytest.example:${new URL(s.url).port}`;
      const env = { HTTPS_PROXY: proxy.url };
      const ok = await openRemote({ ...opts(base, { caFile: named.caCert }), env });
      expect((await failure(ok.getMeta('root', MiB))).code).toBe('NO_TRUST_DATA');
      expect(proxy.log[0]).toBe(`CONNECT notary.proxytest.example:${new URL(s.url).port}`);
      const untrusted = await openRemote({ ...opts(base, {}), env });
      expect(offlineCause(await failure(untrusted.getMeta('root', MiB))).code).toBe('TLS');
    } finally {
      proxy.close();
      s.server.closeAllConnections();
      s.server.close();
    }
  });
});

// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Parity with the Go client (the oracle): the same server conditions, Go's `* fatal:` / log
 * texts compared with what src/remote produces, and Go's publish bytes compared with ours.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isNotaryError } from '../../src/errors.js';
import { multipartBody, orderedRoles } from '../../src/remote/multipart.js';
import { openRemote } from '../../src/remote/open.js';
import type { RemoteOptions } from '../../src/remote/types.js';
import type { TlsSettings } from '../../src/repo/settings.js';
import { runGo, tempDir } from '../helpers/cli.js';
import { failure, memLog } from '../helpers/memlog.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

const env = {
  NOTARY_ROOT_PASSPHRASE: 'root-pass-123',
  NOTARY_TARGETS_PASSPHRASE: 'targets-pass-123',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snap-pass-123',
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
const MiB = 1 << 20;

let plain: NotaryServer;
let tlsServer: NotaryServer;
let authServer: NotaryServer;
let tokens: TokenServer;
let pki: TestPki;

beforeAll(async () => {
  pki = makeTestPki();
  tokens = await startTokenServer({ alice: 'correct-horse' });
  [plain, tlsServer, authServer] = await Promise.all([
    startNotaryServer(),
    startNotaryServer({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } }),
    startNotaryServer({ extraConfig: { auth: tokens.authConfig() } }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([plain?.stop(), tlsServer?.stop(), authServer?.stop(), tokens?.stop()]);
});

/** Go's `* fatal: <msg>` text. */
function goFatal(out: string): string {
  const m = /\* fatal: (.*)/.exec(out);
  return m?.[1] ?? `(no fatal line in: ${out})`;
}

function o(baseUrl: string, over: Partial<RemoteOptions> = {}): RemoteOptions {
  return {
    baseUrl,
    gun: 'example.com/parity',
    access: 'pull',
    tls: { skipVerify: false },
    log: memLog(),
    env: {},
    ...over,
  };
}

describe('same texts as the Go client', () => {
  test('404 on root', async () => {
    const go = await runGo(['-d', tempDir(), '-s', plain.url, 'list', 'example.com/parity'], { env });
    const ours = await failure((await openRemote(o(plain.url))).getMeta('root', MiB));
    expect(ours.message).toBe(goFatal(go.all));
  });

  test('TLS server without the CA: same "could not reach" log line and offline', async () => {
    const go = await runGo(['-d', tempDir(), '-s', tlsServer.url, 'list', 'example.com/parity'], { env });
    const log = memLog();
    const ours = await failure((await openRemote(o(tlsServer.url, { log }))).getMeta('root', MiB));
    expect(ours.message).toBe(goFatal(go.all));
    const goLine = /msg="(could not reach [^"\\]*(?:\\.[^"\\]*)*)"/
      .exec(go.stderr)?.[1]
      ?.replace(/\\"/g, '"');
    expect(log.lines[0]).toBe(`error: ${goLine}`);
  });

  test('unusable TLS files', async () => {
    const cases: [string[], Partial<TlsSettings>][] = [
      [['--tlscacert', '/nonexistent/ca.pem'], { caFile: '/nonexistent/ca.pem' }],
      [['--tlscacert', pki.serverKey], { caFile: pki.serverKey }],
      [['--tlscert', pki.clientCert], { certFile: pki.clientCert }],
      [
        ['--tlscacert', pki.caCert, '--tlscert', '/nonexistent/c.pem', '--tlskey', pki.clientKey],
        { caFile: pki.caCert, certFile: '/nonexistent/c.pem', keyFile: pki.clientKey },
      ],
      [
        ['--tlscacert', pki.caCert, '--tlscert', pki.serverCert, '--tlskey', pki.clientKey],
        { caFile: pki.caCert, certFile: pki.serverCert, keyFile: pki.clientKey },
      ],
    ];
    for (const [flags, tls] of cases) {
      const go = await runGo(['-d', tempDir(), '-s', tlsServer.url, ...flags, 'list', 'example.com/parity'], {
        env,
      });
      const ours = await openRemote(o(tlsServer.url, { tls: { skipVerify: false, ...tls } })).then(
        () => 'resolved',
        (e: unknown) => (isNotaryError(e) ? e.message : String(e)),
      );
      expect(ours).toBe(goFatal(go.all));
    }
  });

  test('token auth: wrong password, and no credentials at all; same token request URL', async () => {
    const gun = 'example.com/parity/auth';
    const start = tokens.log.length;
    const goWrong = await runGo(['-d', tempDir(), '-s', authServer.url, 'init', '-p', gun], {
      env: { ...env, NOTARY_AUTH: b64('alice:nope') },
    });
    const goUrl = tokens.log[start]?.url;
    const mid = tokens.log.length;
    const wrong = await failure(
      (
        await openRemote(o(authServer.url, { gun, access: 'push', env: { NOTARY_AUTH: b64('alice:nope') } }))
      ).getKey('timestamp'),
    );
    expect(wrong.message).toBe(goFatal(goWrong.all));
    expect(tokens.log[mid]?.url).toBe(goUrl);

    const goNone = await runGo(['-d', tempDir(), '-s', authServer.url, 'init', '-p', gun], { env });
    const none = await failure(
      (await openRemote(o(authServer.url, { gun, access: 'push' }))).getKey('timestamp'),
    );
    expect(none.message).toBe(goFatal(goNone.all));
  });
});

describe("Go's publish request", () => {
  test('same multipart layout, part order and headers as our multipartBody', async () => {
    const posts: { contentType: string; body: Buffer }[] = [];
    const spy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'POST') posts.push({ contentType: String(req.headers['content-type']), body });
        const up = request(`${plain.url}${req.url}`, { method: req.method, headers: req.headers }, (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        });
        up.end(body);
      });
    });
    await new Promise<void>((r) => spy.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(spy.address() as AddressInfo).port}`;
      const go = await runGo(['-d', tempDir(), '-s', url, 'init', '-p', 'example.com/parity/publish'], {
        env,
      });
      expect(go.code).toBe(0);
      const post = posts[0];
      if (!post) throw new Error('Go sent no POST');
      const boundary = /boundary=([0-9a-f]+)$/.exec(post.contentType)?.[1] ?? '';
      expect(boundary).toMatch(/^[0-9a-f]{60}$/);
      // split Go's body back into role -> bytes, rebuild it with our encoder, compare bytes
      const text = post.body.toString('latin1');
      const files = new Map<string, Buffer>();
      const re = new RegExp(
        `filename="([^"]+)"\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n([\\s\\S]*?)\\r\\n--${boundary}`,
        'g',
      );
      for (const m of text.matchAll(re)) files.set(m[1] ?? '', Buffer.from(m[2] ?? '', 'latin1'));
      expect([...files.keys()].sort()).toEqual(['root', 'snapshot', 'targets']);
      const ours = multipartBody(files, boundary);
      expect(ours.contentType).toBe(post.contentType);
      // Go's part order comes from its own iteration (root, targets, snapshot in every run seen);
      // ours is fixed. Same order → identical bytes; otherwise same framing → same length.
      if ([...files.keys()].join() === orderedRoles(files.keys()).join())
        expect(ours.body.equals(post.body)).toBe(true);
      else expect(ours.body.length).toBe(post.body.length);
    } finally {
      spy.close();
    }
  });
});

import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from './tls.js';

/**
 * A small docker-registry-style token issuer (ES256 JWTs whose x5c cert is in the notary-server's
 * `rootcertbundle`). Basic credentials from `users`; anonymous requests get a token with no
 * access (so notary-server answers 401); wrong credentials get 401 `UNAUTHORIZED`.
 */
export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  users: Record<string, string>;
  /** every token request: path+query, the user (null = anonymous) and whether it was accepted */
  log: { url: string; user: string | null; ok: boolean; query: Record<string, string[]> }[];
  /** the notary-server `auth` config section for this issuer */
  authConfig(): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startTokenServer(
  users: Record<string, string> = { alice: 'correct-horse' },
): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-token-'));
  const { cert, key } = selfSigned(dir, 'token-signing', 'tsnotary-test-token-issuer');
  const signingKey = createPrivateKey(readFileSync(key));
  const certDer = new X509Certificate(readFileSync(cert)).raw;
  const issuer = 'tsnotary-test-issuer';
  const service = 'notary-server';
  const log: TokenServer['log'] = [];
  const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

  function mint(user: string | null, scopes: string[], aud: string): string {
    const now = Math.floor(Date.now() / 1000);
    const access = user
      ? scopes.map((s) => {
          const parts = s.split(':');
          const actions = (parts.pop() ?? '').split(',');
          const type = parts.shift() ?? '';
          return { type, name: parts.join(':'), actions };
        })
      : [];
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud,
      exp: now + 600,
      nbf: now - 30,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const signing = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(signing), { key: signingKey, dsaEncoding: 'ieee-p1363' });
    return `${signing}.${b64u(sig)}`;
  }

  const srv = createServer((req: IncomingMessage, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const query: Record<string, string[]> = {};
    for (const [k, v] of u.searchParams) {
      const list = query[k] ?? [];
      list.push(v);
      query[k] = list;
    }
    const auth = req.headers.authorization ?? '';
    let user: string | null = null;
    if (/^basic /i.test(auth)) {
      const dec = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const i = dec.indexOf(':');
      const name = dec.slice(0, i);
      if (i > 0 && users[name] === dec.slice(i + 1)) user = name;
      else {
        log.push({ url: req.url ?? '', user: name, ok: false, query });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }),
        );
        return;
      }
    }
    log.push({ url: req.url ?? '', user, ok: true, query });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token: mint(user, query['scope'] ?? [], u.searchParams.get('service') ?? service),
        expires_in: 600,
        issued_at: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const realm = `http://127.0.0.1:${port}/auth`;
  return {
    realm,
    service,
    issuer,
    certFile: cert,
    users,
    log,
    authConfig: () => ({ type: 'token', options: { realm, service, issuer, rootcertbundle: cert } }),
    stop: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

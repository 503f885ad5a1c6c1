/**
 * Trust-server authentication (server-api.md §4): challenges recorded by the ping, Basic and
 * docker-registry Bearer tokens, credentials from NOTARY_AUTH or an injected prompt.
 *
 * Beyond Go: read-only commands that get 401 anonymously retry with credentials for Basic too
 * (Go fails with "no basic auth credentials"), and a missing credential source fails at once
 * with a hint instead of waiting on a prompt.
 */
import { errorMessage, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TlsSettings } from '../repo/settings.js';
import { describeNetworkError, goMethod, hostPort, parseServerErrors } from './errors.js';
import type { Transport } from './transport.js';
import type { Access, CredentialSource, Credentials, RemoteTimeouts } from './types.js';

export interface Challenge {
  /** lower-cased scheme, e.g. `bearer`, `basic` */
  scheme: string;
  /** parameters with lower-cased names */
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate` values: `Bearer realm="https://auth",service="svc"`, possibly several
 * challenges in one value (`Basic realm="x", Bearer realm="y"`). Parameter names are
 * case-insensitive; quoted values may contain escaped characters and commas.
 */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    let current: Challenge | undefined;
    const s = value;
    const skipSpaceAndCommas = () => {
      while (i < s.length && /[\s,]/.test(s.charAt(i))) i++;
    };
    const token = () => {
      const m = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(s.slice(i));
      if (!m) return '';
      i += m[0].length;
      return m[0];
    };
    while (i < s.length) {
      skipSpaceAndCommas();
      const start = i;
      const name = token();
      if (name === '') {
        i++; // skip a stray character
        continue;
      }
      let j = i;
      while (j < s.length && /\s/.test(s.charAt(j))) j++;
      if (s.charAt(j) === '=' && current) {
        i = j + 1;
        while (i < s.length && /\s/.test(s.charAt(i))) i++;
        let v = '';
        if (s.charAt(i) === '"') {
          i++;
          while (i < s.length && s.charAt(i) !== '"') {
            if (s.charAt(i) === '\\' && i + 1 < s.length) i++;
            v += s.charAt(i);
            i++;
          }
          i++; // closing quote
        } else {
          const m = /^[^,\s]*/.exec(s.slice(i));
          v = m ? m[0] : '';
          i += v.length;
        }
        current.params[name.toLowerCase()] = v;
      } else if (s.charAt(j) === '=' && !current) {
        i = start + name.length + 1; // parameter without scheme: ignore
      } else {
        current = { scheme: name.toLowerCase(), params: {} };
        out.push(current);
        // a token68 (e.g. `Negotiate abc==`) is not used by notary: skip it
      }
    }
  }
  return out;
}

/** Go's `NOTARY_AUTH` decoding with its log messages (server-api.md §4.3). */
export function parseNotaryAuth(value: string, log: Logger): Credentials | undefined {
  const clean = value.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    log.error('Could not base64-decode authentication string');
    return undefined;
  }
  const plain = Buffer.from(clean, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i === 0) {
    log.error('Authentication string with zero-length username');
    return undefined;
  }
  if (i < 0) {
    log.error('Malformatted authentication string; format must be <username>:<password>');
    return undefined;
  }
  return { username: plain.slice(0, i), password: plain.slice(i + 1).trim() };
}

/** Go's url.QueryEscape: everything but unreserved characters is escaped, space as `+`. */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** `repository:<gun>:<actions>` with Go's action lists (server-api.md §4.2). */
export function tokenScope(gun: string, access: Access): string {
  const actions = access === 'pull' ? 'pull' : access === 'push' ? 'push,pull' : '*';
  return `repository:${gun}:${actions}`;
}

/** Token request URL: realm's own query plus service, scope, account — keys sorted like Go's url.Values. */
export function tokenUrl(
  realm: string,
  service: string | undefined,
  scope: string,
  account: string | undefined,
): string {
  const u = new URL(realm);
  const params: [string, string][] = [...u.searchParams.entries()];
  if (service) params.push(['service', service]);
  params.push(['scope', scope]);
  if (account !== undefined) params.push(['account', account]);
  // stable sort by key only, as Go's Encode keeps the order of values per key
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const query = params.map(([k, v]) => `${goQueryEscape(k)}=${goQueryEscape(v)}`).join('&');
  return `${u.origin}${u.pathname}?${query}`;
}

export type AuthMode = 'anonymous' | 'credentials';

export interface AuthorizerOptions {
  challenges: readonly Challenge[];
  baseUrl: string;
  gun: string;
  access: Access;
  env: Readonly<Record<string, string | undefined>>;
  credentials?: CredentialSource;
  log: Logger;
  transport: Transport;
  tls: TlsSettings;
  timeouts: RemoteTimeouts;
}

interface CachedToken {
  token: string;
  /** ms since epoch */
  expiresAt: number;
}

/** Where credentials came from, for hints. */
export type CredentialOrigin = 'NOTARY_AUTH' | 'prompt' | 'none';

const NO_CREDENTIALS_HINT =
  'No credentials were available: set NOTARY_AUTH to base64("<username>:<password>"), or run the command in a terminal to be asked for them.';

export class Authorizer {
  /** read-only access starts anonymously and retries with credentials on 401 (Go's order) */
  readonly startMode: AuthMode;
  private readonly challenge: Challenge | undefined;
  private credentialsPromise: Promise<Credentials | undefined> | undefined;
  private origin: CredentialOrigin = 'none';
  private readonly tokens = new Map<AuthMode, Promise<CachedToken>>();

  constructor(private readonly opts: AuthorizerOptions) {
    this.startMode = opts.access === 'pull' ? 'anonymous' : 'credentials';
    this.challenge =
      opts.challenges.find((c) => c.scheme === 'bearer' && c.params['realm']) ??
      opts.challenges.find((c) => c.scheme === 'basic');
  }

  /** The server asked for a scheme we can answer. */
  get active(): boolean {
    return this.challenge !== undefined;
  }

  get credentialOrigin(): CredentialOrigin {
    return this.origin;
  }

  /** NOTARY_AUTH first (a bad value logs Go's error and means "no credentials"), then the prompt. Asked once. */
  credentials(): Promise<Credentials | undefined> {
    this.credentialsPromise ??= (async () => {
      const envAuth = this.opts.env['NOTARY_AUTH'];
      if (envAuth !== undefined && envAuth !== '') {
        const creds = parseNotaryAuth(envAuth, this.opts.log);
        if (creds) this.origin = 'NOTARY_AUTH';
        return creds;
      }
      if (!this.opts.credentials) return undefined;
      const creds = await this.opts.credentials();
      if (creds && creds.username !== '') {
        this.origin = 'prompt';
        return creds;
      }
      return undefined;
    })();
    return this.credentialsPromise;
  }

  /** Hint for a final 401, saying whether credentials were tried and where they came from. */
  async unauthorizedHint(): Promise<string> {
    const creds = await this.credentials();
    if (!creds) return NO_CREDENTIALS_HINT;
    const from = this.origin === 'NOTARY_AUTH' ? 'NOTARY_AUTH' : 'the prompt';
    return `The server ${this.opts.baseUrl} refused user "${creds.username}" (from ${from}) for ${tokenScope(this.opts.gun, this.opts.access)}: check the password and the account's permissions.`;
  }

  /** Authorization header for a request in `mode`, or undefined (no challenge / no credentials). */
  async header(mode: AuthMode): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      if (mode === 'anonymous') return undefined;
      const creds = await this.credentials();
      if (!creds) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    // One fetch per mode at a time; parallel callers share it. A failed fetch is forgotten so
    // the next request tries again; an expired token is replaced.
    for (;;) {
      const cached = this.tokens.get(mode);
      if (!cached) {
        const pending = this.fetchToken(ch, mode);
        this.tokens.set(mode, pending);
        pending.catch(() => {
          if (this.tokens.get(mode) === pending) this.tokens.delete(mode);
        });
        return `Bearer ${(await pending).token}`;
      }
      const token = await cached;
      if (token.expiresAt > Date.now()) return `Bearer ${token.token}`;
      if (this.tokens.get(mode) === cached) this.tokens.delete(mode);
    }
  }

  private async fetchToken(ch: Challenge, mode: AuthMode): Promise<CachedToken> {
    const realm = ch.params['realm'] ?? '';
    const creds = mode === 'credentials' ? await this.credentials() : undefined;
    const useCreds = creds !== undefined && creds.username !== '' && creds.password !== '';
    const scope = tokenScope(this.opts.gun, this.opts.access);
    let url: string;
    try {
      url = tokenUrl(realm, ch.params['service'], scope, useCreds ? creds.username : undefined);
    } catch (e) {
      throw new NotaryError(
        'BAD_RESPONSE',
        `invalid token realm ${JSON.stringify(realm)} in the server's challenge`,
        {
          hint: `The server ${this.opts.baseUrl} sent an authentication challenge this client cannot follow.`,
          cause: e,
        },
      );
    }
    const headers: Record<string, string> = {};
    if (useCreds)
      headers['authorization'] =
        `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    const target = hostPort(url);
    let res: Awaited<ReturnType<Transport['request']>>;
    try {
      res = await this.opts.transport.request({
        method: 'GET',
        url,
        headers,
        maxBytes: 1 << 20,
        deadlineMs: this.opts.timeouts.token,
      });
    } catch (e) {
      const p = describeNetworkError(e, target, this.opts.tls, url.startsWith('https:'));
      throw new NotaryError(p.code, `${goMethod('GET')} "${url}": ${p.reason}`, {
        hint: `The token service named by ${this.opts.baseUrl} could not be reached. ${p.hint}`,
        cause: e,
        details: { realm },
      });
    }
    if (res.status < 200 || res.status >= 300) {
      const errs = parseServerErrors(res.body);
      const first = errs[0];
      const text = first
        ? [first.code.toLowerCase(), first.message].filter(Boolean).join(': ')
        : `token service answered ${res.status}`;
      const unauthorized = res.status === 401 || res.status === 403;
      throw new NotaryError(
        unauthorized ? 'UNAUTHORIZED' : 'SERVER',
        unauthorized ? text || 'unauthorized' : `unable to get an auth token: ${text}`,
        {
          hint: unauthorized
            ? useCreds
              ? `The token service ${realm} refused user "${creds.username}" (from ${this.origin === 'NOTARY_AUTH' ? 'NOTARY_AUTH' : 'the prompt'}): check the username and password.`
              : NO_CREDENTIALS_HINT
            : `The token service ${realm} answered ${res.status}.`,
          details: { realm, status: res.status },
        },
      );
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
    } catch (e) {
      throw new NotaryError('BAD_RESPONSE', `unable to decode token response: ${errorMessage(e)}`, {
        hint: `The token service ${realm} did not answer with JSON.`,
        cause: e,
      });
    }
    const token =
      typeof parsed.access_token === 'string' && parsed.access_token !== ''
        ? parsed.access_token
        : typeof parsed.token === 'string'
          ? parsed.token
          : '';
    if (token === '') {
      throw new NotaryError('BAD_RESPONSE', 'authorization server did not include a token in the response', {
        hint: `The token service ${realm} answered without a token.`,
      });
    }
    const expiresIn =
      typeof parsed.expires_in === 'number' && parsed.expires_in >= 60 ? parsed.expires_in : 60;
    const issued = typeof parsed.issued_at === 'string' ? Date.parse(parsed.issued_at) : Number.NaN;
    const issuedAt = Number.isFinite(issued) ? issued : Date.now();
    return { token, expiresAt: issuedAt + expiresIn * 1000 };
  }
}

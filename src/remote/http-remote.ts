/**
 * The trust server over HTTP(S): metadata GETs, multipart publish, server-key endpoints, delete.
 * Status codes and transport failures become NotaryErrors with Go's wording (./errors.ts).
 * Idempotent GETs are retried a bounded number of times on transient network errors and
 * 502/503/504 — Go does not retry, but flaky links are the most common complaint (anchors B6).
 */
import { NotaryError } from '../errors.js';
import type { TufKey } from '../tuf/types.js';
import { type AuthMode, Authorizer, type Challenge } from './auth.js';
import {
  describeNetworkError,
  hostPort,
  networkError,
  oversizeError,
  type RequestContext,
  statusError,
} from './errors.js';
import { parseKeyJson } from './key-json.js';
import { multipartBody } from './multipart.js';
import {
  createTransport,
  DEFAULT_TIMEOUTS,
  type HttpRequest,
  type HttpResponse,
  type Transport,
} from './transport.js';
import type { Remote, RemoteOptions, RemoteTimeouts } from './types.js';

/** Size cap of the `.key` endpoints (tuf.md §10). */
export const KEY_MAX_BYTES = 256 * 1024;

export interface HttpRemoteOptions extends RemoteOptions {
  /** Challenges recorded by the ping (401); empty/absent = the server wants no auth. */
  challenges?: readonly Challenge[];
  /** A transport to share (openRemote passes the ping's); created lazily otherwise. */
  transport?: Transport;
}

/** Go's URL path escaping (encodePath): keeps unreserved and `$&+,/:;=@`, escapes the rest. */
export function goPathEscape(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c)) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const RETRY_STATUS = new Set([502, 503, 504]);

class HttpRemote implements Remote {
  readonly baseUrl: string;
  private readonly tufBase: string;
  private transportPromise: Promise<Transport> | undefined;
  private authPromise: Promise<Authorizer | undefined> | undefined;
  /** sticky: once anonymous access got 401, later requests go straight to credentials */
  private mode: AuthMode | undefined;
  private readonly timeouts: RemoteTimeouts;

  constructor(private readonly opts: HttpRemoteOptions) {
    this.baseUrl = opts.baseUrl;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.tufBase = `${opts.baseUrl.replace(/\/+$/, '')}/v2/${goPathEscape(opts.gun)}/_trust/tuf/`;
    if (opts.transport) this.transportPromise = Promise.resolve(opts.transport);
  }

  private transport(): Promise<Transport> {
    this.transportPromise ??= createTransport(this.opts.tls, this.opts.env, this.timeouts);
    return this.transportPromise;
  }

  /** The authorizer, created once (a promise, so parallel first requests share it). */
  private auth(): Promise<Authorizer | undefined> {
    this.authPromise ??= (async () => {
      const challenges = this.opts.challenges ?? [];
      if (challenges.length === 0) return undefined;
      const authorizer = new Authorizer({
        challenges,
        baseUrl: this.opts.baseUrl,
        gun: this.opts.gun,
        access: this.opts.access,
        env: this.opts.env,
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
        log: this.opts.log,
        transport: await this.transport(),
        tls: this.opts.tls,
        timeouts: this.timeouts,
      });
      this.mode = authorizer.startMode;
      return authorizer.active ? authorizer : undefined;
    })();
    return this.authPromise;
  }

  /** One request with auth: anonymous 401 → retry once with credentials (also for Basic). */
  private async send(req: HttpRequest): Promise<HttpResponse> {
    const transport = await this.transport();
    const auth = await this.auth();
    if (!auth) return transport.request(req);
    const mode = this.mode ?? auth.startMode;
    const withAuth = async (m: AuthMode) => {
      const header = await auth.header(m);
      return transport.request({
        ...req,
        headers: { ...req.headers, ...(header ? { authorization: header } : {}) },
      });
    };
    const res = await withAuth(mode);
    if (res.status !== 401 || mode === 'credentials') return res;
    if (!(await auth.credentials())) return res;
    this.mode = 'credentials';
    return withAuth('credentials');
  }

  /** send + retries for idempotent GETs; maps transport errors. */
  private async exchange(req: HttpRequest, retry: boolean): Promise<HttpResponse> {
    const delays = retry ? this.timeouts.retryDelays : [];
    const target = hostPort(req.url);
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await this.send(req);
      } catch (e) {
        if (e instanceof NotaryError) throw e;
        failure = e;
      }
      const transient = res
        ? RETRY_STATUS.has(res.status)
        : describeNetworkError(failure, target, this.opts.tls, req.url.startsWith('https:')).transient;
      const delay = delays[attempt];
      if (transient && delay !== undefined) {
        this.opts.log.debug(
          `retrying ${req.method} ${req.url} in ${delay} ms after ${res ? `status ${res.status}` : describeNetworkError(failure, target, this.opts.tls, req.url.startsWith('https:')).reason}`,
        );
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      if (res) return res;
      throw networkError(failure, req.method, req.url, target, this.opts.tls, this.baseUrl);
    }
  }

  private async check(res: HttpResponse, ctx: RequestContext, maxBytes: number): Promise<Buffer> {
    const auth = res.status === 401 ? await this.auth() : undefined;
    if (auth) {
      const err = statusError(401, res.body, ctx);
      throw new NotaryError('UNAUTHORIZED', err.message, {
        hint: await auth.unauthorizedHint(),
        ...(err.details ? { details: err.details } : {}),
      });
    }
    if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.body, ctx);
    if (res.tooLarge) throw oversizeError(ctx, maxBytes, res.tooLarge.declared);
    return res.body;
  }

  private ctx(method: string, file: string, name: string, isRoot: boolean): RequestContext {
    return {
      baseUrl: this.baseUrl,
      gun: this.opts.gun,
      name,
      isRoot,
      method,
      url: this.tufBase + goPathEscape(file),
    };
  }

  private async get(file: string, name: string, isRoot: boolean, maxBytes: number): Promise<Buffer> {
    const ctx = this.ctx('GET', file, name, isRoot);
    const res = await this.exchange({ method: 'GET', url: ctx.url, maxBytes }, true);
    return this.check(res, ctx, maxBytes);
  }

  getMeta(role: string, maxBytes: number): Promise<Buffer> {
    return this.get(`${role}.json`, role, role === 'root', maxBytes);
  }

  getMetaByChecksum(role: string, sha256Hex: string, maxBytes: number): Promise<Buffer> {
    return this.get(`${role}.${sha256Hex}.json`, `${role}.${sha256Hex}`, role === 'root', maxBytes);
  }

  getRootVersion(version: number, maxBytes: number): Promise<Buffer> {
    return this.get(`${version}.root.json`, `${version}.root`, true, maxBytes);
  }

  getMetaVersion(role: string, version: number, maxBytes: number): Promise<Buffer> {
    return this.get(`${version}.${role}.json`, `${version}.${role}`, role === 'root', maxBytes);
  }

  async publish(files: ReadonlyMap<string, Buffer>): Promise<void> {
    const { contentType, body } = multipartBody(files);
    const ctx = this.ctx('POST', '', 'metadata', false);
    const req: HttpRequest = {
      method: 'POST',
      url: ctx.url,
      headers: { 'content-type': contentType },
      body,
      maxBytes: 1 << 20,
    };
    await this.check(await this.exchange(req, false), ctx, req.maxBytes);
  }

  async getKey(role: 'timestamp' | 'snapshot'): Promise<TufKey> {
    // notary-server 0.7 creates a key per GET (verified) and accepts any key it created in the
    // root, so a retried GET is harmless.
    const body = await this.get(`${role}.key`, `${role} key`, false, KEY_MAX_BYTES);
    return parseKeyJson(body, `${role} key`, this.baseUrl);
  }

  async rotateKey(role: 'timestamp' | 'snapshot'): Promise<TufKey> {
    const ctx = this.ctx('POST', `${role}.key`, `${role} key`, false);
    const res = await this.exchange({ method: 'POST', url: ctx.url, maxBytes: KEY_MAX_BYTES }, false);
    return parseKeyJson(await this.check(res, ctx, KEY_MAX_BYTES), `${role} key`, this.baseUrl);
  }

  async deleteAll(): Promise<void> {
    const ctx = this.ctx('DELETE', '', 'metadata', false);
    await this.check(
      await this.exchange({ method: 'DELETE', url: ctx.url, maxBytes: 1 << 20 }, false),
      ctx,
      1 << 20,
    );
  }
}

/**
 * A Remote talking HTTP(S) to `opts.baseUrl` for `opts.gun`. No request is made until a method is
 * called. Without `challenges` no authentication is attempted (use openRemote, which pings first).
 */
export function createHttpRemote(opts: HttpRemoteOptions): Remote {
  return new HttpRemote(opts);
}

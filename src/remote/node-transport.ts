/**
 * Direct (unproxied) HTTP transport on node:http / node:https. Loading npm undici costs ~100 ms
 * of start-up for every online command, while node:http is already part of Node's snapshot; so
 * this transport serves every URL no proxy applies to, and undici is kept only for proxies.
 *
 * Errors are shaped exactly like the undici transport's (codes, `phase` tags, socket info) so
 * that ./errors.ts maps both to the same Go-worded messages.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { ConnectPhase } from './errors.js';
import type { HttpRequest, HttpResponse, TlsMaterial, Transport } from './transport.js';
import type { RemoteTimeouts } from './types.js';

type Coded = Error & { code?: string; phase?: ConnectPhase; cause?: unknown };

function coded(message: string, code: string, extra: Record<string, unknown> = {}): Coded {
  return Object.assign(new Error(message), { code, ...extra });
}

/** undici's socket info on `UND_ERR_SOCKET` errors; errors.ts reads `bytesRead` from it. */
function socketInfo(socket: Socket | undefined): Record<string, unknown> {
  return {
    localAddress: socket?.localAddress,
    localPort: socket?.localPort,
    remoteAddress: socket?.remoteAddress,
    remotePort: socket?.remotePort,
    bytesWritten: socket?.bytesWritten ?? 0,
    bytesRead: socket?.bytesRead ?? 0,
  };
}

/**
 * Node reports a peer that closed the connection early as ECONNRESET "socket hang up" (before
 * the response) or "aborted" (during the body) — not a real TCP reset. undici calls both
 * `UND_ERR_SOCKET` "other side closed", which errors.ts words as Go's EOF: use that.
 */
function normalizeClose(err: Coded, socket: Socket | undefined): Coded {
  const nodeSynthetic =
    err.code === 'ECONNRESET' &&
    (err.message === 'socket hang up' || err.message === 'aborted') &&
    !('syscall' in err);
  if (!nodeSynthetic) return err;
  return coded('other side closed', 'UND_ERR_SOCKET', { socket: socketInfo(socket), cause: err });
}

/** Response headers as undici gives them: lower-case names, repeated headers as arrays. */
function headersOf(res: IncomingMessage): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, values] of Object.entries(res.headersDistinct)) {
    if (values === undefined) continue;
    out[name] = values.length === 1 ? values[0] : values;
  }
  return out;
}

function declaredLength(headers: Record<string, string | string[] | undefined>): number | undefined {
  const v = headers['content-length'];
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

export class NodeHttpTransport implements Transport {
  private http: HttpAgent | undefined;
  private https: HttpsAgent | undefined;

  constructor(
    private readonly tls: TlsMaterial,
    private readonly timeouts: RemoteTimeouts,
    /** Error bodies are read only this far (transport.ts ERROR_BODY_MAX). */
    private readonly errorBodyMax: number,
  ) {}

  private agentFor(secure: boolean): HttpAgent {
    if (!secure) {
      this.http ??= new HttpAgent({ keepAlive: true });
      return this.http;
    }
    const { ca, cert, key, rejectUnauthorized, minVersion } = this.tls;
    this.https ??= new HttpsAgent({
      keepAlive: true,
      rejectUnauthorized,
      minVersion,
      // `ca` replaces Node's bundled roots, as Go's RootCAs does; absent = system roots.
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
    });
    return this.https;
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const secure = url.protocol === 'https:';
    const t = this.timeouts;
    const errorBodyMax = this.errorBodyMax;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    else if (req.method === 'POST') headers['content-length'] = '0';

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let socket: Socket | undefined;
      /** Connection phase while connecting; undefined once the connection is usable. */
      let phase: ConnectPhase | undefined;
      let timer: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;

      const arm = (ms: number, make: () => Coded) => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(make()), ms);
        timer.unref();
      };
      const cleanup = () => {
        clearTimeout(timer);
        clearTimeout(deadline);
      };
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        cleanup();
        let err = (e instanceof Error ? e : new Error(String(e))) as Coded;
        if (phase !== undefined && err.phase === undefined && err.code !== 'ABORT_TIMEOUT') err.phase = phase;
        err = normalizeClose(err, socket);
        // Destroying the request also destroys its socket (never reused after a failure).
        request.destroy();
        socket?.destroy();
        reject(err);
      };
      const done = (res: HttpResponse) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(res);
      };

      const send = secure ? httpsRequest : httpRequest;
      const request = send(url, { method: req.method, headers, agent: this.agentFor(secure) });

      if (req.deadlineMs !== undefined) {
        const ms = req.deadlineMs;
        deadline = setTimeout(
          () =>
            fail(coded(`request timed out after ${ms} ms`, 'ABORT_TIMEOUT', { cause: new Error('aborted') })),
          ms,
        );
        deadline.unref();
      }

      // The request is written only once the connection is ready (as undici does): written
      // earlier, Node would report a failed TLS handshake as a generic EPROTO write error.
      const awaitHeaders = () => {
        phase = undefined;
        arm(t.read, () => coded('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT'));
        request.end(req.body);
      };

      request.on('socket', (s: Socket) => {
        socket = s;
        if (!s.connecting) {
          awaitHeaders(); // a kept-alive connection
          return;
        }
        // Separate TCP (incl. DNS) and TLS-handshake deadlines, tagged like undici's connector.
        phase = 'tcp';
        arm(t.connect, () => coded(`connect timed out after ${t.connect} ms`, 'UND_ERR_CONNECT_TIMEOUT'));
        s.once('connect', () => {
          if (!secure) return awaitHeaders();
          phase = 'tls';
          arm(t.tls, () => coded(`TLS handshake timed out after ${t.tls} ms`, 'UND_ERR_CONNECT_TIMEOUT'));
          s.once('secureConnect', awaitHeaders);
        });
      });
      request.on('error', fail);

      request.on('response', (res: IncomingMessage) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const resHeaders = headersOf(res);
        const cap = ok ? req.maxBytes : errorBodyMax;
        const declared = declaredLength(resHeaders);
        if (ok && declared !== undefined && declared > cap) {
          // Do not read a body we would refuse anyway: cut the connection now.
          res.on('error', () => undefined);
          socket?.destroy();
          res.destroy();
          done({ status, headers: resHeaders, body: Buffer.alloc(0), tooLarge: { declared } });
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        const idle = () => arm(t.read, () => coded('Body Timeout Error', 'UND_ERR_BODY_TIMEOUT'));
        const cut = (result: HttpResponse) => {
          res.on('error', () => undefined);
          socket?.destroy();
          res.destroy();
          done(result);
        };
        idle();
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (total + chunk.length > cap) {
            if (ok) return cut({ status, headers: resHeaders, body: Buffer.alloc(0), tooLarge: {} });
            chunks.push(chunk.subarray(0, cap - total));
            total = cap;
            return cut({ status, headers: resHeaders, body: Buffer.concat(chunks, total) });
          }
          chunks.push(chunk);
          total += chunk.length;
          idle();
        });
        res.on('end', () => done({ status, headers: resHeaders, body: Buffer.concat(chunks, total) }));
        res.on('error', fail);
        // An early close surfaces as 'aborted' + an ECONNRESET "aborted" error (handled above);
        // 'close' without 'end' covers Node versions that only emit 'aborted'.
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        });
      });
    });
  }

  async close(): Promise<void> {
    this.http?.destroy();
    this.https?.destroy();
    this.http = undefined;
    this.https = undefined;
  }
}

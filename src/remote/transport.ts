/**
 * HTTP transport to the trust server (and its token service): node:http(s) for direct
 * connections (./node-transport.ts), undici only for URLs that go through a proxy — loaded
 * lazily because few setups have one and it costs ~100 ms to load. Mirrors Go notary's transport (deps.md §1): optional CA
 * file as the only trust anchor, client certificate, skip-verify, HTTP(S) proxy from the
 * environment but never for loopback, TCP connect 30 s, TLS handshake 10 s; plus a read timeout
 * Go lacks, and size caps enforced while streaming so a lying server cannot exhaust memory.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { errorMessage, goPathErrorText, NotaryError } from '../errors.js';
import type { TlsSettings } from '../repo/settings.js';
import type { ConnectPhase } from './errors.js';
import { NodeHttpTransport } from './node-transport.js';
import { proxyFor } from './proxy-env.js';
import type { RemoteTimeouts } from './types.js';

export const DEFAULT_TIMEOUTS: RemoteTimeouts = {
  connect: 30_000,
  tls: 10_000,
  read: 60_000,
  ping: 5_000,
  token: 15_000,
  retryDelays: [200, 1_000],
};

/**
 * Error bodies are only read this far. Go reads 1 KiB (tuf.md §10) and so loses long server
 * validation messages; 64 KiB keeps them and still bounds memory.
 */
export const ERROR_BODY_MAX = 64 * 1024;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Cap for a 2xx body; error bodies are cut at ERROR_BODY_MAX. */
  maxBytes: number;
  /** Whole-request deadline (ping, token); absent = only the connect/read timeouts apply. */
  deadlineMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set when a 2xx body exceeded maxBytes (the connection was cut; body is empty). */
  tooLarge?: { declared?: number };
}

export interface Transport {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2';
}

function tlsConfigError(detail: string, hint: string, cause?: unknown): NotaryError {
  return new NotaryError('CONFIG', `unable to configure TLS: ${detail}`, {
    hint,
    ...(cause !== undefined ? { cause } : {}),
  });
}

const CA_FLAGS = '--tlscacert (or remote_server.root_ca in the config file)';
const PAIR_FLAGS = '--tlscert/--tlskey (or remote_server.tls_client_cert/tls_client_key in the config file)';

/**
 * Loads the TLS files and checks them now, as Go does before any request (same messages):
 * a cert without key (or the reverse), an unreadable or certificate-less CA file, a client
 * key pair that does not load or does not match.
 */
export function loadTlsMaterial(tls: TlsSettings): TlsMaterial {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new NotaryError('CONFIG', 'either pass both client key and cert, or neither', {
      hint: 'Give both --tlscert and --tlskey (or remote_server.tls_client_cert and tls_client_key), or neither.',
    });
  }
  const material: TlsMaterial = { rejectUnauthorized: !tls.skipVerify, minVersion: 'TLSv1.2' };
  if (tls.caFile !== undefined) {
    const caFile = tls.caFile;
    try {
      material.ca = readFileSync(caFile);
    } catch (e) {
      throw tlsConfigError(
        `could not read CA certificate "${caFile}": ${goPathErrorText(caFile, e, 'open')}`,
        `Check the path given with ${CA_FLAGS}.`,
        e,
      );
    }
    const certs = pemCertificates(material.ca);
    if (certs.length === 0) {
      throw tlsConfigError(
        `failed to append certificates from PEM file: "${caFile}"`,
        `${caFile} must contain PEM "CERTIFICATE" blocks (${CA_FLAGS}).`,
      );
    }
    material.ca = Buffer.from(certs.join('\n'));
  }
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    const load = (path: string) => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw tlsConfigError(
          `Could not load X509 key pair: ${goPathErrorText(path, e, 'open')}`,
          `Check the paths given with ${PAIR_FLAGS}.`,
          e,
        );
      }
    };
    material.cert = load(tls.certFile);
    material.key = load(tls.keyFile);
    if (pemCertificates(material.cert).length === 0) {
      throw tlsConfigError(
        'Could not load X509 key pair: tls: failed to find any PEM data in certificate input',
        `${tls.certFile} must contain the client certificate in PEM (${PAIR_FLAGS}); are the certificate and key switched?`,
      );
    }
    try {
      createSecureContext({ cert: material.cert, key: material.key });
    } catch (e) {
      const mismatch = /key values mismatch|does not match/i.test(errorMessage(e));
      throw tlsConfigError(
        `Could not load X509 key pair: ${mismatch ? 'tls: private key does not match public key' : errorMessage(e)}`,
        `${tls.keyFile} must be the private key of ${tls.certFile} (${PAIR_FLAGS}).`,
        e,
      );
    }
  }
  return material;
}

/** The PEM CERTIFICATE blocks of a file (other blocks, e.g. keys, are ignored as Go does). */
function pemCertificates(data: Buffer): string[] {
  return data.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

type Undici = typeof import('undici');
type Connector = ReturnType<Undici['buildConnector']>;
type ConnectOptions = Parameters<Connector>[0];
type ConnectCallback = Parameters<Connector>[1];

function phaseError(message: string, phase: ConnectPhase): Error {
  return Object.assign(new Error(message), { code: 'UND_ERR_CONNECT_TIMEOUT', phase });
}

/**
 * undici's connector with separate TCP and TLS-handshake deadlines (undici has one for both),
 * tagging errors with the phase so messages can say "TLS handshake timeout" like Go.
 */
function phasedConnector(undici: Undici, tls: TlsMaterial, timeouts: RemoteTimeouts): Connector {
  const base = undici.buildConnector({ ...tls, timeout: 0 } as Parameters<Undici['buildConnector']>[0]);
  return (opts: ConnectOptions, callback: ConnectCallback): void => {
    let phase: ConnectPhase = 'tcp';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, sock: Socket | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        if (!('phase' in err)) Object.assign(err, { phase });
        callback(err, null);
      } else if (sock) callback(null, sock);
    };
    const socket = base(opts, (err, sock) => finish(err, sock)) as unknown as Socket;
    const arm = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const err = phaseError(`${what} timed out after ${ms} ms`, phase);
        finish(err, null);
        socket.destroy(err);
      }, ms);
      timer.unref();
    };
    arm(timeouts.connect, 'connect');
    if (opts.protocol === 'https:') {
      socket.once('connect', () => {
        phase = 'tls';
        arm(timeouts.tls, 'TLS handshake');
      });
    }
  };
}

/** Drops a response body; undici emits an AbortError on destroy that must not go unhandled. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

class UndiciTransport implements Transport {
  private direct: Dispatcher | undefined;
  private readonly proxied = new Map<string, Dispatcher>();

  constructor(
    private readonly undici: Undici,
    private readonly tls: TlsMaterial,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly timeouts: RemoteTimeouts,
  ) {}

  private dispatcherFor(url: URL): Dispatcher {
    const proxy = proxyFor(url, this.env);
    const common = { headersTimeout: this.timeouts.read, bodyTimeout: this.timeouts.read };
    if (proxy === undefined) {
      this.direct ??= new this.undici.Agent({
        ...common,
        connect: phasedConnector(this.undici, this.tls, this.timeouts),
      });
      return this.direct;
    }
    let agent = this.proxied.get(proxy);
    if (!agent) {
      agent = new this.undici.ProxyAgent({
        ...common,
        uri: proxy,
        requestTls: { ...this.tls, timeout: this.timeouts.tls },
        proxyTls: { timeout: this.timeouts.connect },
      });
      this.proxied.set(proxy, agent);
    }
    return agent;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const dispatcher = this.dispatcherFor(url);
    const signal = req.deadlineMs !== undefined ? AbortSignal.timeout(req.deadlineMs) : undefined;
    try {
      const res = await this.undici.request(url, {
        method: req.method,
        headers: req.headers ?? {},
        body: req.body ?? null,
        dispatcher,
        ...(signal ? { signal } : {}),
      });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const headers = res.headers as Record<string, string | string[] | undefined>;
      const cap = ok ? req.maxBytes : ERROR_BODY_MAX;
      const lengthHeader = headers['content-length'];
      const declared =
        typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      if (ok && declared !== undefined && declared > cap) {
        discard(res.body);
        return { status: res.statusCode, headers, body: Buffer.alloc(0), tooLarge: { declared } };
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (total + chunk.length > cap) {
          discard(res.body);
          if (ok) return { status: res.statusCode, headers, body: Buffer.alloc(0), tooLarge: {} };
          chunks.push(chunk.subarray(0, cap - total));
          total = cap;
          break;
        }
        chunks.push(chunk);
        total += chunk.length;
      }
      return { status: res.statusCode, headers, body: Buffer.concat(chunks, total) };
    } catch (e) {
      if (signal?.aborted) {
        throw Object.assign(new Error(`request timed out after ${req.deadlineMs} ms`), {
          code: 'ABORT_TIMEOUT',
          cause: e,
        });
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    const all = [...this.proxied.values(), ...(this.direct ? [this.direct] : [])];
    this.proxied.clear();
    this.direct = undefined;
    await Promise.all(all.map((d) => d.destroy().catch(() => undefined)));
  }
}

let wasmFlagSet = false;

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 then re-compiles it with TurboFan
 * in the background, and Node does not exit until that finishes: measured 250-450 ms of idle
 * wait after the last request of a command. Baseline (Liftoff) code is fast enough for our
 * small responses and lets the process exit at once. Only wasm compiled after this call is
 * affected, and undici's llhttp is the only wasm tsnotary loads.
 */
async function preferBaselineWasm(): Promise<void> {
  if (wasmFlagSet) return;
  wasmFlagSet = true;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
}

/**
 * Sends each request directly on node:http(s) unless a proxy applies to its URL; only then is
 * undici (ProxyAgent) loaded — importing it costs ~100 ms of start-up, which most users, who
 * have no proxy (and never for loopback), should not pay.
 */
class RoutingTransport implements Transport {
  private readonly direct: NodeHttpTransport;
  private proxied: Promise<UndiciTransport> | undefined;

  constructor(
    private readonly tls: TlsMaterial,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly timeouts: RemoteTimeouts,
  ) {
    this.direct = new NodeHttpTransport(tls, timeouts, ERROR_BODY_MAX);
  }

  private undici(): Promise<UndiciTransport> {
    this.proxied ??= (async () => {
      await preferBaselineWasm();
      const undici = await import('undici');
      return new UndiciTransport(undici, this.tls, this.env, this.timeouts);
    })();
    return this.proxied;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    if (proxyFor(new URL(req.url), this.env) === undefined) return this.direct.request(req);
    return (await this.undici()).request(req);
  }

  async close(): Promise<void> {
    const proxied = this.proxied;
    this.proxied = undefined;
    await Promise.all([this.direct.close(), proxied?.then((t) => t.close()).catch(() => undefined)]);
  }
}

/** Creates the transport; loads the TLS files (CONFIG errors when unreadable). */
export async function createTransport(
  tls: TlsSettings,
  env: Readonly<Record<string, string | undefined>>,
  timeouts: RemoteTimeouts = DEFAULT_TIMEOUTS,
): Promise<Transport> {
  return new RoutingTransport(loadTlsMaterial(tls), env, timeouts);
}

/**
 * Maps trust-server responses and transport failures to NotaryError. Messages keep Go notary's
 * wording (server-api.md §3) so scripts keep matching; hints and causes add what Go hides:
 * which server was asked, the real network/TLS cause, and what to do about it.
 */
import { clipForMessage, NotaryError } from '../errors.js';
import type { TlsSettings } from '../repo/settings.js';

/** What a request was about, for messages. */
export interface RequestContext {
  /** validated base URL */
  baseUrl: string;
  gun: string;
  /** Name used in Go's "<name> trust data unavailable" message, e.g. `targets.<hex>`, `timestamp key`. */
  name: string;
  /** The file is a root (any form): 404 means the repository does not exist. */
  isRoot: boolean;
  method: string;
  url: string;
}

/** Go's `url.Host` of the base URL: host and port exactly as written (no default-port rewriting). */
export function hostPort(baseUrl: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(baseUrl);
  const authority = m?.[1] ?? baseUrl;
  const at = authority.lastIndexOf('@');
  return at >= 0 ? authority.slice(at + 1) : authority;
}

/** How to choose another server, appended to hints that may be caused by the wrong URL. */
const PICK_SERVER = 'choose the server with -s/--server or remote_server.url in the config file';

/** Parsed docker-distribution `errcode` body: `{"errors":[{"code","message","detail"}]}`. */
export interface ServerError {
  code: string;
  message: string;
  detail?: unknown;
}

export function parseServerErrors(body: Buffer): ServerError[] {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return [];
    const errs = (v as { errors?: unknown }).errors;
    if (!Array.isArray(errs)) return [];
    return errs
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        code: typeof e['code'] === 'string' ? e['code'] : '',
        message: typeof e['message'] === 'string' ? e['message'] : '',
        detail: e['detail'],
      }));
  } catch {
    return [];
  }
}

/** Go's validation.SerializableError texts, keyed by Name. */
const VALIDATION_PREFIX: Record<string, string> = {
  ErrValidation: 'An error occurred during validation: ',
  ErrBadRoot: 'The root metadata is invalid: ',
  ErrBadTargets: 'The targets metadata is invalid: ',
  ErrBadSnapshot: 'The snapshot metadata is invalid: ',
  ErrBadHierarchy: 'Metadata hierarchy is incomplete: ',
};

function validationMessage(detail: unknown): string | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const { Name: name, Error: inner } = detail as { Name?: unknown; Error?: unknown };
  if (typeof name !== 'string') return undefined;
  const prefix = VALIDATION_PREFIX[name];
  if (prefix === undefined || typeof inner !== 'object' || inner === null) return undefined;
  const msg = (inner as { Msg?: unknown }).Msg;
  // The server's text becomes our message: one bounded line, whatever the server sent.
  return typeof msg === 'string' ? prefix + clipForMessage(msg) : undefined;
}

function serverSummary(errors: ServerError[]): string {
  // Printed on the `hint:` line: whatever the server sent stays one bounded line.
  return clipForMessage(errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; '));
}

/** NotaryError for a non-2xx response to a metadata/key/publish/delete request. */
export function statusError(status: number, body: Buffer, ctx: RequestContext): NotaryError {
  const server = ctx.baseUrl;
  const errors = parseServerErrors(body);
  const details = { server, status, url: ctx.url, ...(errors.length ? { serverErrors: errors } : {}) };
  if (status === 404) {
    if (ctx.isRoot) {
      return new NotaryError('NO_TRUST_DATA', `${hostPort(server)} does not have trust data for ${ctx.gun}`, {
        hint: `The server ${server} has no repository ${ctx.gun}: initialize it with "tsnotary init ${ctx.gun}", or if it lives on another server, ${PICK_SERVER}.`,
        details: { ...details, gun: ctx.gun },
      });
    }
    return new NotaryError(
      'NOT_FOUND',
      `${ctx.name} trust data unavailable.  Has a notary repository been initialized?`,
      {
        hint: `The server ${server} has no ${ctx.name} for ${ctx.gun}.`,
        details,
      },
    );
  }
  if (status === 400) {
    const only = errors.length === 1 ? errors[0] : undefined;
    const validation = only ? validationMessage(only.detail) : undefined;
    if (validation !== undefined) {
      return new NotaryError('SERVER_REJECTED', validation, {
        hint: `The server ${server} refused the upload; nothing was changed on it.`,
        details,
      });
    }
    if (errors.some((e) => e.code === 'VERSION')) {
      return new NotaryError('VERSION_CONFLICT', 'trust server rejected operation.', {
        hint: 'The server already has a newer version of this metadata (someone published meanwhile): publish again to apply your changes on top of it.',
        details,
      });
    }
    return new NotaryError('SERVER_REJECTED', 'trust server rejected operation.', {
      hint: errors.length
        ? `The server ${server} said: ${serverSummary(errors)}.`
        : `The server ${server} answered 400 Bad Request.`,
      details,
    });
  }
  if (status === 401) {
    return new NotaryError(
      'UNAUTHORIZED',
      'you are not authorized to perform this operation: server returned 401.',
      {
        hint: `The server ${server} refused access to ${ctx.gun}: check the credentials (NOTARY_AUTH or the username/password prompt) and that the account may access this repository.`,
        details,
      },
    );
  }
  // 403 keeps Go's text but is an authorization problem, not an outage: say so in the code.
  return new NotaryError(
    status === 403 ? 'UNAUTHORIZED' : 'SERVER',
    `unable to reach trust server at this time: ${status}.`,
    {
      hint: statusHint(status, server),
      details,
    },
  );
}

function statusHint(status: number, server: string): string {
  if (status >= 300 && status < 400) {
    return `The server ${server} answered with a redirect (${status}); the GUN may be malformed (empty, leading "/", or "//"), or the URL points at the wrong place.`;
  }
  if (status === 403)
    return `The server ${server} (or a proxy in front of it) forbids this operation (403): check the account's permissions.`;
  if (status === 405)
    return `The server ${server} does not accept this request (405): is this URL a notary server?`;
  if (status >= 500)
    return `The server ${server} had an internal problem (${status}); try again later or check its logs.`;
  return `The server ${server} answered ${status}.`;
}

/** The size cap of a response was exceeded (Content-Length or streamed bytes). */
export function oversizeError(ctx: RequestContext, maxBytes: number, declared?: number): NotaryError {
  return new NotaryError('BAD_RESPONSE', 'trust server returned a bad response.', {
    hint: `${ctx.name} from ${ctx.baseUrl} is larger than the ${maxBytes}-byte limit${declared !== undefined ? ` (Content-Length ${declared})` : ''}; the server or something between may be misbehaving.`,
    details: {
      server: ctx.baseUrl,
      url: ctx.url,
      maxBytes,
      ...(declared !== undefined ? { contentLength: declared } : {}),
    },
  });
}

/** A transport failure, classified. `reason` reads like Go's error text. */
export interface NetworkProblem {
  code: 'NETWORK' | 'TLS' | 'TIMEOUT';
  reason: string;
  hint: string;
  /** Worth retrying an idempotent request. */
  transient: boolean;
}

/** Connection phase tagged on errors by our connector (see transport.ts). */
export type ConnectPhase = 'tcp' | 'tls';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  phase?: unknown;
  cause?: unknown;
  name?: unknown;
}

function errorFields(e: unknown): ErrorLike {
  return typeof e === 'object' && e !== null ? (e as ErrorLike) : {};
}

/** The innermost error with a string code (undici/fetch may wrap the socket error). */
function rootCause(e: unknown): ErrorLike {
  let cur = errorFields(e);
  for (let i = 0; i < 5 && typeof cur.code !== 'string' && cur.cause !== undefined; i++)
    cur = errorFields(cur.cause);
  return cur;
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/**
 * Classifies a transport error. `target` is `host:port` of the URL asked; `tls` tells which
 * trust settings were used, so the hint can say what to change.
 */
export function describeNetworkError(
  e: unknown,
  target: string,
  tls: TlsSettings,
  secure = false,
): NetworkProblem {
  const f = rootCause(e);
  const code = typeof f.code === 'string' ? f.code : '';
  const msg = typeof f.message === 'string' ? f.message : String(e);
  const phase = errorFields(e).phase ?? f.phase;
  const host = target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const serverFlag = `check the server URL (${PICK_SERVER.replace('choose the server with ', '')})`;

  if (UNKNOWN_AUTHORITY.has(code)) {
    return {
      code: 'TLS',
      reason: 'x509: certificate signed by unknown authority',
      hint: tls.caFile
        ? `The certificate of ${target} is not signed by a CA in ${tls.caFile} (--tlscacert / remote_server.root_ca replaces the system CAs): point it at the CA that issued the server certificate.`
        : `The certificate of ${target} is not signed by a CA this machine trusts: pass the server's CA with --tlscacert <file> or set remote_server.root_ca in the config file.`,
      transient: false,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      code: 'TLS',
      reason: `x509: certificate is not valid for ${host}: ${msg}`,
      hint: `Connect with a host name the certificate of ${target} was issued for (-s/--server or remote_server.url), or reissue the certificate with ${host} in its subjectAltName.`,
      transient: false,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      code: 'TLS',
      reason: `x509: certificate has expired or is not yet valid: ${msg}`,
      hint: `The certificate of ${target} is outside its validity period: renew it on the server, or check this machine's clock.`,
      transient: false,
    };
  }
  if (
    /certificate required|alert handshake failure|alert bad certificate|alert unknown ca|alert certificate unknown/i.test(
      msg,
    ) ||
    /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA/.test(code)
  ) {
    const required = /required|handshake failure/i.test(msg) || code.includes('REQUIRED');
    return {
      code: 'TLS',
      reason:
        required && !tls.certFile
          ? 'remote error: tls: certificate required'
          : `remote error: tls: ${msg.replace(/^.*alert /, '').replace(/:.*$/, '')}`,
      hint:
        tls.certFile === undefined
          ? `The server ${target} requires a client certificate: pass --tlscert and --tlskey, or set remote_server.tls_client_cert and tls_client_key in the config file.`
          : `The server ${target} did not accept the client certificate ${tls.certFile}: check that it is issued by a CA the server trusts and still valid.`,
      transient: false,
    };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(msg)) {
    return {
      code: 'TLS',
      reason: 'tls: first record does not look like a TLS handshake',
      hint: `${target} does not speak TLS: use an http:// URL for it, or ${serverFlag}.`,
      transient: false,
    };
  }
  if (code === 'ENOTFOUND') {
    return {
      code: 'NETWORK',
      reason: `dial tcp: lookup ${host}: no such host`,
      hint: `The host name ${host} does not resolve: ${serverFlag}.`,
      transient: false,
    };
  }
  if (code === 'EAI_AGAIN') {
    return {
      code: 'NETWORK',
      reason: `dial tcp: lookup ${host}: temporary failure in name resolution`,
      hint: 'DNS did not answer: check the network connection and DNS settings.',
      transient: true,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      code: 'NETWORK',
      reason: `dial tcp ${target}: connect: connection refused`,
      hint: `Nothing is listening on ${target}: is the notary server running there, and is the URL right? (${PICK_SERVER})`,
      transient: true,
    };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return {
      code: 'NETWORK',
      reason: `dial tcp ${target}: connect: ${code === 'EHOSTUNREACH' ? 'no route to host' : 'network is unreachable'}`,
      hint: 'Check the network connection (and any proxy settings: HTTPS_PROXY / NO_PROXY).',
      transient: true,
    };
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    if (phase === 'tls') {
      return {
        code: 'TIMEOUT',
        reason: 'net/http: TLS handshake timeout',
        hint: `${target} accepted the connection but did not complete the TLS handshake: is it a TLS server, and is it overloaded?`,
        transient: true,
      };
    }
    return {
      code: 'TIMEOUT',
      reason: `dial tcp ${target}: i/o timeout`,
      hint: `No answer from ${target}: the host may be down or a firewall may drop the connection.`,
      transient: true,
    };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return {
      code: 'TIMEOUT',
      reason: 'net/http: timeout awaiting response headers',
      hint: `${target} accepted the request but did not answer in time: the server may be overloaded or stuck.`,
      transient: false,
    };
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return {
      code: 'TIMEOUT',
      reason: 'net/http: timeout reading the response body',
      hint: `${target} stopped sending in the middle of a response: try again later.`,
      transient: true,
    };
  }
  if (code === 'ABORT_TIMEOUT') {
    return {
      code: 'TIMEOUT',
      reason: 'net/http: request canceled (Client.Timeout exceeded while awaiting headers)',
      hint: `${target} did not answer in time: the host may be down, overloaded, or behind a firewall that drops packets.`,
      transient: false,
    };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    // With TLS 1.3 a server that wants a client certificate rejects it after the client thinks
    // the handshake is done: the client just sees the connection close before any answer.
    const socketInfo = errorFields(f as unknown) as { socket?: { bytesRead?: unknown } };
    const silentClose = secure && socketInfo.socket?.bytesRead === 0;
    if (silentClose && phase !== 'tcp') {
      return {
        code: 'TLS',
        reason: 'remote error: the server closed the TLS connection before answering',
        hint:
          tls.certFile === undefined
            ? `${target} closed the connection right after the TLS handshake: it probably requires a client certificate — pass --tlscert and --tlskey, or set remote_server.tls_client_cert and tls_client_key in the config file.`
            : `${target} closed the connection right after the TLS handshake: it probably did not accept the client certificate ${tls.certFile}.`,
        transient: false,
      };
    }
    const inTls = phase === 'tls';
    return {
      code: inTls ? 'TLS' : 'NETWORK',
      reason: inTls
        ? `remote error: tls handshake failed: ${msg}`
        : `${code === 'UND_ERR_SOCKET' ? 'EOF' : 'connection reset by peer'} (${msg})`,
      hint: inTls
        ? `${target} closed the connection during the TLS handshake: it may require a client certificate (--tlscert/--tlskey) or not speak TLS.`
        : `${target} closed the connection unexpectedly: try again; if it persists, check the server and any proxy in between.`,
      transient: true,
    };
  }
  if (code === 'UND_ERR_PROXY' || /Proxy response|Proxy Authentication/i.test(msg)) {
    return {
      code: 'NETWORK',
      reason: `proxyconnect tcp: ${msg}`,
      hint: 'The HTTP(S) proxy refused the connection: check HTTPS_PROXY / HTTP_PROXY / NO_PROXY.',
      transient: false,
    };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || phase === 'tls') {
    return {
      code: 'TLS',
      reason: `tls: ${msg}`,
      hint: `The TLS connection to ${target} failed: check --tlscacert/--tlscert/--tlskey (remote_server.root_ca, tls_client_cert, tls_client_key).`,
      transient: false,
    };
  }
  return {
    code: 'NETWORK',
    reason: code ? `${msg} (${code})` : msg,
    hint: `The request to ${target} failed: check the network and the server URL (${PICK_SERVER}).`,
    transient: false,
  };
}

/** Go's `url.Error` text: `Get "<url>": <reason>`. */
export function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

/** NotaryError for a transport failure after a successful ping. */
export function networkError(
  e: unknown,
  method: string,
  url: string,
  target: string,
  tls: TlsSettings,
  server: string,
): NotaryError {
  if (e instanceof NotaryError) return e;
  const p = describeNetworkError(e, target, tls, url.startsWith('https:'));
  return new NotaryError(p.code, `${goMethod(method)} "${url}": ${p.reason}`, {
    hint: p.hint,
    cause: e,
    details: { server, url },
  });
}

/**
 * Opening a connection to the trust server the way Go does (server-api.md §4.1, §5): ping
 * `GET <base>/v2/` (5 s, redirects followed) before the first request; a 401 records the auth
 * challenges, a transport error or any other non-2xx status switches to the offline remote —
 * which here keeps the real cause instead of hiding it.
 */
import { NotaryError } from '../errors.js';
import type { TlsSettings } from '../repo/settings.js';
import type { Challenge } from './auth.js';
import { parseChallenges } from './auth.js';
import { describeNetworkError, goMethod, hostPort } from './errors.js';
import { createHttpRemote } from './http-remote.js';
import { createOfflineRemote, type OfflineReason } from './offline.js';
import { createTransport, DEFAULT_TIMEOUTS, type Transport } from './transport.js';
import type { Remote, RemoteOptions, RemoteTimeouts } from './types.js';

/**
 * `plain`: the answer was not notary-server's (200 without the `{}` body, 403, 404): perhaps a
 * static web server holding an archive (issue 12), which openRemote then probes for.
 */
export type PingResult =
  | { online: true; challenges: Challenge[]; plain?: true }
  | { online: false; why: OfflineReason; plain?: true };

const MAX_REDIRECTS = 10;

function pingStatusHint(status: number, body: Buffer, pingUrl: string): string {
  if (status === 400 && /HTTP request to an HTTPS server/i.test(body.toString('utf8'))) {
    return 'The server speaks HTTPS: use an https:// URL (-s/--server or remote_server.url).';
  }
  if (status === 404)
    return `${pingUrl} does not exist: is this the URL (and path prefix) of a notary server?`;
  if (status >= 500) return 'The server has an internal problem: try again later or check its logs.';
  return `A notary server answers GET ${pingUrl} with 200 or 401.`;
}

/** `GET <base>/v2/`: online (with challenges when 401) or the reason it is not. */
export async function ping(
  transport: Transport,
  baseUrl: string,
  tls: TlsSettings,
  timeouts: RemoteTimeouts,
): Promise<PingResult> {
  const pingUrl = `${baseUrl.replace(/\/+$/, '')}/v2/`;
  let url = pingUrl;
  const deadline = Date.now() + timeouts.ping;
  for (let hop = 0; ; hop++) {
    let res: Awaited<ReturnType<Transport['request']>>;
    try {
      res = await transport.request({
        method: 'GET',
        url,
        maxBytes: 1024,
        deadlineMs: Math.max(1, deadline - Date.now()),
      });
    } catch (e) {
      const p = describeNetworkError(e, hostPort(url), tls, url.startsWith('https:'));
      const cause = new NotaryError(p.code, `${goMethod('GET')} "${url}": ${p.reason}`, {
        hint: p.hint,
        cause: e,
        details: { server: baseUrl, url },
      });
      return { online: false, why: { reason: p.reason, hint: p.hint, cause, logDetail: cause.message } };
    }
    const location = res.headers['location'];
    if (res.status >= 300 && res.status < 400 && typeof location === 'string' && hop < MAX_REDIRECTS) {
      url = new URL(location, url).toString();
      continue;
    }
    if (res.status === 401) {
      const raw = res.headers['www-authenticate'];
      const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      return { online: true, challenges: parseChallenges(values) };
    }
    // 403 is not an outage: stay online so each request reports "forbidden" instead of
    // "client is offline" (Go goes offline here, hiding the cause).
    if ((res.status >= 200 && res.status < 300) || res.status === 403) {
      const notary = res.status < 300 && res.body.toString('utf8').trim() === '{}';
      return notary ? { online: true, challenges: [] } : { online: true, challenges: [], plain: true };
    }
    const reason = `server answered ${res.status} to GET ${url}`;
    const hint = pingStatusHint(res.status, res.body, url);
    const cause = new NotaryError('SERVER', `unable to reach trust server at this time: ${res.status}.`, {
      hint,
      details: { server: baseUrl, url, status: res.status },
    });
    const why = { reason, hint, cause, logDetail: String(res.status) };
    return res.status === 404 ? { online: false, why, plain: true } : { online: false, why };
  }
}

/**
 * Pings the server and returns the HTTP remote (with the auth the ping asked for) or, when the
 * server cannot be reached, an offline remote that fails every call with the real cause. Logs
 * Go's `could not reach <base>: <cause>` (error) and `continuing in offline mode` (info).
 * Throws CONFIG for unusable TLS settings, as Go fails before any request.
 */
export async function openRemote(opts: RemoteOptions): Promise<Remote> {
  // the archive reader (tar, manifest, fs/promises) is loaded only for file:// remotes
  if (/^file:/i.test(opts.baseUrl)) {
    const { openFileArchive } = await import('./archive-remote.js');
    return openFileArchive(opts.baseUrl, opts.gun, opts.access);
  }
  const timeouts: RemoteTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const transport = await createTransport(opts.tls, opts.env, timeouts);
  const result = await ping(transport, opts.baseUrl, opts.tls, timeouts);
  if (result.plain) {
    const { openStaticArchive } = await import('./static-archive.js');
    const remote = await openStaticArchive(opts, transport);
    if (remote) return remote;
  }
  if (!result.online) {
    await transport.close();
    // Go's texts: `could not reach <base>: Get "<base>/v2/": <reason>` or `...: <status>`
    opts.log.error(`could not reach ${opts.baseUrl}: ${result.why.logDetail}`);
    opts.log.info('continuing in offline mode');
    return createOfflineRemote(opts.baseUrl, result.why);
  }
  return createHttpRemote({ ...opts, timeouts, challenges: result.challenges, transport });
}

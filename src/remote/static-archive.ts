/**
 * An extracted archive served by any plain web server (`-s https://static.example/prefix`).
 * Recognised when the ping is not notary-server's answer and `<base>/manifest.json` is an
 * archive manifest; then files are plain GETs of `<base>/v2/<gun>/_trust/tuf/<file>`, checked
 * against the manifest like a local archive. Costs nothing for a real notary-server (its ping
 * answers `{}` or 401, and no probe is made).
 */
import { NotaryError } from '../errors.js';
import { type ArchiveManifest, MANIFEST_PATH, parseManifest } from './archive-manifest.js';
import { archiveRemote, requireReadAccess } from './archive-remote.js';
import { hostPort, networkError, statusError } from './errors.js';
import { goPathEscape } from './http-remote.js';
import type { Transport } from './transport.js';
import type { Remote, RemoteOptions } from './types.js';

const MANIFEST_MAX = 64 << 20;

async function fetchFile(
  transport: Transport,
  opts: RemoteOptions,
  path: string,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/${goPathEscape(path)}`;
  let res: Awaited<ReturnType<Transport['request']>>;
  try {
    res = await transport.request({ method: 'GET', url, maxBytes });
  } catch (e) {
    throw networkError(e, 'GET', url, hostPort(url), opts.tls, opts.baseUrl);
  }
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) {
    throw statusError(res.status, res.body, {
      baseUrl: opts.baseUrl,
      gun: opts.gun,
      name: path,
      isRoot: false,
      method: 'GET',
      url,
    });
  }
  if (res.tooLarge) {
    throw new NotaryError('BAD_RESPONSE', 'trust server returned a bad response.', {
      hint: `${url} is larger than the ${maxBytes} bytes allowed for it.`,
    });
  }
  return res.body;
}

/** The read-only remote when `<base>` serves an archive, else undefined (the caller goes on as before). */
export async function openStaticArchive(
  opts: RemoteOptions,
  transport: Transport,
): Promise<Remote | undefined> {
  let manifest: ArchiveManifest;
  try {
    const raw = await fetchFile(transport, opts, MANIFEST_PATH, MANIFEST_MAX);
    if (!raw) return undefined;
    manifest = parseManifest(raw, opts.baseUrl);
  } catch {
    return undefined;
  }
  opts.log.debug(
    `${opts.baseUrl} serves a trust-data archive of ${manifest.gun} (made ${manifest.archivedAt})`,
  );
  requireReadAccess(opts.access, opts.baseUrl, opts.gun);
  return archiveRemote(
    opts.baseUrl,
    opts.gun,
    { read: (path, max) => fetchFile(transport, opts, path, max) },
    manifest,
  );
}

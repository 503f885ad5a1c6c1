/**
 * A minimal OCI distribution client: what `trust sign` needs instead of a Docker daemon — the
 * digest and size of a tag's manifest. `GET /v2/` (challenge), the registry token flow (Bearer
 * with Basic credentials or an identity token, or Basic directly), then
 * `GET /v2/<name>/manifests/<tag>` accepting OCI and Docker manifests and indexes; the digest is
 * computed from the bytes received (and must agree with `Docker-Content-Digest`).
 *
 * Plain http only for loopback registries, as docker allows (https first, without
 * verification, then http).
 */
import { createHash } from 'node:crypto';
import { errorMessage, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import { type Challenge, goQueryEscape, parseChallenges } from '../remote/auth.js';
import { describeNetworkError, hostPort } from '../remote/errors.js';
import { createTransport, DEFAULT_TIMEOUTS, type HttpResponse, type Transport } from '../remote/transport.js';
import type { TlsSettings } from '../repo/settings.js';

export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/** Manifests larger than this are refused (distribution's own limit is 4 MiB). */
const MAX_MANIFEST_BYTES = 4 << 20;
const TOKEN_MAX_BYTES = 1 << 20;

export interface RegistryCredentials {
  username: string;
  password: string;
  identityToken?: string;
}

export interface ManifestRequest {
  /** `host[:port]` of the registry (Docker Hub: `registry-1.docker.io`) */
  registry: string;
  /** repository path in the registry (`library/alpine`) */
  repository: string;
  tag: string;
  /** loopback registry: TLS not verified, plain http allowed */
  insecure: boolean;
  tls: TlsSettings;
  credentials?: RegistryCredentials;
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
}

export interface ManifestDescriptor {
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  mediaType: string;
  /** the sha256 of the manifest bytes */
  sha256: Buffer;
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

class RegistrySession {
  private authorization: string | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly base: string,
    private readonly req: ManifestRequest,
  ) {}

  private get target(): string {
    return this.req.registry;
  }

  private fail(
    code: ConstructorParameters<typeof NotaryError>[0],
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    return new NotaryError(code, message, {
      hint,
      ...(cause !== undefined ? { cause } : {}),
      details: { registry: this.req.registry, repository: this.req.repository, tag: this.req.tag },
    });
  }

  async get(url: string, headers: Record<string, string>, maxBytes: number): Promise<HttpResponse> {
    try {
      return await this.transport.request({
        method: 'GET',
        url,
        headers: this.authorization ? { ...headers, Authorization: this.authorization } : headers,
        maxBytes,
      });
    } catch (e) {
      const p = describeNetworkError(e, hostPort(url), this.req.tls, url.startsWith('https:'));
      throw this.fail(p.code, `error contacting registry ${this.target}: ${p.reason}`, p.hint, e);
    }
  }

  /** Answers the challenge of a 401 (token flow or Basic); false when it cannot. */
  async authorize(challenges: readonly Challenge[]): Promise<void> {
    const creds = this.req.credentials;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params['realm']) {
      this.authorization = `Bearer ${await this.token(bearer)}`;
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!creds || creds.username === '') {
        throw this.fail(
          'UNAUTHORIZED',
          `unauthorized: authentication required by registry ${this.target}`,
          `Log in first (\`docker login ${this.target}\` writes the credentials to $DOCKER_CONFIG/config.json).`,
        );
      }
      this.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return;
    }
    throw this.fail(
      'UNAUTHORIZED',
      `unauthorized: registry ${this.target} asked for an unsupported authentication scheme`,
      'The registry must offer Basic or Bearer (token) authentication.',
    );
  }

  /** distribution's token handler: GET realm with Basic creds, or POST a refresh token. */
  private async token(ch: Challenge): Promise<string> {
    const creds = this.req.credentials;
    const realm = ch.params['realm']!;
    const service = ch.params['service'];
    const scope = `repository:${this.req.repository}:pull`;
    let res: HttpResponse;
    const u = new URL(realm);
    try {
      if (creds?.identityToken) {
        const form = [
          ['grant_type', 'refresh_token'],
          ['refresh_token', creds.identityToken],
          ...(service ? [['service', service]] : []),
          ['scope', scope],
          ['client_id', 'docker'],
        ]
          .map(([k, v]) => `${goQueryEscape(k!)}=${goQueryEscape(v!)}`)
          .join('&');
        res = await this.transport.request({
          method: 'POST',
          url: realm,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(form),
          maxBytes: TOKEN_MAX_BYTES,
          deadlineMs: DEFAULT_TIMEOUTS.token,
        });
      } else {
        if (service) u.searchParams.append('service', service);
        u.searchParams.append('scope', scope);
        if (creds && creds.username !== '') u.searchParams.append('account', creds.username);
        const headers: Record<string, string> =
          creds && creds.username !== ''
            ? {
                Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`,
              }
            : {};
        res = await this.transport.request({
          method: 'GET',
          url: u.toString(),
          headers,
          maxBytes: TOKEN_MAX_BYTES,
          deadlineMs: DEFAULT_TIMEOUTS.token,
        });
      }
    } catch (e) {
      const p = describeNetworkError(e, hostPort(realm), this.req.tls, realm.startsWith('https:'));
      throw this.fail(
        p.code,
        `error contacting the token service of registry ${this.target}: ${p.reason}`,
        p.hint,
        e,
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw this.fail(
        'UNAUTHORIZED',
        `unauthorized: registry ${this.target} refused the credentials${creds ? ` of ${creds.username || 'the identity token'}` : ''}`,
        creds
          ? `Log in again (\`docker login ${this.target}\`): the stored credentials are not accepted.`
          : `Log in first (\`docker login ${this.target}\` writes the credentials to $DOCKER_CONFIG/config.json).`,
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw this.fail(
        'SERVER',
        `token service of registry ${this.target} answered ${res.status}`,
        'Try again later, or check the registry.',
      );
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw this.fail(
        'BAD_RESPONSE',
        `token service of registry ${this.target} sent invalid JSON`,
        'Check the registry’s token service.',
        e,
      );
    }
    const token = body['token'] ?? body['access_token'];
    if (typeof token !== 'string' || token === '') {
      throw this.fail(
        'BAD_RESPONSE',
        `token service of registry ${this.target} sent no token`,
        'Check the registry’s token service.',
      );
    }
    return token;
  }

  async manifest(): Promise<ManifestDescriptor> {
    const { repository, tag } = this.req;
    const url = `${this.base}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
    const accept = { Accept: MANIFEST_MEDIA_TYPES.join(', ') };
    let res = await this.get(url, accept, MAX_MANIFEST_BYTES);
    if (res.status === 401) {
      const raw = res.headers['www-authenticate'];
      await this.authorize(parseChallenges(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]));
      res = await this.get(url, accept, MAX_MANIFEST_BYTES);
    }
    if (res.status === 401 || res.status === 403) {
      throw this.fail(
        'UNAUTHORIZED',
        `unauthorized: registry ${this.target} refused access to ${repository}`,
        this.req.credentials
          ? `The credentials for ${this.target} do not give pull access to ${repository}; log in as a user who has it.`
          : `Log in first (\`docker login ${this.target}\` writes the credentials to $DOCKER_CONFIG/config.json).`,
      );
    }
    if (res.status === 404) {
      throw this.fail(
        'NOT_FOUND',
        `manifest unknown: ${this.target}/${repository}:${tag} does not exist in the registry`,
        `Push the image first (docker push, skopeo copy, buildah push...), then sign the tag; nothing was signed.`,
      );
    }
    if (res.tooLarge) {
      throw this.fail(
        'BAD_RESPONSE',
        `manifest of ${repository}:${tag} is larger than ${MAX_MANIFEST_BYTES} bytes`,
        'This is not an image manifest.',
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw this.fail(
        'SERVER',
        `registry ${this.target} answered ${res.status} for ${repository}:${tag}`,
        'Try again later, or check the registry.',
      );
    }
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    const body = res.body;
    const sha256 = createHash('sha256').update(body).digest();
    const digest = `sha256:${sha256.toString('hex')}`;
    const announced = header(res, 'docker-content-digest');
    if (announced?.startsWith('sha256:') && announced !== digest) {
      throw this.fail(
        'HASH_MISMATCH',
        `registry ${this.target} announced digest ${announced} for ${repository}:${tag} but sent a manifest with digest ${digest}`,
        'The registry or a proxy altered the manifest; nothing was signed.',
      );
    }
    if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
      this.req.log.debug(`manifest media type ${JSON.stringify(mediaType)} of ${repository}:${tag}`);
    }
    return { digest, size: body.length, mediaType, sha256 };
  }
}

/** True for failures where the next scheme (http after https) may work. */
function schemeMismatch(e: unknown): boolean {
  if (!(e instanceof NotaryError)) return false;
  return e.code === 'NETWORK' || e.code === 'TLS' || e.code === 'TIMEOUT';
}

/** The digest and size of `registry/repository:tag`'s manifest. */
export async function fetchManifestDescriptor(req: ManifestRequest): Promise<ManifestDescriptor> {
  const tls: TlsSettings = req.insecure ? { ...req.tls, skipVerify: true } : req.tls;
  const transport = await createTransport(tls, req.env, DEFAULT_TIMEOUTS);
  try {
    const schemes = req.insecure ? ['https', 'http'] : ['https'];
    let last: unknown;
    for (const scheme of schemes) {
      const session = new RegistrySession(transport, `${scheme}://${req.registry}`, { ...req, tls });
      try {
        return await session.manifest();
      } catch (e) {
        last = e;
        if (!schemeMismatch(e)) throw e;
        req.log.debug(`registry ${req.registry} over ${scheme}: ${errorMessage(e)}`);
      }
    }
    throw last;
  } finally {
    await transport.close();
  }
}

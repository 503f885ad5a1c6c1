/**
 * Docker's client configuration as `docker trust` used it: the config directory
 * (`DOCKER_CONFIG`, default `~/.docker`), the trust directory inside it, the trust server
 * (`DOCKER_CONTENT_TRUST_SERVER`, notary.docker.io for Docker Hub, `https://<registry>` else), the
 * server's TLS files (`<config>/tls/<host:port>/`) and `config.json`. Reads files only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, NotaryError } from '../errors.js';
import type { TlsSettings } from '../repo/settings.js';
import {
  hostOf,
  type ImageReference,
  isInsecureRegistry,
  isLoopbackHost,
  isOfficialIndex,
} from './reference.js';

export const DOCKER_HUB_NOTARY = 'https://notary.docker.io';
/** The key Docker Hub credentials are stored under in config.json and credential helpers. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** `$DOCKER_CONFIG`, else `$HOME/.docker`. */
export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const d = env['DOCKER_CONFIG'];
  return d !== undefined && d !== '' ? d : join(home, '.docker');
}

export function dockerTrustDir(configDir: string): string {
  return join(configDir, 'trust');
}

/** docker's trust.Server: the trust server URL for an image. */
export function trustServerUrl(
  ref: ImageReference,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const s = env['DOCKER_CONTENT_TRUST_SERVER'];
  if (s !== undefined && s !== '') {
    let scheme = '';
    try {
      scheme = new URL(s).protocol;
    } catch {
      scheme = '';
    }
    if (scheme !== 'https:') {
      throw new NotaryError('CONFIG', `valid https URL required for trust server, got ${s}`, {
        hint: 'Set DOCKER_CONTENT_TRUST_SERVER to the https:// URL of the notary server (e.g. https://notary.example.com:4443).',
      });
    }
    return s;
  }
  if (isOfficialIndex(ref)) return DOCKER_HUB_NOTARY;
  return `https://${ref.domain}`;
}

/**
 * TLS for the trust server, as docker: the CA and client certificate files of
 * `<config>/tls/<host:port>/` (`*.crt` CAs, `*.cert` + `*.key` pairs). Docker skips verification
 * whenever the *registry* is insecure (loopback); here that only applies when the trust server
 * is on a loopback address too, so a loopback registry never disables checks of a remote server.
 */
export function trustServerTls(configDir: string, serverUrl: string, ref: ImageReference): TlsSettings {
  const url = new URL(serverUrl);
  const certDir = join(configDir, 'tls', url.host);
  const tls: TlsSettings = {
    skipVerify: isInsecureRegistry(ref) && isLoopbackHost(hostOf(url.host)),
  };
  if (!existsSync(certDir)) return tls;
  let names: string[];
  try {
    names = readdirSync(certDir).sort();
  } catch (e) {
    throw new NotaryError('CONFIG', `unable to read certificate directory ${certDir}: ${errorMessage(e)}`, {
      cause: e,
    });
  }
  const ca = names.includes('ca.crt') ? 'ca.crt' : names.find((n) => n.endsWith('.crt'));
  if (ca) tls.caFile = join(certDir, ca);
  for (const n of names) {
    if (!n.endsWith('.cert')) continue;
    const key = `${n.slice(0, -'.cert'.length)}.key`;
    if (!names.includes(key)) {
      throw new NotaryError(
        'CONFIG',
        `missing key ${key} for client certificate ${n}. CA certificates must use the extension .crt`,
        {
          hint: `Put the key of ${join(certDir, n)} next to it as ${key}, or rename a CA file to .crt.`,
        },
      );
    }
    tls.certFile = join(certDir, n);
    tls.keyFile = join(certDir, key);
    break;
  }
  return tls;
}

/** The parts of `config.json` the trust commands use. */
export interface DockerConfigFile {
  auths: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers: Record<string, string>;
}

/** `<config>/config.json`; an absent file is an empty config, a broken one an error. */
export function readDockerConfigFile(configDir: string): DockerConfigFile {
  const file = join(configDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { auths: {}, credHelpers: {} };
    throw new NotaryError('CONFIG', `error loading config file: ${file}: ${errorMessage(e)}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new NotaryError('CONFIG', `parsing config file (${file}): ${errorMessage(e)}`, {
      cause: e,
      hint: `${file} is not valid JSON; fix it or move it away.`,
    });
  }
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const obj = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const auths: DockerConfigFile['auths'] = {};
  for (const [k, v] of Object.entries(obj(o['auths']))) {
    const e = obj(v);
    const entry: DockerConfigFile['auths'][string] = {};
    for (const f of ['auth', 'username', 'password', 'identitytoken'] as const) {
      if (typeof e[f] === 'string') entry[f] = e[f] as string;
    }
    auths[k] = entry;
  }
  const credHelpers: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(o['credHelpers']))) if (typeof v === 'string') credHelpers[k] = v;
  const cfg: DockerConfigFile = { auths, credHelpers };
  if (typeof o['credsStore'] === 'string' && o['credsStore'] !== '') cfg.credsStore = o['credsStore'];
  return cfg;
}

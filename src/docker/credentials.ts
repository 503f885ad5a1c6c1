/**
 * Registry credentials as docker resolves them for an image's registry: `credHelpers[<key>]`,
 * else the `credsStore` helper, else `auths[<key>]` of config.json (matched by hostname as
 * docker does). Helpers are the `docker-credential-<name>` programs (`get`, server on stdin,
 * JSON on stdout). Docker Hub's key is `https://index.docker.io/v1/`, other registries' their
 * `host[:port]`.
 */
import { execFile } from 'node:child_process';
import { errorMessage, NotaryError } from '../errors.js';
import { DOCKER_HUB_AUTH_KEY, type DockerConfigFile } from './config.js';
import { type ImageReference, isOfficialIndex } from './reference.js';

export interface RegistryAuth {
  username: string;
  password: string;
  /** OAuth refresh token (`identitytoken`, or a helper's `<token>` user) */
  identityToken?: string;
  /** where the credentials came from, for messages */
  source: string;
}

/** The config.json / helper key for an image's registry. */
export function authKey(ref: ImageReference): string {
  return isOfficialIndex(ref) ? DOCKER_HUB_AUTH_KEY : ref.domain;
}

/** docker's ConvertToHostname: `https://host:5000/v1/` → `host:5000`. */
function toHostname(key: string): string {
  let s = key;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const i = s.indexOf('/');
  return i === -1 ? s : s.slice(0, i);
}

/** Runs `docker-credential-<helper> get`; undefined when the helper has no credentials. */
export type HelperRunner = (helper: string, serverUrl: string) => Promise<RegistryAuth | undefined>;

export const runCredentialHelper: HelperRunner = (helper, serverUrl) =>
  new Promise((resolve, reject) => {
    const program = `docker-credential-${helper}`;
    const child = execFile(program, ['get'], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      const out = String(stdout).trim();
      if (err) {
        if (/credentials not found/i.test(out)) {
          resolve(undefined);
          return;
        }
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new NotaryError(
            'CONFIG',
            missing
              ? `error getting credentials - err: exec: "${program}": executable file not found in $PATH, out: \`\``
              : `error getting credentials - err: ${errorMessage(err)}, out: \`${out}\``,
            {
              cause: err,
              hint: missing
                ? `Install ${program}, or remove "${helper}" from credsStore/credHelpers in config.json.`
                : `Check the credential helper ${program} (try \`echo ${serverUrl} | ${program} get\`).`,
            },
          ),
        );
        return;
      }
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(out) as Record<string, unknown>;
      } catch (e) {
        reject(
          new NotaryError('CONFIG', `error getting credentials - ${program} printed invalid JSON`, {
            cause: e,
          }),
        );
        return;
      }
      const username = typeof parsed['Username'] === 'string' ? parsed['Username'] : '';
      const secret = typeof parsed['Secret'] === 'string' ? parsed['Secret'] : '';
      if (username === '<token>')
        resolve({ username: '', password: '', identityToken: secret, source: program });
      else resolve({ username, password: secret, source: program });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(serverUrl);
  });

function fromAuthsEntry(e: DockerConfigFile['auths'][string], where: string): RegistryAuth {
  let username = e.username ?? '';
  let password = e.password ?? '';
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i <= 0) {
      throw new NotaryError('CONFIG', 'invalid auth configuration file', {
        hint: `The "auth" value of ${where} in config.json is not base64 of user:password; run docker login again or fix it.`,
      });
    }
    username = plain.slice(0, i);
    password = plain.slice(i + 1);
  }
  const auth: RegistryAuth = { username, password, source: `config.json auths[${JSON.stringify(where)}]` };
  if (e.identitytoken) auth.identityToken = e.identitytoken;
  return auth;
}

/** Credentials for the image's registry; undefined when none are configured (anonymous). */
export async function resolveRegistryAuth(
  cfg: DockerConfigFile,
  ref: ImageReference,
  runHelper: HelperRunner = runCredentialHelper,
): Promise<RegistryAuth | undefined> {
  const key = authKey(ref);
  const helper = cfg.credHelpers[key] ?? cfg.credHelpers[toHostname(key)];
  if (helper) return runHelper(helper, key);
  if (cfg.credsStore) return runHelper(cfg.credsStore, key);
  const direct = cfg.auths[key];
  if (direct) return fromAuthsEntry(direct, key);
  for (const [k, e] of Object.entries(cfg.auths)) {
    if (toHostname(k) === toHostname(key)) return fromAuthsEntry(e, k);
  }
  return undefined;
}

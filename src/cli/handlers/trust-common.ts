/**
 * What every `trust` command shares: docker's environment (config dir, trust dir, trust server,
 * TLS directory, passphrase variables, registry credentials) turned into a CommandContext whose
 * settings, passphrase retriever and server credentials are docker's, and a Repository (the
 * same facade the notary commands use) for an image reference. Also docker's error texts
 * (`trust.NotaryError`) with the real cause as a hint.
 */

import {
  type DockerConfigFile,
  dockerConfigDir,
  dockerTrustDir,
  readDockerConfigFile,
  trustServerTls,
  trustServerUrl,
} from '../../docker/config.js';
import { type RegistryAuth, resolveRegistryAuth } from '../../docker/credentials.js';
import { type ImageReference, parseImageReference } from '../../docker/reference.js';
import { errorMessage, isNotaryError, NotaryError } from '../../errors.js';
import type { CryptoService } from '../../keystore/crypto-service.js';
import { envPassphraseRetriever, passphraseEnvVars } from '../../keystore/passphrase.js';
import type { PassphraseRetriever } from '../../keystore/types.js';
import type { Access } from '../../remote/types.js';
import { Repository } from '../../repo/repository.js';
import type { Settings } from '../../repo/settings.js';
import type { CommandContext } from '../context.js';
import { openCryptoService, passphrasePrompter, usePassphraseRetriever } from '../wiring.js';

/** `details.style` that makes render-error print docker's plain `message` line. */
export function dockerError(
  code: ConstructorParameters<typeof NotaryError>[0],
  message: string,
  opts: { hint?: string; cause?: unknown; exitCode?: NotaryError['exitCode'] } = {},
): NotaryError {
  return new NotaryError(code, message, {
    ...(opts.hint !== undefined ? { hint: opts.hint } : {}),
    ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    ...(opts.exitCode !== undefined ? { exitCode: opts.exitCode } : {}),
    details: { style: 'docker' },
  });
}

/** Re-labels any error for docker-style printing, keeping code, hint and cause. */
export function asDockerError(e: unknown, message?: string): NotaryError {
  if (isNotaryError(e)) {
    return dockerError(e.code, message ?? e.message, {
      ...(e.hint !== undefined ? { hint: dockerizeHint(e.hint) } : {}),
      cause: e.cause ?? e,
      exitCode: e.exitCode,
    });
  }
  return dockerError('INTERNAL', message ?? errorMessage(e), { cause: e });
}

/** Hints of the notary layers name notary's flags and config file: name docker's settings instead. */
export function dockerizeHint(hint: string): string {
  return hint
    .replace(
      /pass the server's CA with --tlscacert <file> or set remote_server\.root_ca in the config file/g,
      "put the server's CA certificate in $DOCKER_CONFIG/tls/<host:port>/ca.crt (host:port of the trust server)",
    )
    .replace(
      / \(--tlscacert \/ remote_server\.root_ca replaces the system CAs\)/g,
      ' ($DOCKER_CONFIG/tls/<host:port>/)',
    )
    .replace(
      /check --tlscacert\/--tlscert\/--tlskey \(remote_server\.root_ca, tls_client_cert, tls_client_key\)/g,
      'check the files in $DOCKER_CONFIG/tls/<host:port>/ (ca.crt, client .cert/.key)',
    )
    .replace(/\(?-s\/--server or remote_server\.url( in the config file)?\)?/g, 'DOCKER_CONTENT_TRUST_SERVER')
    .replace(
      /set NOTARY_AUTH to base64\("<username>:<password>"\), or run the command in a terminal to be asked for them\./g,
      'log in with `docker login <registry>`: the registry credentials in $DOCKER_CONFIG/config.json are used for the trust server too.',
    )
    .replace(
      /\(NOTARY_AUTH or the username\/password prompt\)/g,
      '(docker login credentials in $DOCKER_CONFIG/config.json)',
    )
    .replace(/\(from the prompt\)/g, '(from $DOCKER_CONFIG/config.json)')
    .replace(/NOTARY_AUTH/g, 'docker login credentials in $DOCKER_CONFIG/config.json');
}

/** The innermost reason of an error (for `error contacting notary server: <reason>`). */
function innerReason(e: NotaryError): string {
  const d = e.details;
  if (d && typeof d['reason'] === 'string') return d['reason'];
  if (e.cause instanceof NotaryError) return innerReason(e.cause);
  return e.message;
}

/**
 * docker's trust.NotaryError: the first words say what kind of failure it is, as docker
 * printed them; the hint keeps what tsnotary knows about the cause.
 */
export function trustNotaryError(repoName: string, e: unknown): NotaryError {
  if (!isNotaryError(e)) return asDockerError(e);
  const hint = e.hint !== undefined ? dockerizeHint(e.hint) : undefined;
  const wrap = (message: string) =>
    dockerError(e.code, message, { ...(hint !== undefined ? { hint } : {}), cause: e, exitCode: e.exitCode });
  switch (e.code) {
    case 'OFFLINE':
    case 'NETWORK':
    case 'TLS':
    case 'TIMEOUT': {
      const reason = innerReason(e);
      return wrap(
        `Error: error contacting notary server: ${reason.startsWith('x509:') ? `tls: failed to verify certificate: ${reason}` : reason}`,
      );
    }
    case 'NO_TRUST_DATA':
      return wrap(`Error: remote trust data does not exist for ${repoName}: ${e.message}`);
    case 'EXPIRED':
      return wrap(`Error: remote repository ${repoName} out-of-date: ${e.message}`);
    case 'KEY_NOT_FOUND':
      return wrap(`Error: signing keys for remote repository ${repoName} not found: ${e.message}`);
    case 'SIGNING_KEYS_MISSING':
      return wrap(
        `Error: could not find signing keys for remote repository ${repoName}, or could not decrypt signing key: ${e.message}`,
      );
    case 'ROOT_ROTATION':
    case 'TRUST_PINNING':
      return wrap(
        `Warning: potential malicious behavior - trust data mismatch for remote repository ${repoName}: ${e.message}`,
      );
    case 'ROLLBACK':
      return wrap(
        `Warning: potential malicious behavior - trust data version is lower than expected for remote repository ${repoName}: ${e.message}`,
      );
    case 'THRESHOLD':
      return wrap(
        `Warning: potential malicious behavior - trust data has insufficient signatures for remote repository ${repoName}: ${e.message}`,
      );
    default:
      return asDockerError(e);
  }
}

/** docker's environment for one run. */
export interface DockerEnv {
  configDir: string;
  trustDir: string;
  config(): DockerConfigFile;
}

export function dockerEnv(ctx: CommandContext): DockerEnv {
  const configDir = dockerConfigDir(ctx.env, ctx.env['HOME'] ?? ctx.cwd);
  let cfg: DockerConfigFile | undefined;
  return {
    configDir,
    trustDir: dockerTrustDir(configDir),
    config: () => {
      cfg ??= readDockerConfigFile(configDir);
      return cfg;
    },
  };
}

/** docker's alias names in prompts: the targets and snapshot keys are the "repository" key. */
function dockerAlias(alias: string): string {
  return alias === 'targets' || alias === 'snapshot' ? 'repository' : alias;
}

/**
 * docker's passphrase retriever: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE for root keys,
 * DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE for every other key, else the prompt with docker's
 * names ("repository key"). NOTARY_* variables are not consulted, as docker did not.
 */
function dockerRetriever(ctx: CommandContext): PassphraseRetriever {
  const env: Record<string, string | undefined> = {
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ctx.env['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'],
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: ctx.env['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'],
  };
  const base = envPassphraseRetriever(env, passphrasePrompter(ctx));
  return async (req) => {
    const alias = dockerAlias(req.alias);
    try {
      return await base({ ...req, alias });
    } catch (e) {
      if (isNotaryError(e, 'NO_PASSPHRASE_INPUT')) {
        const v = passphraseEnvVars(alias).filter((n) => n.startsWith('DOCKER_'))[0];
        throw new NotaryError(e.code, e.message, {
          cause: e,
          hint: `set ${v ?? 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'} or run the command in a terminal to be prompted`,
          ...(e.details ? { details: e.details } : {}),
        });
      }
      throw e;
    }
  };
}

/** A CommandContext for the trust commands: docker's trust dir, server and passphrases. */
export function trustContext(
  ctx: CommandContext,
  denv: DockerEnv,
  server: string,
  tls: Settings['tls'],
): CommandContext {
  const settings: Settings = {
    trustDir: denv.trustDir,
    serverUrl: server,
    tls,
    trustPinning: { certs: {}, ca: {}, disableTofu: false },
  };
  // NOTARY_* settings (auth, PKCS#11, passphrases) belong to the notary commands, not to docker's.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(ctx.env)) if (!k.startsWith('NOTARY_')) env[k] = v;
  const out: CommandContext = { ...ctx, env, settings: () => Promise.resolve(settings) };
  usePassphraseRetriever(out, dockerRetriever(out));
  return out;
}

/** A context for key commands, which need no server. */
export function keyContext(ctx: CommandContext, denv: DockerEnv): CommandContext {
  return trustContext(ctx, denv, 'https://localhost', { skipVerify: false });
}

/** An image reference's trust repository, with docker's server, TLS, keys and credentials. */
export interface TrustRepo {
  ref: ImageReference;
  repo: Repository;
  ctx: CommandContext;
  keys: CryptoService;
  server: string;
  denv: DockerEnv;
  /** registry credentials (also used for the trust server's token flow) */
  auth(): Promise<RegistryAuth | undefined>;
}

export function parseRef(name: string): ImageReference {
  try {
    return parseImageReference(name);
  } catch (e) {
    throw asDockerError(e);
  }
}

export async function openTrustRepo(
  ctx: CommandContext,
  ref: ImageReference,
  access: Access,
): Promise<TrustRepo> {
  const denv = dockerEnv(ctx);
  const server = trustServerUrl(ref, ctx.env);
  const tls = trustServerTls(denv.configDir, server, ref);
  const tctx = trustContext(ctx, denv, server, tls);
  let authPromise: Promise<RegistryAuth | undefined> | undefined;
  const auth = () => {
    authPromise ??= resolveRegistryAuth(denv.config(), ref);
    return authPromise;
  };
  const settings = await tctx.settings();
  const keys = await openCryptoService(tctx, settings, { hardware: false });
  const repo = new Repository({
    gun: ref.name,
    trustDir: settings.trustDir,
    keys,
    keyLocations: keys.stores.map((s) => s.location),
    openRemote: async () => {
      const { openRemote } = await import('../../remote/open.js');
      return openRemote({
        baseUrl: server.replace(/\/+$/, ''),
        gun: ref.name,
        access,
        tls,
        // docker hands the registry credentials to the trust server's auth
        credentials: async () => {
          const a = await auth();
          if (!a || a.username === '') return undefined;
          return { username: a.username, password: a.password };
        },
        // docker logs an unreachable server at debug level; the command's error says why
        log: {
          error: (m) => tctx.log.debug(m),
          warn: (m) => tctx.log.warn(m),
          info: (m) => tctx.log.debug(m),
          debug: (m) => tctx.log.debug(m),
        },
        env: tctx.env,
      });
    },
    pinning: settings.trustPinning,
    log: tctx.log,
    clock: tctx.clock,
  });
  return { ref, repo, ctx: tctx, keys, server, denv, auth };
}

/** Is this the error of a repository the server has no trust data for (docker's ErrRepositoryNotExist)? */
export function isRepoNotExist(e: unknown): boolean {
  return isNotaryError(e, 'NO_TRUST_DATA');
}

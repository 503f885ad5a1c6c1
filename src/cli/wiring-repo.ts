/**
 * Wiring from a CommandContext to a repository: the trust server connection (ping, auth with
 * NOTARY_AUTH or the username/password prompt) and the Repository facade.
 */
import { Engine } from '../api/engine.js';
import type { RepositoryHandle } from '../api/repository.js';
import { NotaryError } from '../errors.js';
import type { Access, Credentials, Remote } from '../remote/types.js';
import { validateGun } from '../repo/gun.js';
import type { Repository } from '../repo/repository.js';
import type { Settings } from '../repo/settings.js';
import type { CommandContext } from './context.js';
import { type CryptoServiceOptions, openCryptoService, passphraseRetriever } from './wiring.js';

/**
 * Go's interactive credentials: `Enter username: ` (empty = none), then `Enter password: `
 * (hidden), both trimmed, asked at most once per run. Only on a terminal: Go also reads them
 * from a pipe, which makes a CI job hang on an open stdin and eats `verify`'s payload. Without a
 * terminal the request fails at once with a hint naming NOTARY_AUTH.
 */
function credentialPrompt(ctx: CommandContext): () => Promise<Credentials | undefined> {
  let answer: Promise<Credentials | undefined> | undefined;
  return () => {
    answer ??= (async () => {
      if (!ctx.prompter.interactive) return undefined;
      const username = (await ctx.prompter.readLine('Enter username: ')).trim();
      if (username === '') return undefined;
      const password = await ctx.prompter.readHidden('Enter password: ');
      return { username, password: password.trim() };
    })();
    return answer;
  };
}

/**
 * Pings the server and returns the remote for `gun` with the given access (an offline remote
 * that fails every call with the real cause when the server cannot be reached). Throws CONFIG
 * for a server URL Go would reject. Through the library engine, like every handler.
 */
export async function openRemote(
  ctx: CommandContext,
  settings: Settings,
  gun: string,
  access: Access,
): Promise<Remote> {
  return engineFor(ctx, settings).openRemote(gun, access);
}

/**
 * The repo layer's facade for `gun` (kept for handlers written against it; new code uses
 * `cliRepository`). The server is contacted only when an operation needs it.
 */
export async function openRepository(ctx: CommandContext, gun: string, access: Access): Promise<Repository> {
  const [engine, { RepositoryHandle }] = await Promise.all([cliEngine(ctx), import('../api/repository.js')]);
  return new RepositoryHandle(engine, gun).writer(access);
}

/**
 * The library's engine configured from a command's settings: the CLI runs the same API code as
 * `import { NotaryClient } from 'tsnotary'`, with the terminal behind the callbacks (passphrase
 * and credential prompts), the process environment for NOTARY_AUTH and proxies, and the key
 * stores in Go's order (token probed only when a key is needed).
 */
export async function cliEngine(ctx: CommandContext, keyOptions: CryptoServiceOptions = {}): Promise<Engine> {
  return engineFor(ctx, await ctx.settings(), keyOptions);
}

function engineFor(ctx: CommandContext, settings: Settings, keyOptions: CryptoServiceOptions = {}): Engine {
  const tls = settings.tls;
  const lockTimeoutMs = lockTimeoutFromEnv(ctx.env);
  const engine = new Engine(
    {
      trustDir: settings.trustDir,
      server: settings.serverUrl,
      tls: {
        insecureSkipVerify: tls.skipVerify,
        ...(tls.caFile ? { caFile: tls.caFile } : {}),
        ...(tls.certFile ? { certFile: tls.certFile } : {}),
        ...(tls.keyFile ? { keyFile: tls.keyFile } : {}),
      },
      auth: credentialPrompt(ctx),
      environment: ctx.env,
      passphrase: passphraseRetriever(ctx),
      trustPinning: settings.trustPinning,
      logger: ctx.log,
      clock: ctx.clock,
    },
    async () => (await openCryptoService(ctx, settings, keyOptions)).stores,
  );
  if (lockTimeoutMs !== undefined) engine.lockTimeoutMs = lockTimeoutMs;
  return engine;
}

/** A library repository handle for `gun` (validated), as the command handlers use it. */
export async function cliRepository(
  ctx: CommandContext,
  gun: string,
  keyOptions?: CryptoServiceOptions,
): Promise<RepositoryHandle> {
  const valid = validateGun(gun);
  const [engine, { RepositoryHandle }] = await Promise.all([
    cliEngine(ctx, keyOptions),
    import('../api/repository.js'),
  ]);
  const handle = new RepositoryHandle(engine, valid);
  if (ctx.globals.asOf) {
    // `--as-of`: judged as of a past time (the engine's clock), never cached, expiries named
    const { cacheFor, warnExpiredAsOf } = await import('./as-of.js');
    handle.readHooks = {
      wrapCache: (cache) => cacheFor(ctx, cache),
      verified: (state) => warnExpiredAsOf(ctx, state),
    };
  }
  return handle;
}

/**
 * `TSNOTARY_LOCK_TIMEOUT`: seconds a publish waits for another tsnotary process holding the
 * GUN's lock of this trust directory (src/repo/gun-lock.ts). Unset: the default.
 */
export function lockTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['TSNOTARY_LOCK_TIMEOUT'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const secs = Number(raw.trim().replace(/s$/, ''));
  if (!Number.isFinite(secs) || secs < 0) {
    throw new NotaryError('CONFIG', `invalid TSNOTARY_LOCK_TIMEOUT ${JSON.stringify(raw)}`, {
      hint: 'Set it to a number of seconds, e.g. TSNOTARY_LOCK_TIMEOUT=300.',
    });
  }
  return Math.round(secs * 1000);
}

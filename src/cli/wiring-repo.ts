/**
 * Wiring from a CommandContext to a repository: the trust server connection (ping, auth with
 * NOTARY_AUTH or the username/password prompt) and the Repository facade.
 */
import { NotaryError } from '../errors.js';
import type { Access, Credentials, Remote } from '../remote/types.js';
import { Repository } from '../repo/repository.js';
import type { Settings } from '../repo/settings.js';
import { validateServerUrl } from './config.js';
import type { CommandContext } from './context.js';
import { openCryptoService } from './wiring.js';

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
 * for a server URL Go would reject.
 */
export async function openRemote(
  ctx: CommandContext,
  settings: Settings,
  gun: string,
  access: Access,
): Promise<Remote> {
  const baseUrl = validateServerUrl(settings.serverUrl);
  const { openRemote: open } = await import('../remote/open.js');
  return open({
    baseUrl,
    gun,
    access,
    tls: settings.tls,
    credentials: credentialPrompt(ctx),
    log: ctx.log,
    env: ctx.env,
  });
}

/**
 * The repository `gun` of the configured trust directory. The server is contacted only when
 * an operation needs it (`access` decides the token scope).
 */
export async function openRepository(ctx: CommandContext, gun: string, access: Access): Promise<Repository> {
  const settings = await ctx.settings();
  const lockTimeoutMs = lockTimeoutFromEnv(ctx.env);
  const keys = await openCryptoService(ctx, settings);
  return new Repository({
    gun,
    trustDir: settings.trustDir,
    keys,
    keyLocations: keys.stores.map((s) => s.location),
    openRemote: () => openRemote(ctx, settings, gun, access),
    pinning: settings.trustPinning,
    log: ctx.log,
    clock: ctx.clock,
    ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
  });
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

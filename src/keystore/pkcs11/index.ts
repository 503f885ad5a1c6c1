/**
 * Entry points of the hardware ("yubikey") key store.
 *
 * `probeTokenKeyStore` is what every command uses: like Go notary it yields the store only when
 * a PKCS#11 module loads and a token answers, and otherwise logs why at debug level and yields
 * undefined (the file store carries on alone). `openTokenKeyStore` is for commands where the
 * user explicitly asked for the token (e.g. generating a key on it): it throws a NotaryError
 * that says what is missing and how to fix it.
 */
import { errorMessage, NotaryError } from '../../errors.js';
import { type Logger, silentLogger } from '../../log.js';
import { type AddonImporter, importPkcs11js, loadPkcs11Addon, type Pkcs11Api } from './addon.js';
import { addonMissingError, noModuleError } from './errors.js';
import { existingModules, moduleCandidates } from './module-path.js';
import { TokenConnection } from './session.js';
import { TokenKeyStore, type TokenKeyStoreOptions } from './token-store.js';

export {
  DARWIN_MODULE_PATHS,
  defaultModulePaths,
  ENV_PKCS11_MODULE,
  ENV_PKCS11_TOKEN_LABEL,
  LINUX_MODULE_PATHS,
  type Pkcs11Selection,
  resolvePkcs11Selection,
} from './module-path.js';
export { FACTORY_SO_PIN, FACTORY_USER_PIN } from './pin.js';
export { ecdsaRawToDer, SIGN_ATTEMPTS, TOUCH_MESSAGE, TokenSigner } from './token-signer.js';
export { TokenKeyStore, type TokenKeyStoreOptions } from './token-store.js';

export interface TokenStoreOpenOptions extends TokenKeyStoreOptions {
  /** explicit PKCS#11 module; replaces Go's libykcs11 search list */
  modulePath?: string;
  /** use the token with this label instead of the first initialised one */
  tokenLabel?: string;
  /** default: os.platform() — chooses Go's Linux or macOS search list */
  platform?: string;
  /** test seams */
  importAddon?: AddonImporter;
  fileExists?: (path: string) => boolean;
}

/** Opens the store or throws NotaryError PKCS11 (no addon, no module, no token, init failure). */
export async function openTokenKeyStore(opts: TokenStoreOpenOptions): Promise<TokenKeyStore> {
  const log = opts.logger ?? silentLogger;
  // Look for a module first: without one (most machines) the addon is never loaded at all.
  const { paths, explicit } = moduleCandidates(opts.modulePath, opts.platform);
  const present = existingModules(paths, opts.fileExists);
  if (present.length === 0) throw noModuleError(paths, explicit);
  const addon = await loadPkcs11Addon(opts.importAddon ?? importPkcs11js);
  if (!addon.ok) throw addonMissingError(addon.reason, addon.cause);

  let api: Pkcs11Api | undefined;
  let modulePath = '';
  let loadError: unknown;
  for (const path of present) {
    const candidate = addon.addon.create();
    try {
      candidate.load(path);
      api = candidate;
      modulePath = path;
      break;
    } catch (e) {
      // Go: a path that exists but does not dlopen is skipped.
      log.debug(`failed to load library ${path}: ${errorMessage(e)}`);
      loadError ??= e;
    }
  }
  if (!api) {
    throw new NotaryError('PKCS11', `failed to load library ${present.join(', ')}`, {
      cause: loadError,
      hint: 'The file is not a PKCS#11 module for this machine (wrong architecture or missing dependencies).',
      details: { tried: present },
    });
  }
  const conn = new TokenConnection({ api, modulePath, tokenLabel: opts.tokenLabel, logger: log });
  const store = new TokenKeyStore(conn, opts);
  try {
    // Like Go's NewYubiStore: reach the token once and list its keys in the same session.
    await conn.run((s) => store.loadFromSession(s));
  } catch (e) {
    try {
      api.close();
    } catch {
      // already unloaded
    }
    throw e;
  }
  return store;
}

/**
 * The store if a token is usable, else undefined with Go's debug line
 * `No yubikey found, using alternative key storage: <why>` — a warning instead when the user
 * named a module explicitly, since then the silent fallback to files would surprise them.
 */
export async function probeTokenKeyStore(opts: TokenStoreOpenOptions): Promise<TokenKeyStore | undefined> {
  const log: Logger = opts.logger ?? silentLogger;
  try {
    return await openTokenKeyStore(opts);
  } catch (e) {
    const why =
      e instanceof NotaryError && e.message.startsWith('No yubikey found: ')
        ? e.message.slice('No yubikey found: '.length)
        : errorMessage(e);
    const line = `No yubikey found, using alternative key storage: ${why}`;
    if (opts.modulePath) log.warn(line);
    else log.debug(line);
    return undefined;
  }
}

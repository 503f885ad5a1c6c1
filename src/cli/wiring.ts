/**
 * Wiring from a CommandContext to the key layers: the passphrase retriever bound to the
 * process environment and the terminal, and the key stores in Go's order.
 */
import { NotaryError } from '../errors.js';
import { CryptoService } from '../keystore/crypto-service.js';
import { FileKeyStore } from '../keystore/file-store.js';
import { envPassphraseRetriever, type PassphrasePrompter } from '../keystore/passphrase.js';
import type { KeyStore, PassphraseRetriever } from '../keystore/types.js';
import type { Settings } from '../repo/settings.js';
import type { CommandContext } from './context.js';

/** The terminal side of passphrase prompts: prompts and messages go to stdout, as in Go. */
export function passphrasePrompter(ctx: CommandContext): PassphrasePrompter {
  return {
    // asked only when a passphrase is needed: it builds process.stdin (stream and tty modules)
    get interactive() {
      return ctx.prompter.interactive;
    },
    readHidden: (prompt) => ctx.prompter.readHidden(prompt),
    write: (text) => ctx.stdout.write(text),
  };
}

/**
 * A new retriever (own per-alias cache). Go builds a fresh one where it must not reuse a
 * passphrase typed earlier in the same run (the new passphrase of `key passwd`).
 */
export function newPassphraseRetriever(ctx: CommandContext): PassphraseRetriever {
  return envPassphraseRetriever(ctx.env, passphrasePrompter(ctx));
}

const retrievers = new WeakMap<CommandContext, PassphraseRetriever>();

/** Makes `r` the command's retriever (e.g. `trust` commands: docker's variables and prompt names). */
export function usePassphraseRetriever(ctx: CommandContext, r: PassphraseRetriever): void {
  retrievers.set(ctx, r);
}

/** The command's shared retriever: one cache per run, as Go's single retriever. */
export function passphraseRetriever(ctx: CommandContext): PassphraseRetriever {
  let r = retrievers.get(ctx);
  if (!r) {
    r = newPassphraseRetriever(ctx);
    retrievers.set(ctx, r);
  }
  return r;
}

const fileStores = new WeakMap<CommandContext, FileKeyStore>();

/** The `<trust_dir>/private` store (legacy layouts migrated on first use), one per run. */
export function openFileKeyStore(ctx: CommandContext, settings: Settings): FileKeyStore {
  let s = fileStores.get(ctx);
  if (!s || s.privateDir !== FileKeyStore.privateDirOf(settings.trustDir)) {
    s = new FileKeyStore(settings.trustDir, passphraseRetriever(ctx), ctx.log);
    fileStores.set(ctx, s);
  }
  return s;
}

export interface CryptoServiceOptions {
  /** A hardware store to search before the files; when absent one is probed (see `hardware`). */
  tokenStore?: KeyStore;
  /** Probe for a PKCS#11 token (Go: every key and repository command does). Default true. */
  hardware?: boolean;
  /**
   * Keys added to the token are also written to the file store (Go's backup). Default: the
   * `pkcs11Backup` setting (env NOTARY_PKCS11_NO_BACKUP / config `pkcs11.backup`), else true.
   */
  hardwareBackup?: boolean;
}

const tokenStores = new WeakMap<CommandContext, Promise<KeyStore | undefined>>();

/**
 * The token store if a PKCS#11 module and token answer, else undefined (Go logs why at debug
 * level and carries on with files). Loaded lazily: machines without a module never load pkcs11js.
 */
function probeToken(ctx: CommandContext, settings: Settings, fileStore: FileKeyStore, backup: boolean) {
  let p = tokenStores.get(ctx);
  if (!p) {
    p = (async () => {
      try {
        // Cheap check first: most machines have no PKCS#11 module at all, and the token store's
        // own modules cost start-up time for every key and repository command.
        const { existingModules, moduleCandidates } = await import('../keystore/pkcs11/module-path.js');
        const candidates = moduleCandidates(settings.pkcs11Module);
        if (!candidates.explicit && existingModules(candidates.paths).length === 0) {
          ctx.log.debug(
            `No yubikey found, using alternative key storage: no library found (tried ${candidates.paths.join(', ')}; name one with NOTARY_PKCS11_MODULE)`,
          );
          return undefined;
        }
        const { openTokenKeyStore } = await import('../keystore/pkcs11/index.js');
        try {
          return await openTokenKeyStore({
            retriever: passphraseRetriever(ctx),
            logger: ctx.log,
            clock: ctx.clock,
            notify: (line) => ctx.stdout.write(`${line}\n`),
            ...(backup ? { backup: fileStore } : {}),
            ...(settings.pkcs11Module ? { modulePath: settings.pkcs11Module } : {}),
            ...(settings.pkcs11TokenLabel ? { tokenLabel: settings.pkcs11TokenLabel } : {}),
          });
        } catch (e) {
          // Go: debug line, carry on with files. A module the user named explicitly gets a
          // warning and the fix, since a silent fallback would then leave keys where they did
          // not want them.
          const message = e instanceof Error ? e.message : String(e);
          const line = `No yubikey found, using alternative key storage: ${message.replace(/^No yubikey found: /, '')}`;
          if (!candidates.explicit) {
            ctx.log.debug(line);
            return undefined;
          }
          ctx.log.warn(line);
          if (e instanceof NotaryError && e.hint) ctx.log.warn(e.hint);
          return undefined;
        }
      } catch (e) {
        ctx.log.debug(
          `No yubikey found, using alternative key storage: ${e instanceof Error ? e.message : String(e)}`,
        );
        return undefined;
      }
    })();
    tokenStores.set(ctx, p);
  }
  return p;
}

/** Key stores in Go's order (token first, then files) behind one CryptoService. */
export async function openCryptoService(
  ctx: CommandContext,
  settings: Settings,
  opts: CryptoServiceOptions = {},
): Promise<CryptoService> {
  const fileStore = openFileKeyStore(ctx, settings);
  await fileStore.open();
  const token =
    opts.tokenStore ??
    (opts.hardware === false
      ? undefined
      : await probeToken(ctx, settings, fileStore, opts.hardwareBackup ?? settings.pkcs11Backup ?? true));
  return new CryptoService(token ? [token, fileStore] : [fileStore], ctx.log);
}

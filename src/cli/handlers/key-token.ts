/**
 * The hardware-token ("yubikey") side of `key import|export|passwd` (pkcs11.md §4, docs/pkcs11.md).
 * Kept apart from key.ts so the file-only paths stay as they are; nothing here loads pkcs11js
 * unless a PKCS#11 module is configured or found (wiring.ts probes lazily).
 */
import type { PrivateKey } from '../../crypto/keys.js';
import { type PemBlock, pemDecodeAll, pemEncode } from '../../crypto/pem.js';
import { isPrivateKeyPemType, parsePrivateKeyPem } from '../../crypto/private-key.js';
import { errorMessage, NotaryError } from '../../errors.js';
import type { CryptoService } from '../../keystore/crypto-service.js';
import { FileKeyStore } from '../../keystore/file-store.js';
import { decryptWithRetries } from '../../keystore/passphrase.js';
import type { KeyStore } from '../../keystore/types.js';
import type { Settings } from '../../repo/settings.js';
import type { CommandContext } from '../context.js';
import { openCryptoService, passphraseRetriever } from '../wiring.js';

/** The hardware store of a CryptoService (first in Go's order), if a token answered. */
export function tokenStoreOf(cs: CryptoService): KeyStore | undefined {
  return cs.stores.find((s) => !(s instanceof FileKeyStore));
}

/** The token store, probed without a backup target (callers decide about file copies themselves). */
export async function probeTokenStore(
  ctx: CommandContext,
  settings: Settings,
): Promise<KeyStore | undefined> {
  return tokenStoreOf(await openCryptoService(ctx, settings, { hardwareBackup: false }));
}

/** Whether keys added to the token also get a copy in `private/` (Go: yes; opt-out documented). */
export function backupEnabled(settings: Settings): boolean {
  return settings.pkcs11Backup ?? true;
}

export interface TokenImportResult {
  /** canonical IDs put on the token */
  onToken: string[];
  /** the PEM text still to import into the file store */
  forFiles: string;
}

/**
 * Go's YubiImport before the file importer: each block whose role is `root` (header, else
 * `--role`) is decrypted (NOTARY_ROOT_PASSPHRASE / prompt) and added to the token. A block the
 * token refuses (not ECDSA P-256, wrong PIN, token full, wrong passphrase) is reported and left to
 * the file store, as Go falls back to it. With the backup enabled every block still goes to the
 * file store too (the same file an import without a token writes); without it only the blocks that
 * did not reach the token do.
 */
export async function importRootBlocksToToken(
  ctx: CommandContext,
  token: KeyStore,
  text: string,
  opts: { role?: string; backup: boolean },
): Promise<TokenImportResult> {
  const onToken: string[] = [];
  let rest = '';
  for (const block of pemDecodeAll(text)) {
    const role = block.headers['role'] || opts.role || 'delegation';
    let id: string | undefined;
    if (role === 'root' && isPrivateKeyPemType(block.type)) {
      try {
        const key = await decryptBlock(ctx, block);
        id = await token.add(key, 'root', '');
        onToken.push(id);
        ctx.log.info(`imported root key ${id} to ${token.location}`);
      } catch (e) {
        // Go's importToStores wording; then the next importer (the files) gets the block.
        ctx.log.warn(
          `failed to import key to store: ${errorMessage(e)} (the key goes to the file key store only)`,
        );
        if (e instanceof NotaryError && e.hint) ctx.log.warn(e.hint);
      }
    }
    if (id === undefined || opts.backup) rest += pemEncode(block);
  }
  return { onToken, forFiles: rest };
}

async function decryptBlock(ctx: CommandContext, block: PemBlock): Promise<PrivateKey> {
  try {
    return parsePrivateKeyPem(block);
  } catch (e) {
    if (!(e instanceof NotaryError) || e.code !== 'PASSPHRASE') throw e;
  }
  // Go: GetPasswdDecryptBytes(retriever, bytes, name = path header, role) — alias root.
  return decryptWithRetries(passphraseRetriever(ctx), block.headers['path'] ?? '', 'root', (pass) =>
    parsePrivateKeyPem(block, pass),
  );
}

/**
 * `key export --key ID` of a key that only the token holds: Go silently exports nothing; we say
 * why on stderr (the output stays Go's, so scripts see the same bytes and exit status).
 */
export async function warnTokenOnlyExports(
  ctx: CommandContext,
  settings: Settings,
  files: FileKeyStore,
  keyIds: readonly string[],
): Promise<void> {
  const missing: string[] = [];
  for (const id of keyIds) if (!(await files.info(id).catch(() => undefined))) missing.push(id);
  if (missing.length === 0) return;
  const token = await probeTokenStore(ctx, settings);
  if (!token) return;
  for (const id of missing) {
    if (await token.info(id)) {
      ctx.log.warn(
        `key ${id} is held by ${token.location} and was not exported: private keys on a hardware token never leave it`,
      );
    }
  }
}

/**
 * `key passwd` of a key that has no file copy but is on the token. Go "re-imports" it onto the
 * token, which changes nothing and still reports success; a token key has a PIN, not a
 * passphrase, so we refuse with what to do instead. Returns quietly when the token lacks it too.
 */
export async function refuseTokenPasswd(
  ctx: CommandContext,
  settings: Settings,
  keyId: string,
): Promise<void> {
  const token = await probeTokenStore(ctx, settings);
  if (!token || !(await token.info(keyId))) return;
  throw new NotaryError(
    'PKCS11',
    `key ${keyId} is held by ${token.location}: it is protected by the token's PIN, not a passphrase`,
    {
      hint: "Change the token's user PIN with its vendor tool (Yubikey: yubico-piv-tool -a change-pin; other tokens: pkcs11-tool --change-pin). A backup copy in the private key directory, if any, has its own passphrase.",
      details: { keyId, location: token.location },
    },
  );
}

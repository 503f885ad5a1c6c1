/**
 * `key list|generate|passwd|import|export|remove` (spec cli.md §7, on-disk.md §4). Outputs and
 * error texts are Go's; beyond Go, failures carry the real cause (wrong passphrase, missing
 * variable) as hint/cause and key files are written atomically.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KeyManagerImpl } from '../../api/keys.js';
import { canonicalIdOf, generateKey, publicBytes } from '../../crypto/keygen.js';
import { pemEncode } from '../../crypto/pem.js';
import { encodeEncryptedKeyPem } from '../../crypto/private-key.js';
import { goPathErrorText, NotaryError } from '../../errors.js';
import type { FileKeyStore } from '../../keystore/file-store.js';
import { writeFileAtomic } from '../../keystore/fs-util.js';
import { askNewPassphrase } from '../../keystore/passphrase.js';
import type { KeyInfo, KeyStore } from '../../keystore/types.js';
import type { CommandContext, FlagValues } from '../context.js';
import { wantsJson, writeJson } from '../output-json.js';
import { newPassphraseRetriever, openCryptoService, openFileKeyStore } from '../wiring.js';
import { cliEngine } from '../wiring-repo.js';
import { stringsFlag, usageError } from './common.js';
import {
  backupEnabled,
  importRootBlocksToToken,
  probeTokenStore,
  refuseTokenPasswd,
  warnTokenOnlyExports,
} from './key-token.js';

const SHA256_HEX_SIZE = 64;

function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

// `key list` lives in key-list.ts (a chunk that loads no crypto); re-exported for callers.
export { formatKeyList, keyList, sortKeyInfos, truncateLeft } from './key-list.js';

export async function keyGenerate(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length > 1) {
    throw usageError('Please provide only one Algorithm as an argument to generate (rsa, ecdsa)');
  }
  const algorithm = (args[0] ?? 'ecdsa').toLowerCase();
  if (algorithm !== 'ecdsa') {
    throw new NotaryError('INVALID_INPUT', 'Algorithm not allowed, possible values are: ECDSA', {
      hint: 'notary generates ECDSA keys only; RSA and Ed25519 keys can be added with `key import`.',
    });
  }
  const role = stringFlag(flags, 'role') ?? 'root';
  const out = stringFlag(flags, 'output') ?? '';
  const settings = await ctx.settings();

  if (out === '') {
    const keyId = await new KeyManagerImpl(await cliEngine(ctx)).generate({ role });
    if (wantsJson(ctx)) writeJson(ctx, { algorithm: 'ecdsa', role, keyId });
    else ctx.stdout.write(`Generated new ecdsa ${role} key with keyID: ${keyId}\n`);
    return;
  }

  // -o NAME: NAME.pem (public) and NAME-key.pem (encrypted private); nothing in the key store.
  // Go still opens the key store (creating private/ and migrating), so do we.
  await openFileKeyStore(ctx, settings).open();
  const key = generateKey('ecdsa');
  const keyId = canonicalIdOf(key);
  const pass = await askNewPassphrase(newPassphraseRetriever(ctx), keyId, '');
  if (pass === '') throw new NotaryError('PASSPHRASE', 'no password provided');
  // Go writes the private half first (its error then names NAME-key.pem) and creates no directories
  const write = (suffix: string, text: string) =>
    writeFileAtomic(resolve(ctx.cwd, out + suffix), text, { createDir: false, displayPath: out + suffix });
  await write('-key.pem', encodeEncryptedKeyPem(key, pass, { role }));
  await write('.pem', pemEncode({ type: 'PUBLIC KEY', headers: { role }, bytes: publicBytes(key) }));
}

export async function keyPasswd(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  const keyId = args[0];
  if (keyId === undefined) throw usageError('must specify the key ID of the key to change the passphrase of');
  const settings = await ctx.settings();
  const store = openFileKeyStore(ctx, settings);
  await store.open();
  if (keyId.length !== SHA256_HEX_SIZE)
    throw new NotaryError('INVALID_INPUT', `invalid key ID provided: ${keyId}`);
  const notFound = (cause?: unknown) =>
    new NotaryError('KEY_NOT_FOUND', `could not retrieve local key for key ID provided: ${keyId}`, {
      cause,
      hint:
        cause instanceof NotaryError
          ? (cause.hint ?? cause.message)
          : `no file ${keyId}.key in ${store.location}`,
      exitCode: cause instanceof NotaryError ? cause.exitCode : undefined,
    });
  let info: KeyInfo | undefined;
  try {
    info = await store.info(keyId);
    // Only the file copy has a passphrase; a token-only key gets a clear refusal instead.
    if (!info) await refuseTokenPasswd(ctx, settings, keyId);
    if (!info || !(await store.getPrivateKey(keyId))) throw notFound();
  } catch (e) {
    if (e instanceof NotaryError && (e.code === 'KEY_NOT_FOUND' || e.code === 'PKCS11')) throw e;
    throw notFound(e);
  }
  await store.changePassphrase(keyId, newPassphraseRetriever(ctx));
  ctx.stdout.write(`\nSuccessfully updated passphrase for key ID: ${keyId}\n`);
}

export async function keyImport(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length === 0) throw usageError('must specify at least one input file to import keys from');
  const settings = await ctx.settings();
  const store = openFileKeyStore(ctx, settings);
  await store.open();
  const role = stringFlag(flags, 'role');
  const gun = stringFlag(flags, 'gun');
  // Go's importers: the token first (root keys only), then the files.
  const token = await probeTokenStore(ctx, settings);
  for (const file of args) {
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, file), 'utf8');
    } catch (e) {
      throw new NotaryError('IO', goPathErrorText(file, e, 'open'), { cause: e });
    }
    const importOpts: { role?: string; gun?: string } = {};
    if (role !== undefined) importOpts.role = role;
    if (gun !== undefined) importOpts.gun = gun;
    let onToken = 0;
    if (token) {
      const t = await importRootBlocksToToken(ctx, token, text, { role, backup: backupEnabled(settings) });
      onToken = t.onToken.length;
      text = t.forFiles;
    }
    const result = await store.importBlocks(text, importOpts);
    // Go reports skipped blocks only when nothing at all was imported from the file.
    if (result.written.length === 0 && result.skipped.length > 0 && onToken === 0) {
      throw new NotaryError('KEY_INVALID', `failed to import all keys: ${result.skipped.join(', ')}`, {
        hint: 'Each block needs a role and, for targets/snapshot/timestamp keys, a gun (use --role/--gun); encrypted blocks need a `path:` header.',
      });
    }
  }
}

export async function keyExport(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length > 0) throw usageError('export does not take any positional arguments');
  const guns = stringsFlag(flags, 'gun');
  const keyIds = stringsFlag(flags, 'key');
  if (guns.length > 0 && keyIds.length > 0) {
    throw new NotaryError(
      'USAGE',
      'Only the --gun or --key flag may be provided, not a mix of the two flags',
    );
  }
  const settings = await ctx.settings();
  const store: FileKeyStore = openFileKeyStore(ctx, settings);
  // Token keys are never exported (only the file store is read); asked-for ones are named on stderr.
  if (keyIds.length > 0) await warnTokenOnlyExports(ctx, settings, store, keyIds);
  // Go bug kept: only the first --gun value is used (on-disk.md §4.5).
  const text =
    guns.length > 0
      ? await store.exportBlocks({ gun: guns[0]! })
      : keyIds.length > 0
        ? await store.exportBlocks({ keyIds })
        : await store.exportBlocks();
  const out = stringFlag(flags, 'output') ?? '';
  if (out === '') ctx.stdout.write(text);
  else await writeFileAtomic(resolve(ctx.cwd, out), text, { createDir: false, displayPath: out });
}

/** Go's askConfirm: one word, `y`/`yes` in any case. */
function confirmed(answer: string): boolean {
  const words = answer.trim().split(/\s+/);
  return words.length === 1 && /^(y|yes)$/i.test(words[0]!);
}

export async function keyRemove(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  const keyId = args[0];
  if (keyId === undefined) throw usageError('must specify the key ID of the key to remove');
  const cs = await openCryptoService(ctx, await ctx.settings(), { hardwareBackup: false });
  if (keyId.length !== SHA256_HEX_SIZE)
    throw new NotaryError('INVALID_INPUT', `invalid key ID provided: ${keyId}`);
  ctx.stdout.write('\n');
  let found: { store: KeyStore; info: KeyInfo }[] = [];
  for (const store of cs.stores) {
    for (const info of await store.list()) if (info.keyId === keyId) found.push({ store, info });
  }
  if (found.length === 0) {
    ctx.stdout.write('\n');
    throw new NotaryError('KEY_NOT_FOUND', `No key with ID ${keyId} found`);
  }
  if (found.length > 1) {
    for (;;) {
      let text = 'Found the following matching keys:\n';
      found.forEach((f, i) => {
        text += `\t${i + 1}. ${f.info.keyId}: ${f.info.role} (${f.store.location})\n`;
      });
      ctx.stdout.write(text);
      const answer = (
        await ctx.prompter.readLine('Which would you like to delete?  Please enter a number:  ')
      ).trim();
      const n = /^[0-9]+$/.test(answer) ? Number(answer) : Number.NaN;
      if (!(n >= 1 && n <= found.length)) {
        ctx.stdout.write(`\nInvalid choice: ${answer}\n`);
        if (answer === '' && !ctx.prompter.interactive) {
          throw new NotaryError('ABORTED', 'no choice made', {
            hint: 'run the command in a terminal to choose a key',
          });
        }
        continue;
      }
      found = [found[n - 1]!];
      ctx.stdout.write('\n');
      break;
    }
  }
  const { store, info } = found[0]!;
  const description = `${info.keyId} (role ${info.role}) from ${store.location}`;
  const answer = await ctx.prompter.readLine(`Are you sure you want to remove ${description}?  (yes/no)  `);
  if (!confirmed(answer)) {
    ctx.stdout.write('\nAborting action.\n\n');
    return;
  }
  await store.remove(keyId);
  ctx.stdout.write(`\nDeleted ${description}.\n\n`);
}

/**
 * `key rotate GUN ROLE [-r] [-k FILE...] [-l N]` (cli.md §7, tuf.md §14). Go's order: the role
 * check, the `-k` files (read and decrypted), the root confirmation, then one publish. The old
 * private key is deleted only after the server accepted the new root (src/repo/rotate.ts).
 */
export async function keyRotate(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 2) throw usageError('Must specify a GUN and a key role to rotate');
  const [{ validateGun }, rotate, { cliRepository }, wiring] = await Promise.all([
    import('../../repo/gun.js'),
    import('../../repo/rotate.js'),
    import('../wiring-repo.js'),
    import('../wiring.js'),
  ]);
  const gun = validateGun(args[0]!);
  const role = args[1]!;
  const serverManaged = flags['server-managed'] === true;
  const legacy = typeof flags['legacy'] === 'number' ? flags['legacy'] : 0;
  // Go asks the root question before it refuses `root -r`; every other refusal comes first.
  if (role !== 'root') rotate.checkRotationInput(role, serverManaged);

  const keyFiles = stringsFlag(flags, 'key');
  const newKeys: Awaited<ReturnType<typeof rotate.readRotationKeyFile>>[] = [];
  if (serverManaged && keyFiles.length > 0) {
    // Go imports the files and then ignores them; importing keys nothing will use helps nobody.
    ctx.log.warn(`ignoring --key: with --server-managed the server generates the new ${role} key`);
  } else {
    for (const file of keyFiles) {
      newKeys.push(await rotate.readRotationKeyFile(file, ctx.cwd, role, wiring.passphraseRetriever(ctx)));
    }
  }

  if (role === 'root') {
    const answer = await ctx.prompter.readLine(
      'Warning: you are about to rotate your root key.\n\n' +
        'You must use your old key to sign this root rotation.\n' +
        'Are you sure you want to proceed?  (yes/no)  ',
    );
    if (!confirmed(answer)) {
      ctx.stdout.write('\nAborting action.\n');
      return;
    }
    rotate.checkRotationInput(role, serverManaged);
  }

  // The same key service signs and stores the new key (one passphrase cache, one token session).
  await (await cliRepository(ctx, gun)).rotateWith(role, serverManaged, newKeys, legacy);
  ctx.stdout.write(`Successfully rotated ${role} key for repository ${gun}\n`);
}

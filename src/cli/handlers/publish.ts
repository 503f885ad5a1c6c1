/**
 * `init`, `publish`, `delete` and the publish step of every `-p` (spec cli.md §5). Outputs and
 * error texts are Go's; errors carry hints where Go leaves the user guessing.
 */
import { readFile } from 'node:fs/promises';
import type { RepositoryHandle } from '../../api/repository.js';
import { pemDecodeFirst } from '../../crypto/pem.js';
import { isEncryptedBlock, parsePrivateKeyPem } from '../../crypto/private-key.js';
import { errorMessage, goPathErrorText, NotaryError } from '../../errors.js';
import { decryptWithRetries } from '../../keystore/passphrase.js';
import { validateGun } from '../../repo/gun.js';
import { certificateDers, certificateKey, certificatePem } from '../../tuf/keys.js';
import type { TufKey } from '../../tuf/types.js';
import type { CommandContext, FlagValues } from '../context.js';
import { openCryptoService, passphraseRetriever } from '../wiring.js';
import { cliRepository } from '../wiring-repo.js';
import { stringFlag, usageError } from './common.js';

/**
 * `--rootkey FILE`: the key must be encrypted (Go: `only encrypted root keys may be imported`);
 * it is decrypted (root passphrase) and stored like `key import`. Returns its canonical ID.
 */
async function importRootKey(ctx: CommandContext, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NotaryError('IO', `Error reading input root key file: ${goPathErrorText(path, e)}`, {
      cause: e,
    });
  }
  const { block } = pemDecodeFirst(text);
  if (!block) throw new NotaryError('KEY_INVALID', 'no valid private key found', { details: { file: path } });
  if (!isEncryptedBlock(block)) {
    throw new NotaryError('KEY_INVALID', 'only encrypted root keys may be imported', {
      hint: `Encrypt ${path} first (e.g. \`openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA1\`), or let init generate a root key.`,
    });
  }
  const key = await decryptWithRetries(passphraseRetriever(ctx), '', 'root', (pass) =>
    parsePrivateKeyPem(block, pass),
  );
  const settings = await ctx.settings();
  const keys = await openCryptoService(ctx, settings);
  let lastError: unknown;
  for (const store of keys.stores) {
    try {
      return await store.add(key, 'root', '');
    } catch (e) {
      lastError = e;
    }
  }
  throw new NotaryError('KEY_INVALID', `Error importing key: ${errorMessage(lastError)}`, {
    cause: lastError,
  });
}

/** `--rootcert FILE`: the first certificate of the file, as Go's importRootCert. */
async function readRootCert(path: string): Promise<TufKey> {
  let text: string;
  try {
    text = await readFile(path, 'latin1');
  } catch (e) {
    throw new NotaryError('IO', `error reading certificate file: ${goPathErrorText(path, e)}`, { cause: e });
  }
  const first = certificateDers(text)[0];
  if (!first) {
    throw new NotaryError('KEY_INVALID', 'the provided file does not contain a valid PEM certificate <nil>', {
      hint: `${path} must hold a PEM "-----BEGIN CERTIFICATE-----" block.`,
    });
  }
  try {
    return certificateKey(certificatePem(first));
  } catch (e) {
    throw new NotaryError(
      'KEY_INVALID',
      `Parsing certificate PEM bytes to x509 certificate: ${errorMessage(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** `init GUN [--rootkey FILE] [--rootcert FILE] [-p]`. */
export async function init(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = validateGun(args[0]!);
  const repo = await cliRepository(ctx, gun);
  // Go pings the server before it looks at the root key (so "Root key found" precedes an offline error).
  await repo.remote('push');

  const rootKeyPath = stringFlag(flags, 'rootkey');
  let rootKeyIds: string[];
  if (rootKeyPath !== '') {
    rootKeyIds = [await importRootKey(ctx, rootKeyPath)];
  } else {
    const keys = await openCryptoService(ctx, await ctx.settings());
    rootKeyIds = (await keys.keysForRole('root')).slice(0, 1);
  }
  if (rootKeyIds.length > 0) ctx.stdout.write(`Root key found, using: ${rootKeyIds[0]}\n`);

  const rootCertPath = stringFlag(flags, 'rootcert');
  const rootCerts = rootCertPath !== '' ? [await readRootCert(rootCertPath)] : [];
  if (rootCerts.length > 0 && rootKeyIds.length === 0) {
    throw new NotaryError(
      'KEY_NOT_FOUND',
      'error initializing repository with certificate: cannot find matching private key id',
      {
        hint: 'Import the root key that belongs to the certificate (`tsnotary key import`), or pass it with --rootkey.',
      },
    );
  }

  await repo.initializeWith(rootKeyIds, rootCerts);
  if (flags['publish'] === true) {
    ctx.stdout.write(`Auto-publishing changes to ${gun}\n`);
    await publishWith(ctx, repo);
  }
}

async function publishWith(
  ctx: CommandContext,
  repo: Pick<RepositoryHandle, 'gun' | 'publish'>,
): Promise<void> {
  await repo.publish();
  ctx.stdout.write(`Successfully published changes for repository ${repo.gun}\n`);
}

/** Publishes everything staged for `gun` (the second half of every `-p`). */
export async function publishRepo(ctx: CommandContext, gun: string): Promise<void> {
  await publishWith(ctx, await cliRepository(ctx, gun));
}

/** `publish GUN`. */
export async function publish(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = validateGun(args[0]!);
  ctx.stdout.write(`Pushing changes to ${gun}\n`);
  await publishRepo(ctx, gun);
}

/** `delete GUN [--remote]`: local data first (keys kept), then the server's with --remote. */
export async function deleteRepo(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = validateGun(args[0]!);
  const remote = flags['remote'] === true;
  const repo = await cliRepository(ctx, gun);
  // Go connects (ping) before deleting anything, then deletes locally, then remotely.
  if (remote) await repo.remote('admin');
  ctx.stdout.write(`Deleting trust data for repository ${gun}\n`);
  await repo.delete({ remote });
  ctx.stdout.write(
    `Successfully deleted local${remote ? ' and remote' : ''} trust data for repository ${gun}\n`,
  );
}

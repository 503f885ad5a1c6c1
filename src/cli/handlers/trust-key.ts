/**
 * `trust key generate NAME [--dir D]` and `trust key load [--name N] KEYFILE`: docker's prompts,
 * messages and files (`<trust>/private/<id>.key` with `role: NAME`, `D/NAME.pub` mode 0600 with a
 * `role:` header). Fixed against docker 28:
 * - the base role names (root, targets, snapshot, timestamp) and `releases` are refused as key
 *   names: a "root" key would become the root key of every repository docker or tsnotary
 *   initialises next;
 * - an encrypted PEM without a `path` header is really imported (docker 28 said "Successfully
 *   imported" and stored nothing), or fails with the reason.
 */
import { constants as fsConstants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateKey, publicBytes } from '../../crypto/keygen.js';
import type { PrivateKey } from '../../crypto/keys.js';
import { pemDecodeFirst, pemEncode } from '../../crypto/pem.js';
import { isEncryptedBlock, isPrivateKeyPemType, parsePrivateKeyPem } from '../../crypto/private-key.js';
import { errorMessage, goPathErrorText, isNotaryError } from '../../errors.js';
import { decryptWithRetries } from '../../keystore/passphrase.js';
import type { CommandContext, FlagValues } from '../context.js';
import { openCryptoService, passphraseRetriever } from '../wiring.js';
import { stringFlag } from './common.js';
import { dockerEnv, dockerError, keyContext } from './trust-common.js';

const VALID_KEY_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const RESERVED_KEY_NAMES = new Set(['root', 'targets', 'snapshot', 'timestamp', 'releases']);

function checkKeyName(name: string): void {
  if (!VALID_KEY_NAME.test(name)) {
    throw dockerError(
      'INVALID_INPUT',
      `key name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`,
      { hint: 'Use a signer name such as alice or ci-bot.' },
    );
  }
  if (RESERVED_KEY_NAMES.has(name)) {
    throw dockerError('INVALID_INPUT', `key name "${name}" is reserved`, {
      hint:
        name === 'releases'
          ? 'targets/releases is shared by all signers; name the key after its signer (e.g. alice).'
          : `a key with role "${name}" would be taken for the repository's ${name} key; name the key after its signer (e.g. alice).`,
    });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export async function trustKeyGenerate(
  ctx: CommandContext,
  args: string[],
  flags: FlagValues,
): Promise<void> {
  if (args.length !== 1) {
    throw dockerError('USAGE', `"tsnotary trust key generate" requires exactly 1 argument.`, {
      hint: "See 'tsnotary trust key generate --help'.",
    });
  }
  const name = args[0]!;
  const dirFlag = stringFlag(flags, 'dir');
  const dir = dirFlag !== '' ? dirFlag : ctx.cwd;
  checkKeyName(name);
  if (!(await exists(resolve(ctx.cwd, dir)))) {
    throw dockerError('NOT_FOUND', `public key path does not exist: "${dir}"`, {
      hint: 'Create the directory first, or pass an existing one with --dir.',
    });
  }
  // Go's filepath.Join: cleaned, a relative --dir stays relative in the message
  const pubPath = join(dir, `${name}.pub`);
  if (await exists(resolve(ctx.cwd, pubPath))) {
    throw dockerError('KEY_EXISTS', `public key file already exists: "${pubPath}"`, {
      hint: `Move ${pubPath} away or pass another --dir; a new key would not match it.`,
    });
  }
  ctx.stdout.write(`Generating key for ${name}...\n`);
  const kctx = keyContext(ctx, dockerEnv(ctx));
  const keys = await openCryptoService(kctx, await kctx.settings(), { hardware: false });
  const key = generateKey('ecdsa');
  try {
    await keys.addKey(key, name, '');
  } catch (e) {
    throw dockerError(
      isNotaryError(e) ? e.code : 'INTERNAL',
      `failed to generate key for ${name}: ${errorMessage(e)}`,
      {
        ...(isNotaryError(e) && e.hint ? { hint: e.hint } : {}),
        cause: e,
      },
    );
  }
  const pem = pemEncode({ type: 'PUBLIC KEY', headers: { role: name }, bytes: publicBytes(key) });
  try {
    await writeFile(resolve(ctx.cwd, pubPath), pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw dockerError('IO', `failed to write public key to ${pubPath}: ${goPathErrorText(pubPath, e)}`, {
      cause: e,
      hint: 'The private key is stored; write its public key again with `tsnotary key export` or generate a new key.',
    });
  }
  ctx.stdout.write(
    `Successfully generated and loaded private key. Corresponding public key available: ${pubPath}\n`,
  );
}

export async function trustKeyLoad(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length !== 1) {
    throw dockerError('USAGE', `"tsnotary trust key load" requires exactly 1 argument.`, {
      hint: "See 'tsnotary trust key load --help'.",
    });
  }
  const path = args[0]!;
  const name = stringFlag(flags, 'name');
  if (name !== '') checkKeyName(name);
  ctx.stdout.write(`Loading key from "${path}"...\n`);
  const abs = resolve(ctx.cwd, path);
  let text: string;
  try {
    const st = await stat(abs);
    if ((st.mode & 0o077) !== 0) {
      throw dockerError(
        'KEY_INVALID',
        `refusing to load key from ${path}: private key file ${path} must not be readable or writable by others`,
        { hint: `Run \`chmod 600 ${path}\` first.` },
      );
    }
    text = await readFile(abs, 'latin1');
  } catch (e) {
    if (isNotaryError(e)) throw e;
    // docker stats the file first: Go's `stat <path>: <errno text>`
    const text = goPathErrorText(path, e, 'open').replace(/^open /, 'stat ');
    throw dockerError('IO', `refusing to load key from ${path}: ${text}`, {
      cause: e,
      hint: 'Check the path of the private key file.',
    });
  }
  const { block } = pemDecodeFirst(text);
  if (!block || !isPrivateKeyPemType(block.type)) {
    throw dockerError(
      'KEY_INVALID',
      `error importing key from ${path}: provided file ${path} is not a supported private key - to add a signer's public key use docker trust signer add`,
      {
        hint: `To add a signer's public key, use \`tsnotary trust signer add --key ${path} NAME REPOSITORY\`.`,
      },
    );
  }
  const kctx = keyContext(ctx, dockerEnv(ctx));
  let key: PrivateKey;
  try {
    if (isEncryptedBlock(block)) {
      key = await decryptWithRetries(passphraseRetriever(kctx), '', 'encrypted', (pass) =>
        parsePrivateKeyPem(block, pass),
      );
    } else {
      key = parsePrivateKeyPem(block);
    }
  } catch (e) {
    throw dockerError(
      'KEY_INVALID',
      `error importing key from ${path}: cannot load key from provided file ${path}: could not decrypt key`,
      {
        cause: e,
        hint: isNotaryError(e, 'PASSPHRASE')
          ? 'Give the passphrase the file is encrypted with (DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE or the prompt).'
          : `${errorMessage(e)}`,
      },
    );
  }
  const role = name !== '' ? name : 'signer';
  const keys = await openCryptoService(kctx, await kctx.settings(), { hardware: false });
  try {
    await keys.addKey(key, role, '');
  } catch (e) {
    throw dockerError(
      isNotaryError(e) ? e.code : 'INTERNAL',
      `error importing key from ${path}: ${errorMessage(e)}`,
      {
        ...(isNotaryError(e) && e.hint ? { hint: e.hint } : {}),
        cause: e,
      },
    );
  }
  ctx.stdout.write(`Successfully imported key from ${path}\n`);
}

/**
 * Staging commands of the `delegation` group: `add`, `remove`, `purge` (spec cli.md §6,
 * on-disk.md §7). They only write the changelist (offline); `-p` then publishes through
 * `publishRepo`, as every staging command does. `delegation list` lives in ./delegation.ts.
 *
 * Outputs, error texts and the order of checks are Go notary 0.7's (verified against the Go
 * binary). Beyond Go, nothing is staged that could only fail or corrupt later:
 * - an Ed25519 certificate is refused while reading it (Go stages a change holding a `null`
 *   key, then fails with `public key is nil`, leaving a change that breaks every publish);
 * - an RSA `PUBLIC KEY` shorter than 2048 bits is refused (notary never accepts its signatures);
 * - a key given twice (same file, or the same certificate) is staged once (Go lists its ID twice
 *   in the role);
 * - a key ID given to `remove`/`purge` that is not 64 hex characters is staged as Go does but
 *   named in a warning, since it can never match a key.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage, NotaryError, prefixedError } from '../../errors.js';
import { KeyFileProblem, parseDelegationKeyPem } from '../../repo/delegation-keys.js';
import { validateGun } from '../../repo/gun.js';
import { compareUtf8 } from '../../tuf/canonical.js';
import { canonicalKeyId, tufKeyId } from '../../tuf/keys.js';
import { isDelegationRole, validateDelegationName } from '../../tuf/roles.js';
import type { TufKey } from '../../tuf/types.js';
import type { CommandContext, FlagValues } from '../context.js';
import { cliRepository } from '../wiring-repo.js';
import { maybePublish, stringsFlag, usageError } from './common.js';

/** Go's prettyPaths: sorted (byte order), `""` shown as `"" <all paths>`. */
export function prettyPaths(paths: readonly string[]): string[] {
  return [...paths].sort(compareUtf8).map((p) => (p === '' ? '"" <all paths>' : p));
}

/** Go's `fmt.Sprintf("%s", []string{...})`: `[a b c]`. */
function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

const KEY_ID = /^[0-9a-f]{64}$/;

function warnOddKeyIds(ctx: CommandContext, keyIds: readonly string[]): void {
  for (const id of keyIds) {
    if (!KEY_ID.test(id)) {
      ctx.log.warn(
        `key ID ${id} is not a 64-character lower-case hex key ID; it will not match any delegation key (see \`tsnotary delegation list\`)`,
      );
    }
  }
}

/** Go's ingestPublicKeys: reads and parses each file, with Go's error texts. */
async function ingestPublicKeys(ctx: CommandContext, files: readonly string[]): Promise<TufKey[]> {
  const keys: TufKey[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let content: Buffer;
    try {
      content = await readFile(resolve(ctx.cwd, file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new NotaryError('NOT_FOUND', `file for public key does not exist: ${file}`, {
          cause: e,
          hint: 'Check the path of the certificate or public key file.',
          exitCode: 1,
        });
      }
      throw new NotaryError('IO', `unable to read public key from file: ${file}`, {
        cause: e,
        hint: `Could not read it: ${errorMessage(e)}.`,
      });
    }
    let key: TufKey;
    try {
      key = parseDelegationKeyPem(ctx, content);
    } catch (e) {
      if (!(e instanceof KeyFileProblem)) throw e;
      throw new NotaryError(
        'KEY_INVALID',
        `unable to parse valid public key certificate from PEM file ${file}: ${e.message}`,
        { ...(e.hint !== undefined ? { hint: e.hint } : {}), cause: e.problemCause, exitCode: 1 },
      );
    }
    // Go stages a key given twice twice, and the role then lists its ID twice: add it once.
    const id = tufKeyId(key);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      ctx.log.warn(`${file} holds the same key as ${earlier}; it is added once`);
      continue;
    }
    seen.set(id, file);
    keys.push(key);
  }
  return keys;
}

// ---- handlers ----

/** `delegation add GUN ROLE [CERT_OR_PUBKEY...] [--paths P,...] [--all-paths] [-p]` */
export async function delegationAdd(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  const allPaths = flags['all-paths'] === true;
  // `--all-paths` overrides any `--paths` (Go's checkAllPaths).
  const paths = allPaths ? [''] : stringsFlag(flags, 'paths');
  if (args.length < 2 || (args.length < 3 && paths.length === 0)) {
    throw usageError(
      'must specify the Global Unique Name and the role of the delegation along with the public key certificate paths and/or a list of paths to add',
    );
  }
  const gun = validateGun(args[0]!);
  const role = args[1]!;
  // Go reads the key files before it looks at the role name: keep that order of errors.
  const keys = await ingestPublicKeys(ctx, args.slice(2));
  try {
    validateDelegationName(role);
  } catch (e) {
    throw prefixedError(e, 'failed to create delegation');
  }
  // Threshold is always 1 (notary.MinThreshold): the CLI has no way to set another.
  await (await cliRepository(ctx, gun)).stageDelegationAdd(role, keys, paths);

  let items = '';
  if (keys.length > 0) items += `with keys ${goList(keys.map((k) => canonicalKeyId(k)))}, `;
  if (paths.length > 0) items += `with paths [${prettyPaths(paths).join('\n')}], `;
  ctx.stdout.write(
    `\nAddition of delegation role ${role} ${items}to repository "${gun}" staged for next publish.\n\n`,
  );
  await maybePublish(ctx, flags, gun);
}

/** Go's askConfirm (fmt.Fscanln of one word): `y`/`yes` in any case, nothing else on the line. */
export function confirmedAnswer(line: string): boolean {
  const words = line.trim().split(/[ \t\r\v\f]+/);
  return words.length === 1 && /^(y|yes)$/i.test(words[0]!);
}

/** `delegation remove GUN ROLE [KEYID...] [--paths P,...] [--all-paths] [-y] [-p]` */
export async function delegationRemove(
  ctx: CommandContext,
  args: string[],
  flags: FlagValues,
): Promise<void> {
  if (args.length < 2) {
    throw usageError(
      'must specify the Global Unique Name and the role of the delegation along with optional keyIDs and/or a list of paths to remove',
    );
  }
  const gun = validateGun(args[0]!);
  const role = args[1]!;
  // Checked before any question is asked (Go does the same).
  if (!isDelegationRole(role)) {
    throw new NotaryError('INVALID_ROLE', `invalid delegation name ${role}`, {
      details: { role },
      hint: 'Delegation names start with "targets/" and use only a-z, 0-9, "-", "_" and "/" (no "//" or trailing "/").',
    });
  }
  const allPaths = flags['all-paths'] === true;
  // `--all-paths` clears every path, so specific `--paths` are moot (Go drops them).
  const paths = allPaths ? [] : stringsFlag(flags, 'paths');
  const keyIds = args.slice(2);
  const removeAll = keyIds.length === 0 && paths.length === 0 && !allPaths;
  warnOddKeyIds(ctx, keyIds);

  if (removeAll) {
    ctx.stdout.write('\nAre you sure you want to remove all data for this delegation? (yes/no)\n');
    if (flags['yes'] === true) {
      ctx.stdout.write('Confirmed `yes` from flag\n');
    } else if (!confirmedAnswer(await ctx.prompter.readLine(''))) {
      throw new NotaryError('ABORTED', 'Aborting action.', {
        exitCode: 1,
        hint: `Nothing was staged. Answer "yes", or pass -y to remove ${role} with all its keys and paths.`,
      });
    }
  }
  // neither keys nor paths: the whole role (confirmed above)
  await (await cliRepository(ctx, gun)).removeDelegation(role, { keyIds, paths, allPaths });

  if (removeAll) {
    ctx.stdout.write(
      `\nForced removal (including all keys and paths) of delegation role ${role} to repository "${gun}" staged for next publish.\n\n`,
    );
  } else {
    let items = '';
    if (keyIds.length > 0) items += `with keys ${goList(keyIds)}, `;
    if (allPaths) items += 'with all paths, ';
    if (paths.length > 0) items += `with paths [${prettyPaths(paths).join('\n')}], `;
    ctx.stdout.write(
      `\nRemoval of delegation role ${role} ${items}to repository "${gun}" staged for next publish.\n\n`,
    );
  }
  await maybePublish(ctx, flags, gun);
}

/** `delegation purge GUN --key KEYID[,...] [-p]` */
export async function delegationPurge(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length !== 1) {
    throw usageError('Please provide a single Global Unique Name as an argument to remove');
  }
  const keyIds = stringsFlag(flags, 'key');
  if (keyIds.length === 0) {
    throw usageError('Please provide at least one key ID to be removed using the --key flag');
  }
  const gun = validateGun(args[0]!);
  warnOddKeyIds(ctx, keyIds);
  await (await cliRepository(ctx, gun)).purgeDelegationKeys(keyIds);
  ctx.stdout.write(
    `Removal of the following keys from all delegations in ${gun} staged for next publish:\n\t- ${keyIds.join('\n\t- ')}\n`,
  );
  await maybePublish(ctx, flags, gun);
}

/**
 * `trust signer add --key PEM... NAME REPOSITORY...` and `trust signer remove [-f] NAME
 * REPOSITORY...`, with docker's per-repository lines. A repository without trust data is
 * initialised as docker does (existing root key reused, server-managed snapshot).
 *
 * `signer remove` fixes docker 28, which removed nothing unless the signer was the last signer
 * of targets/releases (and with -f never), and never recognised a signer added from an x509
 * certificate (it compared certificate key IDs with public key IDs): here the signer is removed,
 * and docker's prompt is kept for the one case that needs it — a removal that leaves
 * targets/releases without a valid signature — with what to do about it.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage } from '../../errors.js';
import type { Change } from '../../repo/changelist.js';
import { delegationChange, delegationDeleteChange } from '../../repo/changelist.js';
import { parseDelegationKeyPem } from '../../repo/delegation-keys.js';
import type { RepoState } from '../../repo/state.js';
import { delegationRoles } from '../../repo/walk.js';
import { canonicalKeyId } from '../../tuf/keys.js';
import type { TufKey } from '../../tuf/types.js';
import type { CommandContext, FlagValues } from '../context.js';
import { stringsFlag } from './common.js';
import { confirmedAnswer } from './delegation-stage.js';
import {
  asDockerError,
  dockerError,
  isRepoNotExist,
  openTrustRepo,
  parseRef,
  type TrustRepo,
  trustNotaryError,
} from './trust-common.js';
import { RELEASES_ROLE } from './trust-info.js';

const VALID_SIGNER_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Writes a failed repository's lines as docker did (`<err>` + blank line on stderr), plus the hint. */
function reportRepoFailure(ctx: CommandContext, e: unknown): void {
  const err = asDockerError(e);
  ctx.stderr.write(`${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}\n`);
}

async function ingestPublicKeys(ctx: CommandContext, paths: readonly string[]): Promise<TufKey[]> {
  const keys: TufKey[] = [];
  for (const p of paths) {
    let content: Buffer;
    try {
      content = await readFile(resolve(ctx.cwd, p));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw dockerError(
        'IO',
        `unable to read public key from file: open ${p}: ${code === 'ENOENT' ? 'no such file or directory' : errorMessage(e)}`,
        {
          hint: 'Check the path given with --key.',
          cause: e,
        },
      );
    }
    try {
      keys.push(parseDelegationKeyPem(ctx, content));
    } catch (e) {
      const hint = (e as { hint?: unknown }).hint;
      throw dockerError('KEY_INVALID', `could not parse public key from file: ${p}: ${errorMessage(e)}`, {
        hint:
          typeof hint === 'string'
            ? hint
            : 'The signer key must be a PEM "PUBLIC KEY" (e.g. from `tsnotary trust key generate`) or "CERTIFICATE" block.',
        cause: e,
      });
    }
  }
  return keys;
}

/** The repository's verified state; initialised locally (not yet published) when the server has none. */
export async function stateOrInit(
  ctx: CommandContext,
  tr: TrustRepo,
  repoName: string,
): Promise<RepoState | undefined> {
  try {
    return await tr.repo.update();
  } catch (e) {
    if (!isRepoNotExist(e)) throw trustNotaryError(repoName, e);
  }
  ctx.stdout.write(`Initializing signed repository for ${repoName}...\n`);
  try {
    const rootKeyIds = (await tr.keys.keysForRole('root')).sort().slice(0, 1);
    await tr.repo.init({ rootKeyIds, serverManagedSnapshot: true });
  } catch (e) {
    throw trustNotaryError(repoName, e);
  }
  ctx.stdout.write(`Successfully initialized ${JSON.stringify(repoName)}\n`);
  return undefined;
}

/** docker's addStagedSigner: the keys into targets/<signer> and targets/releases, all paths. */
export function addSignerChanges(role: string, keys: readonly TufKey[]): Change[] {
  return [
    delegationChange('create', role, { threshold: 1, addKeys: [...keys] }),
    delegationChange('create', role, { addPaths: [''] }),
    delegationChange('create', RELEASES_ROLE, { threshold: 1, addKeys: [...keys] }),
    delegationChange('create', RELEASES_ROLE, { addPaths: [''] }),
  ];
}

async function addSignerToRepo(
  ctx: CommandContext,
  signer: string,
  repoName: string,
  keys: readonly TufKey[],
) {
  const ref = parseRef(repoName);
  let tr: TrustRepo;
  try {
    tr = await openTrustRepo(ctx, ref, 'push');
  } catch (e) {
    throw trustNotaryError(ref.name, e);
  }
  await stateOrInit(ctx, tr, repoName);
  try {
    await tr.repo.publishChanges(addSignerChanges(`targets/${signer}`, keys));
  } catch (e) {
    throw trustNotaryError(repoName, e);
  }
}

export async function trustSignerAdd(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 2) {
    throw dockerError('USAGE', '"tsnotary trust signer add" requires at least 2 arguments.', {
      hint: "See 'tsnotary trust signer add --help'.",
    });
  }
  const signer = args[0]!;
  if (!VALID_SIGNER_NAME.test(signer)) {
    throw dockerError(
      'INVALID_INPUT',
      `signer name "${signer}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`,
      { hint: 'Use a name such as alice or ci-bot.' },
    );
  }
  if (signer === 'releases') {
    throw dockerError('INVALID_INPUT', 'releases is a reserved keyword, use a different signer name', {
      hint: 'targets/releases gets every signer’s keys automatically; name the signer after its owner.',
    });
  }
  const paths = stringsFlag(flags, 'key');
  if (paths.length === 0) {
    throw dockerError('USAGE', 'path to a public key must be provided using the `--key` flag', {
      hint: 'Give the signer’s public key: --key alice.pub (from `tsnotary trust key generate alice`).',
    });
  }
  const keys = await ingestPublicKeys(ctx, paths);
  const failed: string[] = [];
  for (const repoName of args.slice(1)) {
    ctx.stdout.write(`Adding signer "${signer}" to ${repoName}...\n`);
    try {
      await addSignerToRepo(ctx, signer, repoName, keys);
      ctx.stdout.write(`Successfully added signer: ${signer} to ${repoName}\n\n`);
    } catch (e) {
      reportRepoFailure(ctx, e);
      failed.push(repoName);
    }
  }
  if (failed.length > 0) {
    throw dockerError('SERVER_REJECTED', `failed to add signer to: ${failed.join(', ')}`, { exitCode: 1 });
  }
}

/**
 * Would targets/releases be left with fewer valid signatures than its threshold once the keys
 * `removed` (canonical IDs) are gone? Signatures are matched by canonical ID, so certificate
 * keys count (docker compared the certificate's ID with the public key's and never matched).
 */
export function leavesReleasesUnsigned(state: RepoState, removed: readonly string[]): boolean {
  const releases = state.targets.get(RELEASES_ROLE);
  if (!releases) return false;
  const parent = state.targets.get('targets');
  const entry = parent?.signed.delegations.roles.find((r) => r.name === RELEASES_ROLE);
  if (!parent || !entry) return false;
  const valid = new Set<string>();
  for (const sig of releases.signatures) {
    if (!entry.keyids.includes(sig.keyid)) continue;
    const key = parent.signed.delegations.keys[sig.keyid];
    if (!key) continue;
    let id: string;
    try {
      id = canonicalKeyId(key);
    } catch {
      id = sig.keyid;
    }
    valid.add(id);
  }
  if (valid.size === 0) return false;
  const left = [...valid].filter((id) => !removed.includes(id)).length;
  return left < entry.threshold;
}

async function removeSingleSigner(
  ctx: CommandContext,
  repoName: string,
  signer: string,
  force: boolean,
): Promise<void> {
  const ref = parseRef(repoName);
  const role = `targets/${signer}`;
  if (role === RELEASES_ROLE) {
    throw dockerError('INVALID_INPUT', 'releases is a reserved keyword and cannot be removed', {
      hint: 'Remove the signers one by one; targets/releases loses their keys with them.',
    });
  }
  let tr: TrustRepo;
  try {
    tr = await openTrustRepo(ctx, ref, 'push');
  } catch (e) {
    throw trustNotaryError(ref.name, e);
  }
  let state: RepoState;
  try {
    state = await tr.repo.update();
  } catch (e) {
    const err = trustNotaryError(repoName, e);
    throw dockerError(err.code, `error retrieving signers for ${repoName}: ${err.message}`, {
      ...(err.hint ? { hint: err.hint } : {}),
      cause: e,
    });
  }
  const found = delegationRoles(state).find((d) => d.name === role);
  if (!found) {
    throw dockerError('NOT_FOUND', `no signer ${signer} for repository ${repoName}`, {
      hint: `See the signers with \`tsnotary trust inspect --pretty ${repoName}\`.`,
      exitCode: 1,
    });
  }
  if (leavesReleasesUnsigned(state, found.keyIds)) {
    if (!force) {
      const answer = await ctx.prompter.readLine(
        `The signer "${signer}" signed the last released version of ${repoName}. Removing this signer will make ${repoName} unpullable. Are you sure you want to continue? [y/N] `,
      );
      if (!confirmedAnswer(answer)) {
        ctx.stderr.write(
          `Signer ${signer} was not removed from ${repoName} (use -f to remove it without asking).\n`,
        );
        return;
      }
    }
    ctx.stderr.write(
      `warning: targets/releases of ${repoName} is left without a valid signature: another releases signer can re-sign it with \`tsnotary witness -p ${ref.name} targets/releases\` (DOCKER_CONFIG's trust dir: add -d ${tr.denv.trustDir}), or sign a tag again with \`tsnotary trust sign\`.\n`,
    );
  }
  const changes: Change[] = [
    delegationChange('update', RELEASES_ROLE, { removeKeys: found.keyIds }),
    delegationDeleteChange(role),
  ];
  try {
    await tr.repo.publishChanges(changes);
  } catch (e) {
    throw trustNotaryError(repoName, e);
  }
  ctx.stdout.write(`Successfully removed ${signer} from ${repoName}\n\n`);
}

export async function trustSignerRemove(
  ctx: CommandContext,
  args: string[],
  flags: FlagValues,
): Promise<void> {
  if (args.length < 2) {
    throw dockerError('USAGE', '"tsnotary trust signer remove" requires at least 2 arguments.', {
      hint: "See 'tsnotary trust signer remove --help'.",
    });
  }
  const signer = args[0]!;
  const force = flags['force'] === true;
  const failed: string[] = [];
  for (const repoName of args.slice(1)) {
    ctx.stdout.write(`Removing signer "${signer}" from ${repoName}...\n`);
    try {
      await removeSingleSigner(ctx, repoName, signer, force);
    } catch (e) {
      reportRepoFailure(ctx, e);
      failed.push(repoName);
    }
  }
  if (failed.length > 0) {
    throw dockerError('SERVER_REJECTED', `error removing signer from: ${failed.join(', ')}`, { exitCode: 1 });
  }
}

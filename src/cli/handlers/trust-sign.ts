/**
 * `trust sign IMAGE:TAG` and `trust revoke [-y] IMAGE[:TAG]` without a Docker daemon.
 *
 * sign: a tag already released (in targets or targets/releases) is co-signed with its released
 * digest, as docker did; any other tag (or `--local`) gets the digest and size of the manifest
 * the registry serves — docker pushed the local image to learn them. The target goes into every
 * role this trust directory can sign (docker's GetSignableRoles). A repository without trust
 * data is initialised as docker did (root key reused, server-managed snapshot, signer role
 * `targets/<registry user>` with targets/releases) in the same publish as the signature, and
 * only after the registry confirmed the tag: a missing tag publishes nothing.
 */

import { trustServerTls } from '../../docker/config.js';
import { type ImageReference, isInsecureRegistry, isOfficialIndex } from '../../docker/reference.js';
import { isNotaryError } from '../../errors.js';
import { type Change, targetCreateChange, targetDeleteChange } from '../../repo/changelist.js';
import type { RepoState } from '../../repo/state.js';
import { delegationRoles, listTargets, lookupTarget } from '../../repo/walk.js';
import { pathAllowed } from '../../tuf/roles.js';
import type { CommandContext, FlagValues } from '../context.js';
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
import { allTargetsByName, isReleasedRole, RELEASES_ROLE, releasedSignatures } from './trust-info.js';
import { addSignerChanges } from './trust-signer.js';

/** docker's GetSignableRoles: `targets` without delegations, else the direct delegations we hold a key of. */
export async function signableRoles(tr: TrustRepo, state: RepoState, target: string): Promise<string[]> {
  const delegations = delegationRoles(state);
  if (delegations.length === 0) return ['targets'];
  const held = new Set((await tr.keys.list()).map((k) => k.keyId));
  const roles: string[] = [];
  for (const d of delegations) {
    if (!/^targets\/[^/]+$/.test(d.name) || !pathAllowed(d.paths, target)) continue;
    if (d.keyIds.some((id) => held.has(id)) && !roles.includes(d.name)) roles.push(d.name);
  }
  if (roles.length === 0) {
    throw dockerError('SIGNING_KEYS_MISSING', 'no valid signing keys for delegation roles', {
      hint: `Load your signer key (\`tsnotary trust key load KEY.pem --name NAME\`) or have a repository admin add it (\`tsnotary trust signer add --key NAME.pub NAME ${tr.ref.original.replace(/[:@].*$/, '')}\`).`,
    });
  }
  return roles;
}

interface SignTarget {
  length: number;
  hashes: Record<string, Buffer>;
}

function requireTag(ref: ImageReference, remote: string): void {
  if (ref.tag !== '') return;
  if (ref.digest !== '') {
    throw dockerError('INVALID_INPUT', 'cannot use a digest reference for IMAGE:TAG', {
      hint: 'Name the tag to sign (IMAGE:TAG); trust data signs tags, not digests.',
    });
  }
  throw dockerError('INVALID_INPUT', `no tag specified for ${remote}`, {
    hint: `Name the tag: ${remote}:latest, ${remote}:1.0 ...`,
  });
}

/** The registry's manifest digest and size for the tag (credentials from $DOCKER_CONFIG). */
async function registryTarget(ctx: CommandContext, tr: TrustRepo): Promise<SignTarget & { digest: string }> {
  const { ref } = tr;
  const auth = await tr.auth();
  const registry = isOfficialIndex(ref) ? 'registry-1.docker.io' : ref.domain;
  const { fetchManifestDescriptor } = await import('../../registry/client.js');
  const desc = await fetchManifestDescriptor({
    registry,
    repository: ref.path,
    tag: ref.tag,
    insecure: isInsecureRegistry(ref),
    tls: trustServerTls(tr.denv.configDir, `https://${ref.domain}`, ref),
    ...(auth
      ? {
          credentials: {
            username: auth.username,
            password: auth.password,
            ...(auth.identityToken ? { identityToken: auth.identityToken } : {}),
          },
        }
      : {}),
    env: tr.ctx.env,
    log: ctx.log,
  });
  return { length: desc.size, hashes: { sha256: desc.sha256 }, digest: desc.digest };
}

export async function trustSign(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length !== 1) {
    throw dockerError('USAGE', '"tsnotary trust sign" requires exactly 1 argument.', {
      hint: "See 'tsnotary trust sign --help'.",
    });
  }
  const remote = args[0]!;
  const ref = parseRef(remote);
  requireTag(ref, remote);
  const tag = ref.tag;
  let tr: TrustRepo;
  try {
    tr = await openTrustRepo(ctx, ref, 'push');
  } catch (e) {
    throw trustNotaryError(ref.name, e);
  }
  let state: RepoState | undefined;
  try {
    state = await tr.repo.update();
  } catch (e) {
    if (!isRepoNotExist(e)) throw trustNotaryError(ref.name, e);
  }

  const released = state ? allTargetsByName(state, tag).find((t) => isReleasedRole(t.role)) : undefined;
  let target: SignTarget;
  if (released && flags['local'] !== true) {
    target = { length: released.length, hashes: released.hashes };
    ctx.stdout.write(`Signing and pushing trust metadata for ${remote}\n`);
  } else {
    let reg: Awaited<ReturnType<typeof registryTarget>>;
    try {
      reg = await registryTarget(ctx, tr);
    } catch (e) {
      throw asDockerError(e);
    }
    target = { length: reg.length, hashes: reg.hashes };
    ctx.stdout.write(`${tag}: digest: ${reg.digest} size: ${reg.length}\n`);
    ctx.stdout.write('Signing and pushing trust metadata\n');
  }

  const changes: Change[] = [];
  if (!state) {
    // docker's initNotaryRepoWithSigners: the registry user becomes the first signer.
    const username = (await tr.auth())?.username ?? '';
    try {
      const rootKeyIds = (await tr.keys.keysForRole('root')).sort().slice(0, 1);
      await tr.repo.init({ rootKeyIds, serverManagedSnapshot: true });
      if (username !== '') {
        const signer = `targets/${username}`;
        const stored = (await tr.keys.keysForRole(username)).sort();
        const keyId = stored[0] ?? (await tr.keys.create(username, '', 'ecdsa'));
        const s = await tr.keys.getSigner(keyId);
        if (!s)
          throw dockerError('KEY_NOT_FOUND', `could not retrieve the key ${keyId} of signer ${username}`);
        changes.push(...addSignerChanges(signer, [{ keytype: s.algorithm, public: s.publicBytes }]));
        for (const role of [signer, RELEASES_ROLE]) changes.push(targetCreateChange(role, tag, target));
        ctx.stdout.write(`Created signer: ${username}\n`);
      } else {
        // docker would make a role named "targets/" and fail: anonymous registries sign into targets.
        changes.push(targetCreateChange('targets', tag, target));
      }
    } catch (e) {
      throw trustNotaryError(ref.name, e);
    }
    ctx.stdout.write(`Finished initializing signed repository for ${remote}\n`);
  } else {
    const roles = await signableRoles(tr, state, tag);
    if (released && flags['local'] !== true) {
      const existing = releasedSignatures(allTargetsByName(state, tag))[0];
      const signers = [...(existing?.Signers ?? [])].sort();
      ctx.stdout.write(
        `Existing signatures for tag ${existing?.SignedTag ?? ''} digest ${existing?.Digest ?? ''} from:\n${signers.join(', ')}\n`,
      );
    }
    for (const role of roles) changes.push(targetCreateChange(role, tag, target));
  }

  try {
    await tr.repo.publishChanges(changes);
  } catch (e) {
    const err = trustNotaryError(ref.name, e);
    throw dockerError(err.code, `failed to sign ${ref.name}:${tag}: ${err.message}`, {
      ...(err.hint ? { hint: err.hint } : {}),
      cause: e,
    });
  }
  ctx.stdout.write(`Successfully signed ${ref.name}:${tag}\n`);
}

export async function trustRevoke(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length !== 1) {
    throw dockerError('USAGE', '"tsnotary trust revoke" requires exactly 1 argument.', {
      hint: "See 'tsnotary trust revoke --help'.",
    });
  }
  const remote = args[0]!;
  const ref = parseRef(remote);
  if (ref.tag === '' && ref.digest !== '') {
    throw dockerError('INVALID_INPUT', 'cannot use a digest reference for IMAGE:TAG', {
      hint: 'Name the tag to revoke (IMAGE:TAG), or the repository alone to revoke every tag.',
    });
  }
  if (ref.tag === '' && flags['yes'] !== true) {
    const answer = await ctx.prompter.readLine(
      `Confirm you would like to delete all signature data for ${remote}? [y/N] `,
    );
    if (!confirmedAnswer(answer)) return;
  }
  const failure = (e: unknown) => {
    const err = isNotaryError(e) ? trustNotaryError(ref.name, e) : asDockerError(e);
    return dockerError(err.code, `could not remove signature for ${remote}: ${err.message}`, {
      ...(err.hint ? { hint: err.hint } : {}),
      cause: e,
    });
  };
  let tr: TrustRepo;
  let state: RepoState;
  try {
    tr = await openTrustRepo(ctx, ref, 'push');
    state = await tr.repo.update();
  } catch (e) {
    throw failure(e);
  }
  const changes: Change[] = [];
  try {
    if (ref.tag !== '') {
      const t = lookupTarget(state, ref.tag, [RELEASES_ROLE, 'targets']);
      if (!t) {
        throw dockerError('NOT_FOUND', `No valid trust data for ${ref.tag}`, {
          hint: `See the signed tags with \`tsnotary trust inspect --pretty ${ref.original.replace(/:[^:/]*$/, '')}\`.`,
          exitCode: 1,
        });
      }
      for (const role of await signableRoles(tr, state, t.name))
        changes.push(targetDeleteChange(role, t.name));
    } else {
      const all = listTargets(state, [RELEASES_ROLE, 'targets']);
      if (all.length === 0) {
        throw dockerError('NOT_FOUND', 'no signed tags to remove', { exitCode: 1 });
      }
      for (const t of all) {
        for (const role of await signableRoles(tr, state, t.name))
          changes.push(targetDeleteChange(role, t.name));
      }
    }
    await tr.repo.publishChanges(changes);
  } catch (e) {
    throw failure(e);
  }
  ctx.stdout.write(`Successfully deleted signature for ${remote}\n`);
}

/**
 * Publishing (spec tuf.md §13): bring the repository up to date, replay the staged changes in
 * memory, re-sign what changed, and upload every produced file in one multipart POST.
 *
 * Guarantees beyond Go:
 * - nothing is written locally and nothing is sent unless every change applied and every
 *   role signed: a failure leaves the changelist, the cache and the keys exactly as they were;
 * - private keys are only reached through Signers (hardware keys work the same way), each
 *   unlocked at most once per publish;
 * - unchanged roles keep the snapshot meta the update verified instead of being re-hashed, and
 *   every changed role is serialised exactly once (publishing 10,000 staged targets is one
 *   pass over the changes and one signature per role).
 */
import type { Signer } from '../crypto/signer.js';
import { errorMessage, isNotaryError, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Remote } from '../remote/types.js';
import { fileMeta } from '../tuf/hashes.js';
import { canonicalKeyId } from '../tuf/keys.js';
import { parseMetadata } from '../tuf/metadata.js';
import { type SigningKey, signMetadata } from '../tuf/sign.js';
import { defaultExpiry, nearExpiry } from '../tuf/time.js';
import type {
  AnySigned,
  Clock,
  FileMeta,
  ParsedMetadata,
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TufKey,
} from '../tuf/types.js';
import { requireThreshold } from '../tuf/verify.js';
import {
  ChangeApplier,
  type ChangeToApply,
  cloneRootSigned,
  type SignabilityCheck,
  type WorkingRepo,
  workingTargets,
} from './apply-changes.js';
import type { MetadataCache } from './cache.js';
import type { RepoState } from './state.js';

/** Where signers come from (the CryptoService: token first, then the file store). */
export interface SignerSource {
  /** Signer for a canonical key ID; undefined when no store holds the key. May prompt. */
  getSigner(canonicalKeyId: string): Promise<Signer | undefined>;
}

/** Root/targets/snapshot as written to the cache by `init` (what a first publish starts from). */
export interface LocalRepoData {
  root: ParsedMetadata<RootSigned>;
  targets: ParsedMetadata<TargetsSigned>;
  snapshot?: ParsedMetadata<SnapshotSigned>;
}

export interface PublishContext {
  gun: string;
  cache: MetadataCache;
  remote: Remote;
  signers: SignerSource;
  /** Where keys were searched (for hints), e.g. `<trust_dir>/private`. */
  keyLocations: readonly string[];
  log: Logger;
  clock: Clock;
  /** The update walk for writing: always fetches root.json; NO_TRUST_DATA when the server has none. */
  update(): Promise<RepoState>;
  /** Initialise the repository locally (as `init` with the first/new root key), for a first publish without `init`. */
  initialize(): Promise<LocalRepoData>;
  /**
   * Optional extra root signers (`key rotate --legacy N`): public keys, by TUF ID, that also sign
   * a re-signed root when the key stores hold them (missing or locked ones are skipped, as Go's
   * optional keys). Called with the root as loaded, only when root is re-signed.
   */
  extraRootSigningKeys?(loadedRoot: RootSigned, initialPublish: boolean): Promise<Record<string, TufKey>>;
}

export interface PublishResult {
  /** role -> the exact bytes uploaded */
  files: Map<string, Buffer>;
  /** The server had no trust data for the GUN before this publish. */
  initialPublish: boolean;
  /** Canonical IDs of non-root keys no role uses any more (after a base-key replacement). */
  unusedKeyIds: string[];
}

/** Go's passphrase env variable for a role alias (cli.md §3.1). */
export function passphraseEnvVar(role: string): string {
  if (role === 'root') return 'NOTARY_ROOT_PASSPHRASE';
  if (role === 'targets') return 'NOTARY_TARGETS_PASSPHRASE';
  if (role === 'snapshot') return 'NOTARY_SNAPSHOT_PASSPHRASE';
  return 'NOTARY_DELEGATION_PASSPHRASE';
}

interface SignerLookup {
  signers: SigningKey[];
  /** canonical IDs of role keys no store holds */
  missing: string[];
  /** keys held but not unlockable (wrong passphrase, token PIN...) */
  failures: NotaryError[];
}

/**
 * Unlocks each key at most once per publish and answers "can this role be signed" (Go's
 * VerifyCanSign) and "who signs this role" (Go's signed.Sign).
 */
export class SignerPool implements SignabilityCheck {
  private readonly cache = new Map<string, Promise<Signer | undefined>>();
  private readonly signable = new Map<string, Promise<void>>();

  constructor(
    private readonly source: SignerSource,
    private readonly keyLocations: readonly string[],
  ) {}

  private signer(canonicalId: string): Promise<Signer | undefined> {
    let p = this.cache.get(canonicalId);
    if (!p) {
      p = this.source.getSigner(canonicalId);
      this.cache.set(canonicalId, p);
    }
    return p;
  }

  async lookup(keys: Readonly<Record<string, TufKey>>): Promise<SignerLookup> {
    const out: SignerLookup = { signers: [], missing: [], failures: [] };
    for (const [tufId, key] of Object.entries(keys)) {
      let canonical: string;
      try {
        canonical = canonicalKeyId(key);
      } catch {
        continue; // unusable key (broken certificate): Go skips it too
      }
      try {
        const s = await this.signer(canonical);
        if (s) out.signers.push({ keyId: tufId, signer: s, key });
        else out.missing.push(canonical);
      } catch (e) {
        out.missing.push(canonical);
        out.failures.push(
          isNotaryError(e)
            ? e
            : new NotaryError('KEY_INVALID', `could not load key ${canonical}: ${errorMessage(e)}`),
        );
      }
    }
    return out;
  }

  requireSignable(role: string, keys: Record<string, TufKey>): Promise<void> {
    const memo = `${role}\0${Object.keys(keys).sort().join(',')}`;
    let p = this.signable.get(memo);
    if (!p) {
      p = this.lookup(keys).then((found) => {
        if (found.signers.length === 0) throw this.noKeysError(role, found);
      });
      this.signable.set(memo, p);
    }
    return p;
  }

  /** Go's ErrNoKeys, with a hint saying where we looked and what to set. */
  private noKeysError(role: string, found: SignerLookup): NotaryError {
    const ids = found.missing;
    const where = this.keyLocations.length > 0 ? this.keyLocations.join(', ') : 'the key stores';
    const failure = found.failures[0];
    const hint = failure
      ? `The ${role} key is present but could not be unlocked (${failure.message}): set ${passphraseEnvVar(role)} to its passphrase (if it is set, it holds the wrong one), or run in a terminal to be prompted.`
      : ids.length === 0
        ? `${role} lists no keys (fewer than its threshold): add one with \`tsnotary delegation add <gun> ${role} <cert>\`, then publish.`
        : `No private key for ${role} (${ids.join(', ') || 'no keys listed'}) was found in ${where}. Import it with \`tsnotary key import <file> --role ${role}\`, or publish from the machine that holds it.`;
    return new NotaryError(
      'SIGNING_KEYS_MISSING',
      `could not find necessary signing keys, at least one of these keys must be available: ${ids.join(', ')}`,
      { hint, cause: failure, details: { role, keyIds: ids } },
    );
  }
}

/** A role re-signed for this publish. */
interface SignedRole {
  raw: Buffer;
  signed: AnySigned;
}

function insufficientSignatures(
  role: string,
  threshold: number,
  total: number,
  found: SignerLookup,
): NotaryError {
  return new NotaryError(
    'SIGNING_KEYS_MISSING',
    `signing keys not available: need ${threshold} keys from ${total} possible keys (${found.missing.join(', ')})`,
    {
      details: { role, needed: threshold, found: found.signers.length, missing: found.missing },
      cause: found.failures[0],
      hint: found.failures[0]
        ? `A ${role} key could not be unlocked (${found.failures[0].message}): set ${passphraseEnvVar(role)} or run in a terminal.`
        : `Import the missing ${role} key(s) with \`tsnotary key import\`.`,
    },
  );
}

/** Everything loaded for a publish, before changes are applied. */
interface LoadedRepo {
  root: ParsedMetadata<RootSigned>;
  targets: Map<string, ParsedMetadata<TargetsSigned>>;
  snapshot?: ParsedMetadata<SnapshotSigned>;
  /** Delegations that parsed but failed verification (for witness). */
  invalid: Map<string, ParsedMetadata<TargetsSigned>>;
  /** The targets roles were checked against the snapshot's meta (true after an update). */
  metaVerified: boolean;
  initialPublish: boolean;
}

/**
 * Loads the locally initialised (never published) repository from the cache, as Go's
 * bootstrapRepo: signatures are checked, expiry is not. Undefined when there is no cached root.
 */
export async function loadLocalRepo(cache: MetadataCache): Promise<LocalRepoData | undefined> {
  const rootBytes = await cache.read('root');
  if (!rootBytes) return undefined;
  const root = parseMetadata<RootSigned>(rootBytes, 'root');
  const rootRole = root.signed.roles['root'];
  if (!rootRole) throw new NotaryError('METADATA_INVALID', 'root type metadata invalid: no root role');
  requireThreshold(root, root.signed.keys, rootRole);
  const targetsBytes = await cache.read('targets');
  if (!targetsBytes) {
    throw new NotaryError(
      'NOT_FOUND',
      'targets trust data unavailable.  Has a notary repository been initialized?',
      {
        hint: `The local cache ${cache.paths.metadataDir} holds a root but no targets.json: run \`tsnotary delete ${cache.gun}\` and \`tsnotary init ${cache.gun}\` again.`,
      },
    );
  }
  const targets = parseMetadata<TargetsSigned>(targetsBytes, 'targets');
  requireThreshold(targets, root.signed.keys, root.signed.roles['targets'] ?? { keyids: [], threshold: 1 });
  const snapshotBytes = await cache.read('snapshot');
  let snapshot: ParsedMetadata<SnapshotSigned> | undefined;
  if (snapshotBytes) {
    snapshot = parseMetadata<SnapshotSigned>(snapshotBytes, 'snapshot');
    requireThreshold(
      snapshot,
      root.signed.keys,
      root.signed.roles['snapshot'] ?? { keyids: [], threshold: 1 },
    );
  }
  return snapshot ? { root, targets, snapshot } : { root, targets };
}

/** Update (or, for a repository the server does not know, the local init) before publishing. */
async function loadForPublish(ctx: PublishContext): Promise<LoadedRepo> {
  try {
    const state = await ctx.update();
    const loaded: LoadedRepo = {
      root: state.root,
      targets: state.targets,
      invalid: state.invalid ?? new Map(),
      metaVerified: true,
      initialPublish: false,
    };
    if (state.snapshot) loaded.snapshot = state.snapshot;
    return loaded;
  } catch (e) {
    if (!isNotaryError(e, 'NO_TRUST_DATA')) {
      ctx.log.error(`Could not publish Repository since we could not update: ${errorMessage(e)}`);
      throw withRootMismatchHint(e, ctx.gun);
    }
  }
  let local = await loadLocalRepo(ctx.cache);
  if (!local) {
    ctx.log.info(
      `No TUF data found locally or remotely - initializing repository ${ctx.gun} for the first time`,
    );
    local = await ctx.initialize();
  }
  const loaded: LoadedRepo = {
    root: local.root,
    targets: new Map([['targets', local.targets]]),
    invalid: new Map(),
    metaVerified: false,
    initialPublish: true,
  };
  if (local.snapshot) loaded.snapshot = local.snapshot;
  return loaded;
}

/**
 * The cached root no longer chains to the server's (typically: `init` was run again on a
 * published GUN, or another party replaced the collection). Go says only "could not rotate
 * trust"; say what happened and how to get back.
 */
function withRootMismatchHint(e: unknown, gun: string): unknown {
  if (!isNotaryError(e) || e.hint) return e;
  if (
    !/could not rotate trust to a new trusted root|failed to validate data with current trusted certificates/.test(
      e.message,
    )
  ) {
    return e;
  }
  return new NotaryError(e.code, e.message, {
    cause: e.cause ?? e,
    exitCode: e.exitCode,
    details: e.details,
    hint:
      `The server's root for ${gun} is not signed by the root key this trust directory trusts. If you ran ` +
      `\`tsnotary init ${gun}\` again on a published repository, run \`tsnotary delete ${gun}\` (keys are kept) ` +
      'to go back to the published collection; otherwise the collection was replaced on the server: verify it out of band.',
  });
}

function workingRepoOf(loaded: LoadedRepo, gun: string): WorkingRepo {
  const rootRole = loaded.root.signed.roles['root'] ?? { keyids: [], threshold: 1 };
  const keys: Record<string, TufKey> = {};
  for (const id of rootRole.keyids) {
    const k = loaded.root.signed.keys[id];
    if (k) keys[id] = k;
  }
  const repo: WorkingRepo = {
    gun,
    root: cloneRootSigned(loaded.root.signed),
    rootDirty: false,
    originalRootRole: { keys, threshold: rootRole.threshold },
    targets: new Map(),
    invalid: loaded.invalid,
    deletedRoles: new Set(),
    unusedKeyIds: new Set(),
  };
  for (const [name, meta] of loaded.targets) repo.targets.set(name, workingTargets(meta));
  return repo;
}

function keysOfRole(root: RootSigned, role: string): { keys: Record<string, TufKey>; threshold: number } {
  const r = root.roles[role];
  const keys: Record<string, TufKey> = {};
  if (!r) return { keys, threshold: 1 };
  for (const id of r.keyids) {
    const k = root.keys[id];
    if (k) keys[id] = k;
  }
  return { keys, threshold: r.threshold };
}

/** Keys and threshold of a targets role as declared by its parent in the working copy. */
function delegationKeys(
  repo: WorkingRepo,
  role: string,
): { keys: Record<string, TufKey>; threshold: number } {
  const parent = repo.targets.get(role.slice(0, role.lastIndexOf('/')));
  const decl = parent?.signed.delegations.roles.find((r) => r.name === role);
  if (!parent || !decl) {
    throw new NotaryError('INVALID_ROLE', `tuf: invalid role ${role}. delegation does not exist`, {
      details: { role },
    });
  }
  const keys: Record<string, TufKey> = {};
  for (const id of decl.keyids) {
    const k = parent.signed.delegations.keys[id];
    if (k) keys[id] = k;
  }
  return { keys, threshold: decl.threshold };
}

async function signWith(
  pool: SignerPool,
  role: string,
  signed: AnySigned,
  roles: ReadonlyArray<{ keys: Record<string, TufKey>; threshold: number }>,
  /** optional signers: used when held and unlockable, otherwise skipped silently */
  optional: Record<string, TufKey> = {},
): Promise<SignedRole> {
  const all: SigningKey[] = [];
  const seen = new Set<string>();
  for (const r of roles) {
    const found = await pool.lookup(r.keys);
    if (found.signers.length < r.threshold) {
      // Go's signed.Sign returns a key that cannot be unlocked as is (`password invalid, ...`).
      if (found.failures[0] && found.signers.length === 0) throw found.failures[0];
      throw insufficientSignatures(role, r.threshold, Object.keys(r.keys).length, found);
    }
    for (const s of found.signers) {
      if (seen.has(s.keyId)) continue;
      seen.add(s.keyId);
      all.push(s);
    }
  }
  if (Object.keys(optional).length > 0) {
    for (const s of (await pool.lookup(optional)).signers) {
      if (seen.has(s.keyId)) continue;
      seen.add(s.keyId);
      all.push(s);
    }
  }
  const { raw } = await signMetadata(signed, all);
  return { raw, signed };
}

function sameRole(
  a: { keys: Record<string, TufKey>; threshold: number },
  b: { keys: Record<string, TufKey>; threshold: number },
): boolean {
  const ak = Object.keys(a.keys);
  return (
    a.threshold === b.threshold && ak.length === Object.keys(b.keys).length && ak.every((id) => id in b.keys)
  );
}

/**
 * Publishes `changes` (in order) to the server. Throws on any failure, having written nothing.
 * The caller removes the applied change files after success.
 */
export async function publishChanges(
  ctx: PublishContext,
  changes: readonly ChangeToApply[],
): Promise<PublishResult> {
  const loaded = await loadForPublish(ctx);
  const now = ctx.clock();
  const pool = new SignerPool(ctx.signers, ctx.keyLocations);
  const repo = workingRepoOf(loaded, ctx.gun);

  await new ChangeApplier(repo, pool, ctx.log, defaultExpiry('targets', now)).applyAll(changes);

  const files = new Map<string, Buffer>();
  const newMeta = new Map<string, FileMeta>();

  // Root: re-signed when changed or expiring within 6 months; a first publish sends it as is.
  if (repo.rootDirty || nearExpiry(repo.root.expires, now)) {
    const current = keysOfRole(repo.root, 'root');
    const signingRoles = sameRole(current, repo.originalRootRole)
      ? [current]
      : [repo.originalRootRole, current];
    const signed: RootSigned = {
      ...repo.root,
      version: repo.root.version + 1,
      expires: defaultExpiry('root', now),
    };
    const extra = ctx.extraRootSigningKeys
      ? await ctx.extraRootSigningKeys(loaded.root.signed, loaded.initialPublish)
      : {};
    const res = await signWith(pool, 'root', signed, signingRoles, extra);
    files.set('root', res.raw);
    newMeta.set('root', fileMeta(res.raw));
  } else {
    if (loaded.initialPublish) files.set('root', loaded.root.raw);
    newMeta.set('root', fileMeta(loaded.root.raw));
  }

  // Targets and delegations that changed (+ targets itself on a first publish).
  const expires = defaultExpiry('targets', now);
  for (const [name, wt] of repo.targets) {
    if (!(wt.dirty || (name === 'targets' && loaded.initialPublish))) continue;
    const roleKeys = name === 'targets' ? keysOfRole(repo.root, 'targets') : delegationKeys(repo, name);
    const signed: TargetsSigned = { ...wt.signed, version: wt.signed.version + 1, expires };
    const res = await signWith(pool, name, signed, [roleKeys]);
    files.set(name, res.raw);
    newMeta.set(name, fileMeta(res.raw));
  }

  const snapshot = await signSnapshot(ctx, pool, repo, loaded, newMeta, now);
  if (snapshot) files.set('snapshot', snapshot);

  await ctx.remote.publish(files);
  return { files, initialPublish: loaded.initialPublish, unusedKeyIds: [...repo.unusedKeyIds] };
}

/**
 * Go's SignSnapshot: meta for root and every loaded targets role, version+1, new expiry. Returns
 * undefined when the client holds no snapshot key (the server signs the snapshot).
 */
async function signSnapshot(
  ctx: PublishContext,
  pool: SignerPool,
  repo: WorkingRepo,
  loaded: LoadedRepo,
  newMeta: Map<string, FileMeta>,
  now: Date,
): Promise<Buffer | undefined> {
  const role = keysOfRole(repo.root, 'snapshot');
  const found = await pool.lookup(role.keys);
  if (found.signers.length === 0 && found.failures.length === 0) {
    ctx.log.debug(
      'Client does not have the key to sign snapshot. Assuming that server should sign the snapshot.',
    );
    return undefined;
  }
  const old = loaded.snapshot?.signed;
  const meta: Record<string, FileMeta> = { ...(old?.meta ?? {}) };
  for (const name of repo.deletedRoles) delete meta[name];
  for (const [name, wt] of repo.targets) {
    const fresh = newMeta.get(name);
    if (fresh) {
      meta[name] = fresh;
    } else if (wt.loaded && !(loaded.metaVerified && meta[name])) {
      // Not verified against a snapshot (local first publish): hash the bytes we hold.
      meta[name] = fileMeta(wt.loaded.raw);
    }
  }
  meta['root'] = newMeta.get('root')!;
  const signed: SnapshotSigned = {
    _type: 'Snapshot',
    expires: defaultExpiry('snapshot', now),
    meta,
    version: (old?.version ?? 0) + 1,
  };
  const res = await signWith(pool, 'snapshot', signed, [role]);
  return res.raw;
}

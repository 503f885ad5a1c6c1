import { errorMessage, NotaryError, prefixedError } from '../errors.js';
import type { Access, Remote } from '../remote/types.js';
import { MetadataCache } from '../repo/cache.js';
import {
  type Change,
  type Changelist,
  delegationChange,
  delegationDeleteChange,
  openChangelist,
  prepareCustom,
  purgeKeysChange,
  targetCreateChange,
  targetDeleteChange,
  witnessChange,
} from '../repo/changelist.js';
import type { KeyFileProblem as KeyFileProblemType } from '../repo/delegation-keys.js';
import { hashFile } from '../repo/file-hash.js';
import { Repository } from '../repo/repository.js';
import type { RepoState } from '../repo/state.js';
import { type MetadataStore, updateRepo, type WalkScope } from '../repo/update.js';
import { delegationRoles, listTargets, lookupTarget } from '../repo/walk.js';
import { compareUtf8 } from '../tuf/canonical.js';
import { tufKeyId } from '../tuf/keys.js';
import { checkWitnessRoles, isDelegationRole, stagingRoles, validateDelegationName } from '../tuf/roles.js';
import type { FileMeta, TufKey } from '../tuf/types.js';
import type { Engine } from './engine.js';
import type {
  Delegation,
  DelegationAddOptions,
  DelegationRemoveOptions,
  InitializeOptions,
  PendingChange,
  RotateKeyOptions,
  RotationResult,
  StageTargetOptions,
  Target,
  TargetDigest,
  TargetListing,
} from './options.js';
import { checkStreamedHashes, digestMeta, hashContent, noSuchTarget, toTarget } from './targets.js';

/**
 * One GUN of the trust directory. Get it from {@link NotaryClient.repository}; a handle keeps
 * one server connection per access level (pull, push, admin) for its lifetime.
 */
export interface NotaryRepository {
  readonly gun: string;
  /** Updates the trusted metadata (TUF update walk) and lists every trusted target. */
  listTargets(options?: { roles?: readonly string[] }): Promise<TargetListing>;
  /** The trusted target `name`, or undefined when no trusted role lists it. */
  getTarget(name: string): Promise<Target | undefined>;
  /** The trusted target `name`; fails with `NOT_FOUND` (naming untrusted roles) when absent. */
  lookupTarget(name: string): Promise<Target>;
  /** Checks bytes or a stream against the trusted target; returns it, or fails with `HASH_MISMATCH`. */
  verifyTarget(name: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<Target>;
  /** {@link NotaryRepository.verifyTarget} for a file, read as a stream. */
  verifyTargetFile(name: string, path: string): Promise<Target>;
  /** Checks a length and digest(s) computed elsewhere against the trusted target. */
  verifyDigest(name: string, digest: TargetDigest): Promise<Target>;
  /** Every delegation of the trusted metadata, sorted by name. */
  listDelegations(): Promise<Delegation[]>;

  /** Stages a target from bytes or a stream (hashed now; nothing is uploaded until publish). */
  addTarget(
    name: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: StageTargetOptions,
  ): Promise<void>;
  /** Stages a target from a file. */
  addTargetFile(name: string, path: string, options?: StageTargetOptions): Promise<void>;
  /** Stages a target by its length and digest(s) only. */
  addTargetHash(name: string, digest: TargetDigest, options?: StageTargetOptions): Promise<void>;
  /** Stages the removal of a target. */
  removeTarget(name: string, options?: { roles?: readonly string[] }): Promise<void>;
  /** Stages re-signing of roles (`witness`), e.g. a delegation whose signature expired. */
  witness(roles: readonly string[]): Promise<void>;
  /** Stages a new delegation, or keys/paths added to one. */
  addDelegation(role: string, options: DelegationAddOptions): Promise<void>;
  /** Stages removal of keys/paths from a delegation, or (with neither) of the whole role. */
  removeDelegation(role: string, options?: DelegationRemoveOptions): Promise<void>;
  /** Stages removal of keys from every delegation. */
  purgeDelegationKeys(keyIds: readonly string[]): Promise<void>;
  /** The changes staged for the next publish. */
  listChanges(): Promise<PendingChange[]>;
  /** Drops staged changes by index (see {@link PendingChange.index}), or all of them. */
  resetChanges(indices?: readonly number[]): Promise<void>;

  /** Creates the repository's keys and first metadata locally; publish uploads them. */
  initialize(options?: InitializeOptions): Promise<void>;
  /** Signs and uploads every staged change; on failure every change stays staged. */
  publish(): Promise<void>;
  /** Rotates a role's key and publishes the new root at once. */
  rotateKey(role: string, options?: RotateKeyOptions): Promise<RotationResult>;
  /** Deletes the local trust data (keys are kept) and, with `remote`, the server's. */
  delete(options?: { remote?: boolean }): Promise<void>;
}

/** Custom JSON: raw JSON bytes are taken as written (compacted as Go does), anything else is serialised. */
function customBytes(custom: unknown): Buffer | undefined {
  if (custom === undefined) return undefined;
  const bytes = custom instanceof Uint8Array ? custom : Buffer.from(JSON.stringify(custom) ?? 'null', 'utf8');
  return prepareCustom(bytes, 'The custom data');
}

const FILE_HINT = 'Check the path of the file.';

export class RepositoryHandle implements NotaryRepository {
  private readonly remotes = new Map<Access, Promise<Remote>>();
  private readonly writers = new Map<Access, Promise<Repository>>();
  private cl: Changelist | undefined;

  constructor(
    private readonly engine: Engine,
    readonly gun: string,
  ) {}

  /** The server connection for an access level, opened (pinged) once. */
  remote(access: Access): Promise<Remote> {
    let r = this.remotes.get(access);
    if (!r) {
      r = this.engine.openRemote(this.gun, access);
      this.remotes.set(access, r);
    }
    return r;
  }

  get changelist(): Changelist {
    this.cl ??= openChangelist(this.engine.trustDir, this.gun, this.engine.log);
    return this.cl;
  }

  /**
   * Hooks on every read of this handle: `wrapCache` sees the trusted cache first (the CLI's
   * `--as-of` drops its writes there), `verified` each verified state (its expiry warnings).
   */
  readHooks: {
    wrapCache?: (cache: MetadataStore) => MetadataStore;
    verified?: (state: RepoState) => void;
  } = {};

  /** The update walk (read-only access) with the given scope: the verified state. */
  async state(scope: WalkScope): Promise<RepoState> {
    const e = this.engine;
    const cache = new MetadataCache(e.trustDir, this.gun);
    const hooks = this.readHooks;
    const state = await updateRepo({
      gun: this.gun,
      remote: await this.remote('pull'),
      cache: hooks.wrapCache ? hooks.wrapCache(cache) : cache,
      clock: e.clock,
      log: e.log,
      pinning: e.pinning,
      trustDir: e.trustDir,
      scope,
    });
    hooks.verified?.(state);
    return state;
  }

  /** The repo layer's facade with the key service, for writes (publish, init, delete, rotate). */
  writer(access: Access, wrap?: (r: Remote) => Remote): Promise<Repository> {
    // one facade per access level (init then publish share its cache), a wrapped one per call
    if (wrap) return this.newWriter(access, wrap);
    let w = this.writers.get(access);
    if (!w) {
      w = this.newWriter(access);
      this.writers.set(access, w);
    }
    return w;
  }

  private async newWriter(access: Access, wrap?: (r: Remote) => Remote): Promise<Repository> {
    const e = this.engine;
    const keys = await e.keys();
    return new Repository({
      gun: this.gun,
      trustDir: e.trustDir,
      keys,
      keyLocations: keys.stores.map((s) => s.location),
      openRemote: async () => {
        const r = await this.remote(access);
        return wrap ? wrap(r) : r;
      },
      pinning: e.pinning,
      log: e.log,
      clock: e.clock,
      ...(e.lockTimeoutMs !== undefined ? { lockTimeoutMs: e.lockTimeoutMs } : {}),
    });
  }

  // ---- reads ----

  async listTargets(options: { roles?: readonly string[] } = {}): Promise<TargetListing> {
    const roles = options.roles ? [...options.roles] : [];
    const state = await this.state(roles.length > 0 ? { kind: 'roles', roles } : { kind: 'all' });
    return {
      gun: this.gun,
      targets: listTargets(state, roles).map(toTarget),
      skipped: state.skipped.map((s) => ({ role: s.role, reason: s.reason })),
    };
  }

  async getTarget(name: string): Promise<Target | undefined> {
    const t = lookupTarget(await this.state({ kind: 'target', name }), name);
    return t ? toTarget(t) : undefined;
  }

  async lookupTarget(name: string): Promise<Target> {
    const state = await this.state({ kind: 'target', name });
    const t = lookupTarget(state, name);
    if (!t) throw noSuchTarget(this.gun, name, state.skipped);
    return toTarget(t);
  }

  /** Checks streamed digests against the trusted target (the CLI's `verify` uses this too). */
  async verifyMeta(name: string, meta: FileMeta): Promise<Target> {
    const state = await this.state({ kind: 'target', name });
    const t = lookupTarget(state, name);
    if (!t) throw noSuchTarget(this.gun, name, state.skipped);
    checkStreamedHashes(meta, t, name);
    if (meta.length !== t.length) {
      // Go compares hashes only; a matching hash with another length means the metadata's
      // length is wrong (addhash with a wrong size). Accept as Go does, but say so.
      this.engine.log.warn(
        `${name}: the trusted metadata lists ${t.length} bytes, the verified data has ${meta.length}`,
      );
    }
    return toTarget(t);
  }

  async verifyTarget(name: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<Target> {
    return this.verifyMeta(name, await hashContent(data));
  }

  async verifyTargetFile(name: string, path: string): Promise<Target> {
    return this.verifyMeta(name, await hashFile(path, { open: FILE_HINT, read: FILE_HINT }));
  }

  async verifyDigest(name: string, digest: TargetDigest): Promise<Target> {
    return this.verifyMeta(name, digestMeta(digest));
  }

  async listDelegations(): Promise<Delegation[]> {
    const roles = delegationRoles(await this.state({ kind: 'all' }));
    return [...roles]
      .sort((a, b) => compareUtf8(a.name, b.name))
      .map((r) => ({
        name: r.name,
        paths: [...r.paths].sort(compareUtf8),
        keyIds: [...r.keyIds],
        threshold: r.threshold,
      }));
  }

  // ---- staging ----

  /** Stages a target from its file meta for the given roles. */
  async stageTarget(name: string, meta: FileMeta, options: StageTargetOptions = {}): Promise<void> {
    const custom = customBytes(options.custom);
    const roles = stagingRoles(options.roles);
    const base = { length: meta.length, hashes: meta.hashes };
    const payload = custom === undefined ? base : { ...base, custom };
    await this.changelist.stageAll(roles.map((role) => targetCreateChange(role, name, payload)));
  }

  async addTarget(
    name: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: StageTargetOptions,
  ): Promise<void> {
    await this.stageTarget(name, await hashContent(data), options);
  }

  async addTargetFile(name: string, path: string, options?: StageTargetOptions): Promise<void> {
    await this.stageTarget(name, await hashFile(path, { open: FILE_HINT, read: FILE_HINT }), options);
  }

  async addTargetHash(name: string, digest: TargetDigest, options?: StageTargetOptions): Promise<void> {
    await this.stageTarget(name, digestMeta(digest), options);
  }

  async removeTarget(name: string, options: { roles?: readonly string[] } = {}): Promise<void> {
    const roles = stagingRoles(options.roles);
    await this.changelist.stageAll(roles.map((role) => targetDeleteChange(role, name)));
  }

  async witness(roles: readonly string[]): Promise<void> {
    checkWitnessRoles(roles);
    await this.changelist.stageAll(roles.map((role) => witnessChange(role) satisfies Change));
  }

  /** Parses delegation public keys (PEM); a key given twice is kept once. */
  async parsePublicKeys(
    pems: readonly (string | Uint8Array)[],
    names?: readonly string[],
  ): Promise<TufKey[]> {
    const { KeyFileProblem, parseDelegationKeyPem } = await import('../repo/delegation-keys.js');
    const keys: TufKey[] = [];
    const seen = new Map<string, string>();
    pems.forEach((pem, i) => {
      const label = names?.[i] ?? `public key ${i + 1}`;
      let key: TufKey;
      try {
        key = parseDelegationKeyPem(
          this.engine,
          typeof pem === 'string' ? Buffer.from(pem, 'latin1') : Buffer.from(pem),
        );
      } catch (e) {
        if (!(e instanceof KeyFileProblem)) throw e;
        const problem: KeyFileProblemType = e;
        throw new NotaryError(
          'KEY_INVALID',
          `unable to parse valid public key certificate from PEM file ${label}: ${problem.message}`,
          {
            ...(problem.hint !== undefined ? { hint: problem.hint } : {}),
            cause: problem.problemCause,
            exitCode: 1,
          },
        );
      }
      const id = tufKeyId(key);
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        this.engine.log.warn(`${label} holds the same key as ${earlier}; it is added once`);
        return;
      }
      seen.set(id, label);
      keys.push(key);
    });
    return keys;
  }

  /** Stages delegation keys/paths already parsed (the CLI reads files itself for Go's error order). */
  async stageDelegationAdd(role: string, keys: readonly TufKey[], paths: readonly string[]): Promise<void> {
    try {
      validateDelegationName(role);
    } catch (e) {
      throw prefixedError(e, 'failed to create delegation');
    }
    const changes: Change[] = [];
    // Threshold is always 1 (notary.MinThreshold), as in Go's CLI.
    if (keys.length > 0) changes.push(delegationChange('create', role, { threshold: 1, addKeys: [...keys] }));
    if (paths.length > 0) changes.push(delegationChange('create', role, { addPaths: [...paths] }));
    try {
      await this.changelist.stageAll(changes);
    } catch (e) {
      throw prefixedError(e, 'failed to create delegation');
    }
  }

  async addDelegation(role: string, options: DelegationAddOptions): Promise<void> {
    const paths = options.allPaths ? [''] : [...(options.paths ?? [])];
    const keys = await this.parsePublicKeys(options.publicKeys ?? []);
    if (keys.length === 0 && paths.length === 0) {
      throw new NotaryError('USAGE', 'a delegation needs public keys and/or paths to add');
    }
    await this.stageDelegationAdd(role, keys, paths);
  }

  async removeDelegation(role: string, options: DelegationRemoveOptions = {}): Promise<void> {
    if (!isDelegationRole(role)) {
      throw new NotaryError('INVALID_ROLE', `invalid delegation name ${role}`, {
        details: { role },
        hint: 'Delegation names start with "targets/" and use only a-z, 0-9, "-", "_" and "/" (no "//" or trailing "/").',
      });
    }
    const allPaths = options.allPaths === true;
    const paths = allPaths ? [] : [...(options.paths ?? [])];
    const keyIds = [...(options.keyIds ?? [])];
    const changes: Change[] = [];
    if (keyIds.length === 0 && paths.length === 0 && !allPaths) {
      changes.push(delegationDeleteChange(role));
    } else {
      // Go's order: clear paths, remove paths, then remove keys.
      if (allPaths) changes.push(delegationChange('update', role, { clearPaths: true }));
      if (paths.length > 0) changes.push(delegationChange('update', role, { removePaths: paths }));
      if (keyIds.length > 0) changes.push(delegationChange('update', role, { removeKeys: keyIds }));
    }
    try {
      await this.changelist.stageAll(changes);
    } catch (e) {
      throw prefixedError(e, 'failed to remove delegation');
    }
  }

  async purgeDelegationKeys(keyIds: readonly string[]): Promise<void> {
    if (keyIds.length === 0) throw new NotaryError('USAGE', 'at least one key ID is needed');
    try {
      await this.changelist.stage(purgeKeysChange(keyIds));
    } catch (e) {
      throw prefixedError(e, 'failed to remove keys');
    }
  }

  async listChanges(): Promise<PendingChange[]> {
    return (await this.changelist.list()).map((c) => ({
      index: c.index,
      action: c.action,
      scope: c.role,
      type: c.type,
      path: c.path,
    }));
  }

  async resetChanges(indices?: readonly number[]): Promise<void> {
    if (indices === undefined) await this.changelist.clear();
    else await this.changelist.removeIndices(indices);
  }

  // ---- writes ----

  /** `init` with parsed root certificates (the CLI reads `--rootcert` itself). */
  async initializeWith(rootKeyIds: readonly string[], rootCerts: readonly TufKey[]): Promise<void> {
    const repo = await this.writer('push');
    await repo.init({ rootKeyIds, rootCerts });
  }

  async initialize(options: InitializeOptions = {}): Promise<void> {
    const { certificateKey } = await import('../tuf/keys.js');
    let rootKeyIds: string[];
    if (options.rootKeyId !== undefined) rootKeyIds = [options.rootKeyId];
    else rootKeyIds = (await (await this.engine.keys()).keysForRole('root')).slice(0, 1);
    const certs: TufKey[] = [];
    if (options.rootCertificate !== undefined) {
      if (rootKeyIds.length === 0) {
        throw new NotaryError(
          'KEY_NOT_FOUND',
          'error initializing repository with certificate: cannot find matching private key id',
          { hint: 'Import the root key that belongs to the certificate first (KeyManager.import).' },
        );
      }
      try {
        certs.push(certificateKey(options.rootCertificate));
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
    await this.initializeWith(rootKeyIds, certs);
  }

  async publish(): Promise<void> {
    await (await this.writer('push')).publish();
  }

  async rotateKey(role: string, options: RotateKeyOptions = {}): Promise<RotationResult> {
    const [rotate, { decryptKeyPem, isEncryptedKeyPem }] = await Promise.all([
      import('../repo/rotate.js'),
      import('../keystore/key-file.js'),
    ]);
    const serverManaged = options.serverManaged === true;
    rotate.checkRotationInput(role, serverManaged);
    const newKeys = [];
    for (const [i, pem] of (options.privateKeys ?? []).entries()) {
      if (role === 'root' && !isEncryptedKeyPem(pem)) {
        throw new NotaryError('KEY_INVALID', 'only encrypted root keys may be imported', {
          details: { key: i },
          hint: 'Give the new root key encrypted (PKCS#8 with a passphrase).',
        });
      }
      newKeys.push(await decryptKeyPem(pem, this.engine.retriever, '', 'root'));
    }
    return this.rotateWith(role, serverManaged, newKeys, options.legacyVersions ?? 0);
  }

  /** The rotation itself, with keys already read (the CLI reads `-k` files in Go's order). */
  async rotateWith(
    role: string,
    serverManaged: boolean,
    newKeys: readonly import('../crypto/keys.js').PrivateKey[],
    legacyVersions: number,
  ): Promise<RotationResult> {
    const rotate = await import('../repo/rotate.js');
    const uploads = rotate.watchUploads();
    const keys = await this.engine.keys();
    const repo = await this.writer('admin', (r) => uploads.wrap(r));
    const result = await rotate.rotateKey(
      { repo, keys, log: this.engine.log, clock: this.engine.clock, uploadStarted: uploads.started },
      { role, serverManaged, keys: newKeys, legacyVersions },
    );
    return { newKeyIds: result.newKeyIds, removedKeyIds: result.removedKeyIds };
  }

  async delete(options: { remote?: boolean } = {}): Promise<void> {
    const repo = await this.writer('admin');
    // Go connects (ping) before deleting anything, then deletes locally, then remotely.
    if (options.remote) await repo.remote();
    await repo.deleteLocal();
    if (options.remote) await repo.deleteRemote();
  }
}

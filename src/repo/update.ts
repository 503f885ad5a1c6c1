/**
 * The TUF client update (tuf.md §10–12): bootstrap a trusted root (cache or TOFU/pinned
 * download), then timestamp → snapshot → targets tree, every file checked as Go's
 * `tuf.RepoBuilder` checks it (hash from the parent, signature threshold, `_type`, rollback,
 * expiry), with Go's fallbacks: cached timestamp when the server cannot be reached, skipped
 * delegations on expiry / threshold failures, and one root-rotation retry on any other failure.
 *
 * Beyond Go: the delegation tree can be walked partially (`scope`) so that `lookup` and
 * `list --roles` fetch only the roles they read, and delegation downloads run a few at a time
 * while verification stays sequential in Go's order (so warnings and results do not change).
 */
import { errorMessage, isNotaryError, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Remote } from '../remote/types.js';
import { checkFileMeta } from '../tuf/hashes.js';
import { parseMetadata } from '../tuf/metadata.js';
import { isDirectChild, restrictPaths } from '../tuf/roles.js';
import { expiredError, isExpired, nearExpiry } from '../tuf/time.js';
import type {
  AnySigned,
  Clock,
  FileMeta,
  ParsedMetadata,
  RoleKeys,
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TimestampSigned,
  TufKey,
} from '../tuf/types.js';
import { assertThreshold, verifySignatures } from '../tuf/verify.js';
import type { TrustPinning } from './settings.js';
import type { RepoState } from './state.js';
import { NO_PINNING, validateRoot } from './trust-pinning.js';

/** Go's notary.MaxDownloadSize (root, and files of unknown size). */
export const MAX_DOWNLOAD_SIZE = 100 << 20;
/** Go's notary.MaxTimestampSize. */
export const MAX_TIMESTAMP_SIZE = 1 << 20;

/** The metadata cache as the update needs it (src/repo/cache.ts MetadataCache fits). */
export interface MetadataStore {
  /** Cached bytes, or undefined when absent. May throw when larger than maxSize. */
  read(role: string, maxSize?: number): Promise<Buffer | undefined>;
  write(role: string, bytes: Uint8Array): Promise<void>;
}

/**
 * Which part of the delegation tree the caller will read.
 * - `all`: every role, as Go loads it (list, delegation list, publish);
 * - `target`: the roles a lookup of `name` can visit (breadth-first, paths matching);
 * - `roles`: `targets`, the given roles, their ancestors and their subtrees (`list --roles`).
 */
export type WalkScope =
  | { kind: 'all' }
  | { kind: 'target'; name: string }
  | { kind: 'roles'; roles: string[] };

export interface UpdateOptions {
  gun: string;
  remote: Remote;
  cache: MetadataStore;
  clock: Clock;
  log: Logger;
  /** Settings.trustPinning; applied to a root that is not already trusted from the cache. */
  pinning: TrustPinning;
  /** Trust directory (only for messages). */
  trustDir?: string;
  scope?: WalkScope;
  /** Delegation downloads in flight at once (default 8). */
  concurrency?: number;
  /** Reads CA bundles for trust pinning (tests). */
  readFile?: (path: string) => Buffer;
}

/** The delegation tree is described from each parent: name, keys and effective (restricted) paths. */
export interface DelegationRef {
  name: string;
  keys: Record<string, TufKey>;
  role: RoleKeys;
  /** Effective paths: the child's paths restricted by its parent's effective paths. */
  paths: string[];
}

/** Go's GetValidDelegations: the parent's listed children (in order), paths restricted, direct children only. */
export function validDelegations(
  parent: TargetsSigned,
  parentName: string,
  parentPaths: readonly string[],
): DelegationRef[] {
  const out: DelegationRef[] = [];
  for (const d of parent.delegations.roles) {
    if (!isDirectChild(parentName, d.name)) continue;
    const keys: Record<string, TufKey> = {};
    let missing = false;
    for (const id of d.keyids) {
      const k = parent.delegations.keys[id];
      if (k) keys[id] = k;
      else missing = true;
    }
    if (missing || d.threshold < 1) continue; // Go's BuildDelegationRole refuses the role
    out.push({
      name: d.name,
      keys,
      role: { keyids: d.keyids, threshold: d.threshold },
      paths: restrictPaths(parentPaths, d.paths),
    });
  }
  return out;
}

interface ConsistentInfo {
  role: string;
  /** Hashes/length promised by the parent; undefined when unknown. */
  meta?: FileMeta | undefined;
}

function checksumKnown(ci: ConsistentInfo): boolean {
  return (
    ci.meta !== undefined && ci.meta.hashes['sha256'] !== undefined && ci.meta.hashes['sha256'].length > 0
  );
}

function sizeOf(ci: ConsistentInfo, fallback: number): number {
  if (checksumKnown(ci) && ci.meta && ci.meta.length > 0) return Math.min(ci.meta.length, MAX_DOWNLOAD_SIZE);
  return fallback;
}

/** Go's ErrLowVersion. */
function lowVersion(role: string, actual: number, current: number): NotaryError {
  return new NotaryError('ROLLBACK', `version ${actual} is lower than current version ${current}`, {
    hint: `The server offered ${role} version ${actual}, older than version ${current} already trusted: a rollback (or a repository re-created on the server).`,
    details: { role, actual, current },
  });
}

/** Remote errors after which Go falls back to the cached timestamp. */
function isUnreachable(e: unknown): boolean {
  return (
    isNotaryError(e) &&
    ['NOT_FOUND', 'NO_TRUST_DATA', 'SERVER', 'UNAUTHORIZED', 'OFFLINE', 'NETWORK', 'TIMEOUT', 'TLS'].includes(
      e.code,
    )
  );
}

/** Expired and threshold failures of a delegation are skipped with a warning (Go). */
function isSkippable(e: unknown): boolean {
  return isNotaryError(e) && (e.code === 'EXPIRED' || e.code === 'THRESHOLD');
}

/** Builder state: Go's repoBuilder (one per attempt). */
class Builder {
  root?: ParsedMetadata<RootSigned>;
  timestamp?: ParsedMetadata<TimestampSigned>;
  snapshot?: ParsedMetadata<SnapshotSigned>;
  readonly targets = new Map<string, ParsedMetadata<TargetsSigned>>();
  /** Bytes of roles loaded before the file that lists their hash (root, before the snapshot). */
  readonly notChecksummed = new Map<string, Buffer>();
  /** Root meta from the snapshot: the checksum the next attempt's root must match. */
  nextRootChecksum?: FileMeta;
  readonly skipped: Array<{ role: string; reason: string }> = [];
  /** Go's invalidRoles: delegations that parsed and passed the rollback check but not sigs/expiry. */
  readonly invalid = new Map<string, ParsedMetadata<TargetsSigned>>();

  constructor(
    readonly ctx: { gun: string; now: Date; log: Logger; readFile?: ((path: string) => Buffer) | undefined },
    readonly pinning: TrustPinning,
    public prevRoot?: ParsedMetadata<RootSigned>,
    readonly bootstrappedRootChecksum?: FileMeta,
  ) {}

  /** Go's BootstrapNewBuilder: trust the current root as "previous", keep pinning. */
  bootstrapNew(pinning: TrustPinning = this.pinning): Builder {
    return new Builder(this.ctx, pinning, this.root, this.nextRootChecksum);
  }

  consistentInfo(role: string): ConsistentInfo {
    if (role === 'timestamp') return { role };
    if (role === 'snapshot') return { role, meta: this.timestamp?.signed.meta['snapshot'] };
    if (role === 'root')
      return { role, meta: this.bootstrappedRootChecksum ?? this.snapshot?.signed.meta['root'] };
    return { role, meta: this.snapshot?.signed.meta[role] };
  }

  /** Go's validateChecksumFor: the parent's hashes, or remember the bytes for the snapshot. */
  private checkChecksum(role: string, raw: Buffer, skip: boolean): void {
    if (skip) return;
    if (role === 'root' && this.bootstrappedRootChecksum)
      checkFileMeta(raw, this.bootstrappedRootChecksum, role);
    if (role === 'timestamp') return;
    const parentMeta = role === 'snapshot' ? this.timestamp : this.snapshot;
    if (parentMeta) {
      const meta = parentMeta.signed.meta[role];
      if (!meta) {
        throw new NotaryError(
          'HASH_MISMATCH',
          `no checksums for supported algorithms were provided for ${role}`,
          {
            details: { role },
            hint: `${role === 'snapshot' ? 'timestamp' : 'snapshot'}.json does not list ${role}.`,
          },
        );
      }
      checkFileMeta(raw, { ...meta, length: raw.length }, role);
    } else {
      this.notChecksummed.set(role, raw);
    }
  }

  private parse<T extends AnySigned>(raw: Buffer, role: string): ParsedMetadata<T> {
    return parseMetadata<T>(raw, role);
  }

  private checkVersion(role: string, version: number, minVersion: number): void {
    if (version < minVersion) throw lowVersion(role, version, minVersion);
  }

  private checkExpiry(role: string, expires: string): void {
    if (isExpired(expires, this.ctx.now)) throw expiredError(role, expires);
  }

  private requireSigs(meta: ParsedMetadata, keys: Record<string, TufKey>, role: RoleKeys): void {
    assertThreshold(verifySignatures(meta, keys, role), keys);
  }

  loadRoot(raw: Buffer, minVersion: number, allowExpired: boolean, skipChecksum = false): void {
    this.checkChecksum('root', raw, skipChecksum);
    const root = this.parse<RootSigned>(raw, 'root');
    validateRoot({
      gun: this.ctx.gun,
      root,
      prevRoot: this.prevRoot,
      pinning: this.pinning,
      now: this.ctx.now,
      log: this.ctx.log,
      ...(this.ctx.readFile ? { readFile: this.ctx.readFile } : {}),
    });
    this.checkVersion('root', root.signed.version, minVersion);
    if (!allowExpired) this.checkExpiry('root', root.signed.expires);
    this.root = root;
  }

  /** Go's LoadRootForUpdate: intermediate roots may be expired and are not hash-checked. */
  loadRootForUpdate(raw: Buffer, minVersion: number, isFinal: boolean): void {
    this.loadRoot(raw, minVersion, !isFinal, !isFinal);
    if (!isFinal) this.prevRoot = this.root;
  }

  private rootRole(role: string): RoleKeys {
    const r = this.root?.signed.roles[role];
    if (!r) throw new NotaryError('METADATA_INVALID', `root type metadata invalid: missing ${role} role`);
    return r;
  }

  loadTimestamp(raw: Buffer, minVersion: number): void {
    if (!this.root) throw new NotaryError('INTERNAL', 'root must be loaded first');
    const meta = this.parse<TimestampSigned>(raw, 'timestamp');
    this.requireSigs(meta, this.root.signed.keys, this.rootRole('timestamp'));
    this.checkVersion('timestamp', meta.signed.version, minVersion);
    this.checkExpiry('timestamp', meta.signed.expires);
    this.timestamp = meta;
  }

  loadSnapshot(raw: Buffer, minVersion: number): void {
    if (!this.root) throw new NotaryError('INTERNAL', 'root must be loaded first');
    this.checkChecksum('snapshot', raw, false);
    const meta = this.parse<SnapshotSigned>(raw, 'snapshot');
    this.requireSigs(meta, this.root.signed.keys, this.rootRole('snapshot'));
    this.checkVersion('snapshot', meta.signed.version, minVersion);
    this.checkExpiry('snapshot', meta.signed.expires);
    const rootMeta = meta.signed.meta['root'];
    if (rootMeta) this.nextRootChecksum = rootMeta;
    // Go's validateChecksumsFromSnapshot: a trusted root that differs from the one the snapshot
    // lists fails here — this is how a root rotation on the server is detected.
    for (const [role, bytes] of this.notChecksummed) {
      const m = meta.signed.meta[role];
      if (!m) {
        throw new NotaryError(
          'HASH_MISMATCH',
          `no checksums for supported algorithms were provided for ${role}`,
          {
            details: { role },
          },
        );
      }
      checkFileMeta(bytes, { ...m, length: bytes.length }, role);
    }
    this.notChecksummed.clear();
    this.snapshot = meta;
  }

  loadTargets(raw: Buffer, minVersion: number): void {
    if (!this.root) throw new NotaryError('INTERNAL', 'root must be loaded first');
    this.checkChecksum('targets', raw, false);
    const meta = this.parse<TargetsSigned>(raw, 'targets');
    this.requireSigs(meta, this.root.signed.keys, this.rootRole('targets'));
    this.checkVersion('targets', meta.signed.version, minVersion);
    this.checkExpiry('targets', meta.signed.expires);
    this.targets.set('targets', meta);
  }

  /** Go's loadDelegation: hash, structure, rollback, then signatures and expiry. */
  loadDelegation(ref: DelegationRef, raw: Buffer, minVersion: number): void {
    this.checkChecksum(ref.name, raw, false);
    const meta = this.parse<TargetsSigned>(raw, ref.name);
    this.checkVersion(ref.name, meta.signed.version, minVersion);
    try {
      this.requireSigs(meta, ref.keys, ref.role);
      this.checkExpiry(ref.name, meta.signed.expires);
    } catch (e) {
      this.invalid.set(ref.name, meta);
      throw e;
    }
    this.targets.set(ref.name, meta);
  }

  /** Version of `old` if it is a validly signed file of `role` under the keys trusted now, else 1. */
  oldVersion(role: string, old: Buffer | undefined, ref?: DelegationRef): number {
    if (!old || !this.root) return 1;
    try {
      const meta = parseMetadata(old, role);
      const keys = ref ? ref.keys : this.root.signed.keys;
      const roleKeys = ref ? ref.role : this.root.signed.roles[role];
      if (!roleKeys) return 1;
      const r = verifySignatures(meta, keys, roleKeys);
      return r.validKeyIds.length >= r.threshold ? meta.signed.version : 1;
    } catch {
      return 1;
    }
  }
}

/** Go's warnRolesNearExpiry. */
function warnNearExpiry(b: Builder, now: Date, log: Logger): void {
  if (b.root && nearExpiry(b.root.signed.expires, now))
    log.warn('root is nearing expiry, you should re-sign the role metadata');
  for (const [role, t] of b.targets) {
    if (nearExpiry(t.signed.expires, now))
      log.warn(`${role} metadata is nearing expiry, you should re-sign the role metadata`);
  }
  if (b.snapshot && nearExpiry(b.snapshot.signed.expires, now)) {
    log.warn('snapshot is nearing expiry, you should re-sign the role metadata');
  }
}

/** Is `role` needed for `scope`? (`targets` always is.) */
function inScope(scope: WalkScope, ref: DelegationRef): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'target') return scope.name === '' || ref.paths.some((p) => scope.name.startsWith(p));
  return scope.roles.some(
    (r) => r === ref.name || r.startsWith(`${ref.name}/`) || ref.name.startsWith(`${r}/`),
  );
}

/** A small semaphore for delegation downloads. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

class Updater {
  private readonly log: Logger;
  private readonly now: Date;
  private readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The root version trusted from the cache (Go's oldBuilder), 1 when none. */
  private cachedRootVersion = 1;

  constructor(private readonly o: UpdateOptions) {
    this.log = o.log;
    this.now = o.clock();
    this.limit = limiter(Math.max(1, o.concurrency ?? 8));
  }

  private async cacheRead(role: string, max: number): Promise<Buffer | undefined> {
    try {
      return await this.o.cache.read(role, max);
    } catch (e) {
      this.log.debug(`no ${role} in cache: ${errorMessage(e)}`);
      return undefined;
    }
  }

  private async cacheWrite(role: string, raw: Buffer): Promise<void> {
    try {
      await this.o.cache.write(role, raw);
    } catch (e) {
      // Go logs and continues: the verified data is still usable for this command.
      this.log.error(`could not save ${role} to cache: ${errorMessage(e)}`);
    }
  }

  private download(ci: ConsistentInfo, fallbackMax: number): Promise<Buffer> {
    const max = sizeOf(ci, fallbackMax);
    if (checksumKnown(ci) && ci.meta) {
      const hex = (ci.meta.hashes['sha256'] as Buffer).toString('hex');
      return this.o.remote.getMetaByChecksum(ci.role, hex, max);
    }
    return this.o.remote.getMeta(ci.role, max);
  }

  /** bootstrapClient: returns the first builder (root loaded). */
  async bootstrap(): Promise<Builder> {
    const ctx = { gun: this.o.gun, now: this.now, log: this.log, readFile: this.o.readFile };
    let minVersion = 1;
    let builder = new Builder(ctx, this.o.pinning);
    // Not cacheRead: a cached root that exists but cannot be read must not turn into a silent
    // trust-on-first-use of whatever the server serves (Go would; we fail instead).
    const cached = await this.o.cache.read('root', MAX_DOWNLOAD_SIZE);
    if (cached) {
      // The cached root pins trust: no pinning config, expiry allowed; a broken one is fatal.
      const old = new Builder(ctx, NO_PINNING);
      old.loadRoot(cached, 1, true);
      this.cachedRootVersion = old.root?.signed.version ?? 1;
      builder = new Builder(ctx, NO_PINNING);
      try {
        builder.loadRoot(cached, minVersion, false);
      } catch (e) {
        this.log.debug(`cached root is not usable (${errorMessage(e)}), downloading a new one`);
        minVersion = this.cachedRootVersion;
        builder = old.bootstrapNew(this.o.pinning);
      }
    }
    if (!builder.root) {
      const raw = await this.o.remote.getMeta('root', MAX_DOWNLOAD_SIZE);
      builder.loadRoot(raw, minVersion, false);
      await this.cacheWrite('root', raw);
    }
    return builder;
  }

  async timestamp(b: Builder): Promise<void> {
    const cached = await this.cacheRead('timestamp', MAX_TIMESTAMP_SIZE);
    let raw: Buffer;
    try {
      raw = await this.o.remote.getMeta('timestamp', MAX_TIMESTAMP_SIZE);
    } catch (e) {
      if (!isUnreachable(e)) throw e;
      if (!cached) throw e;
      this.log.warn(
        'Error while downloading remote metadata, using cached timestamp - this might not be the latest version available remotely',
      );
      this.log.debug(`timestamp download failed: ${errorMessage(e)}`);
      b.loadTimestamp(cached, 1);
      return;
    }
    b.loadTimestamp(raw, b.oldVersion('timestamp', cached));
    await this.cacheWrite('timestamp', raw);
  }

  /** Go's tryLoadCacheThenRemote for snapshot / targets. */
  async cacheThenRemote(
    b: Builder,
    ci: ConsistentInfo,
    load: (raw: Buffer, min: number) => void,
  ): Promise<void> {
    const cached = await this.cacheRead(ci.role, sizeOf(ci, MAX_DOWNLOAD_SIZE));
    if (cached) {
      try {
        load(cached, 1);
        this.log.debug(`successfully verified cached ${ci.role}`);
        return;
      } catch (e) {
        this.log.debug(`cached ${ci.role} is invalid (must download): ${errorMessage(e)}`);
      }
    }
    const raw = await this.download(ci, MAX_DOWNLOAD_SIZE);
    load(raw, b.oldVersion(ci.role, cached));
    await this.cacheWrite(ci.role, raw);
  }

  /**
   * Fetches a delegation's bytes: the cache when its hash matches the snapshot, else the
   * server. Returns the cached bytes too (for the rollback check). Verification happens later,
   * in walk order.
   */
  private async fetchDelegation(
    ci: ConsistentInfo,
  ): Promise<{ raw: Buffer; cached?: Buffer; fromCache: boolean }> {
    const cached = await this.cacheRead(ci.role, sizeOf(ci, MAX_DOWNLOAD_SIZE));
    if (cached && ci.meta) {
      try {
        checkFileMeta(cached, { ...ci.meta, length: cached.length }, ci.role);
        return { raw: cached, cached, fromCache: true };
      } catch {
        // stale cache: download
      }
    }
    const raw = await this.limit(() => this.download(ci, MAX_DOWNLOAD_SIZE));
    return cached ? { raw, cached, fromCache: false } : { raw, fromCache: false };
  }

  /** Go's downloadTargets: depth-first, listed order, with prefetching and an optional scope. */
  async targetsTree(b: Builder): Promise<void> {
    const scope = this.o.scope ?? { kind: 'all' };
    const targetsCi = b.consistentInfo('targets');
    if (!checksumKnown(targetsCi)) {
      this.log.debug('skipping targets because there is no checksum for it');
      return;
    }
    await this.cacheThenRemote(b, targetsCi, (raw, min) => b.loadTargets(raw, min));
    const top = b.targets.get('targets');
    if (!top) return;

    type Pending = {
      ref: DelegationRef;
      fetch?: Promise<{ raw: Buffer; cached?: Buffer; fromCache: boolean }>;
    };
    const children = (meta: TargetsSigned, name: string, paths: readonly string[]): Pending[] =>
      validDelegations(meta, name, paths)
        .filter((ref) => inScope(scope, ref))
        .map((ref) => {
          const ci = b.consistentInfo(ref.name);
          if (!checksumKnown(ci)) return { ref };
          const p = this.fetchDelegation(ci);
          p.catch(() => {}); // observed when its turn comes
          return { ref, fetch: p };
        });

    if (scope.kind === 'target' && scope.name !== '') {
      await this.lookupTree(b, top.signed, scope.name);
      return;
    }
    const stack: Pending[] = children(top.signed, 'targets', [''] as const);
    while (stack.length > 0) {
      const item = stack.shift() as Pending;
      const { ref } = item;
      if (!item.fetch) {
        this.log.debug(`skipping ${ref.name} because there is no checksum for it`);
        continue;
      }
      await this.loadFetched(b, ref, item.fetch);
      const loaded = b.targets.get(ref.name);
      if (loaded) stack.unshift(...children(loaded.signed, ref.name, ref.paths));
    }
  }

  /**
   * Verifies one fetched delegation in walk order: Go's fallbacks (a cached file that does not
   * verify is downloaded again; expired and threshold failures skip the role with a warning).
   */
  private async loadFetched(
    b: Builder,
    ref: DelegationRef,
    fetch: Promise<{ raw: Buffer; cached?: Buffer; fromCache: boolean }>,
  ): Promise<void> {
    try {
      const got = await fetch;
      try {
        b.loadDelegation(ref, got.raw, got.fromCache ? 1 : b.oldVersion(ref.name, got.cached, ref));
      } catch (e) {
        if (!got.fromCache) throw e;
        // Go: a cached file that does not verify is downloaded again.
        const ci = b.consistentInfo(ref.name);
        const raw = await this.download(ci, MAX_DOWNLOAD_SIZE);
        b.loadDelegation(ref, raw, b.oldVersion(ref.name, got.cached, ref));
        await this.cacheWrite(ref.name, raw);
      }
      if (!got.fromCache) await this.cacheWrite(ref.name, got.raw);
    } catch (e) {
      if (!isSkippable(e)) throw e;
      const reason = errorMessage(e);
      this.log.warn(`Error getting ${ref.name}: ${reason}`);
      // Go stops at the message; say what to do (which keys signed is in the error's hint).
      const hint = e instanceof NotaryError ? e.hint : undefined;
      this.log.warn(
        `${ref.name} and the roles it delegates are not trusted; its targets are ignored.${hint ? ` ${hint}` : ''} ` +
          `Once the role's keys meet its threshold again, re-sign it with \`tsnotary witness <gun> ${ref.name} -p\`.`,
      );
      b.skipped.push({ role: ref.name, reason });
    }
  }

  /**
   * The walk for `lookup`: breadth-first in listed order, exactly the order Go's
   * GetTargetByName reads roles in, stopping at the first loaded role that lists `name` within
   * its effective paths. Every role before it in that order is loaded and verified as in a full
   * walk, so the answer is the full walk's; roles after it are neither fetched nor read. At most
   * `concurrency` roles ahead of the one being verified are fetched.
   */
  private async lookupTree(b: Builder, top: TargetsSigned, name: string): Promise<void> {
    type Queued = {
      ref: DelegationRef;
      fetch?: Promise<{ raw: Buffer; cached?: Buffer; fromCache: boolean }> | undefined;
      known: boolean;
    };
    const holds = (meta: TargetsSigned, paths: readonly string[]) =>
      Object.hasOwn(meta.targets, name) && paths.some((p) => name.startsWith(p));
    if (holds(top, [''])) return;
    const enqueue = (meta: TargetsSigned, parent: string, paths: readonly string[]): Queued[] =>
      validDelegations(meta, parent, paths)
        .filter((ref) => ref.paths.some((p) => name.startsWith(p)))
        .map((ref) => ({ ref, known: checksumKnown(b.consistentInfo(ref.name)) }));
    const queue = enqueue(top, 'targets', ['']);
    const window = Math.max(1, this.o.concurrency ?? 8);
    const startAhead = () => {
      for (let i = 0; i < queue.length && i < window; i++) {
        const q = queue[i]!;
        if (q.known && !q.fetch) {
          q.fetch = this.fetchDelegation(b.consistentInfo(q.ref.name));
          q.fetch.catch(() => {}); // observed when its turn comes
        }
      }
    };
    while (queue.length > 0) {
      startAhead();
      const item = queue.shift() as Queued;
      if (!item.fetch) {
        this.log.debug(`skipping ${item.ref.name} because there is no checksum for it`);
        continue;
      }
      await this.loadFetched(b, item.ref, item.fetch);
      const loaded = b.targets.get(item.ref.name);
      if (!loaded) continue;
      if (holds(loaded.signed, item.ref.paths)) return;
      queue.push(...enqueue(loaded.signed, item.ref.name, item.ref.paths));
    }
  }

  async update(b: Builder): Promise<void> {
    await this.timestamp(b);
    await this.cacheThenRemote(b, b.consistentInfo('snapshot'), (raw, min) => b.loadSnapshot(raw, min));
    await this.targetsTree(b);
  }

  /** Go's updateRoot: newest root, walking `<v>.root.json` when it does not chain to ours. */
  async updateRoot(b: Builder): Promise<void> {
    // Go takes the cached root's version; the root trusted by the failed attempt is the same
    // file, or the one downloaded at bootstrap when there was no cache (then Go would say 1).
    const current = b.prevRoot;
    const currentVersion = current?.signed.version ?? this.cachedRootVersion;
    const ci = b.consistentInfo('root');
    let raw: Buffer;
    try {
      if (checksumKnown(ci)) {
        raw = await this.rootCacheThenRemote(b, ci);
      } else {
        raw = await this.o.remote.getMeta('root', MAX_DOWNLOAD_SIZE);
        try {
          b.loadRoot(raw, currentVersion, false);
        } catch (e) {
          throw withRootBytes(e, raw);
        }
        await this.cacheWrite('root', raw);
      }
      return;
    } catch (e) {
      // Only a newest root that does not chain to ours starts the version walk.
      if (!(e instanceof RotationNeeded)) throw e;
      raw = e.raw;
    }
    // Rotation: re-trust the cached root, then every intermediate version, then the newest.
    const currentRaw = current?.raw ?? (await this.o.cache.read('root', MAX_DOWNLOAD_SIZE));
    if (!currentRaw)
      throw new NotaryError('ROOT_ROTATION', 'could not rotate trust to a new trusted root: no cached root');
    b.loadRootForUpdate(currentRaw, currentVersion, false);
    const newest = parseMetadata<RootSigned>(raw, 'root').signed.version;
    for (let v = currentVersion + 1; v <= newest - 1; v++) {
      const vr = await this.o.remote.getRootVersion(v, MAX_DOWNLOAD_SIZE);
      b.loadRootForUpdate(vr, v, false);
      this.log.debug(`successfully verified downloaded ${v}.root`);
    }
    b.loadRootForUpdate(raw, newest, true);
    await this.cacheWrite('root', raw);
  }

  private async rootCacheThenRemote(b: Builder, ci: ConsistentInfo): Promise<Buffer> {
    const cached = await this.cacheRead('root', sizeOf(ci, MAX_DOWNLOAD_SIZE));
    if (cached) {
      try {
        b.loadRoot(cached, 1, false);
        return cached;
      } catch {
        // download below
      }
    }
    const raw = await this.download(ci, MAX_DOWNLOAD_SIZE);
    try {
      b.loadRoot(raw, this.cachedRootVersion, false);
    } catch (e) {
      throw withRootBytes(e, raw);
    }
    await this.cacheWrite('root', raw);
    return raw;
  }
}

/**
 * Internal: the newest root did not chain to the trusted one (Go's ErrRootRotationFail inside
 * updateRoot). Carries the downloaded bytes so the `<v>.root.json` walk can continue from them;
 * never leaves this module (publicError unwraps it to the NotaryError).
 */
class RotationNeeded extends Error {
  constructor(
    readonly error: NotaryError,
    readonly raw: Buffer,
  ) {
    super(error.message);
  }
}

function withRootBytes(e: unknown, raw: Buffer): unknown {
  return isNotaryError(e, 'ROOT_ROTATION') ? new RotationNeeded(e, raw) : e;
}

function publicError(e: unknown): unknown {
  return e instanceof RotationNeeded ? e.error : e;
}

/**
 * Bootstrap + update (tuf.md §10). Returns the verified state; throws NotaryError with Go's
 * message. 404 on any root → `<host:port> does not have trust data for <gun>` (the remote
 * produces it as NO_TRUST_DATA).
 */
export async function updateRepo(opts: UpdateOptions): Promise<RepoState> {
  const u = new Updater(opts);
  const now = opts.clock();
  let b = await u.bootstrap();
  try {
    try {
      await u.update(b);
    } catch (first) {
      opts.log.debug(
        `Error occurred (${errorMessage(first)}). Root will be downloaded and another update attempted`,
      );
      // Go's Update: reset the builder around the current root, update the root, retry once.
      b = b.bootstrapNew();
      await u.updateRoot(b);
      await u.update(b);
    }
  } catch (e) {
    throw publicError(e);
  }
  warnNearExpiry(b, now, opts.log);
  if (!b.root) throw new NotaryError('INTERNAL', 'update finished without a root');
  const state: RepoState = {
    gun: opts.gun,
    root: b.root,
    targets: b.targets,
    skipped: b.skipped,
    invalid: b.invalid,
  };
  if (b.snapshot) state.snapshot = b.snapshot;
  if (b.timestamp) state.timestamp = b.timestamp;
  return state;
}

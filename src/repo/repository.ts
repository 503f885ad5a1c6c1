/**
 * One repository (GUN) of a trust directory, as the CLI handlers use it: init, publish, delete
 * and the update walk. Wires the cache, changelist, key service and (lazily opened) remote into
 * the modules that do the work.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Remote } from '../remote/types.js';
import type { Clock, TufKey } from '../tuf/types.js';
import type { ChangeToApply } from './apply-changes.js';
import { deleteLocalRepoData, MetadataCache } from './cache.js';
import { type Changelist, openChangelist } from './changelist.js';
import { withGunLock } from './gun-lock.js';
import { type InitKeyService, initializeRepo } from './init.js';
import type { LocalRepoData, PublishContext, PublishResult } from './publish.js';
import { publishWithRetry, type RetryPolicy } from './publish-retry.js';
import type { TrustPinning } from './settings.js';
import type { RepoState } from './state.js';
import { MAX_DOWNLOAD_SIZE, updateRepo, type WalkScope } from './update.js';

export interface RepositoryOptions {
  gun: string;
  trustDir: string;
  keys: InitKeyService;
  /** Where keys are searched, for hints (`<trust_dir>/private`, `yubikey`...). */
  keyLocations: readonly string[];
  /** Opens the remote on first use (ping + auth); the same instance is reused. */
  openRemote: () => Promise<Remote>;
  pinning: TrustPinning;
  log: Logger;
  clock: Clock;
  /** Longest wait for another process's lock of this GUN (default: gun-lock.ts). */
  lockTimeoutMs?: number;
  /** VERSION-conflict retries of a publish (default: publish-retry.ts). */
  retry?: RetryPolicy;
}

export class Repository {
  readonly gun: string;
  readonly cache: MetadataCache;
  readonly changelist: Changelist;
  private remotePromise: Promise<Remote> | undefined;

  constructor(private readonly o: RepositoryOptions) {
    this.gun = o.gun;
    this.cache = new MetadataCache(o.trustDir, o.gun);
    this.changelist = openChangelist(o.trustDir, o.gun, o.log);
  }

  remote(): Promise<Remote> {
    this.remotePromise ??= this.o.openRemote();
    return this.remotePromise;
  }

  /** The update walk (tuf.md §10) against the server, with the cache. */
  async update(scope?: WalkScope): Promise<RepoState> {
    return updateRepo({
      gun: this.gun,
      remote: await this.remote(),
      cache: this.cache,
      clock: this.o.clock,
      log: this.o.log,
      pinning: this.o.pinning,
      trustDir: this.o.trustDir,
      ...(scope ? { scope } : {}),
    });
  }

  /**
   * The update before a publish. Go always fetches root.json to learn whether the server knows
   * the repository; when the cache has no root the update's own bootstrap does that fetch.
   */
  private async updateForWrite(): Promise<RepoState> {
    const remote = await this.remote();
    if (await this.cache.read('root')) await remote.getMeta('root', MAX_DOWNLOAD_SIZE);
    return this.update({ kind: 'all' });
  }

  /**
   * Runs `fn` holding this GUN's lock of the trust directory (gun-lock.ts): publishes and inits
   * of one trust directory take turns instead of racing.
   */
  private locked<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    return withGunLock(
      {
        trustDir: this.o.trustDir,
        gun: this.gun,
        log: this.o.log,
        purpose,
        ...(this.o.lockTimeoutMs !== undefined ? { timeoutMs: this.o.lockTimeoutMs } : {}),
      },
      fn,
    );
  }

  /** `init`: create keys and root/targets/snapshot v1 in the cache (nothing is published). */
  async init(
    opts: {
      rootKeyIds?: readonly string[];
      rootCerts?: readonly TufKey[];
      serverManagedSnapshot?: boolean;
    } = {},
  ): Promise<LocalRepoData> {
    const remote = await this.remote();
    return this.locked('init', () => this.initUnlocked(remote, opts));
  }

  private initUnlocked(
    remote: Remote,
    opts: {
      rootKeyIds?: readonly string[];
      rootCerts?: readonly TufKey[];
      serverManagedSnapshot?: boolean;
    },
  ): Promise<LocalRepoData> {
    return initializeRepo({
      gun: this.gun,
      cache: this.cache,
      remote,
      keys: this.o.keys,
      log: this.o.log,
      clock: this.o.clock,
      ...(opts.rootKeyIds ? { rootKeyIds: opts.rootKeyIds } : {}),
      ...(opts.rootCerts ? { rootCerts: opts.rootCerts } : {}),
      ...(opts.serverManagedSnapshot ? { serverManagedSnapshot: true } : {}),
    });
  }

  /**
   * Publishes `changes` (given in memory, e.g. a key rotation) without touching the changelist.
   * `extraRootSigningKeys`: optional root signers (`key rotate --legacy`, see PublishContext).
   * Holds the GUN's lock; a VERSION conflict with another publisher is retried (publish-retry.ts).
   */
  async publishChanges(
    changes: readonly ChangeToApply[],
    opts: Pick<PublishContext, 'extraRootSigningKeys'> = {},
  ): Promise<PublishResult> {
    const remote = await this.remote();
    return this.locked('publish', () => this.publishChangesUnlocked(remote, changes, opts));
  }

  private publishChangesUnlocked(
    remote: Remote,
    changes: readonly ChangeToApply[],
    opts: Pick<PublishContext, 'extraRootSigningKeys'>,
  ): Promise<PublishResult> {
    return publishWithRetry(
      {
        ...opts,
        gun: this.gun,
        cache: this.cache,
        remote,
        signers: this.o.keys,
        keyLocations: this.o.keyLocations,
        log: this.o.log,
        clock: this.o.clock,
        update: () => this.updateForWrite(),
        initialize: () => this.initUnlocked(remote, {}),
      },
      changes,
      this.o.retry,
    );
  }

  /**
   * `publish`: applies every staged change, uploads, then removes exactly the change files it
   * applied (a change staged meanwhile stays). On failure every change stays staged. The lock
   * covers reading the changelist too, so a second publish of this trust directory waits and
   * then sees only what the first one left.
   */
  async publish(): Promise<PublishResult> {
    const remote = await this.remote();
    return this.locked('publish', () => this.publishStaged(remote));
  }

  private async publishStaged(remote: Remote): Promise<PublishResult> {
    const staged = await this.changelist.list();
    const result = await this.publishChangesUnlocked(remote, staged, {});
    try {
      // Several removals in flight: 10,000 sequential unlinks cost seconds of pure latency.
      const files = staged.map((c) => c.file);
      const chunk = Math.max(64, Math.ceil(files.length / 16));
      const parts: string[][] = [];
      for (let i = 0; i < files.length; i += chunk) parts.push(files.slice(i, i + chunk));
      await Promise.all(parts.map((part) => this.changelist.removeFiles(part)));
    } catch (e) {
      // Published already: report, but do not fail (Go: "Unable to clear changelist").
      this.o.log.warn(
        `Unable to clear changelist. You may want to manually delete the folder ${this.changelist.dir}: ${errorMessage(e)}`,
      );
    }
    return result;
  }

  /** `delete`: the local cache and changelist (keys are kept). */
  async deleteLocal(): Promise<void> {
    await deleteLocalRepoData(this.o.trustDir, this.gun);
  }

  /** `delete --remote`: every version of every role on the server. */
  async deleteRemote(): Promise<void> {
    await (await this.remote()).deleteAll();
  }
}

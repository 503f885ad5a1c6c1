/**
 * `tsnotary rehost GUN --to URL` (issue 12; design in docs/decisions.md, facts in
 * shared/notes/rehost.md): move a GUN to another notary-server so that every client that trusted
 * it follows with only `-s` changed — no new TOFU, no pinning change, no deleted cache.
 *
 * notary-server accepts a new GUN's root only as version 1, then each next version, and signs
 * every timestamp (and a server-managed snapshot) with its own keys. So the new server gets
 * re-signed root versions 1..N+1 (N = the current version): each is the current root with the
 * new server's timestamp key (and snapshot key, when server-managed), signed by the current root
 * keys; N+1 is also signed by every older root key still held, so clients that trusted an older
 * root jump straight to it. The first upload carries targets and delegations byte for byte.
 * Then empty publishes raise the new server's timestamp/snapshot versions past the old ones (Go
 * keeps cached versions as minimums). Finally a client that trusted the old server is simulated
 * against the new one, from the trust dir's cache.
 *
 * Everything that can make the move unsafe is checked before the first write: the source
 * verifies, the root key(s) are here, nothing is expired that the new server would keep, every
 * delegation verifies, a client-held snapshot key can sign, and the new server has no such GUN.
 * With a client-held snapshot key every upload carries a snapshot signed here (the server
 * cannot make one); otherwise the new server's snapshot key replaces the old server's.
 * The dry run makes no request that changes the new server (no `timestamp.key` GET: it creates keys).
 */
import { errorMessage, isNotaryError, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Remote } from '../remote/types.js';
import { fileMeta } from '../tuf/hashes.js';
import { canonicalKeyId, tufKeyId } from '../tuf/keys.js';
import { parseMetadata } from '../tuf/metadata.js';
import type { SigningKey } from '../tuf/sign.js';
import { signMetadata } from '../tuf/sign.js';
import { defaultExpiry, formatGoTime, isExpired } from '../tuf/time.js';
import type { Clock, RootSigned, SnapshotSigned, TufKey } from '../tuf/types.js';
import { SignerPool, type SignerSource } from './publish.js';
import type { TrustPinning } from './settings.js';
import type { RepoState } from './state.js';
import { MAX_DOWNLOAD_SIZE, type MetadataStore, updateRepo } from './update.js';

/**
 * How far past the old server's timestamp/snapshot versions the new server starts: the old
 * server may have re-signed (expired) timestamps after the source was read or archived, and
 * clients keep the highest version they saw.
 */
export const VERSION_MARGIN = 10;

export interface RehostOptions {
  gun: string;
  /** The old server, or an archive of it. */
  source: Remote;
  /** The new server (a live notary-server; opened for writing). */
  target: Remote;
  /** The trust dir's metadata cache of the GUN. */
  cache: MetadataStore;
  signers: SignerSource;
  keyLocations: readonly string[];
  pinning: TrustPinning;
  trustDir: string;
  clock: Clock;
  log: Logger;
  /** Progress and plan lines for the person running it. */
  say: (line: string) => void;
}

interface Plan {
  state: RepoState;
  rootVersion: number;
  rootSigners: SigningKey[];
  /** Older root keys held: they also sign the newest root. */
  oldRootSigners: SigningKey[];
  /** Root versions whose clients cannot follow (their root keys are not held). */
  strandedVersions: number[];
  timestampVersion: number;
  snapshotVersion: number;
  /** Client-managed snapshot: its signers (then every upload carries a snapshot signed here). */
  snapshotSigners?: SigningKey[];
  notes: string[];
}

function refuse(msg: string, hint: string): NotaryError {
  return new NotaryError('UNSUPPORTED', `cannot rehost: ${msg}`, { hint });
}

/**
 * Source verification; an expired timestamp alone is fine (the new server signs a new one).
 * Notes for the plan are pushed to `notes`. Exported for tests.
 */
export async function verifySource(o: RehostOptions, notes: string[]): Promise<RepoState> {
  const base = {
    gun: o.gun,
    remote: o.source,
    log: o.log,
    pinning: o.pinning,
    trustDir: o.trustDir,
    scope: { kind: 'all' } as const,
  };
  try {
    return await updateRepo({ ...base, cache: o.cache, clock: o.clock });
  } catch (e) {
    const details = isNotaryError(e, 'EXPIRED')
      ? (e.details as { role?: string; expires?: string })
      : undefined;
    if (details?.role !== 'timestamp' || !details.expires) throw e;
    // Judge it just before the timestamp expired; never write that verdict into the cache.
    const asOf = new Date(Date.parse(details.expires) - 1000);
    const readOnly: MetadataStore = { read: (r, m) => o.cache.read(r, m), write: async () => {} };
    const state = await updateRepo({ ...base, cache: readOnly, clock: () => asOf });
    notes.push(
      `the source's timestamp expired at ${details.expires}; it was checked as of ${formatGoTime(asOf)} and is replaced by the new server's own`,
    );
    return state;
  }
}

function rootKeys(root: RootSigned): Record<string, TufKey> {
  const out: Record<string, TufKey> = {};
  for (const id of root.roles['root']?.keyids ?? []) {
    const k = root.keys[id];
    if (k) out[id] = k;
  }
  return out;
}

async function makePlan(o: RehostOptions): Promise<Plan> {
  const notes: string[] = [];
  const state = await verifySource(o, notes);
  const root = state.root.signed;
  const now = o.clock();

  // Nothing the new server keeps may be expired, and every delegation must verify there.
  for (const [role, meta] of state.targets) {
    if (isExpired(meta.signed.expires, now))
      throw refuse(
        `${role} expired at ${meta.signed.expires}`,
        `Re-sign it first (\`tsnotary witness ${o.gun} ${role} -p\` on the old server), then rehost.`,
      );
  }
  if (isExpired(root.expires, now))
    throw refuse(`root expired at ${root.expires}`, 'Re-sign the root first, then rehost.');
  if (state.skipped.length > 0) {
    const list = state.skipped.map((s) => `${s.role} (${s.reason})`).join('; ');
    throw refuse(
      `delegations that do not verify would be refused by the new server: ${list}`,
      `Re-sign them (\`tsnotary witness ${o.gun} <role> -p\`) or remove them on the old server first.`,
    );
  }

  // The root key(s): required, and said up front.
  const pool = new SignerPool(o.signers, o.keyLocations);
  const current = rootKeys(root);
  const threshold = root.roles['root']?.threshold ?? 1;
  const found = await pool.lookup(current);
  if (found.signers.length < threshold) {
    const ids = Object.values(current).map((k) => canonicalKeyId(k));
    const failure = found.failures[0];
    throw new NotaryError(
      'SIGNING_KEYS_MISSING',
      `rehost needs the root key of ${o.gun}: ${found.signers.length} of ${threshold} available (root key IDs ${ids.join(', ')})`,
      {
        hint: failure
          ? `A root key is present but could not be unlocked (${failure.message}): set NOTARY_ROOT_PASSPHRASE or run in a terminal.`
          : `Run rehost where the root key is (${o.keyLocations.join(', ') || 'the key stores'}), or import it with \`tsnotary key import <file> --role root\`.`,
        ...(failure ? { cause: failure } : {}),
      },
    );
  }

  // Snapshot: server-managed (the new server's key replaces the old server's), or held here —
  // then it signs a snapshot for every upload. Held but below threshold cannot work.
  const snapshotRole = root.roles['snapshot'];
  const snapshotKeys: Record<string, TufKey> = {};
  for (const id of snapshotRole?.keyids ?? []) if (root.keys[id]) snapshotKeys[id] = root.keys[id] as TufKey;
  const snap = await pool.lookup(snapshotKeys);
  const snapshotThreshold = snapshotRole?.threshold ?? 1;
  if ((snap.signers.length > 0 || snap.failures.length > 0) && snap.signers.length < snapshotThreshold) {
    throw refuse(
      `the snapshot key of this GUN is held here but cannot sign (${snap.signers.length} of ${snapshotThreshold} usable${snap.failures[0] ? `: ${snap.failures[0].message}` : ''})`,
      'Set NOTARY_SNAPSHOT_PASSPHRASE (or run in a terminal), or import the missing snapshot key(s), then rehost.',
    );
  }
  const snapshotSigners = snap.signers.length > 0 ? snap.signers : undefined;
  if (snapshotSigners && !state.snapshot)
    throw refuse('the source has no snapshot', 'Publish on the old server once, then rehost.');

  // Older root versions: their keys also sign the newest root, when held.
  const oldKeys: Record<string, TufKey> = {};
  const perVersion = new Map<number, { keys: Record<string, TufKey>; threshold: number }>();
  for (let v = 1; v < root.version; v++) {
    try {
      const old = parseMetadata<RootSigned>(await o.source.getRootVersion(v, MAX_DOWNLOAD_SIZE), 'root');
      const keys = rootKeys(old.signed);
      perVersion.set(v, { keys, threshold: old.signed.roles['root']?.threshold ?? 1 });
      for (const [id, k] of Object.entries(keys)) if (!current[id]) oldKeys[id] = k;
    } catch (e) {
      o.log.debug(`no root version ${v} at the source: ${errorMessage(e)}`);
    }
  }
  const oldFound = await pool.lookup(oldKeys);
  const held = new Set([...found.signers, ...oldFound.signers].map((s) => s.keyId));
  const strandedVersions: number[] = [];
  for (let v = 1; v < root.version; v++) {
    const r = perVersion.get(v);
    if (!r || Object.keys(r.keys).filter((id) => held.has(id)).length < r.threshold) strandedVersions.push(v);
  }
  return {
    state,
    rootVersion: root.version,
    rootSigners: found.signers,
    oldRootSigners: oldFound.signers,
    strandedVersions,
    timestampVersion: state.timestamp?.signed.version ?? 0,
    snapshotVersion: state.snapshot?.signed.version ?? 0,
    ...(snapshotSigners ? { snapshotSigners } : {}),
    notes,
  };
}

function describePlan(o: RehostOptions, targetUrl: string, p: Plan): string[] {
  const n = p.rootVersion;
  const delegations = [...p.state.targets.keys()].filter((r) => r !== 'targets');
  const lines = [
    `Plan: move ${o.gun} from ${o.source.baseUrl} to ${targetUrl}`,
    `  needs the root key of ${o.gun}: found ${p.rootSigners.map((s) => s.signer.keyId).join(', ')}`,
    `  source (verified): root version ${n}, timestamp version ${p.timestampVersion}, snapshot version ${p.snapshotVersion} (${p.snapshotSigners ? 'signed here' : 'server-managed'}), targets${delegations.length ? ` and ${delegations.length} delegation(s): ${delegations.join(', ')}` : ''}`,
    ...p.notes.map((n) => `  note: ${n}`),
    `  1. check that ${targetUrl} has no trust data for ${o.gun}, and get its timestamp${p.snapshotSigners ? ' key' : ' and snapshot keys'} for ${o.gun}`,
    `  2. upload root versions 1..${n + 1}, each the current root naming ${p.snapshotSigners ? 'that key' : 'those keys'}, signed by the current root key(s); the first upload carries targets${delegations.length ? ' and delegations' : ''} unchanged${p.snapshotSigners ? '; each upload carries a snapshot signed here' : ''}`,
    `  3. ${p.snapshotSigners ? 'snapshot re-uploads' : 'empty publishes'} until the timestamp and snapshot versions pass ${p.timestampVersion} and ${p.snapshotVersion} by ${VERSION_MARGIN} (clients keep the versions they saw)`,
    `  4. check that a client that trusted ${o.gun} on ${o.source.baseUrl} follows it on ${targetUrl}`,
  ];
  if (p.oldRootSigners.length > 0)
    lines.push(
      `  root version ${n + 1} is also signed by ${p.oldRootSigners.length} older root key(s), so clients that trusted older root versions follow too`,
    );
  if (p.strandedVersions.length > 0)
    lines.push(
      `  warning: clients that last saw root version(s) ${p.strandedVersions.join(', ')} cannot follow (their root keys are not here): they must trust ${o.gun} again (\`tsnotary delete ${o.gun}\`, then read it from ${targetUrl})`,
    );
  lines.push(
    `  then clients change only -s/--server to ${targetUrl}: no new trust on first use, no pinning change`,
  );
  return lines;
}

/** The root re-signed for the new server: version `v`, its timestamp (and snapshot) key. */
async function newRoot(
  base: RootSigned,
  v: number,
  serverKeys: { timestamp: TufKey; snapshot?: TufKey },
  signers: readonly SigningKey[],
): Promise<Buffer> {
  const keys: Record<string, TufKey> = {};
  const roles = { ...base.roles };
  const tsId = tufKeyId(serverKeys.timestamp);
  roles['timestamp'] = { keyids: [tsId], threshold: 1 };
  const snapId = serverKeys.snapshot ? tufKeyId(serverKeys.snapshot) : undefined;
  if (snapId) roles['snapshot'] = { keyids: [snapId], threshold: 1 };
  // keep only keys some role still lists (the old server's keys go)
  for (const r of Object.values(roles))
    for (const id of r.keyids) if (base.keys[id]) keys[id] = base.keys[id] as TufKey;
  keys[tsId] = serverKeys.timestamp;
  if (snapId && serverKeys.snapshot) keys[snapId] = serverKeys.snapshot;
  const signed: RootSigned = { ...base, version: v, keys, roles };
  return (await signMetadata(signed, signers)).raw;
}

/** A client-managed snapshot for the new server: the source's, with the new root's hashes. */
async function newSnapshot(
  source: SnapshotSigned,
  rootRaw: Buffer,
  version: number,
  now: Date,
  signers: readonly SigningKey[],
): Promise<Buffer> {
  const signed: SnapshotSigned = {
    _type: 'Snapshot',
    expires: isExpired(source.expires, now) ? defaultExpiry('snapshot', now) : source.expires,
    meta: { ...source.meta, root: fileMeta(rootRaw) },
    version,
  };
  return (await signMetadata(signed, signers)).raw;
}

/** An in-memory metadata store seeded from the trust dir's cache: a client that trusted the old server. */
async function followerCache(cache: MetadataStore, roles: Iterable<string>): Promise<MetadataStore> {
  const files = new Map<string, Buffer>();
  for (const role of ['root', 'timestamp', 'snapshot', ...roles]) {
    const b = await cache.read(role).catch(() => undefined);
    if (b) files.set(role, b);
  }
  return {
    read: async (role) => files.get(role),
    write: async (role, bytes) => void files.set(role, Buffer.from(bytes)),
  };
}

async function currentVersion(target: Remote, role: 'timestamp' | 'snapshot'): Promise<number> {
  const raw = await target.getMeta(role, MAX_DOWNLOAD_SIZE);
  return parseMetadata(raw, role).signed.version;
}

export interface RehostResult {
  applied: boolean;
  plan: string[];
  uploads: number;
}

/** Shows the plan; with `apply`, carries it out and checks the result. */
export async function rehost(o: RehostOptions, targetUrl: string, apply: boolean): Promise<RehostResult> {
  const plan = await makePlan(o);
  // The new server must not know the GUN (a GET of root.json creates nothing).
  try {
    await o.target.getMeta('root', MAX_DOWNLOAD_SIZE);
    throw refuse(
      `${targetUrl} already has trust data for ${o.gun}`,
      `Rehost moves a GUN to a server that does not have it. If it is left over from an earlier attempt, remove it there with \`tsnotary delete --remote ${o.gun} -s ${targetUrl}\` and run rehost again.`,
    );
  } catch (e) {
    if (!isNotaryError(e, 'NO_TRUST_DATA')) throw e;
  }
  const lines = describePlan(o, targetUrl, plan);
  for (const l of lines) o.say(l);
  if (!apply) {
    o.say('Dry run: nothing was changed. Run again with --yes to apply this plan.');
    return { applied: false, plan: lines, uploads: 0 };
  }

  let uploads = 0;
  const base = plan.state.root.signed;
  const partial = (e: unknown) =>
    new NotaryError(
      isNotaryError(e) ? e.code : 'SERVER',
      `rehost stopped after ${uploads} upload(s): ${errorMessage(e)}`,
      {
        hint:
          uploads === 0
            ? `Nothing was uploaded to ${targetUrl}; clients keep using ${o.source.baseUrl}. Fix the cause and run rehost again.`
            : `${targetUrl} now holds part of ${o.gun}; clients should keep using ${o.source.baseUrl}. Remove it there with \`tsnotary delete --remote ${o.gun} -s ${targetUrl}\`, fix the cause, and run rehost again.`,
        cause: e,
      },
    );
  try {
    const clientSnapshot = plan.snapshotSigners;
    const serverKeys = clientSnapshot
      ? { timestamp: await o.target.getKey('timestamp') }
      : { timestamp: await o.target.getKey('timestamp'), snapshot: await o.target.getKey('snapshot') };
    const n = plan.rootVersion;
    let snapshotVersion = plan.snapshotVersion;
    let rootRaw: Buffer = Buffer.alloc(0);
    // A client-managed snapshot goes with every upload (the server cannot make one).
    const withSnapshot = async (files: Map<string, Buffer>) => {
      if (!clientSnapshot || !plan.state.snapshot) return files;
      snapshotVersion++;
      files.set(
        'snapshot',
        await newSnapshot(plan.state.snapshot.signed, rootRaw, snapshotVersion, o.clock(), clientSnapshot),
      );
      return files;
    };
    for (let v = 1; v <= n + 1; v++) {
      const signers = v === n + 1 ? [...plan.rootSigners, ...plan.oldRootSigners] : plan.rootSigners;
      rootRaw = await newRoot(base, v, serverKeys, signers);
      const files = new Map<string, Buffer>([['root', rootRaw]]);
      if (v === 1) for (const [role, meta] of plan.state.targets) files.set(role, meta.raw);
      await o.target.publish(await withSnapshot(files));
      uploads++;
      o.say(`uploaded root version ${v}/${n + 1}${v === 1 ? ' with targets and delegations' : ''}`);
    }
    const ts = await currentVersion(o.target, 'timestamp');
    const snap = await currentVersion(o.target, 'snapshot');
    const bumps = Math.max(
      0,
      plan.timestampVersion + VERSION_MARGIN - ts,
      plan.snapshotVersion + VERSION_MARGIN - snap,
    );
    for (let i = 0; i < bumps; i++) {
      // server-managed: an empty publish makes the server re-sign snapshot and timestamp
      await o.target.publish(await withSnapshot(new Map()));
      uploads++;
    }
    if (bumps > 0)
      o.say(
        `raised the timestamp and snapshot versions with ${bumps} ${clientSnapshot ? 'snapshot re-upload(s)' : 'empty publish(es)'}`,
      );
  } catch (e) {
    throw partial(e);
  }

  // A client that trusted the GUN on the old server, reading the new one.
  const roles = [...plan.state.targets.keys()];
  const follower = await updateRepo({
    gun: o.gun,
    remote: o.target,
    cache: await followerCache(o.cache, roles),
    clock: o.clock,
    log: o.log,
    pinning: o.pinning,
    scope: { kind: 'all' },
  });
  const tsKeyIds = follower.root.signed.roles['timestamp']?.keyids ?? [];
  const signedByNew = follower.timestamp?.signatures.some((s) => tsKeyIds.includes(s.keyid)) ?? false;
  const same = roles.every((r) =>
    follower.targets.get(r)?.raw.equals(plan.state.targets.get(r)?.raw as Buffer),
  );
  if (!signedByNew || !same || follower.root.signed.version !== plan.rootVersion + 1) {
    throw new NotaryError(
      'INTERNAL',
      `rehost uploaded ${o.gun} to ${targetUrl}, but a client that trusted the old server does not read the same data there`,
      {
        hint: `Keep clients on ${o.source.baseUrl}; report this. ${targetUrl} can be cleaned with \`tsnotary delete --remote ${o.gun} -s ${targetUrl}\`.`,
      },
    );
  }
  o.say(
    `Moved ${o.gun} to ${targetUrl}: root version ${follower.root.signed.version}, timestamp version ${follower.timestamp?.signed.version}; a client that trusted ${o.source.baseUrl} follows it there. Clients now use -s ${targetUrl}.`,
  );
  return { applied: true, plan: lines, uploads };
}

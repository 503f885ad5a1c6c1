/**
 * `tsnotary archive GUN -o FILE.tar` (issue 12): everything the server holds for a GUN, verified
 * as `list` verifies it, in the server's own URL space (`v2/<gun>/_trust/tuf/...`) so that any
 * static web server can serve the extracted archive, plus a manifest (GUN, source, time, sha256
 * of every file). Files with the same bytes (`targets.json`, `targets.<sha256>.json`,
 * `<N>.targets.json`) are stored once and hard-linked, as tar allows.
 *
 * What is archived:
 * - the current files the update walk verified (root, timestamp, snapshot, targets, every
 *   delegation the snapshot lists — also ones the walk skipped, as the server serves them),
 *   under `<role>.json` and `<role>.<sha256>.json`;
 * - every root version 1..N as `<v>.root.json`, the chain checked (each signed by the previous
 *   version's root keys and its own), breaks reported as warnings — rehost needs to know;
 * - every older version of the other roles the server still serves, as `<v>.<role>.json`
 *   (history: kept as served, not verifiable against today's keys).
 */
import { writeFileAtomic } from '../atomic-file.js';
import { errorMessage, isNotaryError, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  type ArchiveManifest,
  MANIFEST_FORMAT,
  MANIFEST_PATH,
  sha256Hex,
  tufPath,
} from '../remote/archive-manifest.js';
import type { Remote } from '../remote/types.js';
import { type TarEntry, writeTar } from '../remote/ustar.js';
import { checkFileMeta } from '../tuf/hashes.js';
import { parseMetadata } from '../tuf/metadata.js';
import { formatGoTime } from '../tuf/time.js';
import type { AnySigned, Clock, ParsedMetadata, RootSigned } from '../tuf/types.js';
import { verifySignatures } from '../tuf/verify.js';
import type { RepoState } from './state.js';
import { MAX_DOWNLOAD_SIZE } from './update.js';

/** Older versions fetched at once. */
const CONCURRENCY = 8;

export interface ArchiveProgress {
  /** e.g. `root versions`, `older versions` */
  phase: string;
  done: number;
  total: number;
}

export interface CollectOptions {
  gun: string;
  remote: Remote;
  /** The verified state of the GUN (the update walk, as `list` runs it). */
  state: RepoState;
  log: Logger;
  progress?: (p: ArchiveProgress) => void;
}

/** One archived metadata file: its name under `_trust/tuf/` and bytes. */
export interface ArchivedFile {
  file: string;
  data: Buffer;
}

export interface CollectedArchive {
  files: ArchivedFile[];
  roles: ArchiveManifest['roles'];
  /** Root versions 1..N as parsed (rehost re-signs from them). */
  roots: ParsedMetadata<RootSigned>[];
  /** Root chain problems found (also logged as warnings). */
  chainProblems: string[];
}

/** Runs `fn` over `items`, `n` at a time, keeping the input order in the result. */
async function mapLimited<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function isMissing(e: unknown): boolean {
  return isNotaryError(e) && (e.code === 'NOT_FOUND' || e.code === 'NO_TRUST_DATA');
}

/** Checks that root v (v ≥ 2) is signed by v-1's root keys and its own; returns the problem, if any. */
export function rootChainProblem(
  prev: ParsedMetadata<RootSigned>,
  next: ParsedMetadata<RootSigned>,
): string | undefined {
  const v = next.signed.version;
  for (const [who, root] of [
    [`version ${v - 1}'s`, prev.signed],
    ['its own', next.signed],
  ] as const) {
    const role = root.roles['root'];
    if (!role) return `root version ${v}: version ${root.version} has no root role`;
    const r = verifySignatures(next, root.keys, role);
    if (r.validKeyIds.length < r.threshold)
      return `root version ${v} is not signed by ${who} root keys (${r.validKeyIds.length} of ${r.threshold} needed)`;
  }
  return undefined;
}

/** Downloads what the archive holds beyond the verified state and checks what can be checked. */
export async function collectArchive(o: CollectOptions): Promise<CollectedArchive> {
  const { state, remote, log } = o;
  const files: ArchivedFile[] = [];
  const roles: ArchiveManifest['roles'] = {};
  const add = (file: string, data: Buffer) => files.push({ file, data });

  // Current files, verified by the walk (or hash-checked against the verified snapshot).
  const current = new Map<string, ParsedMetadata<AnySigned>>();
  current.set('root', state.root);
  if (state.timestamp) current.set('timestamp', state.timestamp);
  if (state.snapshot) current.set('snapshot', state.snapshot);
  for (const [name, meta] of state.targets) current.set(name, meta);
  for (const [name, meta] of state.invalid ?? []) if (!current.has(name)) current.set(name, meta);
  const listed = Object.keys(state.snapshot?.signed.meta ?? {}).filter((r) => !current.has(r));
  for (const role of listed) {
    // Delegations the walk did not reach (e.g. below a skipped role): still served, still archived.
    const meta = state.snapshot?.signed.meta[role];
    const sha = meta?.hashes['sha256'];
    if (!meta || !sha) continue;
    try {
      const raw = await remote.getMetaByChecksum(
        role,
        sha.toString('hex'),
        Math.min(meta.length || MAX_DOWNLOAD_SIZE, MAX_DOWNLOAD_SIZE),
      );
      checkFileMeta(raw, { ...meta, length: raw.length }, role);
      current.set(role, parseMetadata(raw, role));
    } catch (e) {
      if (!isMissing(e)) throw e;
      log.warn(`${role} is listed in the snapshot but the server does not serve it: not archived`);
    }
  }
  for (const [role, meta] of current) {
    add(`${role}.json`, meta.raw);
    if (role !== 'timestamp') add(`${role}.${sha256Hex(meta.raw)}.json`, meta.raw);
  }

  // Root versions 1..N, the chain checked.
  const n = state.root.signed.version;
  const rootVersions = Array.from({ length: n }, (_, i) => i + 1);
  let done = 0;
  const rootRaw = await mapLimited(rootVersions, CONCURRENCY, async (v) => {
    const raw =
      v === n
        ? state.root.raw
        : await remote.getRootVersion(v, MAX_DOWNLOAD_SIZE).catch((e: unknown) => {
            if (isMissing(e)) return undefined;
            throw e;
          });
    o.progress?.({ phase: 'root versions', done: ++done, total: n });
    return raw;
  });
  const roots: ParsedMetadata<RootSigned>[] = [];
  const chainProblems: string[] = [];
  for (const [i, raw] of rootRaw.entries()) {
    const v = i + 1;
    if (!raw) {
      chainProblems.push(`root version ${v} is not served by ${remote.baseUrl}`);
      continue;
    }
    let parsed: ParsedMetadata<RootSigned>;
    try {
      parsed = parseMetadata<RootSigned>(raw, 'root');
    } catch (e) {
      chainProblems.push(`root version ${v} does not parse: ${errorMessage(e)}`);
      add(`${v}.root.json`, raw);
      continue;
    }
    if (parsed.signed.version !== v)
      chainProblems.push(`${v}.root.json holds root version ${parsed.signed.version}`);
    const prev = roots.at(-1);
    if (prev && prev.signed.version === v - 1) {
      const problem = rootChainProblem(prev, parsed);
      if (problem) chainProblems.push(problem);
    }
    roots.push(parsed);
    add(`${v}.root.json`, raw);
  }
  for (const p of chainProblems) log.warn(`${p}; clients that trusted an older root may not follow it`);
  roles['root'] = { current: n, versions: roots.map((r) => r.signed.version) };

  // Older versions of every other role, as far as the server still serves them.
  const jobs: Array<{ role: string; version: number }> = [];
  for (const [role, meta] of current) {
    if (role === 'root') continue;
    for (let v = 1; v <= meta.signed.version; v++) jobs.push({ role, version: v });
  }
  const getVersion = remote.getMetaVersion?.bind(remote);
  done = 0;
  const old = getVersion
    ? await mapLimited(jobs, CONCURRENCY, async ({ role, version }) => {
        const meta = current.get(role) as ParsedMetadata<AnySigned>;
        let raw: Buffer | undefined;
        if (version === meta.signed.version) raw = meta.raw;
        else {
          try {
            raw = await getVersion(role, version, MAX_DOWNLOAD_SIZE);
          } catch (e) {
            if (!isMissing(e)) throw e;
          }
        }
        o.progress?.({ phase: 'older versions', done: ++done, total: jobs.length });
        return raw;
      })
    : [];
  for (const [i, raw] of old.entries()) {
    const { role, version } = jobs[i] as { role: string; version: number };
    roles[role] ??= { current: (current.get(role) as ParsedMetadata).signed.version, versions: [] };
    if (!raw) continue;
    (roles[role] as { versions: number[] }).versions.push(version);
    add(`${version}.${role}.json`, raw);
  }
  return { files, roles, roots, chainProblems };
}

export interface WriteArchiveOptions {
  gun: string;
  /** Base URL the data came from (manifest). */
  server: string;
  out: string;
  clock: Clock;
  collected: CollectedArchive;
}

export interface WrittenArchive {
  manifest: ArchiveManifest;
  bytes: number;
}

/** The tar bytes (manifest first; identical files hard-linked) and the manifest. */
export function buildArchive(o: Omit<WriteArchiveOptions, 'out'>): {
  tar: Buffer;
  manifest: ArchiveManifest;
} {
  const now = o.clock();
  const manifest: ArchiveManifest = {
    format: MANIFEST_FORMAT,
    gun: o.gun,
    server: o.server,
    archivedAt: formatGoTime(now),
    roles: o.collected.roles,
    files: {},
  };
  const entries: TarEntry[] = [];
  const firstPathOf = new Map<string, string>();
  for (const { file, data } of o.collected.files) {
    const path = tufPath(o.gun, file);
    if (manifest.files[path]) continue;
    const sha256 = sha256Hex(data);
    manifest.files[path] = { sha256, length: data.length };
    const first = firstPathOf.get(sha256);
    if (first) entries.push({ path, linkTo: first });
    else {
      firstPathOf.set(sha256, path);
      entries.push({ path, data });
    }
  }
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const tar = Buffer.concat(writeTar([{ path: MANIFEST_PATH, data: manifestBytes }, ...entries], now));
  return { tar, manifest };
}

/** Writes the archive to `out` through a temp file and a rename: never half an archive. */
export async function writeArchive(o: WriteArchiveOptions): Promise<WrittenArchive> {
  const { tar, manifest } = buildArchive(o);
  try {
    await writeFileAtomic(o.out, tar, { mode: 0o644 });
  } catch (e) {
    throw new NotaryError('IO', `could not write the archive ${o.out}: ${errorMessage(e)}`, { cause: e });
  }
  return { manifest, bytes: tar.length };
}

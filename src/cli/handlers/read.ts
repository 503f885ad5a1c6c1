/**
 * Read commands: `list`, `lookup`, `verify` (spec cli.md §5). Each runs the TUF update
 * (src/repo/update.ts) and reads the verified tree (src/repo/walk.ts). Outputs and error texts
 * are Go's; `--output json` prints a documented document instead (docs/json-output.md).
 *
 * `verify` never holds the payload in memory: it is hashed while it streams in (sha256 and
 * sha512 in one pass) and, when it must be echoed, kept in a 0600 temp file (stdin) or read
 * again (and re-hashed) from `-i`. Unverified bytes are never written to stdout or `-o`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync } from 'node:fs';
import { open, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Target } from '../../api/options.js';
import { checkStreamedHashes, noSuchTarget, toTarget } from '../../api/targets.js';
import { errorMessage, NotaryError } from '../../errors.js';
import { hashRegularFile } from '../../repo/file-hash.js';
import type { RepoState, TargetWithRole } from '../../repo/state.js';
import type { WalkScope } from '../../repo/update.js';
import { lookupTarget } from '../../repo/walk.js';
import { StreamingHasher } from '../../tuf/hashes.js';
import type { FileMeta } from '../../tuf/types.js';
import type { CommandContext, FlagValues } from '../context.js';
import { wantsJson, writeJson } from '../output-json.js';
import { renderTable } from '../tabwriter.js';
import { cliRepository } from '../wiring-repo.js';
import { stringFlag, stringsFlag, usageError } from './common.js';

/** Runs the update for `gun` (read-only access) and returns the verified state (library engine). */
export async function loadRepoState(ctx: CommandContext, gun: string, scope: WalkScope): Promise<RepoState> {
  return (await cliRepository(ctx, gun)).state(scope);
}

/** JSON form of a target (docs/json-output.md): the library's `Target`. */
export function targetJson(t: TargetWithRole): Target {
  return toTarget(t);
}

/** Go's prettyPrintTargets. */
export function formatTargetList(targets: readonly Target[]): string {
  if (targets.length === 0) return '\nNo targets present in this repository.\n\n';
  return renderTable(
    ['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'],
    targets.map((t) => [t.name, t.hashes['sha256'] ?? '', String(t.length), t.role]),
  );
}

/** `list GUN [--roles R,...]` */
export async function list(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = args[0] as string;
  const listing = await (await cliRepository(ctx, gun)).listTargets({ roles: stringsFlag(flags, 'roles') });
  if (wantsJson(ctx)) {
    writeJson(ctx, listing);
    return;
  }
  ctx.stdout.write(formatTargetList(listing.targets));
}

/** `lookup GUN TARGET` */
export async function lookup(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  if (args.length < 2) throw usageError('Must specify a GUN and target');
  const gun = args[0] as string;
  const name = args[1] as string;
  const t = await (await cliRepository(ctx, gun)).lookupTarget(name);
  if (wantsJson(ctx)) {
    writeJson(ctx, { gun, target: t });
    return;
  }
  ctx.stdout.write(`${t.name} sha256:${t.hashes['sha256'] ?? ''} ${t.length}\n`);
}

// ---- verify ----

/** Read size for payload files. */
const CHUNK = 1 << 20;

/** In-memory up to this size; larger stdin payloads go to a temp file. */
const MEMORY_SPOOL_LIMIT = 8 << 20;

/** A payload read once: its file meta, and (when it must be echoed) where to read it again. */
interface Payload {
  meta: FileMeta;
  /** Re-reads the verified bytes; absent with -q. */
  replay?: () => AsyncIterable<Uint8Array>;
  /** The replay reads a file others may change (-i): hash it again while copying. */
  rehash: boolean;
  /** Removes the spool file, if any. */
  cleanup: () => Promise<void>;
}

function goPathError(op: string, path: string, e: unknown): NotaryError {
  const code = (e as NodeJS.ErrnoException).code;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
  };
  return new NotaryError('IO', `${op} ${path}: ${(code && text[code]) ?? errorMessage(e)}`, { cause: e });
}

/** Reads `-i FILE`: hash now, read again (re-hashed) when echoing. */
async function readInputFile(ctx: CommandContext, input: string, keep: boolean): Promise<Payload> {
  const path = resolve(ctx.cwd, input);
  let meta: FileMeta;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.isFile()) {
      meta = await hashRegularFile(fd, st.size);
    } else {
      // a FIFO or device: stream it
      const hasher = new StreamingHasher();
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }))
        hasher.update(chunk as Buffer);
      meta = hasher.digest();
    }
  } catch (e) {
    throw goPathError((e as NodeJS.ErrnoException).code === 'EISDIR' ? 'read' : 'open', input, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const payload: Payload = { meta, rehash: true, cleanup: async () => {} };
  if (keep) payload.replay = () => createReadStream(path, { highWaterMark: CHUNK });
  return payload;
}

/**
 * The process's stdin when it is a regular file (`verify ... < payload`) and the payload need
 * not be kept: hashed straight from the descriptor (both hashes at once when large).
 */
async function hashStdinFile(ctx: CommandContext): Promise<Payload | undefined> {
  if (ctx.stdinFd === undefined) return undefined;
  let size: number;
  try {
    const st = fstatSync(ctx.stdinFd);
    if (!st.isFile()) return undefined;
    size = st.size;
  } catch {
    return undefined;
  }
  try {
    return { meta: await hashRegularFile(ctx.stdinFd, size), rehash: false, cleanup: async () => {} };
  } catch (e) {
    throw new NotaryError('IO', `could not read the payload from stdin: ${errorMessage(e)}`, { cause: e });
  }
}

/** Reads stdin: hash while spooling (memory first, then a 0600 temp file). */
async function readStdin(ctx: CommandContext, keep: boolean): Promise<Payload> {
  if (!keep) {
    const direct = await hashStdinFile(ctx);
    if (direct) return direct;
  }
  const hasher = new StreamingHasher();
  const chunks: Buffer[] = [];
  let inMemory = 0;
  let spoolPath: string | undefined;
  let spool: Awaited<ReturnType<typeof open>> | undefined;
  try {
    for await (const c of ctx.stdin) {
      const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      hasher.update(chunk);
      if (!keep) continue;
      if (spool) {
        await spool.write(chunk);
        continue;
      }
      chunks.push(chunk);
      inMemory += chunk.length;
      if (inMemory > MEMORY_SPOOL_LIMIT) {
        spoolPath = join(tmpdir(), `tsnotary-verify-${randomBytes(8).toString('hex')}`);
        spool = await open(spoolPath, 'wx', 0o600);
        for (const b of chunks) await spool.write(b);
        chunks.length = 0;
      }
    }
  } catch (e) {
    await spool?.close().catch(() => {});
    if (spoolPath) await unlink(spoolPath).catch(() => {});
    throw new NotaryError('IO', `could not read the payload from stdin: ${errorMessage(e)}`, { cause: e });
  }
  await spool?.close();
  const meta = hasher.digest();
  const cleanup = async () => {
    if (spoolPath) await unlink(spoolPath).catch(() => {});
  };
  // the spool is our own 0600 file: no second hash needed
  const payload: Payload = { meta, rehash: false, cleanup };
  if (keep) {
    const file = spoolPath;
    payload.replay = file
      ? () => createReadStream(file, { highWaterMark: CHUNK })
      : async function* () {
          yield* chunks;
        };
  }
  return payload;
}

/** Streams `source` to `out`, hashing it; fails when it no longer matches `expected`. */
async function copyVerified(
  source: AsyncIterable<Uint8Array>,
  write: (chunk: Uint8Array) => Promise<void>,
  expected: FileMeta,
  target: string,
  rehash: boolean,
): Promise<void> {
  const hasher = new StreamingHasher();
  for await (const chunk of source) {
    if (rehash) hasher.update(chunk);
    await write(chunk);
  }
  if (!rehash) return;
  const got = hasher.digest();
  if (
    got.length !== expected.length ||
    !got.hashes['sha256']?.equals(expected.hashes['sha256'] as Buffer) ||
    !got.hashes['sha512']?.equals(expected.hashes['sha512'] as Buffer)
  ) {
    throw new NotaryError('IO', `the input file for ${target} changed while it was being verified`, {
      hint: 'Do not modify the -i file while notary verify runs; run it again.',
    });
  }
}

async function writeStdout(ctx: CommandContext, chunk: Uint8Array): Promise<void> {
  // ctx.stdout.write takes text; the payload is binary, so write to the process stream when it
  // is the real stdout, keeping the bytes exact.
  const out = ctx.stdout as unknown as { writeBytes?: (b: Uint8Array) => Promise<void> | void };
  if (typeof out.writeBytes === 'function') {
    await out.writeBytes(chunk);
    return;
  }
  await new Promise<void>((res, rej) => {
    process.stdout.write(chunk, (e) => (e ? rej(e) : res()));
  });
}

/** Writes -o atomically (temp file + rename, 0600): the file appears only with verified content. */
async function writeOutputFile(
  ctx: CommandContext,
  output: string,
  source: AsyncIterable<Uint8Array>,
  expected: FileMeta,
  target: string,
  rehash: boolean,
): Promise<void> {
  const path = resolve(ctx.cwd, output);
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tsnotary-verify.tmp`);
  let ws: ReturnType<typeof createWriteStream>;
  try {
    ws = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
  } catch (e) {
    throw goPathError('open', output, e);
  }
  try {
    await copyVerified(
      source,
      (chunk) =>
        new Promise<void>((res, rej) => {
          ws.write(chunk, (e) => (e ? rej(e) : res()));
        }),
      expected,
      target,
      rehash,
    );
    await new Promise<void>((res, rej) => {
      ws.end((e?: Error | null) => (e ? rej(e) : res()));
    });
    await rename(tmp, path);
  } catch (e) {
    ws.destroy();
    await rm(tmp, { force: true });
    if (e instanceof NotaryError) throw e;
    throw goPathError('open', output, e);
  }
}

/** `verify GUN TARGET [-i FILE] [-o FILE] [-q]` */
export async function verify(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 2) throw usageError('Must specify a GUN and target');
  const gun = args[0] as string;
  const name = args[1] as string;
  const input = stringFlag(flags, 'input');
  const output = stringFlag(flags, 'output');
  const quiet = flags['quiet'] === true;
  const keep = !quiet;

  // Go reads the payload first. From -i we hash it while the metadata downloads (a payload
  // error is still reported first, as Go would); stdin is read completely before the server is
  // contacted, because the credential prompt may need stdin too.
  if (input !== '') {
    // fail on an unreadable -i before any network traffic (and any credential prompt)
    try {
      await (await open(resolve(ctx.cwd, input), 'r')).close();
    } catch (e) {
      throw goPathError('open', input, e);
    }
  }
  const payloadP = input !== '' ? readInputFile(ctx, input, keep) : readStdin(ctx, keep);
  payloadP.catch(() => {});
  if (input === '') await payloadP;
  const stateP = loadRepoState(ctx, gun, { kind: 'target', name });
  stateP.catch(() => {});
  const payload = await payloadP;
  try {
    let state: RepoState;
    try {
      state = await stateP;
    } catch (e) {
      throw wrapLookupError(e, name);
    }
    const t = lookupTarget(state, name);
    if (!t) throw wrapLookupError(noSuchTarget(gun, name, state.skipped), name);
    checkStreamedHashes(payload.meta, t, name);
    if (payload.meta.length !== t.length) {
      // Go compares hashes only; a matching hash with another length means the metadata's
      // length is wrong (addhash with a wrong size). Accept as Go does, but say so.
      ctx.log.warn(
        `${name}: the trusted metadata lists ${t.length} bytes, the verified data has ${payload.meta.length}`,
      );
    }
    if (quiet || !payload.replay) return;
    if (output !== '') {
      await writeOutputFile(ctx, output, payload.replay(), payload.meta, name, payload.rehash);
    } else {
      await copyVerified(
        payload.replay(),
        (chunk) => writeStdout(ctx, chunk),
        payload.meta,
        name,
        payload.rehash,
      );
    }
  } finally {
    await payload.cleanup();
  }
}

/** Go: `error retrieving target by name:<TARGET>, error:<err>` (no space after `name:`). */
function wrapLookupError(e: unknown, name: string): NotaryError {
  if (!(e instanceof NotaryError)) {
    return new NotaryError('INTERNAL', `error retrieving target by name:${name}, error:${errorMessage(e)}`, {
      cause: e,
    });
  }
  return new NotaryError(e.code, `error retrieving target by name:${name}, error:${e.message}`, {
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    ...(e.details !== undefined ? { details: e.details } : {}),
    cause: e.cause ?? e,
    exitCode: e.exitCode,
  });
}

/**
 * sha256 + sha512 + length of a large regular file (a `verify` payload), the two hashes
 * computed at the same time: sha256 in a worker thread, sha512 here, over the same bytes.
 *
 * The file is read with pread into a few slots of one SharedArrayBuffer; each slot is hashed
 * by both threads straight from that memory (no chunk is copied, none is read twice) and is
 * refilled only after the worker has released it. Small files are not worth a worker (its
 * start-up is ~20 ms): they are hashed in one thread with the same reads.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { goPathErrorText, NotaryError } from '../errors.js';
import type { FileMeta } from '../tuf/types.js';

/** Bytes per slot (one read, one hash update per thread). */
const SLOT = 4 << 20;
const SLOTS = 3;
/** Below this size one thread is faster than starting a worker. */
export const CONCURRENT_HASH_MIN = 32 << 20;

// The worker: CommonJS evaluated from text, so the bundle needs no separate file.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memory = Buffer.from(workerData);
const h = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.done) {
    parentPort.postMessage({ digest: h.digest() });
    return;
  }
  h.update(memory.subarray(m.offset, m.offset + m.length));
  parentPort.postMessage({ slot: m.slot });
});
`;

/**
 * Reads up to `length` bytes from the descriptor's current position into `buf[offset..]`
 * (fewer only at end of file). The current position, not 0: `cmd < file` after something else
 * read part of that file starts where the shell left it, as a stream read would.
 */
function readFull(fd: number, buf: Buffer, offset: number, length: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, offset + got, length - got, null);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** One-thread hashing with the same reads (small files, or no worker threads). */
function hashSequential(fd: number): FileMeta {
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  const buf = Buffer.allocUnsafe(SLOT);
  let length = 0;
  for (;;) {
    const n = readFull(fd, buf, 0, SLOT);
    if (n === 0) break;
    const view = buf.subarray(0, n);
    sha256.update(view);
    sha512.update(view);
    length += n;
  }
  return { length, hashes: { sha256: sha256.digest(), sha512: sha512.digest() } };
}

/**
 * Hashes the regular file open as `fd` from its current position to its end. `size` (from
 * fstat) only chooses the strategy: the length reported is what was read.
 */
export async function hashRegularFile(fd: number, size: number): Promise<FileMeta> {
  if (size < CONCURRENT_HASH_MIN) return hashSequential(fd);
  const { Worker } = await import('node:worker_threads');
  const shared = new SharedArrayBuffer(SLOT * SLOTS);
  const memory = Buffer.from(shared);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
  let failed: ((e: unknown) => void) | undefined;
  try {
    const released: Array<() => void> = [];
    const free: Array<Promise<void>> = Array.from({ length: SLOTS }, () => Promise.resolve());
    let digest: ((d: Buffer) => void) | undefined;
    const failure = new Promise<never>((_, rej) => {
      failed = rej;
    });
    failure.catch(() => {});
    worker.on('message', (m: { slot?: number; digest?: Uint8Array }) => {
      if (m.digest) digest?.(Buffer.from(m.digest));
      else if (m.slot !== undefined) released[m.slot]?.();
    });
    worker.once('error', (e) => failed?.(e));
    worker.once('exit', (code) => failed?.(new Error(`hash worker exited with code ${code}`)));

    const sha512 = createHash('sha512');
    let length = 0;
    for (let i = 0; ; i++) {
      const slot = i % SLOTS;
      await Promise.race([free[slot], failure]);
      const offset = slot * SLOT;
      const n = readFull(fd, memory, offset, SLOT);
      if (n === 0) break;
      free[slot] = new Promise<void>((res) => {
        released[slot] = res;
      });
      worker.postMessage({ slot, offset, length: n });
      // The worker hashes this slot with sha256 while this thread hashes it with sha512.
      sha512.update(memory.subarray(offset, offset + n));
      length += n;
    }
    const sha256 = await Promise.race([
      new Promise<Buffer>((res) => {
        digest = res;
        worker.postMessage({ done: true });
      }),
      failure,
    ]);
    return { length, hashes: { sha256, sha512: sha512.digest() } };
  } finally {
    failed = undefined;
    await worker.terminate();
  }
}

/** Hints for the two ways reading a target file fails (Go's *PathError texts either way). */
export interface FileHashHints {
  open?: string;
  read?: string;
}

/**
 * Length, sha256 and sha512 of the file at `path` (a target to add or verify), in one pass:
 * a regular file is hashed from its descriptor (both hashes at once when large); anything else
 * (a FIFO, a device) is streamed. `displayPath` names the file in errors.
 */
export async function hashFile(
  path: string,
  hints: FileHashHints = {},
  displayPath = path,
): Promise<FileMeta> {
  const fileError = (op: 'open' | 'read', e: unknown, hint: string | undefined) =>
    new NotaryError(
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO',
      goPathErrorText(displayPath, e, op),
      { cause: e, hint, exitCode: 1 },
    );
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw fileError('open', e, hints.open);
  }
  let regular = false;
  try {
    const st = await handle.stat();
    regular = st.isFile();
    if (regular) return await hashRegularFile(handle.fd, st.size);
  } catch (e) {
    regular = true;
    throw fileError('read', e, hints.read);
  } finally {
    if (regular) await handle.close();
  }
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let length = 0;
  try {
    for await (const chunk of createReadStream('', {
      fd: handle.fd,
      autoClose: false,
    }) as AsyncIterable<Buffer>) {
      sha256.update(chunk);
      sha512.update(chunk);
      length += chunk.length;
    }
  } catch (e) {
    throw fileError('read', e, hints.read);
  } finally {
    await handle.close();
  }
  return { length, hashes: { sha256: sha256.digest(), sha512: sha512.digest() } };
}

// The verify payload hasher: sequential and two-thread paths give exactly the streaming
// sha256/sha512/length, from the descriptor's current position, for any size around the slots.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONCURRENT_HASH_MIN, hashRegularFile } from '../../../src/repo/file-hash.js';

const dir = mkdtempSync(join(tmpdir(), 'tsnotary-file-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expected(data: Buffer) {
  return {
    length: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    sha512: createHash('sha512').update(data).digest('hex'),
  };
}

async function hashOf(data: Buffer, skip = 0) {
  const path = join(dir, `f-${data.length}-${skip}`);
  writeFileSync(path, data);
  const fd = openSync(path, 'r');
  try {
    if (skip > 0) readSync(fd, Buffer.alloc(skip), 0, skip, null); // e.g. `(read x; cmd) < file`
    const m = await hashRegularFile(fd, data.length);
    return {
      length: m.length,
      sha256: m.hashes['sha256']!.toString('hex'),
      sha512: m.hashes['sha512']!.toString('hex'),
    };
  } finally {
    closeSync(fd);
    rmSync(path);
  }
}

describe('hashRegularFile', () => {
  const slot = 4 << 20;
  it('one thread: empty, tiny and slot-boundary sizes', async () => {
    for (const n of [0, 1, 1000, slot - 1, slot, slot + 1]) {
      const data = randomBytes(n);
      expect(await hashOf(data), `size ${n}`).toEqual(expected(data));
    }
  });

  it('two threads: sizes at and around the threshold and the slot ring', async () => {
    for (const n of [CONCURRENT_HASH_MIN, CONCURRENT_HASH_MIN + 3 * slot + 7]) {
      const data = randomBytes(n);
      expect(await hashOf(data), `size ${n}`).toEqual(expected(data));
    }
  });

  it('starts at the current position (stdin partly consumed before)', async () => {
    const data = randomBytes(CONCURRENT_HASH_MIN + 100);
    expect(await hashOf(data, 100)).toEqual(expected(data.subarray(100)));
    const small = randomBytes(5000);
    expect(await hashOf(small, 17)).toEqual(expected(small.subarray(17)));
  });
});

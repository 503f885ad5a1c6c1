/**
 * `init` writes its cache so that a crash at any point leaves the previous state or no
 * repository, never a root without the targets/snapshot it signs (issue 9 part 2).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataCache } from '../../../src/repo/cache.js';
import { writeInitialCache } from '../../../src/repo/init.js';
import { loadLocalRepo } from '../../../src/repo/publish.js';

class RecordingCache extends MetadataCache {
  readonly ops: string[] = [];
  failOn: string | undefined;
  override async write(role: string, bytes: Uint8Array): Promise<void> {
    if (this.failOn === role) throw new Error(`killed before writing ${role}`);
    this.ops.push(`write ${role}`);
    await super.write(role, bytes);
  }
  override async remove(role: string): Promise<void> {
    this.ops.push(`remove ${role}`);
    await super.remove(role);
  }
}

const bytes = (s: string) => Buffer.from(s);

describe('init cache writes', () => {
  it('drop an old root first, then write targets and snapshot, and the root last', async () => {
    const cache = new RecordingCache(mkdtempSync(join(tmpdir(), 'tsn-init-')), 'ex.io/init');
    await writeInitialCache(cache, bytes('{"root":2}'), bytes('{"targets":2}'), bytes('{"snapshot":2}'));
    expect(cache.ops).toEqual(['remove root', 'write targets', 'write snapshot', 'write root']);
    expect((await cache.read('root'))?.toString()).toBe('{"root":2}');
  });

  it.each(['targets', 'snapshot', 'root'])(
    'a crash before writing %s leaves no root: the repository reads as not initialised',
    async (role) => {
      const cache = new RecordingCache(mkdtempSync(join(tmpdir(), 'tsn-init-')), 'ex.io/init');
      // A previous init's complete cache (re-init over it).
      await writeInitialCache(cache, bytes('{"root":1}'), bytes('{"targets":1}'), bytes('{"snapshot":1}'));
      cache.failOn = role;
      await expect(
        writeInitialCache(cache, bytes('{"root":2}'), bytes('{"targets":2}'), bytes('{"snapshot":2}')),
      ).rejects.toThrow(`killed before writing ${role}`);
      expect(existsSync(cache.fileOf('root'))).toBe(false);
      // Publish then initialises again instead of misreading a mix of old and new files.
      expect(await loadLocalRepo(cache)).toBeUndefined();
    },
  );
});

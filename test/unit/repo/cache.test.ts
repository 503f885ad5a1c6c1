import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src/atomic-file.js';
import { isNotaryError } from '../../../src/errors.js';
import { deleteLocalRepoData, MetadataCache } from '../../../src/repo/cache.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsn-cache-'));

describe('MetadataCache', () => {
  it('writes tuf/<gun>/metadata/<role>.json atomically with 0600 files and 0700 dirs', async () => {
    const trust = tmp();
    const cache = new MetadataCache(trust, 'example.com/a');
    await cache.write('root', Buffer.from('{"r":1}'));
    await cache.write('targets/releases/x', Buffer.from('{"d":1}'));
    const md = join(trust, 'tuf', 'example.com', 'a', 'metadata');
    expect(readFileSync(join(md, 'root.json'), 'utf8')).toBe('{"r":1}');
    expect(readFileSync(join(md, 'targets', 'releases', 'x.json'), 'utf8')).toBe('{"d":1}');
    expect(statSync(join(md, 'root.json')).mode & 0o777).toBe(0o600);
    expect(statSync(md).mode & 0o777).toBe(0o700);
    expect(statSync(join(md, 'targets', 'releases')).mode & 0o777).toBe(0o700);
    expect(readdirSync(md).sort()).toEqual(['root.json', 'targets']); // no temp files left
    expect((await cache.read('root'))?.toString()).toBe('{"r":1}');
    expect((await cache.read('targets/releases/x'))?.toString()).toBe('{"d":1}');
    expect(await cache.read('snapshot')).toBeUndefined();
    await cache.write('root', Buffer.from('{"r":2}'));
    expect((await cache.read('root'))?.toString()).toBe('{"r":2}');
    await cache.remove('root');
    expect(await cache.read('root')).toBeUndefined();
    await cache.removeAll();
    expect(existsSync(md)).toBe(false);
  });

  it('caps reads (100 MiB by default)', async () => {
    const cache = new MetadataCache(tmp(), 'g');
    await cache.write('timestamp', Buffer.alloc(100));
    await expect(cache.read('timestamp', 99)).rejects.toThrow(/too large/);
    expect((await cache.read('timestamp', 100))?.length).toBe(100);
  });

  it('refuses role names that leave the metadata directory', async () => {
    const cache = new MetadataCache(tmp(), 'g');
    for (const role of ['../x', 'targets/../../x', '/abs', 'targets//a', '', 'a\0b']) {
      await expect(cache.write(role, Buffer.from('x')), role).rejects.toSatisfy((e) =>
        isNotaryError(e, 'INVALID_ROLE'),
      );
    }
  });

  it('rejects unsafe GUNs', () => {
    expect(() => new MetadataCache(tmp(), '../escape')).toThrow(/invalid GUN/);
  });

  it('deleteLocalRepoData keeps nested repositories (unlike Go)', async () => {
    const trust = tmp();
    await new MetadataCache(trust, 'a').write('root', Buffer.from('1'));
    await new MetadataCache(trust, 'a/b').write('root', Buffer.from('2'));
    mkdirSync(join(trust, 'tuf', 'a', 'changelist'), { recursive: true });
    writeFileSync(join(trust, 'tuf', 'a', 'changelist', 'x.change'), '{}');
    await deleteLocalRepoData(trust, 'a');
    expect(existsSync(join(trust, 'tuf', 'a', 'metadata'))).toBe(false);
    expect(existsSync(join(trust, 'tuf', 'a', 'changelist'))).toBe(false);
    expect((await new MetadataCache(trust, 'a/b').read('root'))?.toString()).toBe('2');
    await deleteLocalRepoData(trust, 'a/b');
    expect(existsSync(join(trust, 'tuf', 'a', 'b'))).toBe(false);
  });
});

describe('fs-atomic', () => {
  it('replaces the content and leaves no temp file; keeps the old content when the write fails', async () => {
    const dir = tmp();
    const f = join(dir, 'k.key');
    await writeFileAtomic(f, 'one');
    writeFileAtomicSync(f, 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['k.key']);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      await expect(writeFileAtomic(f, 'three')).rejects.toThrow();
      chmodSync(dir, 0o700);
      expect(readFileSync(f, 'utf8')).toBe('two');
    }
  });
  it('honours tmpDir and mode', async () => {
    const dir = tmp();
    await writeFileAtomic(join(dir, 'x'), 'x', { tmpDir: join(dir, '.t'), mode: 0o644 });
    expect(statSync(join(dir, 'x')).mode & 0o777).toBe(0o644);
    expect(readdirSync(join(dir, '.t'))).toEqual([]);
  });
});

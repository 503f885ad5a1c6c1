import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTar, writeTar } from '../../../src/remote/ustar.js';
import { tempDir } from '../../helpers/cli.js';

describe('ustar', () => {
  const long = `v2/${'registry.example.com/'.repeat(8)}img/_trust/tuf/targets/${'deep/'.repeat(30)}role.json`;

  it('round-trips files, hard links and long names; GNU tar extracts what it writes', () => {
    const entries = [
      { path: 'manifest.json', data: Buffer.from('{}\n') },
      { path: 'v2/a/_trust/tuf/root.json', data: Buffer.from('root') },
      { path: 'v2/a/_trust/tuf/1.root.json', linkTo: 'v2/a/_trust/tuf/root.json' },
      { path: long, data: Buffer.alloc(1025, 7) },
    ];
    const tar = Buffer.concat(writeTar(entries, new Date(0)));
    const files = readTar(tar, 'x.tar');
    expect(files.get('v2/a/_trust/tuf/1.root.json')?.toString()).toBe('root');
    expect(files.get(long)?.length).toBe(1025);
    const dir = tempDir('ustar-');
    writeFileSync(join(dir, 'a.tar'), tar);
    mkdirSync(join(dir, 'x'));
    execFileSync('tar', ['xf', join(dir, 'a.tar'), '-C', join(dir, 'x')]);
    expect(readFileSync(join(dir, 'x', 'v2/a/_trust/tuf/1.root.json'), 'utf8')).toBe('root');
    expect(readFileSync(join(dir, 'x', long)).length).toBe(1025);
  });

  it('reads what GNU tar writes (long names, hard links) and refuses a damaged header', () => {
    const dir = tempDir('ustar-');
    const src = join(dir, 'src');
    mkdirSync(join(src, ...long.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(src, long), 'deep');
    execFileSync('ln', [join(src, long), join(src, 'link.json')]);
    execFileSync('tar', ['cf', join(dir, 'g.tar'), '-C', src, '.']);
    const tar = readFileSync(join(dir, 'g.tar'));
    const files = readTar(tar, 'g.tar');
    expect(files.get(long)?.toString()).toBe('deep');
    expect(files.get('link.json')?.toString()).toBe('deep');
    tar[10] = (tar[10] as number) ^ 1;
    expect(() => readTar(tar, 'g.tar')).toThrow(/not a valid tar archive: bad header checksum/);
  });
});

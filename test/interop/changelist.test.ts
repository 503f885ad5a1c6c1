// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Changelist interop with the Go client on one trust directory (no server needed: staging is
 * offline). Changes staged by Go show in our `status` exactly as Go shows them, changes we stage
 * show in Go's `status` byte for byte, and the same command writes the same file content.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseChange, serializeChange } from '../../src/repo/changelist.js';
import { type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';

function setup() {
  const dir = tempDir('tsn-cl-interop-');
  const trust = join(dir, 'trust');
  const opts = { home: dir, cwd: dir };
  const ts = (args: string[]): Promise<RunResult> => runTs(['-d', trust, ...args], opts);
  const go = (args: string[]): Promise<RunResult> => runGo(['-d', trust, ...args], opts);
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const changelist = (gun: string) => join(trust, 'tuf', ...gun.split('/'), 'changelist');
  const changeFiles = (gun: string) =>
    readdirSync(changelist(gun))
      .filter((n) => n.endsWith('.change'))
      .sort();
  return { dir, trust, ts, go, file, changelist, changeFiles };
}

function ok(r: RunResult, what: string): RunResult {
  expect(r.code, `${what}: ${r.all}`).toBe(0);
  return r;
}

describe('changelist shared with Go notary', () => {
  test('changes staged by Go (add, addhash, remove, witness, delegation add/remove) show identically in our status', async () => {
    const s = setup();
    const g = 'example.com/interop/go-staged';
    const f = s.file('hello.txt', 'hello\n');
    const custom = s.file('custom.json', '{"build": 42, "note": "<b>&"}');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(s.dir, 'd.key'),
        '-out',
        join(s.dir, 'd.crt'),
        '-days',
        '30',
        '-subj',
        '/CN=delegate',
      ],
      { stdio: 'ignore' },
    );
    ok(await s.go(['add', g, 'dir/file<1>', f, '--custom', custom]), 'go add');
    ok(await s.go(['add', g, 'rel', f, '-r', 'targets/releases']), 'go add -r');
    ok(await s.go(['addhash', g, 'by-hash', '3', '--sha256', 'a'.repeat(64)]), 'go addhash');
    ok(await s.go(['remove', g, 'old']), 'go remove');
    ok(await s.go(['witness', g, 'targets', 'targets/releases']), 'go witness');
    ok(
      await s.go(['delegation', 'add', g, 'targets/releases', join(s.dir, 'd.crt'), '--paths', 'a/,b/']),
      'go delegation add',
    );
    ok(await s.go(['delegation', 'remove', g, 'targets/releases', '--paths', 'a/']), 'go delegation remove');

    const goStatus = ok(await s.go(['status', g]), 'go status');
    const tsStatus = ok(await s.ts(['status', g]), 'ts status');
    expect(tsStatus.stdout).toBe(goStatus.stdout);
    expect(tsStatus.stdout.split('\n').length).toBeGreaterThan(10);
    // every file Go wrote re-serialises to the same bytes with our encoder
    for (const name of s.changeFiles(g)) {
      const bytes = readFileSync(join(s.changelist(g), name));
      expect(serializeChange(parseChange(bytes)).equals(bytes), name).toBe(true);
    }
    // we can reset Go's changes, Go sees the result
    ok(await s.ts(['reset', g, '-n', '0,2']), 'ts reset');
    const after = ok(await s.go(['status', g]), 'go status after');
    expect(after.stdout).toBe((await s.ts(['status', g])).stdout);
    expect(after.stdout).not.toContain('dir/file<1>');
    expect(after.stdout).not.toContain('by-hash');
  });

  test('changes we stage show byte-identically in Go status, and Go can reset them', async () => {
    const s = setup();
    const g = 'example.com/interop/ts-staged';
    const f = s.file('hello.txt', 'hello\n');
    const custom = s.file('custom.json', '{\n  "build": 42,\n  "channel": "<stable>"\n}\n');
    ok(await s.ts(['add', g, 'with-custom', f, '--custom', custom]), 'ts add');
    ok(await s.ts(['add', g, 'odd name\u2028<&>', f, '-r', 'targets/releases,targets/qa']), 'ts add -r');
    ok(await s.ts(['addhash', g, 'by-hash', '0x10', '--sha512', 'b'.repeat(128)]), 'ts addhash');
    ok(await s.ts(['remove', g, 'old']), 'ts remove');
    ok(await s.ts(['witness', g, 'targets/releases']), 'ts witness');
    const tsStatus = ok(await s.ts(['status', g]), 'ts status');
    const goStatus = ok(await s.go(['status', g]), 'go status');
    expect(goStatus.stdout).toBe(tsStatus.stdout);
    expect(goStatus.stderr).toBe(''); // Go parsed every file without a warning
    ok(await s.go(['reset', g, '-n', '1']), 'go reset');
    expect((await s.ts(['status', g])).stdout).toBe((await s.go(['status', g])).stdout);
    ok(await s.go(['reset', g, '--all']), 'go reset --all');
    expect((await s.ts(['status', g])).stdout).toBe(`No unpublished changes for ${g}\n`);
  });

  test('the same staging command writes the same file content as Go', async () => {
    const s = setup();
    const f = s.file('data.bin', 'some target data\n');
    const custom = s.file('custom.json', ' {"z": [1, 2, {"k": "v & <w>"}], "a": null}\n');
    const commands: string[][] = [
      ['add', 'G', 'path/to/t', f, '--custom', custom],
      ['add', 'G', 'x', f, '-r', 'targets/a'],
      ['addhash', 'G', 'h', '1_000', '--sha256', 'C'.repeat(64), '--sha512', 'd'.repeat(128)],
      ['remove', 'G', 'gone', '-r', 'targets/a'],
      ['witness', 'G', 'targets'],
    ];
    for (const args of commands) {
      const goGun = 'example.com/same/go';
      const tsGun = 'example.com/same/ts';
      const withGun = (gun: string) => args.map((a) => (a === 'G' ? gun : a));
      ok(await s.go(withGun(goGun)), `go ${args.join(' ')}`);
      ok(await s.ts(withGun(tsGun)), `ts ${args.join(' ')}`);
    }
    const read = (gun: string) => s.changeFiles(gun).map((n) => readFileSync(join(s.changelist(gun), n)));
    const goFiles = read('example.com/same/go');
    const tsFiles = read('example.com/same/ts');
    expect(tsFiles.length).toBe(goFiles.length);
    for (const [i, b] of tsFiles.entries()) expect(b.toString(), `change ${i}`).toBe(goFiles[i]!.toString());
  });
});

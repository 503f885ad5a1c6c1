/**
 * Staging commands end to end through the built CLI (`npm run build` first): outputs and errors
 * as Go prints them, nothing staged on failure, unsafe GUNs refused, corrupt change files set
 * aside, and `-p` against a real notary-server.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunResult, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-pass-123',
  NOTARY_TARGETS_PASSPHRASE: 'targets-pass-123',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-pass-123',
  NOTARY_DELEGATION_PASSPHRASE: 'deleg-pass-123',
};

function setup() {
  const dir = tempDir('tsn-stage-');
  const trust = join(dir, 'trust');
  const cli = (args: string[], env: Record<string, string> = {}): Promise<RunResult> =>
    runTs(['-d', trust, ...args], { home: dir, cwd: dir, env: { ...PASS, ...env } });
  const file = (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const changelist = (gun: string) => join(trust, 'tuf', ...gun.split('/'), 'changelist');
  const changeFiles = (gun: string) =>
    existsSync(changelist(gun)) ? readdirSync(changelist(gun)).filter((n) => n.endsWith('.change')) : [];
  return { dir, trust, cli, file, changelist, changeFiles };
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Buffer | string) => createHash('sha512').update(b).digest('hex');

describe('staging commands (offline)', () => {
  test('add / addhash / remove / witness print Go texts and status shows them in order', async () => {
    const s = setup();
    const g = 'example.com/stage';
    const f = s.file('hello.txt', 'hello\n');
    let r = await s.cli(['add', g, 'hello', f]);
    expect(r).toMatchObject({
      code: 0,
      stdout: `Addition of target "hello" to repository "${g}" staged for next publish.\n`,
    });
    r = await s.cli(['add', g, 'rel', f, '-r', 'targets/releases', '--roles', 'targets/a,targets/b']);
    expect(r.code).toBe(0);
    r = await s.cli(['addhash', g, 'byhash', '0x10', '--sha256', sha256('x'), '--sha512', sha512('x')]);
    expect(r).toMatchObject({
      code: 0,
      stdout: `Addition of target "byhash" by sha256, sha512 hash to repository "${g}" staged for next publish.\n`,
    });
    r = await s.cli(['addhash', g, 'only512', '010', '--sha512', sha512('x')]);
    expect(r.stdout).toBe(
      `Addition of target "only512" by sha512 hash to repository "${g}" staged for next publish.\n`,
    );
    r = await s.cli(['remove', g, 'gone']);
    expect(r).toMatchObject({ code: 0, stdout: `Removal of gone from ${g} staged for next publish.\n` });
    r = await s.cli(['witness', g, 'targets', 'targets/releases']);
    expect(r).toMatchObject({
      code: 0,
      stdout:
        'The following roles were successfully marked for witnessing on the next publish:\n\t- targets\n\t- targets/releases\n',
    });
    r = await s.cli(['status', g]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `Unpublished changes for ${g}:`,
        '',
        '#    ACTION    SCOPE               TYPE       PATH',
        '-    ------    -----               ----       ----',
        '0    create    targets             target     hello',
        '1    create    targets/releases    target     rel',
        '2    create    targets/a           target     rel',
        '3    create    targets/b           target     rel',
        '4    create    targets             target     byhash',
        '5    create    targets             target     only512',
        '6    delete    targets             target     gone',
        '7    update    targets             witness    ',
        '8    update    targets/releases    witness    ',
        '',
      ].join('\n'),
    );
    for (const name of s.changeFiles(g)) {
      expect(name).toMatch(/^\d{20}_[0-9a-f-]{36}\.change$/);
      expect(statSync(join(s.changelist(g), name)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(s.changelist(g)).mode & 0o777).toBe(0o700);
    // the payloads hold what was asked (addhash size parsed with Go base prefixes)
    const payloads = s
      .changeFiles(g)
      .sort()
      .map((n) => JSON.parse(readFileSync(join(s.changelist(g), n), 'utf8')) as { data: string | null })
      .map((c) => (c.data === null ? null : JSON.parse(Buffer.from(c.data, 'base64').toString())));
    expect(payloads[0]).toEqual({
      length: 6,
      hashes: {
        sha256: createHash('sha256').update('hello\n').digest('base64'),
        sha512: createHash('sha512').update('hello\n').digest('base64'),
      },
    });
    expect(payloads[4].length).toBe(16);
    expect(payloads[5].length).toBe(8);
    expect(Object.keys(payloads[5].hashes)).toEqual(['sha512']);

    // reset: -n lists (repeated and comma separated), out of range ignored; then --all
    r = await s.cli(['reset', g, '-n', '1,2', '-n', '3', '-n', '99']);
    expect(r).toMatchObject({
      code: 0,
      stdout: `Successfully reset specified changes for repository ${g}\n`,
    });
    r = await s.cli(['status', g]);
    expect(
      r.stdout
        .split('\n')
        .slice(4, -1)
        .map((l) => l.split(/\s+/)[4] ?? ''),
    ).toEqual(['hello', 'byhash', 'only512', 'gone', '', '']);
    r = await s.cli(['reset', g, '--all']);
    expect(r.code).toBe(0);
    r = await s.cli(['status', g]);
    expect(r).toMatchObject({ code: 0, stdout: `No unpublished changes for ${g}\n` });
  });

  test('status of a never-seen GUN', async () => {
    const s = setup();
    const r = await s.cli(['status', 'Example.com/Never Seen:5000']);
    expect(r).toMatchObject({ code: 0, stdout: 'No unpublished changes for Example.com/Never Seen:5000\n' });
  });

  test('argument errors: Go messages, usage where Go shows it, nothing staged', async () => {
    const s = setup();
    const g = 'example.com/args';
    const f = s.file('f', 'data');
    const cases: Array<[string[], string, boolean]> = [
      [['add', g, 'only-target'], 'Must specify a GUN, target, and path to target data', true],
      [
        ['addhash', g, 't', '10'],
        'Must specify a GUN, target, byte size of target data, and at least one hash',
        true,
      ],
      [
        ['addhash', g, 't'],
        'Must specify a GUN, target, byte size of target data, and at least one hash',
        true,
      ],
      [['remove', g], 'Must specify a GUN and target', false],
      [['status'], 'Must specify a GUN', true],
      [['reset'], 'Must specify a GUN', true],
      [['reset', g], 'Must specify changes to reset with -n or the --all flag', true],
      [['witness', g], 'Please provide a GUN and at least one role to witness', true],
    ];
    for (const [args, message, usage] of cases) {
      const r = await s.cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.all, args.join(' ')).toContain(message);
      expect(r.all.includes('Usage:'), `${args.join(' ')} usage`).toBe(usage);
    }
    const errors: Array<[string[], string]> = [
      [
        ['add', g, 't', join(s.dir, 'no-such-file')],
        `open ${join(s.dir, 'no-such-file')}: no such file or directory`,
      ],
      [['add', g, 't', f, '-r', 'root'], 'tuf: invalid role root. cannot add targets to this role'],
      [['add', g, 't', f, '-r', 'targets/'], 'tuf: invalid role targets/. cannot add targets to this role'],
      [
        ['add', g, 't', f, '-r', 'targets/Upper'],
        'tuf: invalid role targets/Upper. cannot add targets to this role',
      ],
      [['add', g, 't', f, '-r', 'targets/*'], 'tuf: invalid role targets/*. cannot add targets to this role'],
      [
        ['add', g, 't', f, '-r', 'targets,snapshot'],
        'tuf: invalid role snapshot. cannot add targets to this role',
      ],
      [['remove', g, 't', '-r', 'foo'], 'tuf: invalid role foo. cannot add targets to this role'],
      [['addhash', g, 't', '10', '--sha256', 'abc'], 'invalid sha256 hex contents provided'],
      [['addhash', g, 't', '10', '--sha512', sha256('x')], 'invalid sha512 hex contents provided'],
      [
        ['addhash', g, 't', '10', '--sha256', `zg${sha256('x').slice(2)}`],
        "encoding/hex: invalid byte: U+007A 'z'",
      ],
      [
        ['addhash', g, 't', 'ten', '--sha256', sha256('x')],
        'strconv.ParseInt: parsing "ten": invalid syntax',
      ],
      [
        ['addhash', g, 't', '99999999999999999999', '--sha256', sha256('x')],
        'strconv.ParseInt: parsing "99999999999999999999": value out of range',
      ],
      [['addhash', g, 't', '--sha256', sha256('x'), '--', '-5'], 'negative size'],
      [
        ['add', g, 't', f, '--custom', s.file('bad.json', 'nope')],
        "json: error calling MarshalJSON for type *json.RawMessage: invalid character 'o' in literal null (expecting 'u')",
      ],
      [['add', g, 't', f, '--custom', s.file('frac.json', '{"v":1.5}')], 'not a whole number'],
      [
        ['add', g, 't', f, '--custom', join(s.dir, 'nocustom.json')],
        `open ${join(s.dir, 'nocustom.json')}: no such file or directory`,
      ],
      [['witness', g, 'root'], 'tuf: invalid role root. this role is not known'],
      [['witness', g, 'targets', 'snapshot'], 'tuf: invalid role snapshot. this role is not known'],
      [['reset', g, '-n', 'abc'], 'invalid argument "abc" for "-n, --number" flag'],
    ];
    for (const [args, message] of errors) {
      const r = await s.cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.all, args.join(' ')).toContain(message);
    }
    expect(s.changeFiles(g)).toEqual([]);
  });

  test('GUNs that would leave the trust directory are refused and nothing is written', async () => {
    const s = setup();
    const f = s.file('f', 'data');
    for (const gun of ['../escape', 'a/../../escape', '/abs/olute', 'a//b', 'trail/', 'nl\nx']) {
      for (const args of [
        ['add', gun, 't', f],
        ['addhash', gun, 't', '1', '--sha256', sha256('x')],
        ['remove', gun, 't'],
        ['witness', gun, 'targets'],
        ['status', gun],
        ['reset', gun, '--all'],
      ]) {
        const r = await s.cli(args);
        expect(r.code, JSON.stringify(args)).not.toBe(0);
        expect(r.all).toContain('invalid GUN');
      }
    }
    expect(existsSync(join(s.dir, 'escape'))).toBe(false);
    expect(existsSync(join(s.trust, 'escape'))).toBe(false);
    expect(existsSync('/abs/olute')).toBe(false);
  });

  test('a corrupt change file (Go killed mid-write) is reported, set aside, and blocks nothing', async () => {
    const s = setup();
    const g = 'example.com/corrupt';
    await s.cli(['add', g, 'good', s.file('g', 'good')]);
    const bad = join(s.changelist(g), '00000000000000000001_0f0e0d0c-0000-4000-8000-000000000000.change');
    writeFileSync(bad, '');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(bad, old, old);
    const r = await s.cli(['status', g]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0    create    targets    target    good');
    expect(r.stderr).toContain('00000000000000000001_0f0e0d0c-0000-4000-8000-000000000000.change');
    expect(r.stderr).toContain('unexpected end of JSON input');
    expect(readdirSync(join(s.changelist(g), '.corrupt'))).toEqual([
      '00000000000000000001_0f0e0d0c-0000-4000-8000-000000000000.change',
    ]);
    expect(s.changeFiles(g)).toHaveLength(1);
  });
});

describe('-p against a real notary-server', { tags: ['go'] }, () => {
  let server: NotaryServer;
  beforeAll(async () => {
    server = await startNotaryServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('add -p / addhash -p / remove -p / witness -p publish and clear the changelist', async () => {
    const s = setup();
    const g = 'example.com/autopub';
    const srv = ['-s', server.url];
    let r = await s.cli([...srv, 'init', '-p', g]);
    expect(r.code, r.all).toBe(0);
    const data = Buffer.from('payload for -p\n');
    const custom = s.file('custom.json', '{ "build": 42,\n "tags": ["a", "b"] }\n');
    r = await s.cli([...srv, 'add', '-p', g, 'one', s.file('one', data), '--custom', custom]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toBe(
      `Addition of target "one" to repository "${g}" staged for next publish.\n` +
        `Auto-publishing changes to ${g}\n` +
        `Successfully published changes for repository ${g}\n`,
    );
    expect(s.changeFiles(g)).toEqual([]);
    r = await s.cli([...srv, 'addhash', '-p', g, 'two', '4242', '--sha256', sha256('x')]);
    expect(r.code, r.all).toBe(0);
    r = await s.cli([...srv, 'list', g]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`one\\s+${sha256(data)}\\s+${data.length}\\s+targets`));
    expect(r.stdout).toMatch(new RegExp(`two\\s+${sha256('x')}\\s+4242\\s+targets`));
    const targets = (await (await fetch(`${server.url}/v2/${g}/_trust/tuf/targets.json`)).json()) as {
      signed: { targets: Record<string, { custom?: unknown }> };
    };
    expect(targets.signed.targets['one']?.custom).toEqual({ build: 42, tags: ['a', 'b'] });
    r = await s.cli([...srv, 'remove', '-p', g, 'two']);
    expect(r.code, r.all).toBe(0);
    r = await s.cli([...srv, 'witness', '-p', g, 'targets']);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(
      `Auto-publishing changes to ${g}\nSuccessfully published changes for repository ${g}\n`,
    );
    r = await s.cli([...srv, 'list', g]);
    expect(r.stdout).not.toContain('two');
    expect((await s.cli(['status', g])).stdout).toBe(`No unpublished changes for ${g}\n`);
  });

  test('a failed -p keeps the staged change (server down), a later publish sends it', async () => {
    const s = setup();
    const g = 'example.com/autopub-fail';
    expect((await s.cli(['-s', server.url, 'init', '-p', g])).code).toBe(0);
    const r = await s.cli(['-s', 'http://127.0.0.1:9', 'add', '-p', g, 'later', s.file('l', 'later')]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`Auto-publishing changes to ${g}`);
    expect(s.changeFiles(g)).toHaveLength(1);
    expect((await s.cli(['-s', server.url, 'publish', g])).code).toBe(0);
    expect(s.changeFiles(g)).toEqual([]);
  });
});

test('changelist sub-directories are ignored by status (Go skips directories)', async () => {
  const s = setup();
  const g = 'example.com/dirs';
  mkdirSync(join(s.changelist(g), 'subdir'), { recursive: true });
  expect((await s.cli(['status', g])).stdout).toBe(`No unpublished changes for ${g}\n`);
});

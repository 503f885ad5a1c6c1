// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * `--format json` round trip (docs/json-output.md): for list, lookup, status, key list,
 * delegation list and version, the JSON document is parsed and compared with the data the
 * table output of the same command shows. Errors in JSON mode are one object on stderr with
 * code, message (Go's wording) and hint, and nothing on stdout. Real notary-server; the
 * repository is published by tsnotary (delegations by the Go client on the same trust dir,
 * since `delegation add` is another issue's).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, type RunOptions, type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { freePort } from '../helpers/ports.js';
import { fixtureCertNow } from '../helpers/tls.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

let server: NotaryServer;
let work: string;
let trust: string;
const gun = `example.com/json/${randomBytes(4).toString('hex')}`;

const opts = (extra: RunOptions = {}): RunOptions => ({
  env: { ...PASS },
  cwd: work,
  timeoutMs: 30_000,
  ...extra,
});
const ts = (args: string[], o?: RunOptions) => runTs(['-s', server.url, '-d', trust, ...args], opts(o));
const go = (args: string[], o?: RunOptions) => runGo(['-s', server.url, '-d', trust, ...args], opts(o));

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  expect(r.code, r.all).toBe(0);
  return r;
}

function file(name: string, content: string): string {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
}

/** Both forms of a command: the table's stdout and the parsed JSON document. */
async function both(args: string[]): Promise<{ table: string; json: unknown }> {
  const table = (await ok(ts(args))).stdout;
  const j = await ok(ts(['--format', 'json', ...args]));
  expect(j.stdout.endsWith('}\n')).toBe(true);
  return { table, json: JSON.parse(j.stdout) };
}

/**
 * Parses a tabwriter table by the header's column positions (cells may contain single spaces,
 * e.g. `"" <all paths>`). Returns the data rows (the dashes line skipped) as cell arrays.
 */
function parseTable(text: string, firstHeader: string): string[][] {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => l.startsWith(firstHeader));
  expect(h, text).toBeGreaterThanOrEqual(0);
  const header = lines[h]!;
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index!);
  const rows: string[][] = [];
  for (const line of lines.slice(h + 2)) {
    if (line.trim() === '') break;
    rows.push(starts.map((s, i) => line.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined).trim()));
  }
  return rows;
}

beforeAll(async () => {
  server = await startNotaryServer();
  work = tempDir('tsnotary-json-');
  trust = join(work, 'trust');
  mkdirSync(trust);
  await ok(ts(['init', '-p', gun]));
  await ok(ts(['add', gun, 'hello', file('hello', 'hello\n')]));
  await ok(ts(['add', gun, 'bin/app.bin', file('app', 'x'.repeat(1024))]));
  await ok(ts(['add', gun, 'with-custom', file('c', 'c'), '--custom', file('custom.json', '{"build":42}')]));
  await ok(ts(['addhash', gun, 'only-sha256', '10', '--sha256', 'ab'.repeat(32)]));
  await ok(ts(['publish', gun]));
  const certs = join(fixturesDir, 'go', 'certs');
  await ok(go(['key', 'import', join(certs, 'delegation-ecdsa.key'), '-r', 'targets/releases']));
  await ok(
    go([
      'delegation',
      'add',
      '-p',
      gun,
      'targets/releases',
      fixtureCertNow('delegation-ecdsa'),
      fixtureCertNow('delegation-rsa'),
      '--paths',
      'releases/,bar/',
    ]),
  );
  await ok(
    go(['delegation', 'add', '-p', gun, 'targets/all', fixtureCertNow('delegation-rsa'), '--all-paths']),
  );
  await ok(go(['add', '-p', gun, 'releases/v1', file('v1', 'v1'), '--roles', 'targets/releases']));
  // unpublished changes for `status`
  await ok(ts(['add', gun, 'staged', file('staged', 'staged')]));
  await ok(ts(['remove', gun, 'hello', '--roles', 'targets/releases']));
});
afterAll(async () => {
  await server?.stop();
});

interface TargetJson {
  name: string;
  role: string;
  length: number;
  hashes: Record<string, string>;
  custom?: unknown;
}

describe('--format json matches the table output', () => {
  it('list', async () => {
    const { table, json } = await both(['list', gun]);
    const doc = json as { gun: string; targets: TargetJson[]; skipped: unknown[] };
    expect(Object.keys(doc).sort()).toEqual(['gun', 'skipped', 'targets']);
    expect(doc.gun).toBe(gun);
    expect(doc.skipped).toEqual([]);
    const rows = parseTable(table, 'NAME');
    expect(rows.length).toBe(5);
    expect(doc.targets.map((t) => [t.name, t.hashes['sha256'] ?? '', String(t.length), t.role])).toEqual(
      rows,
    );
    for (const t of doc.targets) {
      expect(Object.keys(t.hashes).sort()).toEqual(
        t.name === 'only-sha256' ? ['sha256'] : ['sha256', 'sha512'],
      );
      for (const h of Object.values(t.hashes)) expect(h).toMatch(/^[0-9a-f]+$/);
    }
    expect(doc.targets.find((t) => t.name === 'with-custom')?.custom).toEqual({ build: 42 });
    expect(doc.targets.find((t) => t.name === 'hello')).not.toHaveProperty('custom');

    // --roles applies to both forms alike
    const r = await both(['list', gun, '--roles', 'targets/releases']);
    const rd = r.json as { targets: TargetJson[] };
    expect(rd.targets.map((t) => [t.name, t.hashes['sha256'], String(t.length), t.role])).toEqual(
      parseTable(r.table, 'NAME'),
    );
    expect(rd.targets.map((t) => t.role)).toEqual(['targets/releases']);
  });

  it('lookup', async () => {
    for (const name of ['hello', 'releases/v1', 'with-custom']) {
      const { table, json } = await both(['lookup', gun, name]);
      const doc = json as { gun: string; target: TargetJson };
      expect(doc.gun).toBe(gun);
      expect(table).toBe(`${doc.target.name} sha256:${doc.target.hashes['sha256']} ${doc.target.length}\n`);
    }
    const rel = (await both(['lookup', gun, 'releases/v1'])).json as { target: TargetJson };
    expect(rel.target.role).toBe('targets/releases');
  });

  it('status', async () => {
    const { table, json } = await both(['status', gun]);
    const doc = json as {
      gun: string;
      changes: { index: number; action: string; scope: string; type: string; path: string }[];
    };
    expect(doc.gun).toBe(gun);
    expect(doc.changes.map((c) => [String(c.index), c.action, c.scope, c.type, c.path])).toEqual(
      parseTable(table, '#'),
    );
    expect(doc.changes.map((c) => `${c.action} ${c.scope} ${c.path}`)).toEqual([
      'create targets staged',
      'delete targets/releases hello',
    ]);
    // nothing staged: the table says so, JSON has an empty list
    const other = await both(['status', `${gun}-none`]);
    expect(other.table).toBe(`No unpublished changes for ${gun}-none\n`);
    expect(other.json).toEqual({ gun: `${gun}-none`, changes: [] });
  });

  it('key list (JSON values are never truncated)', async () => {
    const { table, json } = await both(['key', 'list']);
    const doc = json as { keys: { role: string; gun: string; keyId: string; location: string }[] };
    expect(Object.keys(doc)).toEqual(['keys']);
    const rows = parseTable(table, 'ROLE');
    expect(rows.length).toBe(doc.keys.length);
    expect(doc.keys.map((k) => k.role)).toEqual(['root', 'targets/releases', 'snapshot', 'targets']);
    doc.keys.forEach((k, i) => {
      const [role, g, id, loc] = rows[i]!;
      expect([k.role, k.keyId]).toEqual([role, id]);
      // the table cuts GUN (25) and LOCATION (40) from the left with "..."; JSON keeps all
      for (const [full, shown] of [
        [k.gun, g!],
        [k.location, loc!],
      ] as const) {
        if (shown.startsWith('...')) expect(full.endsWith(shown.slice(3))).toBe(true);
        else expect(full).toBe(shown);
      }
      expect(k.location).toBe(join(trust, 'private'));
    });
    expect(doc.keys.find((k) => k.role === 'targets')?.gun).toBe(gun);

    // empty key store
    const empty = join(work, 'empty-trust');
    const e = await ok(runTs(['-d', empty, '--format', 'json', 'key', 'list'], opts()));
    expect(JSON.parse(e.stdout)).toEqual({ keys: [] });
  });

  it('delegation list (continuation rows folded back into each role)', async () => {
    const { table, json } = await both(['delegation', 'list', gun]);
    const doc = json as {
      gun: string;
      delegations: { name: string; paths: string[]; keyIds: string[]; threshold: number }[];
    };
    expect(doc.gun).toBe(gun);
    const fromTable: { name: string; paths: string[]; keyIds: string[]; threshold: number }[] = [];
    for (const [role, path, key, threshold] of parseTable(table, 'ROLE')) {
      if (role !== '') fromTable.push({ name: role!, paths: [], keyIds: [], threshold: Number(threshold) });
      const cur = fromTable.at(-1)!;
      if (path !== '') cur.paths.push(path === '"" <all paths>' ? '' : path!);
      if (key !== '') cur.keyIds.push(key!);
    }
    expect(doc.delegations).toEqual(fromTable);
    expect(doc.delegations.map((d) => [d.name, d.paths, d.keyIds.length])).toEqual([
      ['targets/all', [''], 1],
      ['targets/releases', ['bar/', 'releases/'], 2],
    ]);
  });

  it('key generate', async () => {
    const dir = join(work, 'gen-trust');
    const env = { NOTARY_DELEGATION_PASSPHRASE: 'gen-passphrase' };
    const t = await ok(runTs(['-d', dir, 'key', 'generate', '-r', 'targets/gen'], opts({ env })));
    const j = await ok(
      runTs(['-d', dir, '--format', 'json', 'key', 'generate', '-r', 'targets/gen'], opts({ env })),
    );
    const doc = JSON.parse(j.stdout) as { algorithm: string; role: string; keyId: string };
    expect(Object.keys(doc).sort()).toEqual(['algorithm', 'keyId', 'role']);
    expect(t.stdout).toMatch(/^Generated new ecdsa targets\/gen key with keyID: [0-9a-f]{64}\n$/);
    expect(`Generated new ${doc.algorithm} ${doc.role} key with keyID: ${doc.keyId}\n`).toMatch(
      /^Generated new ecdsa targets\/gen key with keyID: [0-9a-f]{64}\n$/,
    );
    // the generated key is the one key list reports
    const kl = JSON.parse(
      (await ok(runTs(['-d', dir, '--format', 'json', 'key', 'list'], opts()))).stdout,
    ) as {
      keys: { keyId: string; role: string }[];
    };
    expect(kl.keys).toContainEqual(expect.objectContaining({ keyId: doc.keyId, role: 'targets/gen' }));
  });

  it('version', async () => {
    const { table, json } = await both(['version']);
    const doc = json as { name: string; version: string; gitCommit: string; nodeVersion: string };
    expect(table).toBe(
      `${doc.name}\n Version:    ${doc.version}\n Git commit: ${doc.gitCommit}\n Node version: ${doc.nodeVersion}\n`,
    );
    expect(doc.nodeVersion).toBe(process.version);
  });
});

describe('errors in JSON mode: one object on stderr, nothing on stdout', () => {
  interface ErrorDoc {
    error: { code: string; message: string; hint?: string; details?: Record<string, unknown> };
  }
  async function jsonError(
    args: string[],
    o?: RunOptions,
    stdoutEmpty = true,
  ): Promise<{ r: RunResult; e: ErrorDoc['error'] }> {
    const r = await ts(['--format', 'json', ...args], o);
    expect(r.code, r.all).not.toBe(0);
    if (stdoutEmpty) expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length, r.stderr).toBe(1);
    const doc = JSON.parse(lines[0]!) as ErrorDoc;
    expect(Object.keys(doc)).toEqual(['error']);
    return { r, e: doc.error };
  }

  it('unknown GUN: Go message, hint naming the server, exit 3', async () => {
    const { r, e } = await jsonError(['list', `${gun}-missing`]);
    const host = server.url.replace(/^http:\/\//, '');
    expect(e.code).toBe('NO_TRUST_DATA');
    expect(e.message).toBe(`${host} does not have trust data for ${gun}-missing`);
    expect(e.hint).toContain(server.url);
    expect(e.details?.['gun']).toBe(`${gun}-missing`);
    expect(r.code).toBe(3);
  });

  it('missing target for lookup: NOT_FOUND with Go message', async () => {
    const { r, e } = await jsonError(['lookup', gun, 'nope']);
    expect(e).toMatchObject({ code: 'NOT_FOUND', message: 'No valid trust data for nope' });
    expect(e.hint).toBeTruthy();
    expect(r.code).toBe(3);
  });

  it('server unreachable: client is offline, the cause in the hint, exit 4', async () => {
    const port = await freePort();
    const r = await runTs(
      ['-s', `http://127.0.0.1:${port}`, '-d', join(work, 'offline-trust'), '--format', 'json', 'list', gun],
      opts(),
    );
    expect(r.stdout).toBe('');
    const doc = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{'))!) as ErrorDoc;
    expect(doc.error).toMatchObject({ code: 'OFFLINE', message: 'client is offline' });
    expect(doc.error.hint).toContain(`127.0.0.1:${port}`);
    expect(doc.error.hint).toMatch(/connection refused/);
    expect(r.code).toBe(4);
  });

  it('usage errors are JSON too (no usage block on stdout), exit 2', async () => {
    const { r, e } = await jsonError(['list']);
    expect(e).toMatchObject({ code: 'USAGE', message: 'Must specify a GUN' });
    expect(r.code).toBe(2);
  });

  it('a missing passphrase names the variable (hint), exit 7', async () => {
    // publish has no JSON document: its progress line stays on stdout, the error is JSON
    const { r, e } = await jsonError(
      ['publish', gun],
      { env: { ...PASS, NOTARY_TARGETS_PASSPHRASE: undefined } },
      false,
    );
    expect(r.stdout).toBe(`Pushing changes to ${gun}\n`);
    expect(e.message).toContain('could not find necessary signing keys');
    expect(e.hint).toContain('NOTARY_TARGETS_PASSPHRASE');
    expect(r.code).toBe(7);
  });
});

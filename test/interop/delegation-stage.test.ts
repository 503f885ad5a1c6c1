// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * `delegation add | remove | purge` interop with the Go client on one trust directory and a real
 * notary-server: the same command writes the same change bytes in both clients, changes staged
 * by tsnotary show identically in Go's `status` and Go publishes them, and changes staged by Go
 * are published by tsnotary's `-p`. Both clients' `delegation list` must then agree.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

let server: NotaryServer;
let counter = 0;

function newCase(trustName = 'trust') {
  const dir = tempDir('tsnotary-dlginterop-');
  const trust = join(dir, trustName);
  const gun = `ex.io/dlg/${++counter}`;
  const flags = (t: string) => ['-d', t, '-s', server.url];
  return {
    gun,
    dir,
    trust,
    ts: (args: string[], opts: { trust?: string; input?: string } = {}) =>
      runTs([...flags(opts.trust ?? trust), ...args], { env: PASS, cwd: dir, home: dir, input: opts.input }),
    go: (args: string[], opts: { trust?: string; input?: string } = {}) =>
      runGo([...flags(opts.trust ?? trust), ...args], { env: PASS, cwd: dir, home: dir, input: opts.input }),
  };
}

function spkiId(keytype: 'ecdsa' | 'rsa', spki: Buffer): string {
  return createHash('sha256')
    .update(JSON.stringify({ keytype, keyval: { private: null, public: spki.toString('base64') } }))
    .digest('hex');
}

/** A self-signed certificate made by openssl (ECDSA P-256 or RSA 2048) and its canonical key ID. */
function makeCert(dir: string, name: string, type: 'ec' | 'rsa' = 'ec'): { crt: string; id: string } {
  const crt = join(dir, `${name}.crt`);
  const newkey =
    type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...newkey,
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      crt,
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  const spki = new X509Certificate(readFileSync(crt)).publicKey.export({ type: 'spki', format: 'der' });
  return { crt, id: spkiId(type === 'ec' ? 'ecdsa' : 'rsa', spki) };
}

function makePublicKey(dir: string, name: string): { pub: string; id: string } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = join(dir, `${name}.pub`);
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { pub, id: spkiId('ecdsa', publicKey.export({ type: 'spki', format: 'der' })) };
}

function ok(r: RunResult, what = ''): RunResult {
  if (r.code !== 0)
    throw new Error(`${what}: expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

function changeFiles(trust: string, gun: string): Buffer[] {
  const dir = join(trust, 'tuf', ...gun.split('/'), 'changelist');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.change'))
    .sort()
    .map((n) => readFileSync(join(dir, n)));
}

interface Row {
  role: string;
  paths: string[];
  keyIds: string[];
  threshold: string;
}

/** Parses a `delegation list` table (Go's or ours): continuation rows merged, cells told apart
 * by shape (key IDs are 64 hex characters, the threshold is the last cell of a role's first row). */
function parseList(stdout: string): Row[] {
  if (stdout.includes('No delegations present')) return [];
  const rows: Row[] = [];
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const isKeyId = (cell: string) => /^[0-9a-f]{64}$/.test(cell);
  for (const line of lines.slice(2)) {
    const cells = line.trim().split(/\s{2,}/);
    let row = rows[rows.length - 1];
    if (!line.startsWith(' ')) {
      row = { role: cells.shift()!, paths: [], keyIds: [], threshold: cells.pop() ?? '' };
      rows.push(row);
    }
    for (const cell of cells) (isKeyId(cell) ? row!.keyIds : row!.paths).push(cell);
  }
  // key IDs are listed in the role's (TUF ID) order, which the test cannot predict
  for (const row of rows) row.keyIds.sort();
  return rows;
}

beforeAll(async () => {
  server = await startNotaryServer();
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

describe('delegation staging shared with Go notary', () => {
  it('the same commands write byte-identical change files and the same output in both clients', async () => {
    const c = newCase();
    const goTrust = join(c.dir, 'go-trust');
    const ec = makeCert(c.dir, 'alice');
    const rsa = makeCert(c.dir, 'bob', 'rsa');
    const pub = makePublicKey(c.dir, 'carol');
    const commands: { args: string[]; input?: string }[] = [
      { args: ['delegation', 'add', c.gun, 'targets/releases', ec.crt, '--all-paths'] },
      {
        args: [
          'delegation',
          'add',
          c.gun,
          'targets/qa',
          rsa.crt,
          pub.pub,
          '--paths',
          'qa/,tmp/',
          '--paths',
          '<&>',
        ],
      },
      { args: ['delegation', 'remove', c.gun, 'targets/qa', rsa.id, '--paths', 'tmp/'] },
      { args: ['delegation', 'remove', c.gun, 'targets/qa', '--all-paths'] },
      { args: ['delegation', 'remove', c.gun, 'targets/releases'], input: 'yes\n' },
      { args: ['delegation', 'remove', '-y', c.gun, 'targets/qa'] },
      { args: ['delegation', 'purge', c.gun, '--key', `${ec.id},${pub.id}`] },
    ];
    for (const { args, input } of commands) {
      const t = ok(await c.ts(args, { input }), `ts ${args.join(' ')}`);
      const g = ok(await c.go(args, { trust: goTrust, input }), `go ${args.join(' ')}`);
      expect(t.stdout, args.join(' ')).toBe(g.stdout);
    }
    const ours = changeFiles(c.trust, c.gun);
    expect(ours).toHaveLength(10);
    expect(ours).toEqual(changeFiles(goTrust, c.gun));
    // Go reads what we staged exactly as we do
    const goStatus = ok(await c.go(['status', c.gun]));
    expect(ok(await c.ts(['status', c.gun])).stdout).toBe(goStatus.stdout);
    expect(goStatus.stdout).toContain('update    targets/*           delegation');
  });

  it('declining the whole-role removal stages nothing in either client', async () => {
    const c = newCase();
    for (const run of [c.ts, c.go]) {
      const r = await run(['delegation', 'remove', c.gun, 'targets/gone'], { input: 'no\n' });
      expect(r.code).toBe(1);
      expect(r.all).toContain('* fatal: Aborting action.');
    }
    expect(ok(await c.go(['status', c.gun])).stdout).toBe(`No unpublished changes for ${c.gun}\n`);
  });
});

describe('delegation changes published across clients (real notary-server)', () => {
  it('tsnotary stages add/remove/purge, Go publishes them; both list the same delegations', async () => {
    const c = newCase();
    ok(await c.go(['init', '-p', c.gun]), 'go init');
    const ec = makeCert(c.dir, 'alice');
    const rsa = makeCert(c.dir, 'bob', 'rsa');
    const pub = makePublicKey(c.dir, 'carol');
    const lists = async (): Promise<Row[]> => {
      const g = ok(await c.go(['delegation', 'list', c.gun]), 'go list');
      const t = ok(await c.ts(['delegation', 'list', c.gun]), 'ts list');
      expect(t.stdout).toBe(g.stdout);
      return parseList(g.stdout);
    };

    ok(await c.ts(['delegation', 'add', c.gun, 'targets/releases', ec.crt, rsa.crt, '--all-paths']));
    ok(await c.ts(['delegation', 'add', c.gun, 'targets/qa', pub.pub, ec.crt, '--paths', 'qa/,tmp/']));
    ok(await c.go(['publish', c.gun]), 'go publish 1');
    expect(await lists()).toEqual([
      { role: 'targets/qa', paths: ['qa/', 'tmp/'], keyIds: [pub.id, ec.id].sort(), threshold: '1' },
      { role: 'targets/releases', paths: ['"" <all paths>'], keyIds: [ec.id, rsa.id].sort(), threshold: '1' },
    ]);

    ok(await c.ts(['delegation', 'remove', c.gun, 'targets/qa', pub.id, '--paths', 'tmp/']));
    ok(await c.go(['publish', c.gun]), 'go publish 2');
    expect(await lists()).toEqual([
      { role: 'targets/qa', paths: ['qa/'], keyIds: [ec.id], threshold: '1' },
      { role: 'targets/releases', paths: ['"" <all paths>'], keyIds: [ec.id, rsa.id].sort(), threshold: '1' },
    ]);

    ok(await c.ts(['delegation', 'purge', c.gun, '--key', ec.id]));
    ok(await c.go(['publish', c.gun]), 'go publish 3');
    expect(await lists()).toEqual([
      { role: 'targets/qa', paths: ['qa/'], keyIds: [], threshold: '1' },
      { role: 'targets/releases', paths: ['"" <all paths>'], keyIds: [rsa.id], threshold: '1' },
    ]);

    ok(await c.ts(['delegation', 'remove', c.gun, 'targets/qa'], { input: 'y\n' }));
    ok(await c.ts(['delegation', 'remove', c.gun, 'targets/releases', '--all-paths']));
    ok(await c.go(['publish', c.gun]), 'go publish 4');
    expect(await lists()).toEqual([
      { role: 'targets/releases', paths: [], keyIds: [rsa.id], threshold: '1' },
    ]);
  }, 120_000);

  it("Go stages, tsnotary -p publishes (its own change and Go's); Go reads the result", async () => {
    const c = newCase();
    ok(await c.ts(['init', '-p', c.gun]), 'ts init');
    const a = makeCert(c.dir, 'a');
    const b = makeCert(c.dir, 'b', 'rsa');
    ok(await c.go(['delegation', 'add', c.gun, 'targets/go', a.crt, '--paths', 'go/']));
    const r = ok(await c.ts(['delegation', 'add', '-p', c.gun, 'targets/ts', b.crt, '--all-paths']));
    expect(r.stdout).toBe(
      `\nAddition of delegation role targets/ts with keys [${b.id}], with paths ["" <all paths>], to repository "${c.gun}" staged for next publish.\n\n` +
        `Auto-publishing changes to ${c.gun}\nSuccessfully published changes for repository ${c.gun}\n`,
    );
    expect(parseList(ok(await c.go(['delegation', 'list', c.gun])).stdout)).toEqual([
      { role: 'targets/go', paths: ['go/'], keyIds: [a.id], threshold: '1' },
      { role: 'targets/ts', paths: ['"" <all paths>'], keyIds: [b.id], threshold: '1' },
    ]);
    expect(ok(await c.go(['status', c.gun])).stdout).toBe(`No unpublished changes for ${c.gun}\n`);

    ok(await c.go(['delegation', 'remove', c.gun, 'targets/go', a.id]));
    ok(await c.ts(['delegation', 'remove', '-y', '-p', c.gun, 'targets/ts']));
    expect(parseList(ok(await c.go(['delegation', 'list', c.gun])).stdout)).toEqual([
      { role: 'targets/go', paths: ['go/'], keyIds: [], threshold: '1' },
    ]);
  }, 120_000);
});

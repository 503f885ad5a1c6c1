// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Issue 4, end to end: the delegation flows of the content-trust seeds, scripted with tsnotary in
 * place of `notary` against a real notary-server, checking after every step what the *server*
 * holds (its TUF metadata over HTTP), not only what the CLI prints.
 *
 * - Seeds 001/003 (docs "Delegations for content trust"): `targets/releases` plus a
 *   `targets/<name>` role per signer, a second key for one signer, removing a contributor's key
 *   from both roles, `witness` to recover `targets/releases`, local `key remove`, `delete --remote`.
 * - Seed 000 (DTR setup): init, publish, `key rotate <gun> snapshot --server-managed`,
 *   `delegation add -p targets/releases --all-paths user1.pem user2.pem`, `targets/engineering`.
 *
 * Signer certificates and keys are made with openssl at test time, as the seeds tell users to.
 * The Go `notary` (own trust dir, same server) lists the collection at a few points: interop.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateKey, tufKeyId } from '../../src/tuf/keys.js';
import { type RunOptions, type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const COMMAND_TIMEOUT_MS = 30_000;

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'seed-root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'seed-targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'seed-snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'seed-delegation-passphrase',
};

/** A signer as the seeds describe one: an openssl key and a self-signed certificate for it. */
interface Signer {
  key: string;
  cert: string;
  /** TUF ID of the certificate key: what targets.json and delegation signatures carry. */
  tufId: string;
  /** Canonical ID (of the bare public key): names the key file, shown by `key list`/`delegation list`. */
  canonicalId: string;
}

interface Signed {
  signed: {
    _type: string;
    version: number;
    roles?: Record<string, { keyids: string[]; threshold: number }>;
    keys?: Record<string, { keytype: string; keyval: { public: string; private: null } }>;
    targets?: Record<string, { length: number; hashes: Record<string, string> }>;
    delegations?: {
      keys: Record<string, { keytype: string; keyval: { public: string; private: null } }>;
      roles: { name: string; keyids: string[]; paths: string[]; threshold: number }[];
    };
  };
  signatures: { keyid: string; method: string; sig: string }[];
}

let server: NotaryServer;
let work: string;

beforeAll(async () => {
  server = await startNotaryServer();
  work = tempDir('tsnotary-seed-deleg-');
  writeFileSync(join(work, 'v1.txt'), 'release 1\n');
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Makes a signer the way seed 001 does: `openssl genrsa` (or an EC key), a CSR, a self-signed
 * certificate. Its TUF ID is computed twice — by hashing the canonical key JSON here, and with
 * src/tuf/keys.ts — so a mistake in either shows up.
 */
function makeSigner(name: string, kind: 'rsa' | 'ec'): Signer {
  const key = join(work, `${name}.key`);
  const csr = join(work, `${name}.csr`);
  const cert = join(work, `${name}.crt`);
  if (kind === 'rsa') execFileSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' });
  else
    execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key],
      {
        stdio: 'ignore',
      },
    );
  execFileSync('openssl', ['req', '-new', '-sha256', '-key', key, '-subj', `/CN=${name}`, '-out', csr], {
    stdio: 'ignore',
  });
  execFileSync(
    'openssl',
    ['x509', '-req', '-sha256', '-days', '365', '-in', csr, '-signkey', key, '-out', cert],
    { stdio: 'ignore' },
  );
  const pem = readFileSync(cert, 'utf8');
  const keytype = kind === 'rsa' ? 'rsa-x509' : 'ecdsa-x509';
  // Canonical JSON of the key: sorted keys, no whitespace; the public part is base64 of the PEM.
  const canonical = `{"keytype":"${keytype}","keyval":{"private":null,"public":"${Buffer.from(pem).toString('base64')}"}}`;
  const tufId = createHash('sha256').update(canonical).digest('hex');
  const tufKey = certificateKey(pem);
  expect(tufKeyId(tufKey)).toBe(tufId);
  // Canonical ID: TUF ID of the bare public key (PKIX DER) of the same type without "-x509".
  const spki = execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER']);
  const bare = `{"keytype":"${kind === 'rsa' ? 'rsa' : 'ecdsa'}","keyval":{"private":null,"public":"${spki.toString('base64')}"}}`;
  const canonicalId = createHash('sha256').update(bare).digest('hex');
  return { key, cert, tufId, canonicalId };
}

function tsIn(trust: string, args: string[], extra: RunOptions = {}): Promise<RunResult> {
  return runTs(['-s', server.url, '-d', trust, ...args], {
    env: PASS,
    cwd: work,
    timeoutMs: COMMAND_TIMEOUT_MS,
    ...extra,
  });
}

function goIn(trust: string, args: string[], extra: RunOptions = {}): Promise<RunResult> {
  return runGo(['-s', server.url, '-d', trust, ...args], {
    env: PASS,
    cwd: work,
    timeoutMs: COMMAND_TIMEOUT_MS,
    ...extra,
  });
}

function ok(r: RunResult): RunResult {
  expect(r.code, r.all).toBe(0);
  expect(r.all).not.toMatch(/Enter passphrase|Enter username/);
  return r;
}

/** GET /v2/<gun>/_trust/tuf/<role>.json from the server: the parsed metadata, or the status. */
async function serverMeta(gun: string, role: string): Promise<Signed> {
  const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/${role}.json`);
  expect(res.status, `GET ${role}.json of ${gun}`).toBe(200);
  return (await res.json()) as Signed;
}

async function serverStatus(gun: string, role: string): Promise<number> {
  const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/${role}.json`);
  await res.arrayBuffer();
  return res.status;
}

/** TUF ID of a server-held key (GET <role>.key answers the current public key). */
async function serverKeyId(gun: string, role: 'snapshot' | 'timestamp'): Promise<string> {
  const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/${role}.key`);
  expect(res.status).toBe(200);
  const body = Buffer.from(await res.arrayBuffer()).toString('utf8');
  const key = JSON.parse(body) as { keytype: string; keyval: { public: string } };
  const canonical = `{"keytype":"${key.keytype}","keyval":{"private":null,"public":"${key.keyval.public}"}}`;
  return createHash('sha256').update(canonical).digest('hex');
}

function delegation(targets: Signed, name: string) {
  const role = targets.signed.delegations?.roles.find((r) => r.name === name);
  expect(role, `delegation ${name} in targets.json`).toBeDefined();
  return role!;
}

function signerIds(m: Signed): string[] {
  return m.signatures.map((s) => s.keyid).sort();
}

const sorted = (ids: string[]): string[] => [...ids].sort();

/**
 * Checks targets.json on the server: the delegation has exactly these keys (TUF IDs of the
 * certificates, each with its certificate in `delegations.keys`), all paths, threshold 1; and
 * targets.json is signed by the targets key only.
 */
function expectDelegation(targets: Signed, name: string, signers: Signer[], targetsKeyId: string): void {
  const role = delegation(targets, name);
  expect(sorted(role.keyids)).toEqual(sorted(signers.map((s) => s.tufId)));
  expect(role.paths).toEqual(['']);
  expect(role.threshold).toBe(1);
  for (const s of signers) {
    const k = targets.signed.delegations?.keys[s.tufId];
    expect(k, `key ${s.tufId} of ${name}`).toBeDefined();
    expect(k!.keytype).toMatch(/-x509$/);
    expect(Buffer.from(k!.keyval.public, 'base64').toString('utf8')).toBe(readFileSync(s.cert, 'utf8'));
  }
  expect(signerIds(targets)).toEqual([targetsKeyId]);
}

/** Role → last version seen on the server, to check that every publish moves versions forward. */
class Versions {
  private last = new Map<string, number>();
  grew(role: string, m: Signed): void {
    const before = this.last.get(role);
    if (before !== undefined) expect(m.signed.version, `${role} version`).toBeGreaterThan(before);
    this.last.set(role, m.signed.version);
  }
  same(role: string, m: Signed): void {
    expect(m.signed.version, `${role} version`).toBe(this.last.get(role));
  }
}

/**
 * Versions after the first publish, as the Go client leaves them (checked against notary 0.7):
 * root 1 and timestamp 1, targets and snapshot 2 (publish re-signs the targets of init).
 */
async function expectFirstPublishVersions(gun: string, versions: Versions): Promise<void> {
  const want: Record<string, number> = { root: 1, targets: 2, snapshot: 2, timestamp: 1 };
  for (const [role, version] of Object.entries(want)) {
    const m = await serverMeta(gun, role);
    expect(m.signed.version, role).toBe(version);
    versions.grew(role, m);
  }
}

describe('seeds 001/003: targets/releases plus a role per signer, key removal, witness, delete --remote', () => {
  const gun = `registry.example.com/admin/demo-${randomBytes(3).toString('hex')}`;
  const versions = new Versions();
  let trust: string;
  let goTrust: string;
  let jeff: Signer;
  let jeff2: Signer;
  let ben: Signer;
  let targetsKeyId: string;
  let serverSnapshotId: string;

  beforeAll(() => {
    trust = join(work, 'admin-trust');
    goTrust = join(work, 'go-reader-trust');
    jeff = makeSigner('jeff', 'ec');
    jeff2 = makeSigner('jeff-cert2', 'ec');
    ben = makeSigner('ben', 'rsa');
  });

  async function expectGoSees(expected: RegExp, absent?: RegExp): Promise<RunResult> {
    const g = ok(await goIn(goTrust, ['list', gun]));
    expect(g.stdout).toMatch(expected);
    if (absent) expect(g.stdout).not.toMatch(absent);
    return g;
  }

  it('init -p: the four roles are on the server, timestamp signed by the server', async () => {
    ok(await tsIn(trust, ['init', '-p', gun]));
    const root = await serverMeta(gun, 'root');
    await expectFirstPublishVersions(gun, versions);
    const timestampId = await serverKeyId(gun, 'timestamp');
    expect(root.signed.roles?.['timestamp']?.keyids).toEqual([timestampId]);
    expect(signerIds(await serverMeta(gun, 'timestamp'))).toEqual([timestampId]);
    targetsKeyId = root.signed.roles!['targets']!.keyids[0]!;
    expect(signerIds(await serverMeta(gun, 'targets'))).toEqual([targetsKeyId]);
  });

  it('key rotate snapshot --server-managed: root v2 names the server key, which signs snapshot.json', async () => {
    const before = (await serverMeta(gun, 'root')).signed.roles!['snapshot']!.keyids;
    const r = ok(await tsIn(trust, ['key', 'rotate', gun, 'snapshot', '--server-managed']));
    expect(r.stdout).toBe(`Successfully rotated snapshot key for repository ${gun}\n`);
    const root = await serverMeta(gun, 'root');
    versions.grew('root', root);
    serverSnapshotId = await serverKeyId(gun, 'snapshot');
    expect(root.signed.roles!['snapshot']!.keyids).toEqual([serverSnapshotId]);
    expect(serverSnapshotId).not.toBe(before[0]);
    expect(root.signed.keys![serverSnapshotId]).toBeDefined();
    // the local snapshot key is no longer needed: the server signs snapshots from now on
    const snapshot = await serverMeta(gun, 'snapshot');
    versions.grew('snapshot', snapshot);
    expect(signerIds(snapshot)).toEqual([serverSnapshotId]);
  });

  it('the signer key is imported with its name as role (docs: key load --name jeff)', async () => {
    ok(await tsIn(trust, ['key', 'import', jeff.key, '-r', 'jeff']));
    const k = ok(await tsIn(trust, ['key', 'list']));
    expect(k.stdout).toMatch(new RegExp(`^jeff\\s+${jeff.canonicalId}\\s`, 'm'));
    // the Go client reads the imported key file from the same trust dir
    const g = ok(await goIn(trust, ['key', 'list']));
    expect(g.stdout).toMatch(new RegExp(`^jeff\\s+${jeff.canonicalId}\\s`, 'm'));
  });

  it('signer add jeff: targets/releases and targets/jeff with the certificate, all paths', async () => {
    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/releases', '--all-paths', jeff.cert]));
    let targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/releases', [jeff], targetsKeyId);

    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/jeff', '--all-paths', jeff.cert]));
    targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/releases', [jeff], targetsKeyId);
    expectDelegation(targets, 'targets/jeff', [jeff], targetsKeyId);
    const snapshot = await serverMeta(gun, 'snapshot');
    versions.grew('snapshot', snapshot);
    expect(signerIds(snapshot)).toEqual([serverSnapshotId]);
  });

  it('signer add ben (RSA certificate): added to targets/releases, own targets/ben', async () => {
    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/releases', '--all-paths', ben.cert]));
    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/ben', '--all-paths', ben.cert]));
    const targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/releases', [jeff, ben], targetsKeyId);
    expectDelegation(targets, 'targets/ben', [ben], targetsKeyId);
    expect(targets.signed.delegations!.keys[ben.tufId]!.keytype).toBe('rsa-x509');
  });

  it('a second key for jeff (cert2): added to targets/jeff and targets/releases', async () => {
    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/jeff', '--all-paths', jeff2.cert]));
    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/releases', '--all-paths', jeff2.cert]));
    const targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/jeff', [jeff, jeff2], targetsKeyId);
    expectDelegation(targets, 'targets/releases', [jeff, ben, jeff2], targetsKeyId);
    // delegation list shows canonical IDs, as Go's does (seed: IDs match `key list`)
    const d = ok(await tsIn(trust, ['delegation', 'list', gun]));
    const g = ok(await goIn(goTrust, ['delegation', 'list', gun]));
    expect(d.stdout).toBe(g.stdout);
    expect(d.stdout).toContain(jeff.canonicalId);
  });

  it("jeff signs a tag into targets/releases: signed by jeff's key only (the only one held)", async () => {
    ok(await tsIn(trust, ['add', '-p', gun, 'v1', join(work, 'v1.txt'), '--roles', 'targets/releases']));
    const releases = await serverMeta(gun, 'targets/releases');
    versions.grew('targets/releases', releases);
    expect(releases.signed.version).toBe(1);
    expect(Object.keys(releases.signed.targets ?? {})).toEqual(['v1']);
    expect(releases.signed.targets!['v1']!.length).toBe(10);
    expect(signerIds(releases)).toEqual([jeff.tufId]);
    // the top-level targets role is untouched by a delegated signing
    versions.same('targets', await serverMeta(gun, 'targets'));
    await expectGoSees(/^v1\s+[0-9a-f]{64}\s+10\s+targets\/releases$/m);
  });

  it("removing jeff's first key from both roles (seed 003 steps 2-3) leaves releases unverifiable", async () => {
    ok(await tsIn(trust, ['delegation', 'remove', gun, 'targets/releases', jeff.canonicalId, '--publish']));
    ok(await tsIn(trust, ['delegation', 'remove', gun, 'targets/jeff', jeff.canonicalId, '--publish']));
    const targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/releases', [ben, jeff2], targetsKeyId);
    expectDelegation(targets, 'targets/jeff', [jeff2], targetsKeyId);
    expect(targets.signed.delegations!.keys[jeff.tufId]).toBeUndefined();
    // releases.json is unchanged, signed by a key that is no longer in the role
    const releases = await serverMeta(gun, 'targets/releases');
    versions.same('targets/releases', releases);
    expect(signerIds(releases)).toEqual([jeff.tufId]);
    // both clients ignore its targets now (docs troubleshooting 2)
    const g = await expectGoSees(/No targets present/, /^v1\s/m);
    expect(g.stderr).toContain('valid signatures did not meet threshold for targets/releases');
    const l = ok(await tsIn(trust, ['list', gun]));
    expect(l.stdout).not.toMatch(/^v1\s/m);
    expect(l.stderr).toContain('valid signatures did not meet threshold for targets/releases');
  });

  it('witness -p with a remaining key (jeff cert2) re-signs targets/releases', async () => {
    ok(await tsIn(trust, ['key', 'import', jeff2.key, '-r', 'jeff']));
    const w = ok(await tsIn(trust, ['witness', gun, 'targets/releases', '--publish']));
    expect(w.stdout).toContain(`Successfully published changes for repository ${gun}`);
    const releases = await serverMeta(gun, 'targets/releases');
    versions.grew('targets/releases', releases);
    expect(releases.signed.version).toBe(2);
    // only keys of the role sign: jeff's removed key, though still held locally, does not
    expect(signerIds(releases)).toEqual([jeff2.tufId]);
    expect(Object.keys(releases.signed.targets ?? {})).toEqual(['v1']);
    const snapshot = await serverMeta(gun, 'snapshot');
    versions.grew('snapshot', snapshot);
    expect(signerIds(snapshot)).toEqual([serverSnapshotId]);
    const g = await expectGoSees(/^v1\s+[0-9a-f]{64}\s+10\s+targets\/releases$/m);
    expect(g.stderr).not.toContain('did not meet threshold');
    const l = ok(await tsIn(trust, ['list', gun]));
    expect(l.stdout).toBe(g.stdout);
  });

  it("key remove of jeff's old key from the local store (seed 003), Go agrees", async () => {
    const keyFile = join(trust, 'private', `${jeff.canonicalId}.key`);
    expect(existsSync(keyFile)).toBe(true);
    const r = ok(await tsIn(trust, ['key', 'remove', jeff.canonicalId], { input: 'yes\n' }));
    expect(r.stdout).toContain(`Deleted ${jeff.canonicalId} (role jeff) from `);
    expect(existsSync(keyFile)).toBe(false);
    expect(existsSync(join(trust, 'private', `${jeff2.canonicalId}.key`))).toBe(true);
    const g = ok(await goIn(trust, ['key', 'list']));
    expect(g.stdout).not.toContain(jeff.canonicalId);
    expect(g.stdout).toMatch(new RegExp(`^jeff\\s+${jeff2.canonicalId}\\s`, 'm'));
    // the server still has everything: key removal is local
    versions.same('targets/releases', await serverMeta(gun, 'targets/releases'));
  });

  it('delete --remote: local and remote trust data gone, the server answers 404', async () => {
    const r = ok(await tsIn(trust, ['delete', gun, '--remote']));
    expect(r.stdout).toContain(`Successfully deleted local and remote trust data for repository ${gun}`);
    for (const role of ['root', 'targets', 'snapshot', 'timestamp', 'targets/releases', 'targets/jeff'])
      expect(await serverStatus(gun, role), role).toBe(404);
    expect(existsSync(join(trust, 'tuf', gun))).toBe(false);
    const g = await goIn(join(work, 'go-fresh-trust'), ['list', gun]);
    expect(g.code).not.toBe(0);
    expect(g.all).toContain(`does not have trust data for ${gun}`);
  });
});

describe('seed 000: DTR setup, server-managed snapshot, releases with two users, engineering', () => {
  const gun = `dtr-example.com/engineering/my-repo-${randomBytes(3).toString('hex')}`;
  const versions = new Versions();
  let trust: string;
  let user1: Signer;
  let user2: Signer;
  let targetsKeyId: string;
  let serverSnapshotId: string;

  beforeAll(() => {
    trust = join(work, 'dtr-admin-trust');
    user1 = makeSigner('user1', 'ec');
    user2 = makeSigner('user2', 'rsa');
  });

  it('init stages locally only; the server has nothing yet', async () => {
    ok(await tsIn(trust, ['init', gun]));
    expect(await serverStatus(gun, 'root')).toBe(404);
    for (const role of ['root', 'targets', 'snapshot'])
      expect(existsSync(join(trust, 'tuf', gun, 'metadata', `${role}.json`)), role).toBe(true);
  });

  it('publish uploads every role', async () => {
    const r = ok(await tsIn(trust, ['publish', gun]));
    expect(r.stdout).toContain(`Successfully published changes for repository ${gun}`);
    await expectFirstPublishVersions(gun, versions);
    const root = await serverMeta(gun, 'root');
    targetsKeyId = root.signed.roles!['targets']!.keyids[0]!;
    // before the rotation the snapshot is signed by the local snapshot key of root v1
    expect(signerIds(await serverMeta(gun, 'snapshot'))).toEqual(root.signed.roles!['snapshot']!.keyids);
  });

  it('key rotate snapshot --server-managed: root names the server snapshot key', async () => {
    ok(await tsIn(trust, ['key', 'rotate', gun, 'snapshot', '--server-managed']));
    const root = await serverMeta(gun, 'root');
    versions.grew('root', root);
    serverSnapshotId = await serverKeyId(gun, 'snapshot');
    expect(root.signed.roles!['snapshot']!.keyids).toEqual([serverSnapshotId]);
    // root v2 is signed by the (unchanged) root key
    expect(signerIds(root)).toEqual(root.signed.roles!['root']!.keyids);
  });

  it('delegation add -p targets/releases --all-paths user1.pem user2.pem', async () => {
    const r = ok(
      await tsIn(trust, [
        'delegation',
        'add',
        '-p',
        gun,
        'targets/releases',
        '--all-paths',
        user1.cert,
        user2.cert,
      ]),
    );
    expect(r.stdout).toContain(user1.canonicalId);
    expect(r.stdout).toContain(user2.canonicalId);
    const targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/releases', [user1, user2], targetsKeyId);
    const snapshot = await serverMeta(gun, 'snapshot');
    versions.grew('snapshot', snapshot);
    expect(signerIds(snapshot)).toEqual([serverSnapshotId]);
  });

  it('delegation add -p targets/engineering --all-paths user1.pem; Go sees the same delegations', async () => {
    ok(await tsIn(trust, ['delegation', 'add', '-p', gun, 'targets/engineering', '--all-paths', user1.cert]));
    const targets = await serverMeta(gun, 'targets');
    versions.grew('targets', targets);
    expectDelegation(targets, 'targets/releases', [user1, user2], targetsKeyId);
    expectDelegation(targets, 'targets/engineering', [user1], targetsKeyId);
    expect(Object.keys(targets.signed.delegations!.keys).sort()).toEqual(sorted([user1.tufId, user2.tufId]));
    // no delegated metadata exists until a user signs into a role
    expect(await serverStatus(gun, 'targets/releases')).toBe(404);
    const goTrust = join(work, 'dtr-go-reader');
    const g = ok(await goIn(goTrust, ['delegation', 'list', gun]));
    const d = ok(await tsIn(trust, ['delegation', 'list', gun]));
    expect(d.stdout).toBe(g.stdout);
    expect(g.stdout).toMatch(
      new RegExp(`^targets/engineering\\s+"" <all paths>\\s+${user1.canonicalId}\\s+1`, 'm'),
    );
    const gl = ok(await goIn(goTrust, ['list', gun]));
    expect(gl.stdout).toContain('No targets present in this repository.');
  });
});

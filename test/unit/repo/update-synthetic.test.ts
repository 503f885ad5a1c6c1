/**
 * updateRepo against repositories signed here with real keys (rotations, rollbacks, expired
 * and badly signed delegations, nested path restrictions), served by an in-process Remote.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../../src/crypto/keygen.js';
import { NotaryError } from '../../../src/errors.js';
import { NO_PINNING } from '../../../src/repo/trust-pinning.js';
import { type UpdateOptions, updateRepo } from '../../../src/repo/update.js';
import { delegationRoles, listTargets, lookupTarget } from '../../../src/repo/walk.js';
import { tufKeyId } from '../../../src/tuf/keys.js';
import type { TufKey } from '../../../src/tuf/types.js';
import {
  buildRepo,
  type DelegationSpec,
  ecdsaKey,
  FileRemote,
  MemoryCache,
  PINNED_NOW,
  type RepoSpec,
  recordingLogger,
  repoKeys,
  rootKey,
  type TestKey,
} from './update-harness.js';

const GUN = 'example.com/synthetic';
const data = (s: string) => Buffer.from(s);

async function failure(p: Promise<unknown>): Promise<NotaryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NotaryError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

async function serve(spec: RepoSpec, over: Partial<UpdateOptions> = {}) {
  const files = await buildRepo(spec);
  const remote = new FileRemote(spec.gun, files);
  const cache = new MemoryCache();
  const log = recordingLogger();
  const opts: UpdateOptions = {
    gun: spec.gun,
    remote,
    cache,
    clock: () => PINNED_NOW,
    log,
    pinning: NO_PINNING,
    ...over,
  };
  return { files, remote, cache, log, opts };
}

describe('delegations', () => {
  it("skips a delegation signed by the wrong key, and one that expired, with Go's warning", async () => {
    const keys = await repoKeys(GUN);
    const good = ecdsaKey();
    const bad = ecdsaKey();
    const old = ecdsaKey();
    const { opts, log } = await serve({
      gun: GUN,
      ...keys,
      targets: { top: data('top') },
      delegations: [
        {
          name: 'targets/bad',
          paths: [''],
          key: bad,
          signers: [ecdsaKey()],
          targets: { 'bad/x': data('x') },
        },
        {
          name: 'targets/old',
          paths: [''],
          key: old,
          expires: new Date('2026-11-01T00:00:00Z'),
          targets: { 'old/x': data('x') },
        },
        { name: 'targets/good', paths: [''], key: good, targets: { 'good/x': data('x') } },
      ],
    });
    const state = await updateRepo(opts);
    expect(log.warnings.filter((w) => w.startsWith('Error getting'))).toEqual([
      'Error getting targets/bad: valid signatures did not meet threshold for targets/bad',
      'Error getting targets/old: targets/old expired at Sun Nov 1 00:00:00 UTC 2026',
    ]);
    // Beyond Go: each skipped role also gets a line saying what it means and how to recover.
    expect(log.warnings.filter((w) => w.includes('tsnotary witness <gun> targets/bad -p'))).toHaveLength(1);
    expect(state.skipped.map((s) => s.role)).toEqual(['targets/bad', 'targets/old']);
    expect([...(state.invalid?.keys() ?? [])]).toEqual(['targets/bad', 'targets/old']);
    expect(state.targets.has('targets/bad')).toBe(false);
    expect(listTargets(state).map((t) => t.name)).toEqual(['good/x', 'top']);
    // delegation list still shows every delegation listed by a loaded role
    expect(delegationRoles(state).map((d) => d.name)).toEqual(['targets/bad', 'targets/old', 'targets/good']);
  });

  it('expired or badly signed targets is fatal', async () => {
    const keys = await repoKeys(GUN);
    const { opts } = await serve({
      gun: GUN,
      ...keys,
      expires: { targets: new Date('2026-01-01T00:00:00Z') },
    });
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('EXPIRED');
    expect(e.message).toBe('targets expired at Thu Jan 1 00:00:00 UTC 2026');
  });

  it('walks nested delegations depth-first, restricts paths by the parent, shadows by walk order', async () => {
    const keys = await repoKeys(GUN);
    const a = ecdsaKey();
    const ab = ecdsaKey();
    const c = ecdsaKey();
    const dels: DelegationSpec[] = [
      { name: 'targets/a', paths: ['a/'], key: a, targets: { 'a/1': data('a1'), same: data('from-a') } },
      // x/ is outside targets/a's paths: dropped; a/b/ stays
      {
        name: 'targets/a/b',
        paths: ['a/b/', 'x/'],
        key: ab,
        targets: { 'a/b/2': data('ab2'), 'x/3': data('x3') },
      },
      { name: 'targets/c', paths: [''], key: c, targets: { same: data('from-c'), 'c/4': data('c4') } },
    ];
    const { opts, remote } = await serve({
      gun: GUN,
      ...keys,
      targets: { same: data('from-targets') },
      delegations: dels,
    });
    const state = await updateRepo({ ...opts, concurrency: 1 });
    // Go's download order: targets, a, a/b (depth first), then c
    expect([...state.targets.keys()]).toEqual(['targets', 'targets/a', 'targets/a/b', 'targets/c']);
    expect(remote.calls.filter((x) => x.startsWith('targets/')).map((x) => x.split('.')[0])).toEqual([
      'targets/a',
      'targets/c',
      'targets/a/b',
    ]);
    const list = listTargets(state);
    expect(list.map((t) => [t.name, t.role])).toEqual([
      ['a/1', 'targets/a'],
      ['a/b/2', 'targets/a/b'],
      ['c/4', 'targets/c'],
      ['same', 'targets'],
    ]);
    expect(lookupTarget(state, 'x/3')).toBeUndefined();
    expect(lookupTarget(state, 'same')?.role).toBe('targets');
    // --roles prefers the named delegation; targets is excluded unless named
    expect(listTargets(state, ['targets/c']).map((t) => [t.name, t.role])).toEqual([
      ['c/4', 'targets/c'],
      ['same', 'targets/c'],
    ]);
    expect(listTargets(state, ['targets/c', 'targets']).find((t) => t.name === 'same')?.role).toBe(
      'targets/c',
    );
    expect(lookupTarget(state, 'a/b/2')?.role).toBe('targets/a/b');
  });

  it('list --roles loads only the named subtree and its ancestors', async () => {
    const keys = await repoKeys(GUN);
    const dels: DelegationSpec[] = [
      { name: 'targets/a', paths: [''], key: ecdsaKey(), targets: { a: data('a') } },
      { name: 'targets/a/b', paths: [''], key: ecdsaKey(), targets: { ab: data('ab') } },
      { name: 'targets/z', paths: [''], key: ecdsaKey(), targets: { z: data('z') } },
    ];
    const { opts, remote } = await serve({ gun: GUN, ...keys, delegations: dels });
    const state = await updateRepo({ ...opts, scope: { kind: 'roles', roles: ['targets/a/b'] } });
    expect([...state.targets.keys()]).toEqual(['targets', 'targets/a', 'targets/a/b']);
    expect(remote.calls.some((c) => c.startsWith('targets/z'))).toBe(false);
    expect(listTargets(state, ['targets/a/b']).map((t) => t.name)).toEqual(['ab']);
  });

  it("prefetches many delegations in parallel but keeps Go's order and results", async () => {
    const keys = await repoKeys(GUN);
    const dels: DelegationSpec[] = [];
    for (let i = 0; i < 20; i++) {
      const n = String(i).padStart(2, '0');
      dels.push({
        name: `targets/d${n}`,
        paths: [''],
        key: ecdsaKey(),
        targets: { [`f${n}`]: data(n), dup: data(n) },
      });
    }
    const { opts } = await serve({ gun: GUN, ...keys, delegations: dels });
    const state = await updateRepo(opts);
    expect([...state.targets.keys()]).toEqual(['targets', ...dels.map((d) => d.name)]);
    expect(listTargets(state).find((t) => t.name === 'dup')?.role).toBe('targets/d00');
    expect(listTargets(state)).toHaveLength(21);
  });
});

describe('lookup walks only the roles that can hold the answer', () => {
  it("gives the full walk's answer for every name (breadth-first, paths, skipped roles) and stops early", async () => {
    const keys = await repoKeys(GUN);
    const bad = ecdsaKey();
    const dels: DelegationSpec[] = [
      { name: 'targets/a', paths: [''], key: ecdsaKey(), targets: { a1: data('a1') } },
      // Breadth-first: `same` is found in targets/c before targets/a/b (depth-first would differ).
      { name: 'targets/a/b', paths: [''], key: ecdsaKey(), targets: { same: data('ab'), ab: data('ab') } },
      // Signed by the wrong key: skipped with a warning, never the answer.
      { name: 'targets/bad', paths: [''], key: bad, signers: [ecdsaKey()], targets: { same: data('bad') } },
      { name: 'targets/c', paths: [''], key: ecdsaKey(), targets: { same: data('c'), c1: data('c1') } },
      { name: 'targets/p', paths: ['p/'], key: ecdsaKey(), targets: { 'p/1': data('p1'), q: data('q') } },
      { name: 'targets/z', paths: [''], key: ecdsaKey(), targets: { z: data('z'), q: data('zq') } },
    ];
    for (let i = 0; i < 12; i++) {
      dels.push({
        name: `targets/m${i}`,
        paths: [''],
        key: ecdsaKey(),
        targets: { [`m${i}`]: data(`m${i}`) },
      });
    }
    const spec: RepoSpec = { gun: GUN, ...keys, targets: { top: data('top') }, delegations: dels };
    const files = await buildRepo(spec);
    const { opts } = await serve(spec);
    const full = await updateRepo(opts);
    expect(full.skipped.map((s) => s.role)).toEqual(['targets/bad']);
    const names = ['top', 'a1', 'same', 'ab', 'c1', 'p/1', 'q', 'z', 'm0', 'm11', 'missing', 'p/none'];
    for (const concurrency of [1, 3, 8]) {
      for (const name of names) {
        const remote = new FileRemote(GUN, files);
        const scoped = await updateRepo({
          ...opts,
          remote,
          cache: new MemoryCache(),
          concurrency,
          scope: { kind: 'target', name },
        });
        const got = lookupTarget(scoped, name);
        const want = lookupTarget(full, name);
        expect(got ? [got.role, got.hashes['sha256']?.toString('hex')] : undefined, name).toEqual(
          want ? [want.role, want.hashes['sha256']?.toString('hex')] : undefined,
        );
        const fetched = remote.calls.filter((c) => c.startsWith('targets/')).length;
        if (name === 'top') expect(fetched, name).toBe(0);
        // Found early: later roles beyond the prefetch window are never fetched.
        if (name === 'a1') expect(fetched, name).toBeLessThanOrEqual(1 + concurrency);
        // p/ paths: targets/p is not consulted for names outside p/.
        if (name === 'missing')
          expect(
            remote.calls.some((c) => c.startsWith('targets/p.')),
            name,
          ).toBe(false);
      }
    }
  });
});

describe('rollback and rotation', () => {
  it('refuses a timestamp older than the cached one', async () => {
    const keys = await repoKeys(GUN);
    const v5 = await serve({ gun: GUN, ...keys, versions: { timestamp: 5, snapshot: 5 } });
    await updateRepo(v5.opts);
    const older = await buildRepo({ gun: GUN, ...keys, versions: { timestamp: 3, snapshot: 5 } });
    v5.remote.setFiles(older);
    const e = await failure(updateRepo(v5.opts));
    expect(e.code).toBe('ROLLBACK');
    expect(e.message).toBe('version 3 is lower than current version 5');
  });

  it('walks <v>.root.json to trust a root two rotations ahead, then caches the newest', async () => {
    const keys = await repoKeys(GUN);
    const k1 = keys.root.key;
    const k2 = await rootKey(GUN);
    const k3 = await rootKey(GUN);
    const r1 = await serve({ gun: GUN, ...keys, targets: { one: data('1') } });
    await updateRepo(r1.opts);
    // v2 signed by k1 (old) and k2 (new); v3 signed by k2 and k3 only
    const v2 = await buildRepo({ gun: GUN, ...keys, root: { key: k2, version: 2, signers: [k1, k2] } });
    const v3 = await buildRepo({
      gun: GUN,
      ...keys,
      root: { key: k3, version: 3, signers: [k2, k3] },
      targets: { three: data('3') },
      versions: { targets: 2, snapshot: 2, timestamp: 2 },
    });
    r1.remote.put('root', v2.get('root') as Buffer, { current: false });
    r1.remote.setFiles(v3);
    r1.remote.calls.length = 0;
    const state = await updateRepo(r1.opts);
    expect(state.root.signed.version).toBe(3);
    expect(listTargets(state).map((t) => t.name)).toEqual(['three']);
    expect(r1.remote.calls).toContain('2.root.json');
    expect(r1.cache.files.get('root')?.equals(v3.get('root') as Buffer)).toBe(true);
  });

  it('refuses a root replaced wholesale (not signed by the trusted root keys)', async () => {
    const keys = await repoKeys(GUN);
    const r1 = await serve({ gun: GUN, ...keys });
    await updateRepo(r1.opts);
    const other = await repoKeys(GUN);
    r1.remote.setFiles(await buildRepo({ gun: GUN, ...other, versions: { timestamp: 2 } }));
    const e = await failure(updateRepo(r1.opts));
    expect(e.code).toBe('ROOT_ROTATION');
    expect(e.message).toBe(
      'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates',
    );
    expect(e.details && 'newRootBytes' in e.details).toBe(false);
    // the trusted root stays in the cache
    expect(r1.cache.files.get('root')?.equals(r1.files.get('root') as Buffer)).toBe(true);
  });

  it('refuses a root whose certificate CN is not the GUN', async () => {
    const keys = await repoKeys(GUN);
    const { opts } = await serve({ gun: GUN, ...keys, root: { key: await rootKey('example.com/other') } });
    const e = await failure(updateRepo(opts));
    expect(e.message).toBe(
      'could not validate the path to a trusted root: unable to retrieve valid leaf certificates',
    );
  });

  it('downloads a new root when the cached one expired, validating it against the old one', async () => {
    const keys = await repoKeys(GUN);
    const r1 = await serve(
      { gun: GUN, ...keys, expires: { root: new Date('2026-11-22T12:00:00Z') } },
      {
        clock: () => new Date('2026-11-22T00:00:00Z'),
      },
    );
    await updateRepo(r1.opts);
    const renewed = await buildRepo({
      gun: GUN,
      ...keys,
      root: { key: keys.root.key, version: 2 },
      versions: { timestamp: 2 },
    });
    r1.remote.setFiles(renewed);
    const state = await updateRepo({ ...r1.opts, clock: () => PINNED_NOW });
    expect(state.root.signed.version).toBe(2);
  });
});

describe('trust pinning with a CA (certificates made by openssl, judged on the clock openssl used)', () => {
  const work = mkdtempSync(join(tmpdir(), 'tsnotary-ca-'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
  // openssl stamps its certificates with the clock it runs on (the real one; libfaketime's in the
  // shifted pass). These repositories are built and judged on that same clock, never on
  // PINNED_NOW: a certificate made today is not yet valid on a pinned day in the past.
  const clock = () => new Date();
  const keysNow = () => repoKeys(GUN, clock());
  const serveNow = (spec: RepoSpec, over: Partial<UpdateOptions>) =>
    serve({ ...spec, now: clock() }, { clock, ...over });

  function makeCa(name: string): string {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-sha256',
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    ]);
    return join(work, `${name}.crt`);
  }

  /** A root key whose certificate (CN = gun) is issued by `ca` with the given extended key usage. */
  function caIssuedRootKey(ca: string, gun: string, eku: string | undefined, tag: string): TestKey {
    const priv = generateKey('ecdsa');
    writeFileSync(join(work, `${tag}.key`), priv.keyObject.export({ type: 'pkcs8', format: 'pem' }));
    openssl([
      'req',
      '-new',
      '-key',
      `${tag}.key`,
      '-subj',
      `/CN=${gun.replaceAll('/', '\\/')}`,
      '-out',
      `${tag}.csr`,
    ]);
    const ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
    if (eku) ext.push(`extendedKeyUsage=${eku}`);
    writeFileSync(join(work, `${tag}.ext`), `${ext.join('\n')}\n`);
    openssl([
      'x509',
      '-req',
      '-in',
      `${tag}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      `${tag}.ext`,
      '-out',
      `${tag}.crt`,
    ]);
    const tuf: TufKey = { keytype: 'ecdsa-x509', public: readFileSync(join(work, `${tag}.crt`)) };
    return { priv, tuf, id: tufKeyId(tuf) };
  }

  it('accepts a root certificate issued by the pinned CA, refuses one from another CA', async () => {
    const caPath = makeCa('ca1');
    const otherCa = makeCa('ca2');
    const keys = await keysNow();
    const root = caIssuedRootKey('ca1', GUN, 'serverAuth', 'leaf1');
    const pinning = { certs: {}, ca: { 'example.com/': caPath }, disableTofu: true };
    const { opts } = await serveNow({ gun: GUN, ...keys, root: { key: root } }, { pinning });
    const state = await updateRepo(opts);
    expect(state.root.signed.roles['root']?.keyids).toEqual([root.id]);
    const wrong = await serveNow(
      { gun: GUN, ...keys, root: { key: root } },
      {
        pinning: { certs: {}, ca: { example: otherCa }, disableTofu: false },
      },
    );
    const e = await failure(updateRepo(wrong.opts));
    expect(e.message).toBe(
      'could not validate the path to a trusted root: unable to match any certificates to trust_pinning config',
    );
    expect(e.hint).toContain(otherCa);
  });

  it("refuses a codeSigning-only leaf even from the pinned CA (Go's serverAuth quirk)", async () => {
    const keys = await keysNow();
    const root = caIssuedRootKey('ca1', GUN, 'codeSigning', 'leaf2');
    const { opts } = await serveNow(
      { gun: GUN, ...keys, root: { key: root } },
      {
        pinning: { certs: {}, ca: { 'example.com/': join(work, 'ca1.crt') }, disableTofu: false },
      },
    );
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('TRUST_PINNING');
  });

  it('a CA bundle without a valid certificate is refused', async () => {
    const keys = await keysNow();
    const empty = join(work, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    const { opts } = await serveNow(
      { gun: GUN, ...keys },
      { pinning: { certs: {}, ca: { example: empty }, disableTofu: false } },
    );
    const e = await failure(updateRepo(opts));
    expect(e.message).toMatch(
      /^could not validate the path to a trusted root: (could not load root cert from CA path|invalid CA certs provided)$/,
    );
  });
});

/**
 * updateRepo against the Go fixture repository (fixtures/go/server, made by Go notary 0.7 and
 * notary-server), served by an in-process Remote, clock pinned to 2026-11-23.
 */
import { describe, expect, it } from 'vitest';
import { isNotaryError, NotaryError } from '../../../src/errors.js';
import { NO_PINNING } from '../../../src/repo/trust-pinning.js';
import { type UpdateOptions, updateRepo } from '../../../src/repo/update.js';
import { delegationRoles, listTargets, lookupTarget } from '../../../src/repo/walk.js';
import {
  FIXTURE_GUN,
  FileRemote,
  goFixtureFiles,
  MemoryCache,
  PINNED_NOW,
  recordingLogger,
  tamperSignature,
} from './update-harness.js';

const ROOT_TUF_ID = '65ef6d8306858a1aea0bc04a6a05a2edddcf5a5b25aaffa9e90ebee1df09ff15';

function setup(over: Partial<UpdateOptions> = {}) {
  const files = goFixtureFiles();
  const remote = new FileRemote(FIXTURE_GUN, files);
  const cache = new MemoryCache();
  const log = recordingLogger();
  const opts: UpdateOptions = {
    gun: FIXTURE_GUN,
    remote,
    cache,
    clock: () => PINNED_NOW,
    log,
    pinning: NO_PINNING,
    ...over,
  };
  return { files, remote, cache, log, opts };
}

async function failure(p: Promise<unknown>): Promise<NotaryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NotaryError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('updateRepo on the Go fixture repository', () => {
  it('bootstraps with TOFU, verifies the whole tree and caches the exact bytes', async () => {
    const { files, remote, cache, opts, log } = setup();
    const state = await updateRepo(opts);
    expect(state.root.signed.version).toBe(1);
    expect(state.timestamp?.signed.version).toBe(3);
    expect(state.snapshot?.signed.version).toBe(4);
    expect([...state.targets.keys()]).toEqual(['targets', 'targets/releases']);
    expect(state.skipped).toEqual([]);
    for (const role of ['root', 'targets', 'targets/releases', 'snapshot', 'timestamp']) {
      expect(cache.files.get(role)?.equals(files.get(role) as Buffer), role).toBe(true);
    }
    // consistent names for everything whose hash is known
    expect(remote.calls[0]).toBe('root.json');
    expect(remote.calls[1]).toBe('timestamp.json');
    expect(remote.calls[2]).toBe(
      'snapshot.fde11697de4d6e2802d0b9962fe993780997396a4a4d2cf43365728e6dd2e991.json',
    );
    expect(remote.calls[3]).toBe(
      'targets.5701604ac929dbe51274a3181674632ddbcfe4e786af138dcbf56af5b115df7e.json',
    );
    expect(remote.calls[4]).toBe(
      'targets/releases.719c2e113c6e4259ab591863a4dfe1abe5c5881dd47bde4639d39653480e48e3.json',
    );
    expect(log.warnings).toEqual([]);
  });

  it('lists and looks up as Go does (fixture outputs/list.txt order and roles)', async () => {
    const { opts } = setup();
    const state = await updateRepo(opts);
    const list = listTargets(state);
    expect(list.map((t) => [t.name, t.hashes['sha256']?.toString('hex'), t.length, t.role])).toEqual([
      ['bin/app.bin', '6ab72eeb9e77b07540897e0c8d6d23ec8eef0f8c3a47e1b3f4e93443d9536bed', 1024, 'targets'],
      ['docs/readme.md', 'a7860f59a222873aaa9cb4e590f25700813569229dca0bbe53e2654dcfff1e0f', 26, 'targets'],
      ['hello', '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03', 6, 'targets'],
      [
        'releases/v1.0.txt',
        '7b4871e6b35405054627068a49669e601dc93c5201ec75105d5858b79aecea12',
        12,
        'targets/releases',
      ],
    ]);
    expect(list[0]?.custom).toEqual({ build: 42, channel: 'stable' });
    expect(listTargets(state, ['targets/releases']).map((t) => t.name)).toEqual(['releases/v1.0.txt']);
    expect(lookupTarget(state, 'releases/v1.0.txt')?.role).toBe('targets/releases');
    expect(lookupTarget(state, 'nope')).toBeUndefined();
    expect(delegationRoles(state)).toEqual([
      {
        name: 'targets/releases',
        paths: ['releases/'],
        keyIds: ['7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553'],
        threshold: 1,
      },
    ]);
  });

  it('trusts a cached root without downloading root.json, and uses cached files whose hash matches', async () => {
    const { opts, remote, files } = setup();
    await updateRepo(opts);
    remote.calls.length = 0;
    const again = await updateRepo(opts);
    expect(again.targets.size).toBe(2);
    // only the timestamp is always downloaded; the rest comes from the cache by hash
    expect(remote.calls).toEqual(['timestamp.json']);
    expect(files.size).toBe(5);
  });

  it('a lookup fetches only the delegations on its path', async () => {
    const { opts, remote } = setup();
    const state = await updateRepo({ ...opts, scope: { kind: 'target', name: 'hello' } });
    // targets/releases has paths ["releases/"]: not needed for "hello"
    expect(remote.calls.some((c) => c.startsWith('targets/releases'))).toBe(false);
    expect(lookupTarget(state, 'hello')?.role).toBe('targets');
    remote.calls.length = 0;
    const s2 = await updateRepo({
      ...opts,
      cache: new MemoryCache(),
      scope: { kind: 'target', name: 'releases/v1.0.txt' },
    });
    expect(remote.calls.some((c) => c.startsWith('targets/releases'))).toBe(true);
    expect(lookupTarget(s2, 'releases/v1.0.txt')?.role).toBe('targets/releases');
  });

  it("offline with a valid cache: uses the cached timestamp with Go's warning", async () => {
    const { opts, remote, log } = setup();
    await updateRepo(opts);
    remote.offline = true;
    const state = await updateRepo(opts);
    expect(listTargets(state)).toHaveLength(4);
    expect(log.warnings).toContain(
      'Error while downloading remote metadata, using cached timestamp - this might not be the latest version available remotely',
    );
  });

  it('falls back to the cached timestamp on a 500 too', async () => {
    const { opts, remote, log } = setup();
    await updateRepo(opts);
    remote.failing.add('timestamp.json');
    await updateRepo(opts);
    expect(log.warnings.some((w) => w.startsWith('Error while downloading remote metadata'))).toBe(true);
  });

  it('offline without a cache fails with client is offline', async () => {
    const { opts, remote } = setup();
    remote.offline = true;
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('OFFLINE');
    expect(e.message).toBe('client is offline');
  });

  it('an unknown GUN fails with "<host:port> does not have trust data for <gun>"', async () => {
    const { opts } = setup();
    const e = await failure(
      updateRepo({ ...opts, remote: new FileRemote('example.com/none'), gun: 'example.com/none' }),
    );
    expect(e.code).toBe('NO_TRUST_DATA');
    expect(e.message).toBe('127.0.0.1:4443 does not have trust data for example.com/none');
  });

  it("an expired timestamp is refused with Go's message", async () => {
    const { opts } = setup({ clock: () => new Date('2026-12-07T00:00:00Z') });
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('EXPIRED');
    expect(e.message).toBe('timestamp expired at Sun Dec 6 02:00:04 UTC 2026');
  });

  it('a timestamp with a broken signature fails the threshold (after one root refresh)', async () => {
    const { opts, remote, files } = setup();
    remote.override('timestamp.json', tamperSignature(files.get('timestamp') as Buffer));
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('THRESHOLD');
    expect(e.message).toBe('valid signatures did not meet threshold for timestamp');
    expect(e.details?.['roleKeyIds']).toEqual([
      '96e0b4bf5637ce5254327f152dc3f27af168d8b29b6429a1838c0d99c609f7e1',
    ]);
    expect(remote.calls.filter((c) => c === 'root.json')).toHaveLength(2);
  });

  it('a targets file that does not match the snapshot hash is refused', async () => {
    const { opts, remote, files } = setup();
    const tail = 'targets.5701604ac929dbe51274a3181674632ddbcfe4e786af138dcbf56af5b115df7e.json';
    remote.override(tail, tamperSignature(files.get('targets') as Buffer));
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('HASH_MISMATCH');
    expect(e.message).toBe(
      'sha256 checksum for targets did not match: expected 5701604ac929dbe51274a3181674632ddbcfe4e786af138dcbf56af5b115df7e',
    );
  });

  it('a corrupted cached file is replaced by a verified download', async () => {
    const { opts, cache, files } = setup();
    await updateRepo(opts);
    cache.files.set('targets', tamperSignature(files.get('targets') as Buffer));
    const state = await updateRepo(opts);
    expect(state.targets.size).toBe(2);
    expect(cache.files.get('targets')?.equals(files.get('targets') as Buffer)).toBe(true);
  });

  it('a corrupted cached root is fatal (it is the trust anchor)', async () => {
    const { opts, cache, files } = setup();
    cache.files.set('root', tamperSignature(files.get('root') as Buffer));
    const e = await failure(updateRepo(opts));
    expect(isNotaryError(e)).toBe(true);
    expect(e.message).toMatch(/could not validate the path to a trusted root/);
  });

  it("an unreadable cached root fails instead of trusting the server's root anew", async () => {
    const { opts, cache, remote } = setup();
    cache.read = async (role: string) => {
      if (role === 'root')
        throw new NotaryError('IO', 'could not read cached root metadata: permission denied');
      return undefined;
    };
    const e = await failure(updateRepo(opts));
    expect(e.code).toBe('IO');
    expect(remote.calls).toEqual([]);
  });

  describe('trust pinning (first root only)', () => {
    it('accepts a root whose certificate ID is pinned', async () => {
      const { opts } = setup({
        pinning: { certs: { [FIXTURE_GUN]: [ROOT_TUF_ID] }, ca: {}, disableTofu: true },
      });
      await expect(updateRepo(opts)).resolves.toBeTruthy();
    });

    it('accepts a wildcard pin', async () => {
      const { opts } = setup({
        pinning: { certs: { 'example.com/*': [ROOT_TUF_ID] }, ca: {}, disableTofu: false },
      });
      await expect(updateRepo(opts)).resolves.toBeTruthy();
    });

    it('refuses a root that matches no pinned ID, naming the GUN, the pin and the root seen', async () => {
      const { opts, cache } = setup({
        pinning: { certs: { [FIXTURE_GUN]: ['ab'.repeat(32)] }, ca: {}, disableTofu: false },
      });
      const e = await failure(updateRepo(opts));
      expect(e.code).toBe('TRUST_PINNING');
      expect(e.message).toBe(
        'could not validate the path to a trusted root: unable to match any certificates to trust_pinning config',
      );
      expect(e.hint).toContain(FIXTURE_GUN);
      expect(e.hint).toContain('ab'.repeat(32));
      expect(e.hint).toContain(ROOT_TUF_ID);
      expect(cache.files.size).toBe(0);
    });

    it('disable_tofu without a pin refuses the first root but keeps working from a cached root', async () => {
      const pinning = { certs: {}, ca: {}, disableTofu: true };
      const { opts, cache } = setup({ pinning });
      const e = await failure(updateRepo(opts));
      expect(e.message).toBe(
        'could not validate the path to a trusted root: invalid trust pinning specified',
      );
      const warm = setup();
      await updateRepo(warm.opts);
      await expect(updateRepo({ ...warm.opts, pinning })).resolves.toBeTruthy();
      expect(cache.files.size).toBe(0);
    });

    it('refuses a CA pin whose bundle cannot be read', async () => {
      const { opts } = setup({
        pinning: { certs: {}, ca: { 'example.com': '/nonexistent/ca.pem' }, disableTofu: false },
      });
      const e = await failure(updateRepo(opts));
      expect(e.message).toBe(
        'could not validate the path to a trusted root: could not load root cert from CA path',
      );
    });
  });
});

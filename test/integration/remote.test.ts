// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRemote } from '../../src/remote/open.js';
import type { Access, Remote } from '../../src/remote/types.js';
import { fixturesDir } from '../helpers/cli.js';
import { failure, memLog } from '../helpers/memlog.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { makeSignedRepo } from '../helpers/signed-repo.js';

const MiB = 1 << 20;
let server: NotaryServer;

beforeAll(async () => {
  server = await startNotaryServer();
});
afterAll(async () => {
  await server?.stop();
});

function open(gun: string, access: Access = 'push'): Promise<Remote> {
  return openRemote({ baseUrl: server.url, gun, access, tls: { skipVerify: false }, log: memLog(), env: {} });
}

describe('real notary-server: reads, keys, 404 mapping', () => {
  test('404 on root is "does not have trust data" naming host:port and GUN, with a hint naming the server', async () => {
    const r = await open('example.com/none', 'pull');
    for (const call of [
      () => r.getMeta('root', MiB),
      () => r.getRootVersion(1, MiB),
      () => r.getMetaByChecksum('root', 'a'.repeat(64), MiB),
    ]) {
      const e = await failure(call());
      expect(e.code).toBe('NO_TRUST_DATA');
      expect(e.message).toBe(`127.0.0.1:${server.port} does not have trust data for example.com/none`);
      expect(e.hint).toContain(server.url);
      expect(e.hint).toContain('-s/--server');
      expect(e.hint).toContain('remote_server.url');
    }
  });

  test('404 on other roles is Go\'s "trust data unavailable" with the role name', async () => {
    const r = await open('example.com/none', 'pull');
    const e = await failure(r.getMeta('targets', MiB));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe('targets trust data unavailable.  Has a notary repository been initialized?');
    const hex = 'b'.repeat(64);
    const e2 = await failure(r.getMetaByChecksum('targets/releases', hex, MiB));
    expect(e2.message).toBe(
      `targets/releases.${hex} trust data unavailable.  Has a notary repository been initialized?`,
    );
  });

  test('GET <role>.key returns a server key (notary-server 0.7 makes a new one per GET until a root uses one); POST rotates', async () => {
    const r = await open('example.com/keys');
    const k1 = await r.getKey('timestamp');
    const k2 = await r.getKey('timestamp');
    expect(['ed25519', 'ecdsa']).toContain(k1.keytype);
    expect(k1.public.length).toBeGreaterThan(0);
    expect(k2.keytype).toBe(k1.keytype);
    const k3 = await r.rotateKey('timestamp');
    expect(k3.public.equals(k1.public)).toBe(false);
    const snap = await r.getKey('snapshot');
    expect(snap.public.equals(k1.public)).toBe(false);
  });
});

describe('real notary-server: publish', () => {
  test("the Go fixture repo is rejected (its timestamp key is not on this server): the server's validation message is shown", async () => {
    const gun = 'example.com/fixtures/demo';
    const dir = join(fixturesDir, 'go', 'server');
    const files = new Map<string, Buffer>([
      ['root', readFileSync(join(dir, 'root.json'))],
      ['targets', readFileSync(join(dir, 'targets.json'))],
      ['targets/releases', readFileSync(join(dir, 'targets', 'releases.json'))],
      ['snapshot', readFileSync(join(dir, 'snapshot.json'))],
    ]);
    const r = await open(gun);
    const e = await failure(r.publish(files));
    expect(e.code).toBe('SERVER_REJECTED');
    expect(e.message).toBe('The root metadata is invalid: no  timestamp keys exist on the server');
    expect(e.hint).toContain('refused the upload');
  });

  test('a freshly signed repo is accepted and served back byte for byte under all URL forms; versions conflict; delete removes it', async () => {
    const gun = 'example.com/tsnotary/remote';
    const r = await open(gun);
    const repo = makeSignedRepo(gun, await r.getKey('timestamp'));
    await r.publish(
      new Map([
        ['root', repo.root],
        ['targets', repo.targets],
        ['snapshot', repo.snapshot],
      ]),
    );

    const reader = await open(gun, 'pull');
    expect((await reader.getMeta('root', MiB)).equals(repo.root)).toBe(true);
    expect((await reader.getRootVersion(1, MiB)).equals(repo.root)).toBe(true);
    const sha = createHash('sha256').update(repo.targets).digest('hex');
    expect((await reader.getMetaByChecksum('targets', sha, repo.targets.length)).equals(repo.targets)).toBe(
      true,
    );
    const ts = JSON.parse((await reader.getMeta('timestamp', MiB)).toString('utf8'));
    expect(ts.signed._type).toBe('Timestamp');

    // size cap honoured on a real response: one byte less than the file
    const big = await failure(reader.getMeta('root', repo.root.length - 1));
    expect(big.code).toBe('BAD_RESPONSE');
    expect(big.message).toBe('trust server returned a bad response.');

    // re-uploading targets v1 (already stored): VERSION
    const again = await failure(
      r.publish(
        new Map([
          ['targets', repo.targets],
          ['snapshot', repo.snapshot],
        ]),
      ),
    );
    expect(again.code).toBe('VERSION_CONFLICT');
    expect(again.message).toBe('trust server rejected operation.');
    expect(again.hint).toMatch(/publish again/);

    // a proper v2 is accepted
    const t2 = repo.targetsVersion(2, 'hello');
    await r.publish(
      new Map([
        ['targets', t2],
        ['snapshot', repo.snapshotFor(t2, 2)],
      ]),
    );
    expect((await reader.getMeta('targets', MiB)).equals(t2)).toBe(true);

    await r.deleteAll();
    await r.deleteAll(); // idempotent
    expect((await failure(reader.getMeta('root', MiB))).code).toBe('NO_TRUST_DATA');
  });

  test("a bad signature is reported with the server's validation message", async () => {
    const gun = 'example.com/tsnotary/badsig';
    const r = await open(gun);
    const repo = makeSignedRepo(gun, await r.getKey('timestamp'));
    const forged = JSON.parse(repo.targets.toString('utf8'));
    forged.signed.version = 7; // signature no longer matches
    const e = await failure(
      r.publish(
        new Map([
          ['root', repo.root],
          ['targets', Buffer.from(JSON.stringify(forged))],
          ['snapshot', repo.snapshot],
        ]),
      ),
    );
    expect(e.code).toBe('SERVER_REJECTED');
    expect(e.message).toMatch(
      /^The (targets|snapshot) metadata is invalid: |^An error occurred during validation: /,
    );
  });
});

// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Hardware root keys, tsnotary CLI ⇄ Go notary 0.7 on one SoftHSM2 token and one trust directory.
 * Go only loads libykcs11 from fixed system paths, so it runs in a private mount namespace where
 * /usr/local/lib is a bind mount of a temp dir whose libykcs11.so points at SoftHSM
 * (pkcs11.md §6); tsnotary is pointed at the same module with NOTARY_PKCS11_MODULE.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyIdFor } from '../../src/crypto/keygen.js';
import { projectRoot, type RunOptions, type RunResult, run, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import {
  createSoftHsmToken,
  putGoLayoutKey,
  SOFTHSM_MODULE,
  type SoftHsmToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

const TOUCH = 'Please touch the attached Yubikey to perform signing.';
const addonBuilt = existsSync(
  join(projectRoot, 'node_modules', 'pkcs11js', 'build', 'Release', 'pkcs11.node'),
);
const unshareWorks =
  softhsmAvailable &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /tmp /usr/local/lib && true']).status === 0;

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase-1',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase-1',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase-1',
};

function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** `key list` rows as [role, gun, id, location]. */
function keyRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r.length >= 3 && /^[0-9a-f]{64}$/.test(r.at(-2) ?? ''))
    .map((r) => (r.length === 3 ? [r[0]!, '', r[1]!, r[2]!] : r));
}

interface RootJson {
  signed: {
    version: number;
    keys: Record<string, { keytype: string; keyval: { public: string } }>;
    roles: { root: { keyids: string[] } };
  };
  signatures: { keyid: string }[];
}

/** canonical key ID of the (only) root certificate, the TUF ID, version and signer IDs. */
function rootOf(trust: string, gun: string) {
  return parseRoot(readFileSync(join(trust, 'tuf', gun, 'metadata', 'root.json'), 'utf8'));
}

function parseRoot(text: string) {
  const root = JSON.parse(text) as RootJson;
  const tufId = root.signed.roles.root.keyids[0]!;
  const cert = new X509Certificate(Buffer.from(root.signed.keys[tufId]!.keyval.public, 'base64'));
  return {
    tufId,
    keyId: keyIdFor('ecdsa', cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer),
    version: root.signed.version,
    signers: root.signatures.map((s) => s.keyid),
  };
}

describe.skipIf(!unshareWorks || !addonBuilt)(
  'hardware root keys: tsnotary CLI and Go notary share the token',
  () => {
    let server: NotaryServer;
    let token: SoftHsmToken;
    let trust: string;
    let gun: string;
    let n = 0;

    beforeAll(async () => {
      server = await startNotaryServer();
    });
    afterAll(async () => {
      await server?.stop();
    });
    beforeEach(async () => {
      token = await createSoftHsmToken();
      trust = join(tempDir('tsnotary-p11x-'), 'trust');
      gun = `example.com/p11x/${++n}`;
    });
    afterEach(() => token.cleanup());

    const ts = (args: string[], opts: RunOptions = {}) =>
      runTs(['-d', trust, '-s', server.url, ...args], {
        ...opts,
        env: { ...PASS, NOTARY_PKCS11_MODULE: SOFTHSM_MODULE, ...token.env, ...opts.env },
      });

    /** Go notary with the token visible as /usr/local/lib/libykcs11.so in a private mount namespace. */
    const go = (args: string[], opts: RunOptions = {}) => {
      const lib = mkdtempSync(join(token.dir, 'lib-'));
      symlinkSync(token.modulePath, join(lib, 'libykcs11.so'));
      return run(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount --bind "$0" /usr/local/lib && exec notary "$@"',
          lib,
          '-d',
          trust,
          '-s',
          server.url,
          ...args,
        ],
        { ...opts, env: { ...PASS, ...token.env, ...opts.env } },
      );
    };

    it('Go lists and signs with the root key tsnotary put on the token during init', async () => {
      // no backup: the token holds the only copy, so whatever signs root.json used the token
      ok(await ts(['init', '-p', gun], { env: { NOTARY_PKCS11_NO_BACKUP: '1' } }));
      const rootId = rootOf(trust, gun).keyId;

      const list = ok(await go(['key', 'list']));
      expect(keyRows(list.stdout).filter((r) => r[0] === 'root')).toEqual([['root', '', rootId, 'yubikey']]);

      // rotating the targets key makes Go re-sign root.json: on the token
      const rot = ok(await go(['key', 'rotate', gun, 'targets']));
      expect(rot.stdout).toContain(TOUCH);
      // (Go publishes the rotation right away; its cache is refreshed only on the next read)
      const after = parseRoot(await (await fetch(`${server.url}/v2/${gun}/_trust/tuf/root.json`)).text());
      expect(after.version).toBe(2);
      expect(after.keyId).toBe(rootId);
      expect(after.signers).toEqual([after.tufId]);

      // a fresh tsnotary client (no token) accepts the rotated, token-signed root
      const fresh = ok(await runTs(['-d', tempDir('tsnotary-p11x-fresh-'), '-s', server.url, 'list', gun]));
      expect(fresh.stdout).toContain('No targets present in this repository.');
    });

    it('tsnotary inits with a root key Go would use (Go layout on the token); Go publishes on top', async () => {
      await putGoLayoutKey(token, '02');
      const goList = keyRows(ok(await go(['key', 'list'])).stdout);
      expect(goList).toHaveLength(1);
      const id = goList[0]![2]!;

      const init = ok(await ts(['init', '-p', gun]));
      expect(init.all).toContain(`Root key found, using: ${id}`);
      expect(init.stdout).toContain(TOUCH);
      expect(rootOf(trust, gun).keyId).toBe(id);

      // Go, on the same trust dir, publishes a target with the targets/snapshot keys tsnotary made
      const payload = join(trust, '..', 'payload.txt');
      writeFileSync(payload, 'from go\n');
      ok(await go(['add', '-p', gun, 'go-target', payload]));

      // a fresh Go client (no token) trusts the tsnotary-made, token-signed root and sees Go's target
      const fresh = ok(
        await run('notary', ['-d', tempDir('tsnotary-p11x-gofresh-'), '-s', server.url, 'list', gun]),
      );
      expect(fresh.stdout).toMatch(/go-target\s+[0-9a-f]{64}\s+8\s+targets/);
    });
  },
);

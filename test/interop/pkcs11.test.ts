// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Interop of the token store with the Go notary 0.7 client on a SoftHSM2 token (pkcs11.md §6).
 *
 * Go only loads libykcs11 from fixed system paths, so each Go run happens in a private mount
 * namespace where /usr/local/lib (one of its search paths) is a bind mount of a temp dir whose
 * libykcs11.so points at SoftHSM — nothing on the shared machine changes.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateKey, keyIdFor } from '../../src/crypto/keygen.js';
import { certToPem, createRootCertificate } from '../../src/crypto/x509.js';
import { NotaryError } from '../../src/errors.js';
import { openTokenKeyStore, type TokenKeyStore } from '../../src/keystore/pkcs11/index.js';
import { type RunResult, run, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import {
  createSoftHsmToken,
  putGoLayoutKey,
  type SoftHsmToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

const unshareWorks =
  softhsmAvailable &&
  spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /tmp /usr/local/lib && true']).status === 0;

const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase-1',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase-1',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase-1',
};

const noPin = async (): Promise<string> => {
  throw new NotaryError('NO_PASSPHRASE_INPUT', 'no passphrase');
};

/** Go notary with the token visible as /usr/local/lib/libykcs11.so (private mount namespace). */
function goWithToken(
  token: SoftHsmToken,
  trustDir: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const lib = mkdtempSync(join(token.dir, 'lib-'));
  symlinkSync(token.modulePath, join(lib, 'libykcs11.so'));
  return run(
    'unshare',
    ['-m', 'sh', '-c', 'mount --bind "$0" /usr/local/lib && exec notary "$@"', lib, '-d', trustDir, ...args],
    { env: { ...token.env, ...opts.env }, input: opts.input },
  );
}

/** `key list` rows as [role, gun, id, location]. */
function keyRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r.length >= 3 && /^[0-9a-f]{64}$/.test(r.at(-2) ?? ''))
    .map((r) => (r.length === 3 ? [r[0]!, '', r[1]!, r[2]!] : r));
}

describe.skipIf(!unshareWorks)('token store interop with Go notary (SoftHSM2)', () => {
  let token: SoftHsmToken;
  let trustDir: string;
  let store: TokenKeyStore;
  const notes: string[] = [];

  beforeEach(async () => {
    token = await createSoftHsmToken();
    trustDir = tempDir('tsnotary-p11-trust-');
    notes.length = 0;
    store = await openTokenKeyStore({
      modulePath: token.modulePath,
      retriever: noPin,
      notify: (l) => notes.push(l),
    });
  });
  afterEach(() => token.cleanup());

  it('Go lists a root key imported by tsnotary as LOCATION yubikey with the same ID', async () => {
    const id = await store.add(generateKey('ecdsa'), 'root', '');
    const r = await goWithToken(token, trustDir, ['key', 'list']);
    expect(r.code, r.all).toBe(0);
    expect(keyRows(r.stdout)).toEqual([['root', '', id, 'yubikey']]);
  });

  it('a key laid out by the spec recipe is listed identically by Go and tsnotary', async () => {
    await putGoLayoutKey(token, '02');
    const ours = await store.list();
    expect(ours).toHaveLength(1);
    const r = await goWithToken(token, trustDir, ['key', 'list']);
    expect(r.code, r.all).toBe(0);
    expect(keyRows(r.stdout)).toEqual([['root', '', ours[0]!.keyId, 'yubikey']]);
  });

  it('Go removes a tsnotary token key (certificate only), and tsnotary sees it gone', async () => {
    const id = await store.add(generateKey('ecdsa'), 'root', '');
    const r = await goWithToken(token, trustDir, ['key', 'remove', id], { input: 'yes\n' });
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(`Deleted ${id} (role root) from yubikey.`);
    const fresh = await openTokenKeyStore({ modulePath: token.modulePath, retriever: noPin });
    expect(await fresh.list()).toEqual([]);
    // and tsnotary's next import skips the slot Go left occupied by the key objects, as Go would
    const id2 = await fresh.add(generateKey('ecdsa'), 'root', '');
    const r2 = await goWithToken(token, trustDir, ['key', 'list']);
    expect(keyRows(r2.stdout)).toEqual([['root', '', id2, 'yubikey']]);
  });

  it('Go lists a root key generated on the token by tsnotary', async () => {
    const { keyId } = await store.generateOnToken();
    const r = await goWithToken(token, trustDir, ['key', 'list']);
    expect(r.code, r.all).toBe(0);
    expect(keyRows(r.stdout)).toEqual([['root', '', keyId, 'yubikey']]);
  });

  it('tsnotary removes a key put on the token by the recipe; Go no longer lists it', async () => {
    await putGoLayoutKey(token, '02');
    const [k] = await store.list();
    await store.remove(k!.keyId);
    const r = await goWithToken(token, trustDir, ['key', 'list']);
    expect(r.code, r.all).toBe(0);
    expect(keyRows(r.stdout)).toEqual([]);
  });

  describe('with a notary-server', () => {
    let server: NotaryServer;
    beforeAll(async () => {
      server = await startNotaryServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('Go signs root.json on the token with a tsnotary-imported key and a certificate tsnotary made on the token', async () => {
      const gun = 'example.com/token';
      const key = generateKey('ecdsa');
      const id = await store.add(key, 'root', '');
      const signer = await store.getSigner(id);
      // the repository certificate, signed *on the token* (DER ECDSA-Sig-Value: Go's own token
      // signer cannot do this, pkcs11.md §5)
      const certDer = await createRootCertificate(signer!, gun, new Date(), 10);
      expect(new X509Certificate(certDer).verify(createPublicKey(key.keyObject))).toBe(true);
      expect(notes).toEqual(['Please touch the attached Yubikey to perform signing.']);
      const certFile = join(trustDir, 'root-cert.pem');
      writeFileSync(certFile, certToPem(certDer));

      const env = { ...PASSPHRASES };
      const init = await goWithToken(
        token,
        trustDir,
        ['-s', server.url, 'init', '-p', gun, '--rootcert', certFile],
        {
          env,
        },
      );
      expect(init.code, init.all).toBe(0);
      expect(init.stdout).toContain('Please touch the attached Yubikey to perform signing.');

      // root.json is signed by the token key, whose TUF key is our certificate
      const root = JSON.parse(readFileSync(join(trustDir, 'tuf', gun, 'metadata', 'root.json'), 'utf8')) as {
        signed: {
          keys: Record<string, { keyval: { public: string } }>;
          roles: { root: { keyids: string[] } };
        };
        signatures: { keyid: string }[];
      };
      const rootKeyId = root.signed.roles.root.keyids[0]!;
      const pem = Buffer.from(root.signed.keys[rootKeyId]!.keyval.public, 'base64').toString('utf8');
      const cert = new X509Certificate(pem);
      expect(cert.raw.equals(certDer)).toBe(true);
      expect(keyIdFor('ecdsa', cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer)).toBe(id);
      expect(root.signatures.map((s) => s.keyid)).toEqual([rootKeyId]);

      // a fresh Go client (no token) trusts the published repository
      await expectTrustedByFreshClient(server, gun);
    });

    it('Go signs with a root key tsnotary generated on the token (never extractable)', async () => {
      const gun = 'example.com/generated';
      const { keyId, signer } = await store.generateOnToken();
      const certFile = join(trustDir, 'gen-cert.pem');
      writeFileSync(certFile, certToPem(await createRootCertificate(signer, gun, new Date(), 10)));
      const init = await goWithToken(
        token,
        trustDir,
        ['-s', server.url, 'init', '-p', gun, '--rootcert', certFile],
        {
          env: { ...PASSPHRASES },
        },
      );
      expect(init.code, init.all).toBe(0);
      expect(init.all).toContain(`Root key found, using: ${keyId}`);
      await expectTrustedByFreshClient(server, gun);
    });
  });
});

async function expectTrustedByFreshClient(server: NotaryServer, gun: string): Promise<void> {
  const fresh = await run('notary', ['-d', tempDir('tsnotary-p11-fresh-'), '-s', server.url, 'list', gun]);
  expect(fresh.code, fresh.all).toBe(0);
  expect(fresh.all).toContain('No targets present in this repository.');
}

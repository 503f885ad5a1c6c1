/**
 * TokenKeyStore against a real SoftHSM2 token (private SOFTHSM2_CONF in a temp dir).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalIdOf, generateKey, keyIdFor } from '../../../src/crypto/keygen.js';
import type { PrivateKey } from '../../../src/crypto/keys.js';
import { commonName, createRootCertificate } from '../../../src/crypto/x509.js';
import { isNotaryError, NotaryError } from '../../../src/errors.js';
import {
  openTokenKeyStore,
  probeTokenKeyStore,
  TOUCH_MESSAGE,
  type TokenSigner,
} from '../../../src/keystore/pkcs11/index.js';
import type { KeyInfo, KeyStore, PassphraseRequest } from '../../../src/keystore/types.js';
import type { Logger } from '../../../src/log.js';
import {
  createSoftHsmToken,
  putGoLayoutKey,
  type SoftHsmToken,
  softhsmAvailable,
} from '../../helpers/softhsm.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}

const noPin = async (): Promise<string> => {
  throw new NotaryError('NO_PASSPHRASE_INPUT', 'no passphrase');
};

function ecdsaSpkiOf(key: PrivateKey): Buffer {
  return createPublicKey(key.keyObject).export({ type: 'spki', format: 'der' }) as Buffer;
}

describe.skipIf(!softhsmAvailable)('TokenKeyStore on SoftHSM2', () => {
  let token: SoftHsmToken;
  const notes: string[] = [];
  let log: ReturnType<typeof recordingLogger>;

  beforeEach(async () => {
    token = await createSoftHsmToken();
    notes.length = 0;
    log = recordingLogger();
  });
  afterEach(() => token.cleanup());

  const open = (extra: Partial<Parameters<typeof openTokenKeyStore>[0]> = {}) =>
    openTokenKeyStore({
      modulePath: token.modulePath,
      retriever: noPin,
      notify: (l) => notes.push(l),
      logger: log,
      ...extra,
    });

  it('lists nothing on an empty token', async () => {
    const store = await open();
    expect(store.location).toBe('yubikey');
    expect(await store.list()).toEqual([]);
    expect(log.lines).toContain(
      `debug: Initialized PKCS11 library ${token.modulePath} and started HSM session`,
    );
  });

  it('adds a root key (cert + private + public objects, slot 02) and lists it with the canonical ID', async () => {
    const store = await open();
    const key = generateKey('ecdsa');
    const id = await store.add(key, 'root', '');
    expect(id).toBe(canonicalIdOf(key));
    const want: KeyInfo = { keyId: id, role: 'root', gun: '', location: 'yubikey' };
    expect(await store.list()).toEqual([want]);
    expect(await store.info(id)).toEqual(want);
    // a fresh process (new store, no cache) sees the same
    expect(await (await open()).list()).toEqual([want]);
    // the object layout, as pkcs11-tool shows it
    const { stdout } = await token.pkcs11Tool(['--login', '--pin', token.userPin, '--list-objects']);
    expect(stdout).toMatch(/Private Key Object; EC/);
    expect(stdout).toMatch(/Public Key Object; EC/);
    expect(stdout).toMatch(/Certificate Object; type = X\.509 cert/);
    expect(stdout.match(/ID:\s+02/g)?.length).toBe(3);
  });

  it('writes a self-signed CN=root certificate valid 10 years for the key', async () => {
    const now = new Date('2026-11-23T00:00:00Z');
    const store = await open({ clock: () => now });
    const key = generateKey('ecdsa');
    await store.add(key, 'root', '');
    const reopened = await open();
    const signer = (await reopened.getSigner(canonicalIdOf(key))) as TokenSigner;
    expect(signer.publicBytes.equals(ecdsaSpkiOf(key))).toBe(true);
    const certDer = await readCertificate(token, '02');
    const cert = new X509Certificate(certDer);
    expect(commonName(cert)).toBe('root');
    expect(cert.issuer).toBe('CN=root');
    expect(new Date(cert.validFrom).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2036);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(keyIdFor('ecdsa', cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer)).toBe(
      canonicalIdOf(key),
    );
  });

  it('signs on the token: raw r||s over SHA-256 that node:crypto verifies, touch message before each', async () => {
    const store = await open();
    const key = generateKey('ecdsa');
    const id = await store.add(key, 'root', '');
    const signer = await store.getSigner(id);
    expect(signer).toBeDefined();
    expect(signer!.keyId).toBe(id);
    expect(signer!.algorithm).toBe('ecdsa');
    for (const msg of ['{"signed":1}', 'second payload']) {
      const data = Buffer.from(msg);
      const { method, sig } = await signer!.sign(data);
      expect(method).toBe('ecdsa');
      expect(sig.length).toBe(64);
      expect(verify('sha256', data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    }
    expect(notes).toEqual([TOUCH_MESSAGE, TOUCH_MESSAGE]);
    expect(TOUCH_MESSAGE).toBe('Please touch the attached Yubikey to perform signing.');
    expect(await store.getSigner('0'.repeat(64))).toBeUndefined();
  });

  it('signs X.509 certificates with a DER ECDSA-Sig-Value (Go bug: raw r||s)', async () => {
    const store = await open();
    const key = generateKey('ecdsa');
    const id = await store.add(key, 'root', '');
    const signer = (await store.getSigner(id)) as TokenSigner;
    const der = await createRootCertificate(signer, 'example.com/collection', new Date(), 10);
    const cert = new X509Certificate(der);
    expect(commonName(cert)).toBe('example.com/collection');
    expect(cert.verify(createPublicKey(key.keyObject))).toBe(true);
    const data = Buffer.from('tbs');
    const sigDer = await signer.signDer(data);
    expect(sigDer[0]).toBe(0x30);
    expect(verify('sha256', data, createPublicKey(key.keyObject), sigDer)).toBe(true);
  });

  it('removes only the certificate (as Go): the key disappears, its slot stays taken', async () => {
    const store = await open();
    const a = generateKey('ecdsa');
    const id = await store.add(a, 'root', '');
    await store.remove(id);
    expect(await store.list()).toEqual([]);
    expect(await (await open()).list()).toEqual([]);
    const { stdout } = await token.pkcs11Tool(['--login', '--pin', token.userPin, '--list-objects']);
    expect(stdout).not.toMatch(/Certificate Object/);
    expect(stdout).toMatch(/Private Key Object; EC/);
    // next key goes to 01, as Go's allocator sees 02 still used
    const b = generateKey('ecdsa');
    await store.add(b, 'root', '');
    expect((await readCertificate(token, '01')).length).toBeGreaterThan(0);
    await expect(store.remove(id)).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
      message: 'Key not present in yubikey',
    });
  });

  it('allocates slots 02, 01, 03, 00 and then reports "yubikey has no available slots"', async () => {
    const store = await open();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await store.add(generateKey('ecdsa'), 'root', ''));
    for (const [i, slot] of ['02', '01', '03', '00'].entries()) {
      const cert = new X509Certificate(await readCertificate(token, slot));
      expect(keyIdFor('ecdsa', cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer)).toBe(
        ids[i],
      );
    }
    expect((await store.list()).map((k) => k.keyId).sort()).toEqual([...ids].sort());
    const err = await store.add(generateKey('ecdsa'), 'root', '').catch((e: unknown) => e);
    expect(isNotaryError(err, 'PKCS11')).toBe(true);
    expect((err as NotaryError).message).toBe('yubikey has no available slots');
    expect((err as NotaryError).hint).toBeTruthy();
  });

  it('adding a key already on the token is a no-op', async () => {
    const store = await open();
    const key = generateKey('ecdsa');
    const id = await store.add(key, 'root', '');
    expect(await store.add(key, 'root', '')).toBe(id);
    expect(await store.list()).toHaveLength(1);
  });

  it('refuses non-root roles and non-P-256 keys', async () => {
    const store = await open();
    const key = generateKey('ecdsa');
    await expect(store.add(key, 'targets', 'gun')).rejects.toMatchObject({
      code: 'PKCS11',
      message: `yubikey only supports storing root keys, got targets for key: ${canonicalIdOf(key)}`,
    });
    await expect(store.add(generateKey('ed25519'), 'root', '')).rejects.toMatchObject({
      code: 'PKCS11',
      message: expect.stringMatching(/^yubikey only supports ECDSA P-256 keys, got ed25519/),
    });
    const p384: PrivateKey = {
      algorithm: 'ecdsa',
      keyObject: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
    };
    await expect(store.add(p384, 'root', '')).rejects.toMatchObject({
      message: expect.stringMatching(/got secp384r1/),
    });
    expect(await store.list()).toEqual([]);
  });

  it('lists and signs with a key laid out by the spec recipe (openssl + softhsm2-util + pkcs11-tool)', async () => {
    const { keyPem } = await putGoLayoutKey(token, '02');
    const priv = createPrivateKey(keyPem);
    const id = keyIdFor('ecdsa', createPublicKey(priv).export({ type: 'spki', format: 'der' }) as Buffer);
    const store = await open();
    expect(await store.list()).toEqual([{ keyId: id, role: 'root', gun: '', location: 'yubikey' }]);
    const signer = await store.getSigner(id);
    const data = Buffer.from('payload');
    const { sig } = await signer!.sign(data);
    expect(verify('sha256', data, { key: createPublicKey(priv), dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    // the next import avoids the used slot
    await store.add(generateKey('ecdsa'), 'root', '');
    expect((await readCertificate(token, '01')).length).toBeGreaterThan(0);
  });

  it('skips certificates whose CN is not a valid role', async () => {
    await putGoLayoutKey(token, '02', 'Not A Role');
    const store = await open();
    expect(await store.list()).toEqual([]);
  });

  it('writes the backup copy, and takes the token copy back when the backup fails', async () => {
    const added: string[] = [];
    const backup: KeyStore = {
      location: '/trust/private',
      list: async () => [],
      info: async () => undefined,
      getSigner: async () => undefined,
      add: async (k, role) => {
        if (added.length > 0) throw new NotaryError('IO', 'disk full');
        added.push(`${canonicalIdOf(k)}:${role}`);
        return canonicalIdOf(k);
      },
      remove: async () => {},
    };
    const store = await open({ backup });
    const k1 = generateKey('ecdsa');
    await store.add(k1, 'root', '');
    expect(added).toEqual([`${canonicalIdOf(k1)}:root`]);
    const k2 = generateKey('ecdsa');
    await expect(store.add(k2, 'root', '')).rejects.toMatchObject({
      message: 'Failed to backup private key to: disk full',
    });
    expect((await store.list()).map((k) => k.keyId)).toEqual([canonicalIdOf(k1)]);
    expect((await (await open()).list()).map((k) => k.keyId)).toEqual([canonicalIdOf(k1)]);
    // the rollback removed every object of k2: its slot (01) is free again
    const { stdout } = await token.pkcs11Tool(['--login', '--pin', token.userPin, '--list-objects']);
    expect(stdout.match(/ID:\s+01/g)).toBeNull();
    expect(stdout.match(/ID:\s+02/g)?.length).toBe(3);
  });

  it('generates a non-extractable root key on the token, with its CN=root certificate', async () => {
    const store = await open();
    const { keyId, signer } = await store.generateOnToken();
    expect(await store.list()).toEqual([{ keyId, role: 'root', gun: '', location: 'yubikey' }]);
    expect(keyIdFor('ecdsa', signer.publicBytes)).toBe(keyId);
    const cert = new X509Certificate(await readCertificate(token, '02'));
    expect(commonName(cert)).toBe('root');
    expect(cert.verify(cert.publicKey)).toBe(true);
    const data = Buffer.from('on-token');
    const { sig } = await signer.sign(data);
    expect(verify('sha256', data, { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    // the private key cannot be read out
    const { stdout } = await token.pkcs11Tool(['--login', '--pin', token.userPin, '--list-objects']);
    expect(stdout).toMatch(
      /Private Key Object; EC[\s\S]*Access:\s+sensitive, always sensitive, never extractable/,
    );
    // and a new store (a later process) can sign with it too
    const again = await (await open()).getSigner(keyId);
    const s2 = await again!.sign(data);
    expect(verify('sha256', data, { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, s2.sig)).toBe(true);
    await expect(store.generateOnToken('targets')).rejects.toMatchObject({ code: 'PKCS11' });
  });

  it('selects the token by label and reports a missing label clearly', async () => {
    await token.softhsmUtil([
      '--init-token',
      '--free',
      '--label',
      'second',
      '--so-pin',
      token.soPin,
      '--pin',
      token.userPin,
    ]);
    // SoftHSM orders its slots by serial number: with two tokens "first" is not predictable
    const first = await open({ tokenLabel: 'notary' });
    const second = await open({ tokenLabel: 'second' });
    const id = await second.add(generateKey('ecdsa'), 'root', '');
    expect((await second.list()).map((k) => k.keyId)).toEqual([id]);
    expect(await first.list()).toEqual([]);
    await expect(open({ tokenLabel: 'nope' })).rejects.toMatchObject({
      code: 'PKCS11',
      message: `loaded library ${token.modulePath}, but no token labelled "nope" found`,
    });
  });
});

describe.skipIf(!softhsmAvailable)('TokenKeyStore PINs', () => {
  let token: SoftHsmToken;
  afterEach(() => token?.cleanup());

  function scriptedRetriever(answers: Record<string, string[]>) {
    const asked: PassphraseRequest[] = [];
    const retriever = async (req: PassphraseRequest) => {
      asked.push(req);
      const next = answers[req.keyName]?.shift();
      if (next === undefined) throw new NotaryError('NO_PASSPHRASE_INPUT', 'no more answers');
      return next;
    };
    return { asked, retriever };
  }

  it('uses the factory PINs without asking', async () => {
    token = await createSoftHsmToken();
    const { asked, retriever } = scriptedRetriever({});
    const store = await openTokenKeyStore({ modulePath: token.modulePath, retriever });
    const id = await store.add(generateKey('ecdsa'), 'root', '');
    await (await store.getSigner(id))!.sign(Buffer.from('x'));
    expect(asked).toEqual([]);
  });

  it('asks for custom PINs through the retriever (User Pin / SO Pin, alias yubikey), wrong then right', async () => {
    token = await createSoftHsmToken({ userPin: '24681357', soPin: '1122334455667788' });
    const { asked, retriever } = scriptedRetriever({
      'SO Pin': ['0000', '1122334455667788'],
      'User Pin': ['11111111', '24681357'],
    });
    const store = await openTokenKeyStore({ modulePath: token.modulePath, retriever });
    const key = generateKey('ecdsa');
    const id = await store.add(key, 'root', '');
    expect(asked.map((r) => [r.keyName, r.alias, r.createNew, r.attempt])).toEqual([
      ['SO Pin', 'yubikey', false, 0],
      ['SO Pin', 'yubikey', false, 1],
      // SoftHSM's SO may not create private objects: the user login takes over
      ['User Pin', 'yubikey', false, 0],
      ['User Pin', 'yubikey', false, 1],
    ]);
    // the PIN that worked is remembered for this store: no more prompts, no wasted tries
    asked.length = 0;
    const data = Buffer.from('signed');
    const { sig } = await (await store.getSigner(id))!.sign(data);
    expect(verify('sha256', data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(asked).toEqual([]);
  });

  it('gives up after 3 wrong PINs with Go\'s "maximum number of passphrase attempts exceeded"', async () => {
    token = await createSoftHsmToken({ userPin: '24681357' });
    await putGoLayoutKey(token, '02');
    const { asked, retriever } = scriptedRetriever({ 'User Pin': ['1', '2', '3', '24681357'] });
    const store = await openTokenKeyStore({ modulePath: token.modulePath, retriever });
    const [k] = await store.list();
    const signer = await store.getSigner(k!.keyId);
    await expect(signer!.sign(Buffer.from('x'))).rejects.toMatchObject({
      code: 'PASSPHRASE',
      message:
        'failed to sign using Yubikey: error logging in: maximum number of passphrase attempts exceeded',
    });
    expect(asked.map((r) => r.attempt)).toEqual([0, 1, 2]);
  });

  it('fails with Go\'s "password invalid" when the retriever gives up, and never resends a wrong PIN', async () => {
    token = await createSoftHsmToken({ userPin: '24681357' });
    await putGoLayoutKey(token, '02');
    // like NOTARY_DELEGATION_PASSPHRASE set to a wrong value: same answer twice, then give up
    const { asked, retriever } = scriptedRetriever({ 'User Pin': ['99999999', '99999999'] });
    const store = await openTokenKeyStore({ modulePath: token.modulePath, retriever });
    const [k] = await store.list();
    const err = await (await store.getSigner(k!.keyId))!.sign(Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PASSPHRASE',
      message: 'failed to sign using Yubikey: error logging in: password invalid, operation has failed.',
    });
    expect((err as NotaryError).hint).toMatch(/NOTARY_DELEGATION_PASSPHRASE/);
    expect(asked.map((r) => r.attempt)).toEqual([0, 1, 2]);
  });
});

describe('token store discovery', () => {
  it('is absent (debug log like Go) when no module exists on the default paths', async () => {
    const log = recordingLogger();
    const store = await probeTokenKeyStore({ retriever: noPin, logger: log, fileExists: () => false });
    expect(store).toBeUndefined();
    expect(
      log.lines.some((l) =>
        /^debug: No yubikey found, using alternative key storage: no library found/.test(l),
      ),
    ).toBe(true);
  });

  it('explains a missing module: the paths tried and how to name one', async () => {
    const err = await openTokenKeyStore({
      retriever: noPin,
      fileExists: () => false,
      platform: 'linux',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotaryError);
    const e = err as NotaryError;
    expect(e.code).toBe('PKCS11');
    expect(e.message).toBe(
      'No yubikey found: no library found (tried /usr/lib/libykcs11.so, /usr/lib/libykcs11.so.1, /usr/lib64/libykcs11.so, /usr/lib64/libykcs11.so.1, /usr/lib/x86_64-linux-gnu/libykcs11.so, /usr/local/lib/libykcs11.so)',
    );
    expect(e.hint).toMatch(/NOTARY_PKCS11_MODULE/);
  });

  it('warns (not only debug) when an explicitly named module does not exist', async () => {
    const log = recordingLogger();
    const store = await probeTokenKeyStore({
      retriever: noPin,
      logger: log,
      modulePath: '/nonexistent/libpkcs11.so',
    });
    expect(store).toBeUndefined();
    expect(log.lines).toContain(
      'warn: No yubikey found, using alternative key storage: no library found (tried /nonexistent/libpkcs11.so)',
    );
    await expect(
      openTokenKeyStore({ retriever: noPin, modulePath: '/nonexistent/libpkcs11.so' }),
    ).rejects.toMatchObject({
      code: 'PKCS11',
      hint: expect.stringMatching(/module path you configured/),
    });
  });

  it('reports a file that is not a PKCS#11 module', async () => {
    await expect(openTokenKeyStore({ retriever: noPin, modulePath: '/etc/hostname' })).rejects.toMatchObject({
      code: 'PKCS11',
      message: 'failed to load library /etc/hostname',
    });
  });

  it('is absent when the pkcs11js addon is not installed', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package 'pkcs11js'"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const log = recordingLogger();
    const modulePath = '/usr/lib/softhsm/libsofthsm2.so';
    expect(
      await probeTokenKeyStore({
        retriever: noPin,
        logger: log,
        importAddon: missing,
        modulePath,
        fileExists: () => true,
      }),
    ).toBeUndefined();
    expect(log.lines).toContain(
      'warn: No yubikey found, using alternative key storage: PKCS#11 support is not installed (optional dependency pkcs11js is missing)',
    );
    // without any module the addon is not even imported
    let imported = false;
    const spy = async () => {
      imported = true;
      return missing();
    };
    expect(
      await probeTokenKeyStore({ retriever: noPin, importAddon: spy, fileExists: () => false }),
    ).toBeUndefined();
    expect(imported).toBe(false);
    await expect(
      openTokenKeyStore({ retriever: noPin, importAddon: missing, modulePath, fileExists: () => true }),
    ).rejects.toMatchObject({
      code: 'PKCS11',
      hint: expect.stringMatching(/pkcs11js/),
    });
  });
});

/** DER of the certificate object with CKA_ID `idHex`, read with pkcs11-tool. */
async function readCertificate(token: SoftHsmToken, idHex: string): Promise<Buffer> {
  const out = join(mkdtempSync(join(token.dir, 'read-')), 'cert.der');
  await token.pkcs11Tool(['--read-object', '--type', 'cert', '--id', idHex, '--output-file', out]);
  return readFileSync(out);
}

/**
 * Pieces of the token store that SoftHSM cannot exercise (it never locks a PIN and always
 * signs correctly): those use a scripted PKCS#11 session. Everything else here is pure.
 */
import { createHash, createPublicKey, sign as nodeSign } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { generateKey, publicBytes } from '../../../src/crypto/keygen.js';
import { createRootCertificate } from '../../../src/crypto/x509.js';
import { NotaryError } from '../../../src/errors.js';
import type { Attribute, Handle, Pkcs11Api } from '../../../src/keystore/pkcs11/addon.js';
import { loadPkcs11Addon } from '../../../src/keystore/pkcs11/addon.js';
import * as ck from '../../../src/keystore/pkcs11/ck.js';
import {
  DARWIN_MODULE_PATHS,
  defaultModulePaths,
  ecdsaRawToDer,
  LINUX_MODULE_PATHS,
  resolvePkcs11Selection,
  SIGN_ATTEMPTS,
  TOUCH_MESSAGE,
} from '../../../src/keystore/pkcs11/index.js';
import {
  certificateSubject,
  certificateTemplate,
  ecPointToSpki,
  privateKeyTemplate,
  spkiToEcPoint,
} from '../../../src/keystore/pkcs11/objects.js';
import { FACTORY_SO_PIN, FACTORY_USER_PIN, login, type PinMemory } from '../../../src/keystore/pkcs11/pin.js';
import { TokenSession } from '../../../src/keystore/pkcs11/session.js';
import { signInSession } from '../../../src/keystore/pkcs11/token-signer.js';
import type { PassphraseRequest } from '../../../src/keystore/types.js';

class Pkcs11Failure extends Error {}
const ckr = (name: string) => new Pkcs11Failure(name);

/** A scripted PKCS#11 module: only the calls a test needs, recording logins. */
function fakeApi(overrides: Partial<Pkcs11Api>): Pkcs11Api & { logins: string[] } {
  const logins: string[] = [];
  const unexpected = (name: string) => () => {
    throw new Error(`unexpected ${name}`);
  };
  const api = {
    logins,
    load: unexpected('load'),
    close: unexpected('close'),
    C_Initialize: () => {},
    C_Finalize: () => {},
    C_GetInfo: () => ({ manufacturerID: 'test', libraryDescription: 'test' }),
    C_GetSlotList: () => [Buffer.from([0])],
    C_GetTokenInfo: () => ({ label: 't', manufacturerID: 't', model: 't', serialNumber: '1', flags: 0x400 }),
    C_OpenSession: () => Buffer.from([1]),
    C_CloseSession: () => {},
    C_Login: (_s: Handle, _t: number, pin?: string) => {
      logins.push(pin ?? '');
    },
    C_Logout: () => {},
    C_CreateObject: unexpected('C_CreateObject'),
    C_DestroyObject: unexpected('C_DestroyObject'),
    C_FindObjectsInit: () => {},
    C_FindObjects: () => [],
    C_FindObjectsFinal: () => {},
    C_GetAttributeValue: unexpected('C_GetAttributeValue'),
    C_SignInit: () => {},
    C_Sign: unexpected('C_Sign'),
    C_GenerateKeyPair: unexpected('C_GenerateKeyPair'),
    ...overrides,
  };
  return api as Pkcs11Api & { logins: string[] };
}

function sessionOf(api: Pkcs11Api): TokenSession {
  return new TokenSession(api, Buffer.from([1]), Buffer.from([0]), '/fake.so', false);
}

describe('PKCS#11 constants', () => {
  it('match the addon values', () => {
    const addon = pkcs11js as unknown as Record<string, number>;
    for (const [name, value] of Object.entries(ck)) {
      if (typeof value !== 'number' || !(name in addon)) continue;
      expect([name, value]).toEqual([name, addon[name]]);
    }
    expect(addon['CKA_EC_POINT']).toBe(ck.CKA_EC_POINT);
    expect(addon['CKM_ECDSA']).toBe(ck.CKM_ECDSA);
  });

  it('the addon loads through its default export', async () => {
    const r = await loadPkcs11Addon();
    expect(r.ok).toBe(true);
    const broken = await loadPkcs11Addon(async () => ({ default: {} }));
    expect(broken).toMatchObject({ ok: false, reason: expect.stringMatching(/no PKCS11 class/) });
  });
});

describe('module discovery', () => {
  it("probes Go's paths in Go's order", () => {
    expect(defaultModulePaths('linux')).toBe(LINUX_MODULE_PATHS);
    expect(LINUX_MODULE_PATHS[0]).toBe('/usr/lib/libykcs11.so');
    expect(LINUX_MODULE_PATHS.at(-1)).toBe('/usr/local/lib/libykcs11.so');
    expect(defaultModulePaths('darwin')).toEqual([
      '/usr/local/lib/libykcs11.dylib',
      '/usr/local/docker/lib/libykcs11.dylib',
      '/usr/local/docker-experimental/lib/libykcs11.dylib',
    ]);
    expect(DARWIN_MODULE_PATHS).toHaveLength(3);
    expect(defaultModulePaths('win32')).toEqual([]);
  });

  it('resolves module and label: option > config > env', () => {
    const env = { NOTARY_PKCS11_MODULE: '/env.so', NOTARY_PKCS11_TOKEN_LABEL: 'envlabel' };
    expect(resolvePkcs11Selection({ env })).toEqual({ modulePath: '/env.so', tokenLabel: 'envlabel' });
    expect(resolvePkcs11Selection({ env, config: { modulePath: '/cfg.so' } })).toEqual({
      modulePath: '/cfg.so',
      tokenLabel: 'envlabel',
    });
    expect(
      resolvePkcs11Selection({
        env,
        config: { modulePath: '/cfg.so' },
        option: { modulePath: '/flag.so', tokenLabel: 'x' },
      }),
    ).toEqual({ modulePath: '/flag.so', tokenLabel: 'x' });
    expect(resolvePkcs11Selection({ env: { NOTARY_PKCS11_MODULE: '' } })).toEqual({});
  });
});

describe('object encodings', () => {
  it('reads EC points raw or DER-wrapped and writes them wrapped', () => {
    const key = generateKey('ecdsa');
    const spki = publicBytes(key);
    const wrapped = spkiToEcPoint(spki);
    expect(wrapped.subarray(0, 3).toString('hex')).toBe('044104');
    expect(ecPointToSpki(wrapped).equals(spki)).toBe(true);
    expect(ecPointToSpki(wrapped.subarray(2)).equals(spki)).toBe(true);
    expect(() => ecPointToSpki(Buffer.alloc(33, 2))).toThrow(NotaryError);
  });

  it('takes CKA_SUBJECT from the certificate and uses Go templates on Yubico modules only', async () => {
    const key = generateKey('ecdsa');
    const der = await createRootCertificate(key, 'root', new Date('2026-11-23T00:00:00Z'));
    const subject = certificateSubject(der);
    expect(subject.toString('hex')).toBe('300f310d300b06035504031304726f6f74');
    const yubi = certificateTemplate(der, Buffer.from([2]), 'root', true);
    expect(yubi.map((a) => a.type)).toEqual([ck.CKA_CLASS, ck.CKA_VALUE, ck.CKA_ID]);
    const generic = certificateTemplate(der, Buffer.from([2]), 'root', false).map((a) => a.type);
    expect(generic).toEqual(expect.arrayContaining([ck.CKA_CERTIFICATE_TYPE, ck.CKA_SUBJECT, ck.CKA_TOKEN]));
    const d = Buffer.alloc(32, 7);
    const yk = privateKeyTemplate(d, Buffer.from([2]), 'root', true);
    expect(yk.find((a) => a.type === ck.CKA_VENDOR_DEFINED)?.value).toBe(3);
    const soft = privateKeyTemplate(d, Buffer.from([2]), 'root', false);
    expect(soft.some((a) => a.type === ck.CKA_VENDOR_DEFINED)).toBe(false);
    expect(soft.find((a: Attribute) => a.type === ck.CKA_PRIVATE)?.value).toBe(true);
  });

  it('DER-encodes raw r||s for X.509 (positive INTEGERs)', () => {
    const raw = Buffer.concat([
      Buffer.alloc(32, 0xff),
      Buffer.concat([Buffer.alloc(1, 0), Buffer.alloc(31, 0x01)]),
    ]);
    expect(ecdsaRawToDer(raw).toString('hex')).toBe(`3044022100${'ff'.repeat(32)}021f${'01'.repeat(31)}`);
  });
});

describe('PIN login (scripted token)', () => {
  const retrieverOf = (answers: string[]) => {
    const asked: PassphraseRequest[] = [];
    return {
      asked,
      retriever: async (req: PassphraseRequest) => {
        asked.push(req);
        const a = answers.shift();
        if (a === undefined) throw new NotaryError('NO_PASSPHRASE_INPUT', 'none');
        return a;
      },
    };
  };

  it('tries the factory PIN first (user and SO)', async () => {
    const api = fakeApi({});
    const { retriever, asked } = retrieverOf([]);
    await login(sessionOf(api), ck.CKU_USER, retriever, new Map());
    await login(sessionOf(api), ck.CKU_SO, retriever, new Map());
    expect(api.logins).toEqual([FACTORY_USER_PIN, FACTORY_SO_PIN]);
    expect(asked).toEqual([]);
  });

  it('stops at once on a locked PIN (flag or CKR_PIN_LOCKED)', async () => {
    const locked = fakeApi({
      C_GetTokenInfo: () => ({
        label: 't',
        manufacturerID: 't',
        model: 't',
        serialNumber: '1',
        flags: 0x400 | 0x40000,
      }),
    });
    const { retriever, asked } = retrieverOf(['123']);
    await expect(login(sessionOf(locked), ck.CKU_USER, retriever, new Map())).rejects.toMatchObject({
      code: 'PKCS11',
      message: 'the User Pin of the token is locked',
      hint: expect.stringMatching(/unblock/),
    });
    expect(locked.logins).toEqual([]);
    const lockedOnTry = fakeApi({
      C_Login: () => {
        throw ckr('CKR_PIN_LOCKED');
      },
    });
    await expect(login(sessionOf(lockedOnTry), ck.CKU_SO, retriever, new Map())).rejects.toMatchObject({
      message: 'the SO Pin of the token is locked',
    });
    expect(asked).toEqual([]);
  });

  it('does not spend the final try on the factory PIN, and remembers the PIN that worked', async () => {
    const api = fakeApi({
      C_GetTokenInfo: () => ({
        label: 't',
        manufacturerID: 't',
        model: 't',
        serialNumber: '1',
        flags: 0x400 | 0x20000,
      }),
      C_Login: (_s, _t, pin) => {
        api.logins.push(pin ?? '');
        if (pin !== 'right') throw ckr('CKR_PIN_INCORRECT');
      },
    });
    const { retriever, asked } = retrieverOf(['right']);
    const memory: PinMemory = new Map();
    await login(sessionOf(api), ck.CKU_USER, retriever, memory);
    expect(api.logins).toEqual(['right']);
    expect(asked.map((r) => [r.keyName, r.alias, r.attempt])).toEqual([['User Pin', 'yubikey', 0]]);
    await login(sessionOf(api), ck.CKU_USER, retriever, memory);
    expect(api.logins).toEqual(['right', 'right']);
    expect(asked).toHaveLength(1);
  });

  it('maps other login failures to a PKCS11 error naming the CKR code', async () => {
    const api = fakeApi({
      C_Login: () => {
        throw ckr('CKR_DEVICE_REMOVED');
      },
    });
    await expect(
      login(sessionOf(api), ck.CKU_USER, retrieverOf([]).retriever, new Map()),
    ).rejects.toMatchObject({
      code: 'PKCS11',
      message: 'error logging in: CKR_DEVICE_REMOVED',
      hint: expect.stringMatching(/plug it in/),
    });
  });
});

describe('signing retries (scripted token)', () => {
  const key = generateKey('ecdsa');
  const spki = createPublicKey(key.keyObject).export({ type: 'spki', format: 'der' }) as Buffer;
  const data = Buffer.from('metadata');

  function signingApi(signatures: Buffer[]) {
    let n = 0;
    return fakeApi({
      C_FindObjects: () => (n++ === 0 ? [Buffer.from([9])] : []),
      C_Sign: (_s, digest) => {
        expect(digest.equals(createHash('sha256').update(data).digest())).toBe(true);
        const next = signatures.shift();
        if (!next) throw new Error('no more signatures');
        return next;
      },
      C_SignAsync: undefined,
    });
  }
  const good = () => nodeSign('sha256', data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' });

  it('retries a signature that does not verify, printing the touch message each time', async () => {
    const api = signingApi([Buffer.alloc(64, 1), good()]);
    const notes: string[] = [];
    const sig = await signInSession(sessionOf(api), Buffer.from([2]), spki, data, (l) => notes.push(l));
    expect(sig).toHaveLength(64);
    expect(notes).toEqual([TOUCH_MESSAGE, TOUCH_MESSAGE]);
  });

  it(`gives up after ${SIGN_ATTEMPTS} bad signatures with Go's message`, async () => {
    const api = signingApi(Array.from({ length: SIGN_ATTEMPTS }, () => Buffer.alloc(64, 1)));
    const notes: string[] = [];
    await expect(
      signInSession(sessionOf(api), Buffer.from([2]), spki, data, (l) => notes.push(l)),
    ).rejects.toMatchObject({
      code: 'PKCS11',
      message: 'failed to generate signature on Yubikey',
    });
    expect(notes).toHaveLength(SIGN_ATTEMPTS);
  });

  it('reports a certificate without private key', async () => {
    const api = fakeApi({});
    await expect(signInSession(sessionOf(api), Buffer.from([2]), spki, data, () => {})).rejects.toMatchObject(
      {
        message: 'failed to sign using Yubikey: no private key found for slot 02',
      },
    );
  });
});

/** CryptoService store order and the report when a root key misses the token (docs/pkcs11.md). */
import { describe, expect, it } from 'vitest';
import { canonicalIdOf, generateKey } from '../../../src/crypto/keygen.js';
import type { PrivateKey } from '../../../src/crypto/keys.js';
import { NotaryError } from '../../../src/errors.js';
import { CryptoService } from '../../../src/keystore/crypto-service.js';
import type { KeyInfo, KeyStore } from '../../../src/keystore/types.js';
import type { Logger } from '../../../src/log.js';

/** An in-memory store; `refuse` makes `add` fail like a token would. */
function memStore(
  location: string,
  refuse?: (role: string, id: string) => NotaryError,
): KeyStore & { ids: string[] } {
  const keys = new Map<string, KeyInfo>();
  return {
    location,
    get ids() {
      return [...keys.keys()];
    },
    list: async () => [...keys.values()],
    info: async (id) => keys.get(id),
    getSigner: async () => undefined,
    async add(key: PrivateKey, role: string, gun: string) {
      const id = canonicalIdOf(key);
      if (refuse) throw refuse(role, id);
      keys.set(id, { keyId: id, role, gun, location });
      return id;
    },
    remove: async (id) => {
      keys.delete(id);
    },
  };
}

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    info: (m) => lines.push(`info ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
  };
}

describe('CryptoService.addKey', () => {
  it('stores in the first store that accepts the key, silently when it is the first', async () => {
    const token = memStore('yubikey');
    const files = memStore('/trust/private');
    const log = recorder();
    const id = await new CryptoService([token, files], log).create('root', '');
    expect(token.ids).toEqual([id]);
    expect(files.ids).toEqual([]);
    expect(log.lines).toEqual([]);
  });

  it('a root key that misses the token is stored in files with a warning and the hint', async () => {
    const token = memStore(
      'yubikey',
      () =>
        new NotaryError('PKCS11', 'yubikey has no available slots', { hint: 'Remove a key from the token.' }),
    );
    const files = memStore('/trust/private');
    const log = recorder();
    const id = await new CryptoService([token, files], log).create('root', '');
    expect(files.ids).toEqual([id]);
    expect(log.lines).toEqual([
      `warn could not store the root key ${id} in yubikey (yubikey has no available slots); it was stored in /trust/private instead`,
      'warn Remove a key from the token.',
    ]);
  });

  it('non-root keys pass the token by without a word (Go: the token only holds root keys)', async () => {
    const token = memStore(
      'yubikey',
      (role, id) =>
        new NotaryError('PKCS11', `yubikey only supports storing root keys, got ${role} for key: ${id}`),
    );
    const files = memStore('/trust/private');
    const log = recorder();
    const id = await new CryptoService([token, files], log).create('targets', 'example.com/x');
    expect(files.ids).toEqual([id]);
    expect(log.lines).toEqual([]);
  });

  it('every store failing throws the last error', async () => {
    const boom = () => new NotaryError('IO', 'disk full');
    const cs = new CryptoService([memStore('yubikey', boom), memStore('/trust/private', boom)]);
    await expect(cs.addKey(generateKey('ecdsa'), 'root', '')).rejects.toThrow('disk full');
  });
});

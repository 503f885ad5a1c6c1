/** Ordered key stores (token first, then files), as Go's cryptoservice. */
import { canonicalIdOf, generateKey } from '../crypto/keygen.js';
import type { KeyAlgorithm, PrivateKey } from '../crypto/keys.js';
import { NotaryError } from '../errors.js';
import type { KeyInfo, KeyStore, Signer } from './types.js';

export class CryptoService {
  constructor(readonly stores: KeyStore[]) {}

  /** Generates a key and stores it in the first store that accepts it. Returns the canonical ID. */
  async create(role: string, gun: string, alg: KeyAlgorithm = 'ecdsa'): Promise<string> {
    return this.addKey(generateKey(alg), role, gun);
  }

  /** Stores an existing key (e.g. `--rootkey`, `key rotate -k`) in the first store that accepts it. */
  async addKey(key: PrivateKey, role: string, gun: string): Promise<string> {
    let lastError: unknown;
    for (const store of this.stores) {
      try {
        return await store.add(key, role, gun);
      } catch (e) {
        lastError = e;
      }
    }
    if (lastError) throw lastError;
    throw new NotaryError(
      'INTERNAL',
      `no key store available to store the new ${role} key ${canonicalIdOf(key)}`,
    );
  }

  async getSigner(keyId: string): Promise<Signer | undefined> {
    for (const store of this.stores) {
      const s = await store.getSigner(keyId);
      if (s) return s;
    }
    return undefined;
  }

  /** First store's info for the key. */
  async info(keyId: string): Promise<KeyInfo | undefined> {
    for (const store of this.stores) {
      const i = await store.info(keyId);
      if (i) return i;
    }
    return undefined;
  }

  /** Every store holding the key (for `key remove` with several matches). */
  async holders(keyId: string): Promise<{ store: KeyStore; info: KeyInfo }[]> {
    const out: { store: KeyStore; info: KeyInfo }[] = [];
    for (const store of this.stores) {
      const i = await store.info(keyId);
      if (i) out.push({ store, info: i });
    }
    return out;
  }

  /** All keys of all stores (a key held twice is listed twice, with its location). */
  async list(): Promise<KeyInfo[]> {
    const out: KeyInfo[] = [];
    for (const store of this.stores) out.push(...(await store.list()));
    return out;
  }

  /** Canonical IDs of keys for `role` (and `gun` for targets/snapshot/timestamp). */
  async keysForRole(role: string, gun?: string): Promise<string[]> {
    return (await this.list())
      .filter((k) => k.role === role && (gun === undefined || k.gun === '' || k.gun === gun))
      .map((k) => k.keyId);
  }
}

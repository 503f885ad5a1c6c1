/** Ordered key stores (token first, then files), as Go's cryptoservice. */
import type { KeyAlgorithm, PrivateKey } from '../crypto/keys.js';
import { errorMessage, NotaryError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import type { KeyInfo, KeyStore, Signer } from './types.js';

export class CryptoService {
  constructor(
    readonly stores: KeyStore[],
    private readonly log: Logger = silentLogger,
  ) {}

  /** Generates a key and stores it in the first store that accepts it. Returns the canonical ID. */
  async create(role: string, gun: string, alg: KeyAlgorithm = 'ecdsa'): Promise<string> {
    // loaded here: listing and looking up keys need no crypto (see file-store.ts keyCrypto)
    const { generateKey } = await import('../crypto/keygen.js');
    return this.addKey(generateKey(alg), role, gun);
  }

  /**
   * Stores an existing key (e.g. `--rootkey`, `key rotate -k`) in the first store that accepts it.
   * Like Go, a store that fails is skipped for the next one; unlike Go, a root key that was meant
   * for the hardware token but landed in a later store is reported (warning with the reason):
   * otherwise a wrong PIN or a full token silently leaves the root key only on disk.
   */
  async addKey(key: PrivateKey, role: string, gun: string): Promise<string> {
    let lastError: unknown;
    const skipped: { location: string; error: unknown }[] = [];
    for (const store of this.stores) {
      try {
        const id = await store.add(key, role, gun);
        if (role === 'root') {
          for (const s of skipped) {
            this.log.warn(
              `could not store the root key ${id} in ${s.location} (${errorMessage(s.error)}); it was stored in ${store.location} instead`,
            );
            const hint = s.error instanceof NotaryError ? s.error.hint : undefined;
            if (hint) this.log.warn(hint);
          }
        }
        return id;
      } catch (e) {
        lastError = e;
        skipped.push({ location: store.location, error: e });
      }
    }
    if (lastError) throw lastError;
    const { canonicalIdOf } = await import('../crypto/keygen.js');
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

/**
 * Key management through the library: list, generate and import keys of the trust directory
 * (and of any extra key stores given to the client). Passphrases come from the client's
 * `passphrase` callback.
 */
import { errorMessage, NotaryError } from '../errors.js';
import type { KeyInfo } from '../keystore/types.js';
import type { Engine } from './engine.js';
import type { GenerateKeyOptions, ImportKeyOptions } from './options.js';

/** The keys of a {@link NotaryClient}: `client.keys`. */
export interface KeyManager {
  /** Every key of every store, root keys first, then by GUN, role, key ID (Go's order). */
  list(): Promise<KeyInfo[]>;
  /** Generates an ECDSA key, stores it (asking for a new passphrase) and returns its canonical key ID. */
  generate(options?: GenerateKeyOptions): Promise<string>;
  /**
   * Imports PEM private keys (as `notary key import`: `role:`/`gun:`/`path:` headers, encrypted
   * or not) into the trust directory. Returns the written locations below `private/`.
   */
  import(pem: string, options?: ImportKeyOptions): Promise<string[]>;
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Go's keyInfoSorter: root first, then (gun, role, keyID, location) in byte order. */
export function sortKeyInfos(keys: readonly KeyInfo[]): KeyInfo[] {
  return [...keys].sort((a, b) => {
    if (a.role !== b.role) {
      if (a.role === 'root') return -1;
      if (b.role === 'root') return 1;
    }
    for (const f of ['gun', 'role', 'keyId', 'location'] as const) {
      const c = byteCompare(a[f], b[f]);
      if (c !== 0) return c;
    }
    return 0;
  });
}

export class KeyManagerImpl implements KeyManager {
  constructor(private readonly engine: Engine) {}

  async list(): Promise<KeyInfo[]> {
    return sortKeyInfos(await (await this.engine.keys()).list());
  }

  async generate(options: GenerateKeyOptions = {}): Promise<string> {
    const role = options.role ?? 'root';
    const keys = await this.engine.keys();
    try {
      return await keys.create(role, options.gun ?? '', 'ecdsa');
    } catch (e) {
      throw new NotaryError('KEY_INVALID', `Failed to create a new ${role} key: ${errorMessage(e)}`, {
        cause: e,
        hint: e instanceof NotaryError ? e.hint : undefined,
        exitCode: e instanceof NotaryError ? e.exitCode : undefined,
      });
    }
  }

  async import(pem: string, options: ImportKeyOptions = {}): Promise<string[]> {
    const opts: { role?: string; gun?: string } = {};
    if (options.role !== undefined) opts.role = options.role;
    if (options.gun !== undefined) opts.gun = options.gun;
    const result = await this.engine.fileStore.importBlocks(pem, opts);
    if (result.written.length === 0 && result.skipped.length > 0) {
      throw new NotaryError('KEY_INVALID', `failed to import all keys: ${result.skipped.join(', ')}`, {
        hint: 'Each block needs a role and, for targets/snapshot/timestamp keys, a gun (use role/gun options); encrypted blocks need a `path:` header.',
      });
    }
    return result.written;
  }
}

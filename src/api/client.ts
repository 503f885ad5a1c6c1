/**
 * The library's entry point: a client bound to one trust directory (and optionally one trust
 * server), handing out repository handles and the key manager. Modelled on tuf-js's `Updater`
 * (one object configured once, then asked for targets) with sigstore-js's idea of pluggable
 * signers (`signers`, `keyStores`) and callbacks for anything interactive (`passphrase`, `auth`).
 */
import { validateGun } from '../repo/gun.js';
import { Engine } from './engine.js';
import { type KeyManager, KeyManagerImpl } from './keys.js';
import type { NotaryClientOptions } from './options.js';
import { type NotaryRepository, RepositoryHandle } from './repository.js';

export class NotaryClient {
  /** The trust directory this client works on. */
  readonly trustDir: string;
  /** Key listing, generation and import. */
  readonly keys: KeyManager;
  readonly #engine: Engine;

  /** Fails with `CONFIG` when `trustDir` is missing. Nothing is read or contacted yet. */
  constructor(options: NotaryClientOptions) {
    this.#engine = new Engine(options);
    this.trustDir = this.#engine.trustDir;
    this.keys = new KeyManagerImpl(this.#engine);
  }

  /**
   * A handle on repository `gun` (a Globally Unique Name such as `docker.io/library/alpine`).
   * Fails with `INVALID_GUN` for names that would leave the trust directory.
   */
  repository(gun: string): NotaryRepository {
    return new RepositoryHandle(this.#engine, validateGun(gun));
  }
}

import type { PrivateKey } from '../crypto/keys.js';
import type { Signer } from '../crypto/signer.js';

export type { Signer } from '../crypto/signer.js';

/** One key as `key list` shows it. */
export interface KeyInfo {
  /** canonical key ID */
  keyId: string;
  role: string;
  /** '' when the key has no gun (root, delegation keys) */
  gun: string;
  /** `<trust_dir>/private` for files, `yubikey` for a token */
  location: string;
}

/** A request for a passphrase, mirroring Go's PassRetriever(keyName, alias, createNew, attempts). */
export interface PassphraseRequest {
  /** key ID (or e.g. `User Pin`) */
  keyName: string;
  /** role of the key (`root`, `targets`, `targets/releases`, `delegation`, '' ...) */
  alias: string;
  createNew: boolean;
  /** 0-based attempt counter for this key load */
  attempt: number;
}

/** Returns the passphrase, or throws NotaryError (PASSPHRASE / NO_PASSPHRASE_INPUT) to give up. */
export type PassphraseRetriever = (req: PassphraseRequest) => Promise<string>;

export interface KeyStore {
  /** Human name used in `key list` LOCATION and prompts. */
  readonly location: string;
  list(): Promise<KeyInfo[]>;
  /** Role/gun of a key, or undefined if this store does not hold it. No passphrase needed. */
  info(keyId: string): Promise<KeyInfo | undefined>;
  /** A signer for the key; may ask the retriever for a passphrase. Undefined when not held. */
  getSigner(keyId: string): Promise<Signer | undefined>;
  /** Store a new key (asks for a new passphrase as Go does). Returns the canonical key ID. */
  add(key: PrivateKey, role: string, gun: string): Promise<string>;
  remove(keyId: string): Promise<void>;
}

/**
 * Public option and result types of the library API (`import { … } from 'tsnotary'`).
 * Everything here is part of the checked-in API report (api/tsnotary.api.md): change it only
 * on purpose, and update the report with `npm run api:update`.
 */
import type { Signer } from '../crypto/signer.js';
import type { KeyStore, PassphraseRetriever } from '../keystore/types.js';
import type { Logger } from '../log.js';
import type { Access, Credentials, Remote, RemoteTimeouts } from '../remote/types.js';
import type { TrustPinning } from '../repo/settings.js';

/** TLS settings for the trust server connection (Go's `remote_server` TLS options). */
export interface TlsOptions {
  /** PEM CA bundle; when given it is the only trust anchor. */
  caFile?: string;
  /** Client certificate (PEM) for mutual TLS. */
  certFile?: string;
  /** Client private key (PEM) for mutual TLS. */
  keyFile?: string;
  /** Do not verify the server certificate (Go's `skipTLSVerify`). Tests only. */
  insecureSkipVerify?: boolean;
}

/**
 * Opens the remote of one GUN yourself: a read-only mirror, an archive, a test double. Called
 * at most once per repository handle and access level.
 */
export type RemoteFactory = (gun: string, access: Access) => Remote | Promise<Remote>;

/** A signing key held outside the trust directory (KMS, HSM, agent), and the role it signs for. */
export interface ExternalSigner {
  signer: Signer;
  /** `root`, `targets`, `snapshot` or a delegation name such as `targets/releases`. */
  role: string;
  /** The GUN the key belongs to; omit for root and delegation keys (they are not GUN-bound). */
  gun?: string;
}

/** Everything a {@link NotaryClient} needs. Only `trustDir` is required. */
export interface NotaryClientOptions {
  /**
   * The trust directory: metadata cache, changelists and `private/` keys, shared byte for byte
   * with Go notary (`~/.notary`) and Docker (`~/.docker/trust`). There is no default.
   */
  trustDir: string;
  /** Trust server base URL, e.g. `https://notary.example.com:4443`. Needed for online operations unless `remote` is given. */
  server?: string;
  /** A remote of your own instead of `server` (a read-only mirror, an archive, a test double). */
  remote?: RemoteFactory;
  tls?: TlsOptions;
  /**
   * Credentials for a server behind Basic or token authentication: fixed, or a callback asked
   * lazily (at most once per repository handle) when the server demands them. Return undefined
   * to continue anonymously.
   */
  auth?: Credentials | (() => Promise<Credentials | undefined>);
  /**
   * Environment variables read as Go notary reads them: `NOTARY_AUTH` (base64 `user:password`)
   * and `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`. The library never reads `process.env` itself:
   * pass it (or a subset) here. Default: none.
   */
  environment?: Readonly<Record<string, string | undefined>>;
  /**
   * Asked for a key's passphrase (to decrypt it, or for a new key). Without it, a key that
   * needs a passphrase fails with `NO_PASSPHRASE_INPUT`. {@link passphraseFromEnvironment}
   * gives Go's `NOTARY_*_PASSPHRASE` behaviour.
   */
  passphrase?: PassphraseRetriever;
  /** Keys held outside the trust directory; searched before the key files. */
  signers?: readonly ExternalSigner[];
  /** Further key stores searched before the key files (e.g. a PKCS#11 token). */
  keyStores?: readonly KeyStore[];
  /** Trust pinning (Go's `trust_pinning` config): pinned certificates, CAs, TOFU switch. */
  trustPinning?: Partial<TrustPinning>;
  /** Warnings and debug lines (Go's log messages). Default: silent. */
  logger?: Logger;
  /** The clock expiry checks and new metadata use. Default: the system clock. */
  clock?: () => Date;
  /** Network timeouts in milliseconds. */
  timeouts?: Partial<RemoteTimeouts>;
}

/** A target as the trusted metadata lists it; the same fields as `tsnotary list --format json`. */
export interface Target {
  name: string;
  /** The role that lists the target: `targets` or a delegation. */
  role: string;
  /** Length in bytes. */
  length: number;
  /** Algorithm (`sha256`, `sha512`) to lower-case hex digest. */
  hashes: Record<string, string>;
  /** The target's custom JSON, when it has some. */
  custom?: unknown;
}

/** A delegated role that was not trusted during the update, and why. */
export interface SkippedRole {
  role: string;
  reason: string;
}

/** Result of {@link NotaryRepository.listTargets}; serialises exactly as `tsnotary list --format json`. */
export interface TargetListing {
  gun: string;
  targets: Target[];
  /** Delegations whose targets were ignored (expired, signature threshold not met). */
  skipped: SkippedRole[];
}

/** A delegation as `delegation list` shows it. */
export interface Delegation {
  name: string;
  /** Path prefixes, sorted; `""` means every path. */
  paths: string[];
  /** Canonical key IDs. */
  keyIds: string[];
  threshold: number;
}

/** A change staged for the next publish, numbered as {@link NotaryRepository.resetChanges} expects. */
export interface PendingChange {
  index: number;
  action: 'create' | 'update' | 'delete';
  /** The role the change applies to. */
  scope: string;
  type: 'target' | 'delegation' | 'witness' | 'role';
  path: string;
}

/** Length and digests of some content, for {@link NotaryRepository.verifyDigest} and `addTargetHash`. */
export interface TargetDigest {
  length: number;
  /** Hex SHA-256 digest. At least one of sha256 and sha512 is required. */
  sha256?: string;
  /** Hex SHA-512 digest. */
  sha512?: string;
}

/** Options of the target staging methods. */
export interface StageTargetOptions {
  /** Roles to stage the change for: `targets` (default) and/or delegations. */
  roles?: readonly string[];
  /** Custom JSON stored with the target (integral numbers only, as canonical JSON requires). */
  custom?: unknown;
}

/** What {@link NotaryRepository.addDelegation} stages. */
export interface DelegationAddOptions {
  /** Public keys or certificates as PEM text (`PUBLIC KEY` or `CERTIFICATE` blocks). */
  publicKeys?: readonly string[];
  /** Path prefixes the delegation may sign. */
  paths?: readonly string[];
  /** Allow every path (overrides `paths`). */
  allPaths?: boolean;
}

/** What {@link NotaryRepository.removeDelegation} stages; neither keys nor paths removes the role. */
export interface DelegationRemoveOptions {
  /** Canonical key IDs to remove from the role. */
  keyIds?: readonly string[];
  /** Path prefixes to remove. */
  paths?: readonly string[];
  /** Remove every path. */
  allPaths?: boolean;
}

/** Options of {@link NotaryRepository.initialize}. */
export interface InitializeOptions {
  /** Canonical ID of the stored root key to use; default: the first stored root key, else a new one. */
  rootKeyId?: string;
  /** PEM certificate for the root key (must belong to `rootKeyId`). */
  rootCertificate?: string;
}

/** Options of {@link NotaryRepository.rotateKey}. */
export interface RotateKeyOptions {
  /** The server generates and holds the new key (timestamp, snapshot). */
  serverManaged?: boolean;
  /** PEM private keys to rotate to (encrypted ones are decrypted with the `root` passphrase alias); default: a new ECDSA key. */
  privateKeys?: readonly string[];
  /** Also sign a new root with the root keys of this many older versions (-1: all). */
  legacyVersions?: number;
}

/** Result of a key rotation. */
export interface RotationResult {
  /** TUF key IDs of the role in the new root. */
  newKeyIds: string[];
  /** Old private keys deleted after the server accepted the rotation. */
  removedKeyIds: string[];
}

/** Options of {@link KeyManager.generate}. */
export interface GenerateKeyOptions {
  /** Default `root`. */
  role?: string;
  /** Only for targets/snapshot keys. */
  gun?: string;
}

/** Options of {@link KeyManager.import}. */
export interface ImportKeyOptions {
  /** Role for blocks without a `role:` header. */
  role?: string;
  /** GUN for blocks without a `gun:` header. */
  gun?: string;
}

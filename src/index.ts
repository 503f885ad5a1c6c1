/**
 * tsnotary as a library: `import { NotaryClient } from 'tsnotary'`. A typed API over the same
 * engine the `tsnotary` CLI runs (docs/library.md documents every export). Nothing below this
 * API prints, prompts or reads `process.*`: passphrases and credentials come in as callbacks.
 *
 * @packageDocumentation
 */
export { NotaryClient } from './api/client.js';
export type { KeyManager } from './api/keys.js';
export type {
  Delegation,
  DelegationAddOptions,
  DelegationRemoveOptions,
  ExternalSigner,
  GenerateKeyOptions,
  ImportKeyOptions,
  InitializeOptions,
  NotaryClientOptions,
  PendingChange,
  RemoteFactory,
  RotateKeyOptions,
  RotationResult,
  SkippedRole,
  StageTargetOptions,
  Target,
  TargetDigest,
  TargetListing,
  TlsOptions,
} from './api/options.js';
export { passphraseFromEnvironment } from './api/passphrase.js';
export type { NotaryRepository } from './api/repository.js';
export type { KeyAlgorithm, KeyType, PrivateKey, SignatureMethod } from './crypto/keys.js';
export type { Signer } from './crypto/signer.js';
export {
  type ErrorCode,
  ExitCode,
  type ExitCodeValue,
  isNotaryError,
  NotaryError,
  type NotaryErrorOptions,
} from './errors.js';
export type { KeyInfo, KeyStore, PassphraseRequest, PassphraseRetriever } from './keystore/types.js';
export type { Logger } from './log.js';
export type { Access, Credentials, Remote, RemoteTimeouts } from './remote/types.js';
export type { TrustPinning } from './repo/settings.js';
export type { TufKey } from './tuf/types.js';

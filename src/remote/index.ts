/** Public surface of the trust-server client. */
export type { Challenge } from './auth.js';
export { hostPort } from './errors.js';
export { createHttpRemote, type HttpRemoteOptions } from './http-remote.js';
export { createOfflineRemote, type OfflineReason, offlineError } from './offline.js';
export { openRemote, type PingResult, ping } from './open.js';
export type {
  Access,
  CredentialSource,
  Credentials,
  Remote,
  RemoteOptions,
  RemoteTimeouts,
} from './types.js';

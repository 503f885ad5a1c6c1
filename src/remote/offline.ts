/**
 * The Remote used when the ping failed: every call fails with Go's `client is offline`, but
 * carries the real cause (refused, DNS, TLS, timeout, bad status) and what to do about it —
 * the single most requested fix over Go notary (anchors B1).
 */
import { NotaryError } from '../errors.js';
import type { Remote } from './types.js';

/** Why the server is considered offline (from the ping). */
export interface OfflineReason {
  /** short Go-like reason, e.g. `dial tcp 127.0.0.1:1: connect: connection refused` */
  reason: string;
  /** what to do */
  hint: string;
  /** the classified error (NETWORK, TLS, TIMEOUT, SERVER) with the raw error as its cause */
  cause: NotaryError;
  /** what Go logs after `could not reach <base>: ` (the url.Error text, or the status code) */
  logDetail: string;
}

export function offlineError(baseUrl: string, why: OfflineReason): NotaryError {
  return new NotaryError('OFFLINE', 'client is offline', {
    hint: `could not reach ${baseUrl}: ${why.reason}. ${why.hint}`,
    cause: why.cause,
    details: { server: baseUrl, reason: why.reason, causeCode: why.cause.code },
  });
}

export function createOfflineRemote(baseUrl: string, why: OfflineReason): Remote {
  const fail = (): Promise<never> => Promise.reject(offlineError(baseUrl, why));
  return {
    baseUrl,
    getMeta: fail,
    getMetaByChecksum: fail,
    getRootVersion: fail,
    publish: fail,
    getKey: fail,
    rotateKey: fail,
    deleteAll: fail,
  };
}

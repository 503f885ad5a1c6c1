import type { TufKey } from '../tuf/types.js';

/** Access a command needs; decides the token scope (server-api.md §4.2). */
export type Access = 'pull' | 'push' | 'admin';

/**
 * The trust server as the repository layer sees it. One instance per GUN and command.
 * Errors are NotaryError with codes NO_TRUST_DATA (404 on root), NOT_FOUND (404 otherwise),
 * OFFLINE, NETWORK, TLS, TIMEOUT, UNAUTHORIZED, SERVER, SERVER_REJECTED, VERSION_CONFLICT,
 * BAD_RESPONSE (over size cap).
 */
export interface Remote {
  /** `<role>.json`, at most maxBytes. */
  getMeta(role: string, maxBytes: number): Promise<Buffer>;
  /** `<role>.<sha256hex>.json`, at most maxBytes. */
  getMetaByChecksum(role: string, sha256Hex: string, maxBytes: number): Promise<Buffer>;
  /** `<version>.root.json` */
  getRootVersion(version: number, maxBytes: number): Promise<Buffer>;
  /** Multipart POST of role -> file bytes (F). */
  publish(files: ReadonlyMap<string, Buffer>): Promise<void>;
  /** GET `<role>.key` (creates the key on the server when absent). */
  getKey(role: 'timestamp' | 'snapshot'): Promise<TufKey>;
  /** POST `<role>.key`: rotate the server-held key. */
  rotateKey(role: 'timestamp' | 'snapshot'): Promise<TufKey>;
  /** DELETE the whole collection on the server. */
  deleteAll(): Promise<void>;
  /** Base URL and host:port, for messages ("<host:port> does not have trust data for <gun>"). */
  readonly baseUrl: string;
}

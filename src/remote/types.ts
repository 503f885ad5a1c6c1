import type { Logger } from '../log.js';
import type { TlsSettings } from '../repo/settings.js';
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
  /** `<version>.<role>.json` (older versions the server still holds; archive, rehost). */
  getMetaVersion?(role: string, version: number, maxBytes: number): Promise<Buffer>;
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

/** Username and password for the trust server (Basic, or Basic to the token service). */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * Interactive credential prompt, implemented by the CLI (`Enter username: ` / `Enter password: `).
 * Called lazily, at most once per run, only when the server asks for authentication and
 * `NOTARY_AUTH` is unset. Returns undefined when it cannot ask (no terminal) or the user
 * entered an empty username.
 */
export type CredentialSource = () => Promise<Credentials | undefined>;

/** Everything needed to talk to one trust server about one GUN (see ./open.ts). */
export interface RemoteOptions {
  /** Validated base URL (scheme present); a path prefix is kept. */
  baseUrl: string;
  gun: string;
  access: Access;
  tls: TlsSettings;
  /** Interactive fallback when NOTARY_AUTH is unset; absent = never prompt. */
  credentials?: CredentialSource;
  log: Logger;
  /** Environment for NOTARY_AUTH and HTTP(S)_PROXY / NO_PROXY. */
  env: Readonly<Record<string, string | undefined>>;
  /** Timeouts in ms; defaults: connect 30 s, TLS handshake 10 s, read 60 s, ping 5 s, token 15 s. */
  timeouts?: Partial<RemoteTimeouts>;
}

export interface RemoteTimeouts {
  /** TCP connect (DNS included) */
  connect: number;
  /** TLS handshake, after TCP connect */
  tls: number;
  /** waiting for response headers, and the longest pause between body chunks */
  read: number;
  /** the whole `GET /v2/` ping, as Go's 5 s client timeout */
  ping: number;
  /** the whole token request */
  token: number;
  /** delays before retries of idempotent GETs; length = number of retries */
  retryDelays: readonly number[];
}

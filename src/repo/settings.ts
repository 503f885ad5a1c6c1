/**
 * Resolved settings for one command run (flags > env > config file > defaults, resolved by
 * src/cli/config.ts). Everything below the CLI receives this, never reads config itself.
 */
export interface TrustPinning {
  /** GUN or `prefix*` -> allowed TUF key IDs of root certificates */
  certs: Record<string, string[]>;
  /** GUN prefix -> CA bundle path (already resolved) */
  ca: Record<string, string>;
  disableTofu: boolean;
}

export interface TlsSettings {
  /** PEM CA bundle path; when set it is the only trust anchor */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  skipVerify: boolean;
}

export interface Settings {
  trustDir: string;
  /** Server base URL, validated (scheme present) */
  serverUrl: string;
  tls: TlsSettings;
  trustPinning: TrustPinning;
  /** PKCS#11 module path, when configured (flag/env/config) */
  pkcs11Module?: string;
  /** Token label to use instead of the first token (env NOTARY_PKCS11_TOKEN_LABEL / `pkcs11.token_label`) */
  pkcs11TokenLabel?: string;
  /**
   * false: a key put on the token gets no backup copy in `private/` (env NOTARY_PKCS11_NO_BACKUP=1 /
   * `pkcs11.backup: false`). Absent: back up, as Go does.
   */
  pkcs11Backup?: boolean;
}

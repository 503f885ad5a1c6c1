/**
 * The one error model of tsnotary. Every layer throws NotaryError (or lets a plain Error
 * escape, which the CLI renders as an internal error); only src/cli renders them.
 *
 * `message` keeps Go notary's wording so scripts matching on it keep working; `hint` and
 * `cause` carry what Go hides (which server, which key, what to do next).
 */

/** Exit codes per error class. Go exits 1 for everything; we keep 1 as the generic code so
 * scripts testing `!= 0` work, and use distinct codes for classes scripts may want to branch on. */
export const ExitCode = {
  ok: 0,
  generic: 1,
  usage: 2,
  notFound: 3,
  network: 4,
  auth: 5,
  integrity: 6,
  keys: 7,
  aborted: 8,
  /** Another publisher changed the GUN meanwhile (every retry lost), or its lock stayed taken. */
  conflict: 9,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'USAGE'
  | 'INVALID_INPUT'
  | 'INVALID_GUN'
  | 'INVALID_ROLE'
  | 'CONFIG'
  | 'IO'
  | 'NOT_FOUND'
  | 'NO_TRUST_DATA'
  | 'OFFLINE'
  | 'NETWORK'
  | 'TLS'
  | 'TIMEOUT'
  | 'SERVER'
  | 'SERVER_REJECTED'
  | 'UNAUTHORIZED'
  | 'VERSION_CONFLICT'
  | 'LOCKED'
  | 'BAD_RESPONSE'
  | 'METADATA_INVALID'
  | 'SIGNATURE'
  | 'THRESHOLD'
  | 'EXPIRED'
  | 'ROLLBACK'
  | 'HASH_MISMATCH'
  | 'ROOT_ROTATION'
  | 'TRUST_PINNING'
  | 'KEY_NOT_FOUND'
  | 'KEY_INVALID'
  | 'KEY_EXISTS'
  | 'PASSPHRASE'
  | 'NO_PASSPHRASE_INPUT'
  | 'SIGNING_KEYS_MISSING'
  | 'CHANGELIST'
  | 'PKCS11'
  | 'ABORTED'
  | 'UNSUPPORTED'
  | 'INTERNAL';

const defaultExit: Record<ErrorCode, ExitCodeValue> = {
  USAGE: ExitCode.usage,
  INVALID_INPUT: ExitCode.usage,
  INVALID_GUN: ExitCode.usage,
  INVALID_ROLE: ExitCode.usage,
  CONFIG: ExitCode.usage,
  IO: ExitCode.generic,
  NOT_FOUND: ExitCode.notFound,
  NO_TRUST_DATA: ExitCode.notFound,
  OFFLINE: ExitCode.network,
  NETWORK: ExitCode.network,
  TLS: ExitCode.network,
  TIMEOUT: ExitCode.network,
  SERVER: ExitCode.network,
  SERVER_REJECTED: ExitCode.generic,
  UNAUTHORIZED: ExitCode.auth,
  VERSION_CONFLICT: ExitCode.conflict,
  LOCKED: ExitCode.conflict,
  BAD_RESPONSE: ExitCode.integrity,
  METADATA_INVALID: ExitCode.integrity,
  SIGNATURE: ExitCode.integrity,
  THRESHOLD: ExitCode.integrity,
  EXPIRED: ExitCode.integrity,
  ROLLBACK: ExitCode.integrity,
  HASH_MISMATCH: ExitCode.integrity,
  ROOT_ROTATION: ExitCode.integrity,
  TRUST_PINNING: ExitCode.integrity,
  KEY_NOT_FOUND: ExitCode.keys,
  KEY_INVALID: ExitCode.keys,
  KEY_EXISTS: ExitCode.keys,
  PASSPHRASE: ExitCode.keys,
  NO_PASSPHRASE_INPUT: ExitCode.keys,
  SIGNING_KEYS_MISSING: ExitCode.keys,
  CHANGELIST: ExitCode.generic,
  PKCS11: ExitCode.keys,
  ABORTED: ExitCode.aborted,
  UNSUPPORTED: ExitCode.usage,
  INTERNAL: ExitCode.generic,
};

export interface NotaryErrorOptions {
  /** What to do about it, one sentence. Printed on its own line after the message. */
  hint?: string;
  /** The underlying error (network error, parse error, ...). Shown with -D, summarised otherwise. */
  cause?: unknown;
  /** Override the class exit code. */
  exitCode?: ExitCodeValue;
  /** Structured details for JSON error output (role, keyIds, server, ...). */
  details?: Record<string, unknown>;
  /** Print the command's usage block before the error (Go does this for argument errors). */
  showUsage?: boolean;
}

export class NotaryError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown> | undefined;
  readonly showUsage: boolean;

  constructor(code: ErrorCode, message: string, options: NotaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NotaryError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? defaultExit[code];
    this.details = options.details;
    this.showUsage = options.showUsage ?? false;
  }
}

export function isNotaryError(e: unknown, code?: ErrorCode): e is NotaryError {
  return e instanceof NotaryError && (code === undefined || e.code === code);
}

/** Message of any thrown value, for wrapping foreign errors. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * `<prefix>: <err>` keeping the class, hint, details and exit code of a NotaryError (Go's
 * `fmt.Errorf("<prefix>: %v", err)`); any other error becomes an IO error.
 */
export function prefixedError(e: unknown, prefix: string): NotaryError {
  if (e instanceof NotaryError) {
    return new NotaryError(e.code, `${prefix}: ${e.message}`, {
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.details !== undefined ? { details: e.details } : {}),
      cause: e,
      exitCode: e.exitCode,
    });
  }
  return new NotaryError('IO', `${prefix}: ${errorMessage(e)}`, { cause: e });
}

/** strerror texts Go prints for the errno values file operations commonly fail with. */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/**
 * Go's `*PathError` text for a failed file operation: `open <path>: no such file or directory`.
 * Without `op`, a directory given as a file reads as Go's `read <path>: is a directory` (the
 * open succeeds, the read fails) and everything else as `open`.
 */
export function goPathErrorText(path: string, e: unknown, op?: 'open' | 'read'): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const text = (typeof code === 'string' && ERRNO_TEXT[code]) || errorMessage(e);
  return `${op ?? (code === 'EISDIR' ? 'read' : 'open')} ${path}: ${text}`;
}

/**
 * Outside text (a parser's complaint, a field value from a hostile file) made safe to put in a
 * message: control characters escaped, so the CLI's one-line `* fatal:` stays one line, and cut
 * at `max` characters so a damaged file cannot paste megabytes into an error.
 */
export function clipForMessage(text: string, max = 300): string {
  const escaped = /[\u0000-\u001f\u007f\u2028\u2029]/.test(text)
    ? text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
        if (c === '\n') return '\\n';
        if (c === '\r') return '\\r';
        if (c === '\t') return '\\t';
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      })
    : text;
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

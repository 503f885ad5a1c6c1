/**
 * PKCS#11 failures as NotaryErrors. Messages keep Go notary's wording where Go has one; the
 * hint says what to do, because a bare CKR_* code helps nobody.
 */
import { errorMessage, NotaryError } from '../../errors.js';

/** The CKR_* name of a pkcs11js error ('' for other errors). pkcs11js puts it in the message. */
export function ckrName(e: unknown): string {
  const m = /CKR_[A-Z0-9_]+/.exec(errorMessage(e));
  return m ? m[0] : '';
}

export function isCkr(e: unknown, ...names: string[]): boolean {
  return names.includes(ckrName(e));
}

export function noModuleError(tried: readonly string[], explicit: boolean): NotaryError {
  const where = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no default location on this platform';
  return new NotaryError('PKCS11', `No yubikey found: no library found (${where})`, {
    hint: explicit
      ? 'Check the PKCS#11 module path you configured (NOTARY_PKCS11_MODULE or `pkcs11.module` in the config file).'
      : "Install your token's PKCS#11 library (e.g. Yubico's libykcs11) or name it with NOTARY_PKCS11_MODULE or `pkcs11.module` in the config file.",
    details: { tried },
  });
}

export function addonMissingError(reason: string, cause?: unknown): NotaryError {
  // The npm advice is wrong for the single-file binary, which cannot hold a native addon.
  const binary = (globalThis as { __tsnotarySingleBinary?: unknown }).__tsnotarySingleBinary !== undefined;
  return new NotaryError('PKCS11', `No yubikey found: ${reason}`, {
    hint: binary
      ? 'Use the npm package for hardware keys (npm install -g tsnotary), or install pkcs11js into a node_modules directory next to this binary.'
      : 'Reinstall tsnotary with a C++ toolchain available so the optional pkcs11js addon builds (npm install pkcs11js).',
    cause,
  });
}

export function noTokenError(modulePath: string, label: string | undefined): NotaryError {
  return new NotaryError(
    'PKCS11',
    label === undefined
      ? `loaded library ${modulePath}, but no HSM slots found`
      : `loaded library ${modulePath}, but no token labelled "${label}" found`,
    {
      hint:
        label === undefined
          ? 'Plug in the token (and check it is initialised), then try again.'
          : 'Check the token label (NOTARY_PKCS11_TOKEN_LABEL or `pkcs11.token_label`), or unset it to use the first token.',
      details: { module: modulePath, label },
    },
  );
}

export function pinLockedError(user: 'User Pin' | 'SO Pin'): NotaryError {
  return new NotaryError('PKCS11', `the ${user} of the token is locked`, {
    hint:
      user === 'User Pin'
        ? 'Unblock the PIN with the PUK (for a Yubikey: yubico-piv-tool -a unblock-pin), then try again.'
        : 'The token must be reset or its SO PIN / management key unblocked with the vendor tool.',
  });
}

/** Go's trustmanager.ErrAttemptsExceeded. */
export function attemptsExceededError(user: 'User Pin' | 'SO Pin'): NotaryError {
  return new NotaryError('PASSPHRASE', 'maximum number of passphrase attempts exceeded', {
    hint: `The token refused every ${user} given. Set NOTARY_DELEGATION_PASSPHRASE to the PIN or enter it at the prompt; the token may lock the PIN after a few wrong tries.`,
    details: { pin: user },
  });
}

/** Go's trustmanager.ErrPasswordInvalid (the retriever gave up). */
/** `pinsWereGiven`: the retriever already answered at least once (and those PINs were wrong). */
export function pinGiveUpError(
  user: 'User Pin' | 'SO Pin',
  cause: unknown,
  pinsWereGiven = false,
): NotaryError {
  return new NotaryError('PASSPHRASE', 'password invalid, operation has failed.', {
    hint: pinsWereGiven
      ? `The token refused the ${user} given (NOTARY_DELEGATION_PASSPHRASE or the prompt): set it to the token's PIN. Each wrong PIN uses up one of the token's retries.`
      : `The token's factory ${user} was refused and no other PIN was given: set NOTARY_DELEGATION_PASSPHRASE to the PIN or run in a terminal to be prompted.`,
    cause,
    details: { pin: user },
  });
}

export function tokenFullError(): NotaryError {
  return new NotaryError('PKCS11', 'yubikey has no available slots', {
    hint: 'Remove a key from the token (tsnotary key remove <ID>) or its leftover objects with the vendor tool, then try again.',
  });
}

export function nonRootError(role: string, keyId: string): NotaryError {
  return new NotaryError('PKCS11', `yubikey only supports storing root keys, got ${role} for key: ${keyId}`, {
    hint: 'Only root keys go on a hardware token; other keys stay in the file key store.',
    details: { role, keyId },
  });
}

/** Any other PKCS#11 failure during `what` (`error importing`, `failed to sign using Yubikey`...). */
export function operationError(what: string, e: unknown): NotaryError {
  if (e instanceof NotaryError) return e;
  const ckr = ckrName(e);
  return new NotaryError('PKCS11', `${what}: ${ckr || errorMessage(e)}`, {
    cause: e,
    hint: hintFor(ckr),
    details: ckr ? { ckr } : undefined,
  });
}

function hintFor(ckr: string): string | undefined {
  switch (ckr) {
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_DEVICE_REMOVED':
      return 'The token was removed: plug it in again and retry.';
    case 'CKR_DEVICE_MEMORY':
      return 'The token is full: remove unused objects from it.';
    case 'CKR_TEMPLATE_INCOMPLETE':
    case 'CKR_TEMPLATE_INCONSISTENT':
    case 'CKR_ATTRIBUTE_TYPE_INVALID':
    case 'CKR_ATTRIBUTE_VALUE_INVALID':
      return 'The token refused the object layout notary uses; it may not support importing P-256 keys.';
    case 'CKR_FUNCTION_FAILED':
      return 'Another program may hold the token (for a Yubikey: gpgconf --kill scdaemon), then retry.';
    default:
      return undefined;
  }
}

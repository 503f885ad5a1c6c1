/**
 * Token login, Go notary's way (pkcs11.md §2): the Yubikey PIV factory PIN first, then PINs
 * from the passphrase retriever (`keyName` `User Pin` / `SO Pin`, alias `yubikey`, so the env
 * source is NOTARY_DELEGATION_PASSPHRASE), at most 3 of them, then
 * `maximum number of passphrase attempts exceeded`.
 *
 * On top of Go, because a real token locks its PIN after a few wrong tries: a PIN that worked
 * earlier in this process is tried instead of the factory default, the factory default is not
 * tried when the token reports a final try, the same wrong PIN is never sent twice, and a
 * locked PIN stops at once with a clear error.
 */
import type { PassphraseRetriever } from '../types.js';
import {
  CKF_SO_PIN_FINAL_TRY,
  CKF_SO_PIN_LOCKED,
  CKF_USER_PIN_FINAL_TRY,
  CKF_USER_PIN_LOCKED,
  CKU_SO,
  type CKU_USER,
} from './ck.js';
import { attemptsExceededError, isCkr, operationError, pinGiveUpError, pinLockedError } from './errors.js';
import type { TokenSession } from './session.js';

/** Go notary's hard-coded defaults (trustmanager/yubikey): PIV PIN and management key. */
export const FACTORY_USER_PIN = '123456';
export const FACTORY_SO_PIN = '010203040506070801020304050607080102030405060708';
/** PINs asked from the retriever before giving up (Go: attempts 0, 1, 2). */
export const MAX_PIN_ATTEMPTS = 3;

export type PinUserType = typeof CKU_USER | typeof CKU_SO;

const WRONG_PIN = ['CKR_PIN_INCORRECT', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE'];

function pinName(userType: PinUserType): 'User Pin' | 'SO Pin' {
  return userType === CKU_SO ? 'SO Pin' : 'User Pin';
}

/** PINs that worked, per user type, for the life of one store (memory only, never logged). */
export type PinMemory = Map<PinUserType, string>;

export async function login(
  session: TokenSession,
  userType: PinUserType,
  retriever: PassphraseRetriever,
  memory: PinMemory,
): Promise<void> {
  const name = pinName(userType);
  const flags = safeFlags(session);
  const lockedFlag = userType === CKU_SO ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
  const finalTryFlag = userType === CKU_SO ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
  if (flags & lockedFlag) throw pinLockedError(name);

  const tried = new Set<string>();
  /** true on success, false on a wrong PIN; throws on anything else. */
  const attempt = (pin: string): boolean => {
    tried.add(pin);
    try {
      session.loginOnce(userType, pin);
      memory.set(userType, pin);
      return true;
    } catch (e) {
      if (isCkr(e, 'CKR_PIN_LOCKED')) throw pinLockedError(name);
      if (isCkr(e, ...WRONG_PIN)) return false;
      throw operationError('error logging in', e);
    }
  };

  const remembered = memory.get(userType);
  const factory = userType === CKU_SO ? FACTORY_SO_PIN : FACTORY_USER_PIN;
  const first = remembered ?? ((flags & finalTryFlag) === 0 ? factory : undefined);
  if (first !== undefined && attempt(first)) return;
  if (remembered !== undefined) memory.delete(userType);

  for (let n = 0; n < MAX_PIN_ATTEMPTS; n++) {
    let pin: string;
    try {
      pin = await retriever({ keyName: name, alias: 'yubikey', createNew: false, attempt: n });
    } catch (e) {
      throw pinGiveUpError(name, e, n > 0);
    }
    if (tried.has(pin)) continue; // known wrong: sending it again would only burn a retry
    if (safeFlags(session) & lockedFlag) throw pinLockedError(name);
    if (attempt(pin)) return;
  }
  throw attemptsExceededError(name);
}

function safeFlags(session: TokenSession): number {
  try {
    return session.tokenInfo().flags;
  } catch {
    return 0;
  }
}

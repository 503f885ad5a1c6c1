/**
 * One PKCS#11 operation = C_Initialize, pick the token's slot, C_OpenSession(RW), work,
 * logout, C_CloseSession, C_Finalize — exactly Go notary's per-operation lifecycle, so a token
 * plugged in or pulled out between two operations of the same process is noticed.
 *
 * Operations are serialised process-wide: a PKCS#11 library is initialised once per process,
 * so two overlapping operations (e.g. signing two roles at once) would otherwise trip over
 * each other's C_Initialize/C_Finalize.
 */
import { errorMessage, NotaryError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Attribute, Handle, Pkcs11Api, TokenInfoLike } from './addon.js';
import { CKF_RW_SESSION, CKF_SERIAL_SESSION, CKF_TOKEN_INITIALIZED, CKU_SO, CKU_USER } from './ck.js';
import { ckrName, isCkr, noTokenError } from './errors.js';

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier token operation of this process has finished. */
function serialise<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

export type LoginState = 'none' | 'user' | 'so';

/** An open session on the selected token, valid only inside `TokenConnection.run`. */
export class TokenSession {
  loginState: LoginState = 'none';

  constructor(
    readonly api: Pkcs11Api,
    readonly handle: Handle,
    readonly slot: Handle,
    readonly modulePath: string,
    readonly isYubico: boolean,
  ) {}

  tokenInfo(): TokenInfoLike {
    return this.api.C_GetTokenInfo(this.slot);
  }

  /** All objects matching `template` (fetched in batches of 4, as Go does). */
  find(template: Attribute[]): Handle[] {
    this.api.C_FindObjectsInit(this.handle, template);
    const out: Handle[] = [];
    try {
      for (;;) {
        const batch = this.api.C_FindObjects(this.handle, 4);
        if (batch.length === 0) break;
        out.push(...batch);
      }
    } finally {
      this.api.C_FindObjectsFinal(this.handle);
    }
    return out;
  }

  /** Attribute values by type; an attribute the object lacks is simply absent from the map. */
  attributes(object: Handle, types: number[]): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    // Ask one by one: a single missing attribute makes a combined request fail on some tokens.
    for (const type of types) {
      try {
        const [res] = this.api.C_GetAttributeValue(this.handle, object, [{ type }]);
        if (res?.value !== undefined) out.set(type, Buffer.from(res.value));
      } catch {
        // CKR_ATTRIBUTE_TYPE_INVALID / SENSITIVE: not available
      }
    }
    return out;
  }

  create(template: Attribute[]): Handle {
    return this.api.C_CreateObject(this.handle, template);
  }

  destroy(object: Handle): void {
    this.api.C_DestroyObject(this.handle, object);
  }

  /** One login attempt; throws the pkcs11js error as is (the PIN logic interprets it). */
  loginOnce(userType: number, pin: string): void {
    try {
      this.api.C_Login(this.handle, userType, pin);
    } catch (e) {
      if (!isCkr(e, 'CKR_USER_ALREADY_LOGGED_IN')) throw e;
    }
    this.loginState = userType === CKU_SO ? 'so' : userType === CKU_USER ? 'user' : this.loginState;
  }

  logout(): void {
    if (this.loginState === 'none') return;
    try {
      this.api.C_Logout(this.handle);
    } catch {
      // not logged in any more (token reset): nothing to undo
    }
    this.loginState = 'none';
  }
}

export interface TokenConnectionInit {
  api: Pkcs11Api;
  modulePath: string;
  /** select the token by label instead of taking the first initialised one */
  tokenLabel?: string;
  logger: Logger;
}

/** A loaded PKCS#11 module and the rule for picking its token. */
export class TokenConnection {
  readonly api: Pkcs11Api;
  readonly modulePath: string;
  readonly tokenLabel: string | undefined;
  private readonly log: Logger;
  private yubico: boolean | undefined;

  constructor(init: TokenConnectionInit) {
    this.api = init.api;
    this.modulePath = init.modulePath;
    this.tokenLabel = init.tokenLabel;
    this.log = init.logger;
  }

  /** Runs one operation in a fresh session (see the file comment). */
  run<T>(fn: (s: TokenSession) => Promise<T> | T): Promise<T> {
    return serialise(async () => {
      let initialised = false;
      try {
        this.api.C_Initialize();
        initialised = true;
      } catch (e) {
        // Someone else in this process initialised it: use it, but leave finalising to them.
        if (!isCkr(e, 'CKR_CRYPTOKI_ALREADY_INITIALIZED')) {
          throw new NotaryError(
            'PKCS11',
            `found library ${this.modulePath}, but initialize error ${ckrName(e) || errorMessage(e)}`,
            {
              cause: e,
              hint: 'Another program may hold the token (for a Yubikey: gpgconf --kill scdaemon), or the library does not match this machine.',
            },
          );
        }
      }
      try {
        const slot = this.selectSlot();
        if (this.yubico === undefined) this.yubico = this.detectYubico();
        let handle: Handle;
        try {
          handle = this.api.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
        } catch (e) {
          throw new NotaryError(
            'PKCS11',
            `loaded library ${this.modulePath}, but failed to start session with HSM ${ckrName(e) || errorMessage(e)}`,
            { cause: e, hint: 'Check that the token is not write-protected or held by another program.' },
          );
        }
        this.log.debug(`Initialized PKCS11 library ${this.modulePath} and started HSM session`);
        const session = new TokenSession(this.api, handle, slot, this.modulePath, this.yubico);
        try {
          return await fn(session);
        } finally {
          session.logout();
          try {
            this.api.C_CloseSession(handle);
          } catch (e) {
            this.log.debug(`Error closing session: ${errorMessage(e)}`);
          }
        }
      } finally {
        if (initialised) {
          try {
            this.api.C_Finalize();
          } catch (e) {
            this.log.debug(`Error finalizing: ${errorMessage(e)}`);
          }
        }
      }
    });
  }

  /**
   * Go takes the first slot with a token. Uninitialised tokens (SoftHSM always shows a spare
   * one) cannot hold keys, so they are skipped; with a label, the token must carry it.
   */
  private selectSlot(): Handle {
    let slots: Handle[];
    try {
      slots = this.api.C_GetSlotList(true);
    } catch (e) {
      throw new NotaryError(
        'PKCS11',
        `loaded library ${this.modulePath}, but failed to list HSM slots ${ckrName(e) || errorMessage(e)}`,
        { cause: e },
      );
    }
    for (const slot of slots) {
      let info: TokenInfoLike;
      try {
        info = this.api.C_GetTokenInfo(slot);
      } catch {
        continue;
      }
      if ((info.flags & CKF_TOKEN_INITIALIZED) === 0) continue;
      if (this.tokenLabel !== undefined && info.label.trim() !== this.tokenLabel) continue;
      return slot;
    }
    throw noTokenError(this.modulePath, this.tokenLabel);
  }

  /** Yubico's ykcs11 wants Go's exact templates (and honours the touch-policy attribute). */
  private detectYubico(): boolean {
    try {
      return /yubico/i.test(this.api.C_GetInfo().manufacturerID);
    } catch {
      return false;
    }
  }
}

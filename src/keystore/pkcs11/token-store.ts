/**
 * TokenKeyStore: Go notary's "yubikey" key store over any PKCS#11 module (pkcs11.md §3–4).
 * Holds root keys only (ECDSA P-256), lists them through their certificates, signs on the
 * device, and can generate keys that never leave it.
 */
import { canonicalIdOf, keyIdFor, publicBytes } from '../../crypto/keygen.js';
import type { PrivateKey } from '../../crypto/keys.js';
import type { Signer } from '../../crypto/signer.js';
import { createRootCertificate } from '../../crypto/x509.js';
import { errorMessage, isNotaryError, NotaryError } from '../../errors.js';
import { type Logger, silentLogger } from '../../log.js';
import type { Clock } from '../../tuf/types.js';
import type { KeyInfo, KeyStore, PassphraseRetriever } from '../types.js';
import type { Handle } from './addon.js';
import {
  CKA_EC_POINT,
  CKA_VALUE,
  CKM_EC_KEY_PAIR_GEN,
  CKO_CERTIFICATE,
  CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY,
  CKU_SO,
  CKU_USER,
} from './ck.js';
import { isCkr, nonRootError, operationError } from './errors.js';
import {
  certificateTemplate,
  ecPointToSpki,
  findById,
  generateTemplates,
  listTokenKeys,
  nextFreeSlot,
  privateKeyTemplate,
  publicKeySpki,
  publicKeyTemplate,
  type TokenKey,
} from './objects.js';
import { login, type PinMemory } from './pin.js';
import type { TokenConnection, TokenSession } from './session.js';
import { signInSession, TokenSigner } from './token-signer.js';

export interface TokenKeyStoreOptions {
  /** asked for `User Pin` / `SO Pin` (alias `yubikey`) when the factory PINs are refused */
  retriever: PassphraseRetriever;
  logger?: Logger;
  /**
   * Receives Go's `Please touch the attached Yubikey to perform signing.` (one line, no
   * newline) before every signature; the CLI prints it on stdout as Go does.
   */
  notify?: (line: string) => void;
  clock?: Clock;
  /**
   * Where an added key is also written (Go: the file store), so the root key can be backed
   * up. If that write fails the token copy is removed again and the add fails.
   */
  backup?: KeyStore;
}

/** How long the self-signed `CN=root` certificate on the token is valid (Go: 10 years). */
const TOKEN_CERT_YEARS = 10;

export class TokenKeyStore implements KeyStore {
  readonly location = 'yubikey';
  private readonly log: Logger;
  private readonly notify: (line: string) => void;
  private readonly clock: Clock;
  private readonly pins: PinMemory = new Map();
  /** keys by canonical ID; filled on the first successful non-empty listing (as Go) */
  private cache: Map<string, TokenKey> | undefined;

  constructor(
    private readonly conn: TokenConnection,
    private readonly opts: TokenKeyStoreOptions,
  ) {
    this.log = opts.logger ?? silentLogger;
    this.notify = opts.notify ?? (() => {});
    this.clock = opts.clock ?? (() => new Date());
  }

  /** The PKCS#11 module in use (for messages and `-D` output). */
  get modulePath(): string {
    return this.conn.modulePath;
  }

  /** Fills the cache from an already open session (used by the probe to list in one go). */
  loadFromSession(s: TokenSession): void {
    this.cache = new Map(listTokenKeys(s, this.log).map((k) => [k.keyId, k]));
  }

  private async keys(): Promise<Map<string, TokenKey>> {
    // Go re-reads the token while its cached list is empty (a key put on it by another tool
    // while this process runs is then found); a non-empty list is kept for the process.
    if (this.cache && this.cache.size > 0) return this.cache;
    try {
      await this.conn.run((s) => this.loadFromSession(s));
    } catch (e) {
      // Go: a token that cannot be reached lists nothing (debug log only).
      this.log.debug(`Failed to list key from the yubikey: ${errorMessage(e)}`);
      return new Map();
    }
    return this.cache ?? new Map();
  }

  async list(): Promise<KeyInfo[]> {
    return [...(await this.keys()).values()].map((k) => this.infoOf(k));
  }

  async info(keyId: string): Promise<KeyInfo | undefined> {
    const k = (await this.keys()).get(keyId);
    return k ? this.infoOf(k) : undefined;
  }

  private infoOf(k: TokenKey): KeyInfo {
    return { keyId: k.keyId, role: k.role, gun: '', location: this.location };
  }

  async getSigner(keyId: string): Promise<Signer | undefined> {
    const k = (await this.keys()).get(keyId);
    if (!k) return undefined;
    // Go's GetKey: the public key object must hash to the requested ID.
    const spki = await this.conn.run((s) => publicKeySpki(s, k.slotId) ?? k.spki);
    const found = keyIdFor('ecdsa', spki);
    if (found !== keyId) {
      throw new NotaryError('PKCS11', `expected root key: ${keyId}, but found: ${found}`, {
        hint: `The token's public key object with CKA_ID ${k.slotId.toString('hex')} does not belong to the certificate: remove the stale objects with the vendor tool.`,
      });
    }
    return this.signerFor(k.keyId, spki, k.slotId);
  }

  private signerFor(keyId: string, spki: Buffer, slotId: Buffer): TokenSigner {
    return new TokenSigner(keyId, spki, slotId, (slot, pub, data) =>
      this.conn.run(async (s) => {
        await login(s, CKU_USER, this.opts.retriever, this.pins).catch((e: unknown) => {
          // Go's wording: "failed to sign using Yubikey: error logging in: <why>".
          if (!isNotaryError(e)) throw operationError('failed to sign using Yubikey: error logging in', e);
          throw new NotaryError(e.code, `failed to sign using Yubikey: error logging in: ${e.message}`, {
            hint: e.hint,
            cause: e,
            details: e.details,
          });
        });
        return signInSession(s, slot, pub, data, this.notify);
      }),
    );
  }

  /**
   * Imports a root key (Go's YubiStore.AddKey): certificate + private key + public key in the
   * first free slot, then the backup copy. Returns the canonical key ID.
   */
  async add(key: PrivateKey, role: string, gun: string): Promise<string> {
    const keyId = canonicalIdOf(key);
    if (role !== 'root') throw nonRootError(role, keyId);
    if (key.algorithm !== 'ecdsa' || key.keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new NotaryError(
        'PKCS11',
        `yubikey only supports ECDSA P-256 keys, got ${key.algorithm === 'ecdsa' ? (key.keyObject.asymmetricKeyDetails?.namedCurve ?? 'ecdsa') : key.algorithm} for key: ${keyId}`,
        { hint: 'Generate the root key with the default algorithm (ecdsa).' },
      );
    }
    const existing = (await this.keys()).get(keyId);
    if (existing?.role === role) return keyId; // already there: Go neither re-adds nor backs up
    const spki = publicBytes(key);
    const certDer = await createRootCertificate(key, role, this.clock(), TOKEN_CERT_YEARS);
    const jwk = key.keyObject.export({ format: 'jwk' });
    const d = Buffer.from(jwk.d ?? '', 'base64url');
    const scalar = Buffer.concat([Buffer.alloc(Math.max(0, 32 - d.length)), d]);
    const slotId = await this.conn.run(async (s) => {
      await login(s, CKU_SO, this.opts.retriever, this.pins);
      const slot = nextFreeSlot(s);
      this.log.debug(`Attempting to store key using yubikey slot ${slot.toString('hex')}`);
      const created: Handle[] = [];
      try {
        created.push(await this.createAsWriter(s, privateKeyTemplate(scalar, slot, role, s.isYubico)));
        if (!s.isYubico && publicKeySpki(s, slot) === undefined) {
          created.push(s.create(publicKeyTemplate(spki, slot, role)));
        }
        created.push(s.create(certificateTemplate(certDer, slot, role, s.isYubico)));
      } catch (e) {
        this.destroyQuietly(s, created);
        throw operationError('error importing', e);
      }
      return slot;
    });
    scalar.fill(0);
    d.fill(0);
    this.cache?.set(keyId, { keyId, role, slotId, spki, certDer });
    if (this.opts.backup) {
      try {
        await this.opts.backup.add(key, role, gun);
      } catch (e) {
        await this.purge(keyId, slotId).catch((re) =>
          this.log.debug(`Failed to remove key after backup failure: ${errorMessage(re)}`),
        );
        throw new NotaryError('IO', `Failed to backup private key to: ${errorMessage(e)}`, {
          cause: e,
          hint: 'The key was not kept on the token either; fix the file key store and try again.',
        });
      }
    }
    return keyId;
  }

  /**
   * Creates an object under the SO login Go uses; a token whose SO may not create private
   * objects (SoftHSM: CKR_USER_NOT_LOGGED_IN) gets the user login instead.
   */
  private async createAsWriter(
    s: TokenSession,
    template: Parameters<TokenSession['create']>[0],
  ): Promise<Handle> {
    try {
      return s.create(template);
    } catch (e) {
      if (!isCkr(e, 'CKR_USER_NOT_LOGGED_IN') || s.loginState !== 'so') throw e;
      s.logout();
      await login(s, CKU_USER, this.opts.retriever, this.pins);
      return s.create(template);
    }
  }

  private destroyQuietly(s: TokenSession, handles: Handle[]): void {
    for (const h of handles.reverse()) {
      try {
        s.destroy(h);
      } catch (e) {
        this.log.debug(`Failed to clean up token object: ${errorMessage(e)}`);
      }
    }
  }

  /**
   * Undoes an import completely (all three objects, freeing the slot): unlike `remove`, which
   * keeps Go's behaviour, a rollback should leave the token as it was.
   */
  private async purge(keyId: string, slotId: Buffer): Promise<void> {
    await this.conn.run(async (s) => {
      await login(s, CKU_SO, this.opts.retriever, this.pins);
      const destroyAll = (cls: number) => {
        const found = findById(s, cls, slotId);
        for (const h of found) s.destroy(h);
        return found.length;
      };
      destroyAll(CKO_CERTIFICATE);
      destroyAll(CKO_PUBLIC_KEY);
      // SoftHSM's SO cannot see private objects: look again as the user.
      if (destroyAll(CKO_PRIVATE_KEY) === 0 && s.loginState === 'so') {
        s.logout();
        await login(s, CKU_USER, this.opts.retriever, this.pins);
        destroyAll(CKO_PRIVATE_KEY);
      }
    });
    this.cache?.delete(keyId);
  }

  /** Go's RemoveKey: destroys the certificate only; the key objects stay (and keep their slot). */
  async remove(keyId: string): Promise<void> {
    const k = (await this.keys()).get(keyId);
    if (!k) {
      throw new NotaryError('KEY_NOT_FOUND', 'Key not present in yubikey', { details: { keyId } });
    }
    await this.conn.run(async (s) => {
      await login(s, CKU_SO, this.opts.retriever, this.pins);
      const certs = findById(s, CKO_CERTIFICATE, k.slotId);
      try {
        for (const cert of certs) {
          const value = s.attributes(cert, [CKA_VALUE]).get(CKA_VALUE);
          // Only the certificate(s) of this key, should stale ones share the CKA_ID.
          if (value && !value.equals(k.certDer)) continue;
          try {
            s.destroy(cert);
          } catch (e) {
            if (!isCkr(e, 'CKR_USER_NOT_LOGGED_IN') || s.loginState !== 'so') throw e;
            s.logout();
            await login(s, CKU_USER, this.opts.retriever, this.pins);
            s.destroy(cert);
          }
        }
      } catch (e) {
        throw operationError(`failed to remove key ${keyId} from yubikey`, e);
      }
    });
    this.cache?.delete(keyId);
  }

  /**
   * Generates a root key on the token itself (non-extractable: no file backup is possible)
   * with its self-signed `CN=root` certificate, as an alternative to `add` for users who want
   * no copy on disk. Returns the canonical key ID and a signer.
   */
  async generateOnToken(role = 'root'): Promise<{ keyId: string; signer: TokenSigner }> {
    if (role !== 'root') {
      throw new NotaryError('PKCS11', `yubikey only supports storing root keys, got ${role}`, {
        hint: 'Only root keys go on a hardware token.',
      });
    }
    const result = await this.conn.run(async (s) => {
      await login(s, CKU_SO, this.opts.retriever, this.pins);
      const slot = nextFreeSlot(s);
      const t = generateTemplates(slot, role);
      let pair: { publicKey: Handle; privateKey: Handle };
      const generate = () =>
        s.api.C_GenerateKeyPair(s.handle, { mechanism: CKM_EC_KEY_PAIR_GEN }, t.publicKey, t.privateKey);
      try {
        try {
          pair = generate();
        } catch (e) {
          if (!isCkr(e, 'CKR_USER_NOT_LOGGED_IN')) throw e;
          s.logout();
          await login(s, CKU_USER, this.opts.retriever, this.pins);
          pair = generate();
        }
      } catch (e) {
        throw operationError('failed to generate key on yubikey', e);
      }
      try {
        const point = s.attributes(pair.publicKey, [CKA_EC_POINT]).get(CKA_EC_POINT);
        if (!point) throw new NotaryError('PKCS11', 'the token did not return the generated public key');
        const spki = ecPointToSpki(point);
        const keyId = keyIdFor('ecdsa', spki);
        // The certificate is signed on the device: that needs the user login.
        const writer = s.loginState;
        if (writer !== 'user') {
          s.logout();
          await login(s, CKU_USER, this.opts.retriever, this.pins);
        }
        const signer = new TokenSigner(keyId, spki, slot, (slotId, pub, data) =>
          signInSession(s, slotId, pub, data, this.notify),
        );
        const certDer = await createRootCertificate(signer, role, this.clock(), TOKEN_CERT_YEARS);
        if (writer === 'so') {
          s.logout();
          await login(s, CKU_SO, this.opts.retriever, this.pins);
        }
        s.create(certificateTemplate(certDer, slot, role, s.isYubico));
        return { keyId, spki, slot, certDer };
      } catch (e) {
        this.destroyQuietly(s, [pair.publicKey, pair.privateKey]);
        throw operationError('failed to generate key on yubikey', e);
      }
    });
    this.cache?.set(result.keyId, {
      keyId: result.keyId,
      role,
      slotId: result.slot,
      spki: result.spki,
      certDer: result.certDer,
    });
    return { keyId: result.keyId, signer: this.signerFor(result.keyId, result.spki, result.slot) };
  }
}

/**
 * Keys held outside the trust directory (a KMS, an HSM, a signing agent) as a key store, so
 * publish, init and rotation find them exactly like key files. The store never takes new keys:
 * new keys go to the next store (the trust directory's files).
 */
import { NotaryError } from '../errors.js';
import type { KeyInfo, KeyStore, Signer } from '../keystore/types.js';
import type { ExternalSigner } from './options.js';

export function externalSignerStore(signers: readonly ExternalSigner[]): KeyStore {
  const byId = new Map<string, { signer: Signer; info: KeyInfo }>();
  for (const s of signers) {
    byId.set(s.signer.keyId, {
      signer: s.signer,
      info: { keyId: s.signer.keyId, role: s.role, gun: s.gun ?? '', location: 'external signer' },
    });
  }
  return {
    location: 'external signer',
    list: async () => [...byId.values()].map((e) => ({ ...e.info })),
    info: async (keyId) => {
      const e = byId.get(keyId);
      return e ? { ...e.info } : undefined;
    },
    getSigner: async (keyId) => byId.get(keyId)?.signer,
    add: async () => {
      throw new NotaryError('UNSUPPORTED', 'external signers cannot store new keys');
    },
    remove: async (keyId) => {
      throw new NotaryError(
        'UNSUPPORTED',
        `key ${keyId} is held by an external signer and cannot be removed here`,
      );
    },
  };
}

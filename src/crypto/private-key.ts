/**
 * Reading every private key PEM type notary accepts (on-disk.md §3.4) and writing notary's
 * encrypted form (§3.1).
 */
import { createPrivateKey } from 'node:crypto';
import { NotaryError } from '../errors.js';
import type { PrivateKey } from './keys.js';
import { decryptLegacyPem, isLegacyEncrypted, legacyPasswordIncorrect } from './legacy-pem.js';
import { type PemBlock, pemEncode } from './pem.js';
import {
  decryptPkcs8,
  ed25519FromNotaryBytes,
  encryptPkcs8,
  privateKeyFromPkcs8,
  toNotaryPkcs8,
} from './pkcs8.js';

// Re-exported: the PEM-type check lives with the PEM codec so that listing keys loads no crypto.
export { isPrivateKeyPemType, PRIVATE_KEY_PEM_TYPES } from './pem.js';

/** "Is this key encrypted?" as Go decides it (for `--rootkey` and the key store). */
export function isEncryptedBlock(block: PemBlock): boolean {
  return block.type === 'ENCRYPTED PRIVATE KEY' || isLegacyEncrypted(block);
}

function needPassphrase(): NotaryError {
  return new NotaryError('PASSPHRASE', 'could not decrypt private key');
}

function parseTraditional(type: string, der: Buffer): PrivateKey {
  try {
    if (type === 'ED25519 PRIVATE KEY') return ed25519FromNotaryBytes(der);
    const keyObject = createPrivateKey({
      key: der,
      format: 'der',
      type: type === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs1',
    });
    return { algorithm: type === 'EC PRIVATE KEY' ? 'ecdsa' : 'rsa', keyObject };
  } catch (e) {
    throw new NotaryError(
      'KEY_INVALID',
      `could not parse DER encoded key: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}

/**
 * Parses a private key block. Encrypted blocks need `passphrase`; a wrong one throws NotaryError
 * PASSPHRASE (the caller retries), a malformed block KEY_INVALID, an unknown type
 * `unsupported key type "<TYPE>"`.
 */
export function parsePrivateKeyPem(block: PemBlock, passphrase?: string): PrivateKey {
  switch (block.type) {
    case 'ENCRYPTED PRIVATE KEY': {
      if (passphrase === undefined) throw needPassphrase();
      return privateKeyFromPkcs8(decryptPkcs8(block.bytes, passphrase));
    }
    case 'PRIVATE KEY':
      return privateKeyFromPkcs8(block.bytes);
    case 'EC PRIVATE KEY':
    case 'RSA PRIVATE KEY':
    case 'ED25519 PRIVATE KEY': {
      if (!isLegacyEncrypted(block)) return parseTraditional(block.type, block.bytes);
      if (passphrase === undefined) throw needPassphrase();
      const der = decryptLegacyPem(block, passphrase);
      try {
        return parseTraditional(block.type, der);
      } catch {
        // the padding happened to look valid under a wrong password
        throw legacyPasswordIncorrect();
      }
    }
    default:
      throw new NotaryError('KEY_INVALID', `unsupported key type "${block.type}"`);
  }
}

/** notary's `ENCRYPTED PRIVATE KEY` PEM text for `key` with the given headers (e.g. role/gun). */
export function encodeEncryptedKeyPem(
  key: PrivateKey,
  passphrase: string,
  headers: Record<string, string>,
  opts: { salt?: Uint8Array; iv?: Uint8Array } = {},
): string {
  return pemEncode({
    type: 'ENCRYPTED PRIVATE KEY',
    headers,
    bytes: encryptPkcs8(toNotaryPkcs8(key), passphrase, opts),
  });
}

/** Unencrypted notary PKCS#8 (`PRIVATE KEY`), what Go writes for an empty passphrase. */
export function encodePlainKeyPem(key: PrivateKey, headers: Record<string, string>): string {
  return pemEncode({ type: 'PRIVATE KEY', headers, bytes: toNotaryPkcs8(key) });
}

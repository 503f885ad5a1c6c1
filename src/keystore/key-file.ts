/**
 * Reading a private key from a PEM file given on the command line (`--rootkey`, `key rotate -k`):
 * unencrypted keys are used as they are, encrypted ones are decrypted through the retriever
 * with Go's retry rules (GetPasswdDecryptBytes).
 */
import type { PrivateKey } from '../crypto/keys.js';
import { pemDecodeAll } from '../crypto/pem.js';
import { isEncryptedBlock, isPrivateKeyPemType, parsePrivateKeyPem } from '../crypto/private-key.js';
import { NotaryError } from '../errors.js';
import { decryptWithRetries } from './passphrase.js';
import type { PassphraseRetriever } from './types.js';

function firstKeyBlock(pemText: string) {
  const block = pemDecodeAll(pemText)[0];
  if (!block) throw new NotaryError('KEY_INVALID', 'no valid private key found');
  if (!isPrivateKeyPemType(block.type))
    throw new NotaryError('KEY_INVALID', `unsupported key type "${block.type}"`);
  return block;
}

/** Go's "is this key encrypted?" on the first PEM block (`only encrypted root keys may be imported`). */
export function isEncryptedKeyPem(pemText: string): boolean {
  const block = pemDecodeAll(pemText)[0];
  return block !== undefined && isEncryptedBlock(block);
}

/**
 * Parses the first private key block of `pemText`; asks `retriever` (keyName, alias) when it is
 * encrypted. Go passes keyName '' for `--rootkey`, so the prompt shows no ID.
 */
export async function decryptKeyPem(
  pemText: string,
  retriever: PassphraseRetriever,
  keyName: string,
  alias: string,
): Promise<PrivateKey> {
  const block = firstKeyBlock(pemText);
  if (!isEncryptedBlock(block)) return parsePrivateKeyPem(block);
  return decryptWithRetries(retriever, keyName, alias, (pass) => parsePrivateKeyPem(block, pass));
}

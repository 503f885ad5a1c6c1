/**
 * OpenSSL "traditional" PEM encryption (RFC 1423; `Proc-Type: 4,ENCRYPTED` + `DEK-Info`), as Go's
 * x509.DecryptPEMBlock reads it: key = EVP_BytesToKey(MD5, 1 round, salt = first 8 IV bytes).
 * notary ≤0.3 wrote keys this way; they must still be read (on-disk.md §3.4).
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { NotaryError } from '../errors.js';
import type { PemBlock } from './pem.js';

/**
 * Single DES is only in OpenSSL 3's legacy provider, which Node does not load; 3DES-EDE with
 * K1 = K2 = K3 computes exactly single DES (E_K(D_K(E_K(x))) = E_K(x)), so DES-CBC uses that.
 */
const CIPHERS: Record<string, { node: string; keyLen: number; blockLen: number; tripleKey?: boolean }> = {
  'DES-CBC': { node: 'des-ede3-cbc', keyLen: 8, blockLen: 8, tripleKey: true },
  'DES-EDE3-CBC': { node: 'des-ede3-cbc', keyLen: 24, blockLen: 8 },
  'AES-128-CBC': { node: 'aes-128-cbc', keyLen: 16, blockLen: 16 },
  'AES-192-CBC': { node: 'aes-192-cbc', keyLen: 24, blockLen: 16 },
  'AES-256-CBC': { node: 'aes-256-cbc', keyLen: 32, blockLen: 16 },
};

export function isLegacyEncrypted(block: PemBlock): boolean {
  return block.headers['Proc-Type'] === '4,ENCRYPTED';
}

/** EVP_BytesToKey with MD5 and one iteration. */
export function evpBytesToKey(password: Buffer, salt: Buffer, keyLen: number): Buffer {
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  while (total < keyLen) {
    prev = createHash('md5')
      .update(Buffer.concat([prev, password, salt]))
      .digest();
    out.push(prev);
    total += prev.length;
  }
  return Buffer.concat(out).subarray(0, keyLen);
}

export function legacyPasswordIncorrect(): NotaryError {
  return new NotaryError('PASSPHRASE', 'x509: decryption password incorrect');
}

/** Decrypts the body of a legacy-encrypted block; wrong passphrase → PASSPHRASE error. */
export function decryptLegacyPem(block: PemBlock, passphrase: string): Buffer {
  const dek = block.headers['DEK-Info'];
  if (!dek) throw new NotaryError('KEY_INVALID', 'x509: no DEK-Info header in block');
  const comma = dek.indexOf(',');
  if (comma < 0) throw new NotaryError('KEY_INVALID', 'x509: malformed DEK-Info header');
  const name = dek.slice(0, comma);
  const c = CIPHERS[name];
  if (!c) throw new NotaryError('KEY_INVALID', 'x509: unknown encryption mode');
  const iv = Buffer.from(dek.slice(comma + 1), 'hex');
  if (iv.length !== c.blockLen) throw new NotaryError('KEY_INVALID', 'x509: incorrect IV size');
  const data = block.bytes;
  if (data.length % c.blockLen !== 0 || data.length === 0) {
    throw new NotaryError('KEY_INVALID', 'x509: encrypted PEM data is not a multiple of the block size');
  }
  const key = evpBytesToKey(Buffer.from(passphrase, 'utf8'), iv.subarray(0, 8), c.keyLen);
  let out: Buffer;
  try {
    const d = createDecipheriv(c.node, c.tripleKey ? Buffer.concat([key, key, key]) : key, iv);
    d.setAutoPadding(false);
    out = Buffer.concat([d.update(data), d.final()]);
  } catch (e) {
    throw new NotaryError('UNSUPPORTED', `x509: cipher ${name} is not available`, { cause: e });
  }
  // PKCS#7 padding is checked, as Go does: that is how a wrong password is detected.
  const pad = out[out.length - 1]!;
  if (pad === 0 || pad > c.blockLen) throw legacyPasswordIncorrect();
  for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) throw legacyPasswordIncorrect();
  return out.subarray(0, out.length - pad);
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTlv } from '../../../src/crypto/der.js';
import { canonicalIdOf, generateKey } from '../../../src/crypto/keygen.js';
import type { KeyAlgorithm } from '../../../src/crypto/keys.js';
import { pemDecodeAll, pemDecodeFirst, pemEncode } from '../../../src/crypto/pem.js';
import {
  decryptPkcs8,
  encryptPkcs8,
  parseEncryptedPkcs8,
  privateKeyFromPkcs8,
  toNotaryPkcs8,
} from '../../../src/crypto/pkcs8.js';
import { isEncryptedBlock, parsePrivateKeyPem } from '../../../src/crypto/private-key.js';
import { isNotaryError } from '../../../src/errors.js';
import { fixturesDir } from '../../helpers/cli.js';

const vecDir = join(fixturesDir, 'vectors', 'pkcs8');

interface Vector {
  file: string;
  passphrase: string;
  headers: Record<string, string>;
  pbkdf2_salt_hex: string;
  pbkdf2_iterations: number;
  aes256cbc_iv_hex: string;
  plaintext_pkcs8_der_hex: string;
}

const vectors = readdirSync(vecDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(vecDir, f), 'utf8')) as Vector);

describe('pkcs8 vectors', () => {
  it('has all five vectors', () => expect(vectors.length).toBe(5));
  for (const v of vectors) {
    it(`${v.file}: decrypts, re-encrypts byte for byte, plaintext is notary's own encoding`, () => {
      const text = readFileSync(join(vecDir, v.file), 'utf8');
      const { block } = pemDecodeFirst(text);
      expect(block?.type).toBe('ENCRYPTED PRIVATE KEY');
      expect(block?.headers).toEqual(v.headers);
      const params = parseEncryptedPkcs8(block!.bytes);
      expect(params.salt.toString('hex')).toBe(v.pbkdf2_salt_hex);
      expect(params.iv.toString('hex')).toBe(v.aes256cbc_iv_hex);
      expect(params.iterations).toBe(v.pbkdf2_iterations);
      const plain = decryptPkcs8(block!.bytes, v.passphrase);
      expect(plain.toString('hex')).toBe(v.plaintext_pkcs8_der_hex);
      const re = encryptPkcs8(plain, v.passphrase, {
        salt: Buffer.from(v.pbkdf2_salt_hex, 'hex'),
        iv: Buffer.from(v.aes256cbc_iv_hex, 'hex'),
      });
      expect(pemEncode({ type: block!.type, headers: block!.headers, bytes: re })).toBe(text);
      // parse → notary encoding reproduces the plaintext exactly
      const key = privateKeyFromPkcs8(plain);
      expect(toNotaryPkcs8(key).toString('hex')).toBe(v.plaintext_pkcs8_der_hex);
      expect(isEncryptedBlock(block!)).toBe(true);
    });
  }

  it('wrong passphrase → PASSPHRASE pkcs8: incorrect password', () => {
    const v = vectors[0]!;
    const { block } = pemDecodeFirst(readFileSync(join(vecDir, v.file), 'utf8'));
    let err: unknown;
    try {
      decryptPkcs8(block!.bytes, 'wrong-pass');
    } catch (e) {
      err = e;
    }
    expect(isNotaryError(err, 'PASSPHRASE')).toBe(true);
    expect((err as Error).message).toBe('pkcs8: incorrect password');
  });

  it('written structure has no PRF field and 2048 iterations, 8-byte salt', () => {
    const der = encryptPkcs8(Buffer.from('3003020100', 'hex'), 'pw');
    // outer SEQ → alg SEQ → params SEQ → kdf SEQ → pbkdf2 params SEQ with exactly 2 children
    const p = parseEncryptedPkcs8(der);
    expect(p.salt.length).toBe(8);
    expect(p.iterations).toBe(2048);
    expect(p.prf).toBe('sha1');
    expect(der.includes(Buffer.from('2a864886f70d0209', 'hex'))).toBe(false);
  });

  it('reads a Node/OpenSSL file with an HMAC-SHA256 PRF (read-only superset)', () => {
    const key = generateKey('ecdsa');
    const pem = key.keyObject.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw123456',
    });
    const block = pemDecodeAll(pem as string)[0]!;
    expect(parseEncryptedPkcs8(block.bytes).prf).toBe('sha256');
    const k2 = parsePrivateKeyPem(block, 'pw123456');
    expect(canonicalIdOf(k2)).toBe(canonicalIdOf(key));
  });

  for (const alg of ['ecdsa', 'rsa', 'ed25519'] as KeyAlgorithm[]) {
    it(`${alg}: generate → notary pkcs8 → encrypt → decrypt → same key`, () => {
      const key = generateKey(alg);
      const p8 = toNotaryPkcs8(key);
      const enc = encryptPkcs8(p8, 'secret-pass');
      const back = privateKeyFromPkcs8(decryptPkcs8(enc, 'secret-pass'));
      expect(back.algorithm).toBe(alg);
      expect(canonicalIdOf(back)).toBe(canonicalIdOf(key));
      expect(readTlv(p8).raw.length).toBe(p8.length);
    });
  }

  it('RFC 8410 Ed25519 PKCS#8 is read', () => {
    const key = generateKey('ed25519');
    const der = key.keyObject.export({ format: 'der', type: 'pkcs8' }) as Buffer;
    const back = parsePrivateKeyPem({ type: 'PRIVATE KEY', headers: {}, bytes: der });
    expect(canonicalIdOf(back)).toBe(canonicalIdOf(key));
  });

  it('unknown PEM type → unsupported key type', () => {
    expect(() => parsePrivateKeyPem({ type: 'FOO', headers: {}, bytes: Buffer.alloc(0) })).toThrow(
      'unsupported key type "FOO"',
    );
  });
});

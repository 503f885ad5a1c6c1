import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KeyType } from '../../../src/crypto/keys.js';
import { canonicalString } from '../../../src/tuf/canonical.js';
import {
  canonicalKeyId,
  certificateKey,
  keyJson,
  parseTufKey,
  publicKeyObjectOf,
  tufKeyId,
} from '../../../src/tuf/keys.js';

const dir = join(import.meta.dirname, '../../../fixtures/vectors/keyid');
interface Vector {
  file: string;
  keytype: KeyType;
  public_base64: string;
  canonical_key_json: string;
  tuf_key_id: string;
  canonical_key_id: string;
}
const vectors = JSON.parse(readFileSync(join(dir, 'keyids.json'), 'utf8')) as Vector[];

describe('key ID vectors', () => {
  it('covers every key type', () => {
    expect(new Set(vectors.map((v) => v.keytype))).toEqual(
      new Set(['ecdsa', 'rsa', 'ed25519', 'ecdsa-x509', 'rsa-x509']),
    );
  });

  for (const v of vectors) {
    it(`${v.file} (${v.keytype})`, () => {
      const key = parseTufKey(JSON.parse(v.canonical_key_json), 'vector');
      expect(key.public.toString('base64')).toBe(v.public_base64);
      expect(canonicalString(keyJson(key))).toBe(v.canonical_key_json);
      expect(tufKeyId(key)).toBe(v.tuf_key_id);
      expect(canonicalKeyId(key)).toBe(v.canonical_key_id);
      const ko = publicKeyObjectOf(key);
      expect(publicKeyObjectOf(key)).toBe(ko); // cached
      expect(ko.asymmetricKeyType).toBe(
        v.keytype.startsWith('ecdsa') ? 'ec' : v.keytype.startsWith('rsa') ? 'rsa' : 'ed25519',
      );
      if (v.keytype.endsWith('-x509')) {
        // Ingesting the certificate file gives Go's re-encoded PEM, hence the same IDs.
        const fromFile = certificateKey(readFileSync(join(dir, v.file), 'utf8'));
        expect(fromFile.keytype).toBe(v.keytype);
        expect(tufKeyId(fromFile)).toBe(v.tuf_key_id);
      }
    });
  }
});

describe('certificateKey', () => {
  it('re-encodes CRLF / commented PEM the way Go does', () => {
    const v = vectors.find((x) => x.file === 'ecdsa-x509-delegation.crt')!;
    const pem = readFileSync(join(dir, v.file), 'utf8');
    const messy = `comment line\r\n${pem.replace(/\n/g, '\r\n')}\r\ntrailing`;
    expect(tufKeyId(certificateKey(messy))).toBe(v.tuf_key_id);
    expect(() => certificateKey(pem, 'rsa')).toThrow(/expected rsa/);
    expect(() => certificateKey('nothing here')).toThrow(/no valid certificate/);
  });
});

describe('parseTufKey', () => {
  it('names the field on errors and rejects unknown types', () => {
    expect(() => parseTufKey({ keytype: 'dsa', keyval: { public: 'AA==' } }, 'keys.x')).toThrow(
      /keys\.x\.keytype: unsupported key type "dsa"/,
    );
    expect(() => parseTufKey({ keytype: 'ecdsa', keyval: { public: '***' } }, 'keys.x')).toThrow(
      /keys\.x\.keyval\.public: invalid base64/,
    );
    expect(() => parseTufKey({ keytype: 'ecdsa' }, 'k')).toThrow(/k\.keyval/);
  });

  it('ignores a private value and writes private:null (as Go does)', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(12);
    const key = parseTufKey(
      { keytype: 'ed25519', keyval: { private: 'c2VjcmV0', public: raw.toString('base64') } },
      'k',
    );
    expect(keyJson(key).keyval.private).toBeNull();
    expect(publicKeyObjectOf(key).asymmetricKeyType).toBe('ed25519');
  });
});

describe('decodeBase64Field (Go StdEncoding rules)', () => {
  it('accepts padded standard base64 and line breaks, rejects everything else', async () => {
    const { decodeBase64Field } = await import('../../../src/tuf/keys.js');
    expect(decodeBase64Field('QUFB', 'f').toString()).toBe('AAA');
    expect(decodeBase64Field('QUE=', 'f').toString()).toBe('AA');
    expect(decodeBase64Field('QU\nFB', 'f').toString()).toBe('AAA');
    expect(decodeBase64Field(null, 'f').length).toBe(0);
    for (const bad of ['QUF', 'QU*B', 'QU B', 'QQ=A', '-_-_', 'QQ==QUFB', 'QUFB=', 'QUFBQ']) {
      expect(() => decodeBase64Field(bad, 'f'), bad).toThrow(/invalid base64/);
    }
    expect(() => decodeBase64Field(5, 'f')).toThrow(/expected a base64 string/);
  });
});

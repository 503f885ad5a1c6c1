import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalIdOf, keyIdFor, publicBytes } from '../../../src/crypto/keygen.js';
import type { KeyAlgorithm } from '../../../src/crypto/keys.js';
import { pemDecodeFirst } from '../../../src/crypto/pem.js';
import { parsePrivateKeyPem } from '../../../src/crypto/private-key.js';
import { fileSigner } from '../../../src/keystore/signer.js';
import { fixturesDir } from '../../helpers/cli.js';

interface KeyIdVector {
  file: string;
  keytype: string;
  public_base64: string;
  canonical_key_json: string;
  tuf_key_id: string;
  canonical_key_id: string;
}

const dir = join(fixturesDir, 'vectors', 'keyid');
const vectors = JSON.parse(readFileSync(join(dir, 'keyids.json'), 'utf8')) as KeyIdVector[];

describe('key ID vectors', () => {
  for (const v of vectors) {
    it(`${v.file} (${v.keytype})`, () => {
      const pub = Buffer.from(v.public_base64, 'base64');
      expect(keyIdFor(v.keytype, pub)).toBe(v.tuf_key_id);
      if (v.keytype.endsWith('-x509')) {
        // canonical ID: the bare key from the leaf certificate, SPKI as Node exports it
        const spki = new X509Certificate(pub).publicKey.export({ format: 'der', type: 'spki' });
        expect(keyIdFor(v.keytype.replace('-x509', ''), spki)).toBe(v.canonical_key_id);
      } else if (v.file.endsWith('.key')) {
        const text = readFileSync(join(fixturesDir, 'go', v.file.replace(/^fixtures\//, '')), 'utf8');
        const key = parsePrivateKeyPem(pemDecodeFirst(text).block!, 'fixture-keys');
        expect(key.algorithm).toBe(v.keytype as KeyAlgorithm);
        expect(publicBytes(key).toString('base64')).toBe(v.public_base64);
        expect(canonicalIdOf(key)).toBe(v.canonical_key_id);
        expect(fileSigner(key, v.canonical_key_id).publicBytes.equals(pub)).toBe(true);
      } else {
        expect(v.canonical_key_id).toBe(v.tuf_key_id);
      }
    });
  }
});

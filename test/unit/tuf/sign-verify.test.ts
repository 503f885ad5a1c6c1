import { createPrivateKey, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeyAlgorithm, PrivateKey } from '../../../src/crypto/keys.js';
import { publicKeyObject, signData, verifyData } from '../../../src/crypto/sign.js';
import type { Signer } from '../../../src/crypto/signer.js';
import { isNotaryError } from '../../../src/errors.js';
import { fileMeta } from '../../../src/tuf/hashes.js';
import { canonicalKeyId, tufKeyId } from '../../../src/tuf/keys.js';
import { metadataBytes, parseMetadata } from '../../../src/tuf/metadata.js';
import { signMetadata } from '../../../src/tuf/sign.js';
import { defaultExpiry } from '../../../src/tuf/time.js';
import type { Signature, TargetsSigned, TufKey } from '../../../src/tuf/types.js';
import { requireThreshold, verifySignature, verifySignatures } from '../../../src/tuf/verify.js';

function makeKey(alg: KeyAlgorithm, bits = 2048): { priv: PrivateKey; pub: TufKey } {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  if (alg === 'ecdsa') ({ privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  else if (alg === 'rsa') ({ privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits }));
  else ({ privateKey, publicKey } = generateKeyPairSync('ed25519'));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const pub = alg === 'ed25519' ? spki.subarray(12) : spki;
  return { priv: { algorithm: alg, keyObject: privateKey }, pub: { keytype: alg, public: Buffer.from(pub) } };
}

function signer(k: { priv: PrivateKey; pub: TufKey }): Signer {
  return {
    algorithm: k.priv.algorithm,
    keyId: canonicalKeyId(k.pub),
    publicBytes: k.pub.public,
    sign: async (data) => signData(k.priv, data),
  };
}

const keys = {
  ecdsa: makeKey('ecdsa'),
  rsa: makeKey('rsa'),
  ed25519: makeKey('ed25519'),
};

function targets(): TargetsSigned {
  return {
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires: defaultExpiry('targets', new Date('2026-11-23T10:11:12.345Z')),
    targets: {
      'a<b>&c': fileMeta(Buffer.from('hello'), { build: 42, nested: { z: 1, a: 'caf\u00e9 \u2028' } }),
      'x\u{1F600}': fileMeta(Buffer.from('x')),
      ['__proto__']: fileMeta(Buffer.from('proto')), // computed key: an own property, not the prototype
    },
    version: 2,
  };
}

describe('crypto/sign', () => {
  const data = Buffer.from('{"signed":"data"}');
  for (const alg of ['ecdsa', 'rsa', 'ed25519'] as const) {
    it(`${alg}: signs with notary's method and verifies`, () => {
      const { method, sig } = signData(keys[alg].priv, data);
      expect(method).toBe({ ecdsa: 'ecdsa', rsa: 'rsapss', ed25519: 'eddsa' }[alg]);
      if (alg === 'ecdsa') expect(sig.length).toBe(64);
      const ko = publicKeyObject(alg, keys[alg].pub.public);
      expect(publicKeyObject(alg, keys[alg].pub.public)).toBe(ko);
      expect(verifyData(ko, alg, method, sig, data)).toBe(true);
      expect(verifyData(ko, alg, method, sig, Buffer.from('other'))).toBe(false);
    });
  }

  it('never verifies a method that does not match the key type (CS-DRNT15-1)', () => {
    for (const alg of ['ecdsa', 'rsa', 'ed25519'] as const) {
      const { sig } = signData(keys[alg].priv, data);
      const ko = publicKeyObject(alg, keys[alg].pub.public);
      for (const method of ['ecdsa', 'rsapss', 'eddsa', 'rsapkcs1v15', 'pycrypto-pkcs#1 pss', 'bogus']) {
        const expected = method === { ecdsa: 'ecdsa', rsa: 'rsapss', ed25519: 'eddsa' }[alg];
        expect(verifyData(ko, alg, method, sig, data)).toBe(expected);
      }
      // a key object of another type with the right method name
      const other = alg === 'ecdsa' ? 'ed25519' : 'ecdsa';
      expect(verifyData(publicKeyObject(other, keys[other].pub.public), alg, 'ecdsa', sig, data)).toBe(false);
    }
  });

  it('accepts high-S ECDSA signatures (Go does not normalise S) and rejects DER', () => {
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const { sig } = signData(keys.ecdsa.priv, data);
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const flipped = Buffer.concat([
      sig.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
    ]);
    const ko = publicKeyObject('ecdsa', keys.ecdsa.pub.public);
    expect(verifyData(ko, 'ecdsa', 'ecdsa', flipped, data)).toBe(true);
    const der = nodeSign('sha256', data, keys.ecdsa.priv.keyObject);
    expect(verifyData(ko, 'ecdsa', 'ecdsa', der, data)).toBe(false);
  });

  it('verifies rsapkcs1v15 and refuses RSA keys under 2048 bits', () => {
    const pkcs1 = nodeSign('sha256', data, keys.rsa.priv.keyObject);
    const ko = publicKeyObject('rsa', keys.rsa.pub.public);
    expect(verifyData(ko, 'rsa', 'rsapkcs1v15', pkcs1, data)).toBe(true);
    const small = makeKey('rsa', 1024);
    const { sig } = signData(small.priv, data);
    expect(verifyData(publicKeyObject('rsa', small.pub.public), 'rsa', 'rsapss', sig, data)).toBe(false);
  });

  it('signs PSS with salt 32 (Node defaults to the maximum, which Go rejects)', () => {
    const { sig } = signData(keys.rsa.priv, data);
    const pemKey = createPrivateKey(keys.rsa.priv.keyObject.export({ type: 'pkcs8', format: 'pem' }));
    const maxSalt = nodeSign('sha256', data, { key: pemKey, padding: 6 /* PSS */ });
    const ko = publicKeyObject('rsa', keys.rsa.pub.public);
    expect(verifyData(ko, 'rsa', 'rsapss', sig, data)).toBe(true);
    expect(verifyData(ko, 'rsa', 'rsapss', maxSalt, data)).toBe(false);
  });

  it('rejects malformed public keys with KEY_INVALID', () => {
    expect(() => publicKeyObject('ed25519', Buffer.alloc(31))).toThrow(/32 bytes/);
    expect(() => publicKeyObject('ecdsa', Buffer.from('nope'))).toThrow(/invalid ecdsa public key/);
    expect(() => publicKeyObject('rsa', keys.ecdsa.pub.public)).toThrow(/not rsa/);
  });
});

describe('signMetadata / verifySignatures', () => {
  for (const alg of ['ecdsa', 'rsa', 'ed25519'] as const) {
    it(`${alg}: signed metadata verifies and re-parses to identical bytes`, async () => {
      const k = keys[alg];
      const id = tufKeyId(k.pub);
      const signed = targets();
      const res = await signMetadata(signed, [{ keyId: id, signer: signer(k), key: k.pub }]);
      expect(res.signatures).toHaveLength(1);
      expect(res.raw.toString('utf8')).toContain('"a\\u003cb\\u003e\\u0026c"');
      expect(res.canonical.toString('utf8')).toContain('"a<b>&c"');
      const parsed = parseMetadata<TargetsSigned>(res.raw, 'targets');
      expect(parsed.canonical.equals(res.canonical)).toBe(true);
      expect(metadataBytes(parsed).equals(res.raw)).toBe(true);
      expect(Object.keys(parsed.signed.targets)).toContain('__proto__');
      const r = requireThreshold(parsed, { [id]: k.pub }, { keyids: [id], threshold: 1 });
      expect(r.validKeyIds).toEqual([id]);
    });
  }

  it('keeps other signatures after the new ones and counts distinct keys for the threshold', async () => {
    const a = keys.ecdsa;
    const b = keys.ed25519;
    const idA = tufKeyId(a.pub);
    const idB = tufKeyId(b.pub);
    const first = await signMetadata(targets(), [{ keyId: idB, signer: signer(b) }]);
    const second = await signMetadata(targets(), [{ keyId: idA, signer: signer(a) }], first.signatures);
    expect(second.signatures.map((s) => s.keyid)).toEqual([idA, idB]);
    const parsed = parseMetadata(second.raw, 'targets');
    const keyMap = { [idA]: a.pub, [idB]: b.pub };
    expect(requireThreshold(parsed, keyMap, { keyids: [idA, idB], threshold: 2 }).validKeyIds.sort()).toEqual(
      [idA, idB].sort(),
    );
    // b's signature was made over different bytes (same content, though: deterministic expiry) — still valid
    const duplicated = { ...parsed, signatures: [parsed.signatures[0]!, parsed.signatures[0]!] };
    let err: unknown;
    try {
      requireThreshold(duplicated, keyMap, { keyids: [idA, idB], threshold: 2 });
    } catch (e) {
      err = e;
    }
    expect(isNotaryError(err, 'THRESHOLD')).toBe(true);
    expect((err as Error).message).toBe('valid signatures did not meet threshold for targets');
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({
      role: 'targets',
      needed: 2,
      valid: [idA],
      roleKeyIds: [idA, idB],
    });
    expect((err as { hint: string }).hint).toContain(idB);
  });

  it('ignores signatures by keys outside the role, and a key ID not matching its content is a hard error', async () => {
    const a = keys.ecdsa;
    const idA = tufKeyId(a.pub);
    const res = await signMetadata(targets(), [{ keyId: idA, signer: signer(a) }]);
    const parsed = parseMetadata(res.raw, 'targets');
    const outside = verifySignatures(parsed, { [idA]: a.pub }, { keyids: ['other'], threshold: 1 });
    expect(outside.validKeyIds).toEqual([]);
    expect(() => verifySignatures(parsed, { [idA]: keys.rsa.pub }, { keyids: [idA], threshold: 1 })).toThrow(
      'key ID is not valid for key content',
    );
    expect(() => verifySignatures({ ...parsed, signatures: [] }, {}, { keyids: [], threshold: 1 })).toThrow(
      'tuf: data has no signatures',
    );
  });

  it('refuses a signer whose key does not match the role key, and bad custom data', async () => {
    const idA = tufKeyId(keys.ecdsa.pub);
    await expect(
      signMetadata(targets(), [{ keyId: idA, signer: signer(keys.ed25519), key: keys.ecdsa.pub }]),
    ).rejects.toThrow(/does not verify/);
    const t = targets();
    t.targets['f'] = { ...fileMeta(Buffer.from('f')), custom: { ratio: 1.5 } };
    await expect(signMetadata(t, [{ keyId: idA, signer: signer(keys.ecdsa) }])).rejects.toThrow(
      'custom data for target f cannot be signed: json: unsupported value: 1.5',
    );
    const tab = targets();
    tab.targets['tab\there'] = fileMeta(Buffer.from('f'));
    await expect(signMetadata(tab, [{ keyId: idA, signer: signer(keys.ecdsa) }])).rejects.toThrow(
      "json: error calling MarshalJSON for type *json.RawMessage: invalid character '\\t' in string literal",
    );
  });

  it('verifySignature never throws on unusable keys', () => {
    const sig: Signature = { keyid: 'x', method: 'ecdsa', sig: Buffer.alloc(64) };
    expect(
      verifySignature({ keytype: 'ecdsa-x509', public: Buffer.from('not a cert') }, sig, Buffer.from('d')),
    ).toBe(false);
  });
});

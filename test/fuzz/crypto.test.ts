/**
 * PEM, DER, PKCS#8 (plain and encrypted), legacy encrypted PEM, X.509 and TUF keys under hostile
 * input, plus the round trips: PEM encode/decode, DER write/read, key file encrypt/decrypt.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  children,
  int,
  intValue,
  octets,
  oid,
  oidToString,
  readTlv,
  seq,
  set,
  tlv,
} from '../../src/crypto/der.js';
import { canonicalIdOf, generateKey, publicBytes } from '../../src/crypto/keygen.js';
import type { PrivateKey } from '../../src/crypto/keys.js';
import { decryptLegacyPem } from '../../src/crypto/legacy-pem.js';
import { type PemBlock, pemDecodeAll, pemEncode } from '../../src/crypto/pem.js';
import { decryptPkcs8, parseEncryptedPkcs8, privateKeyFromPkcs8 } from '../../src/crypto/pkcs8.js';
import {
  encodeEncryptedKeyPem,
  encodePlainKeyPem,
  parsePrivateKeyPem,
} from '../../src/crypto/private-key.js';
import {
  certToPem,
  parseCertificates,
  signatureAlgorithmOid,
  validateCertificate,
} from '../../src/crypto/x509.js';
import { silentLogger } from '../../src/log.js';
import { parseDelegationKeyPem } from '../../src/repo/delegation-keys.js';
import {
  canonicalKeyId,
  certificateDers,
  certificateKey,
  parseTufKey,
  publicKeyObjectOf,
  tufKeyId,
} from '../../src/tuf/keys.js';
import {
  anyBytes,
  checkThrown,
  count,
  FIXTURES,
  fixture,
  mutated,
  parses,
  reportCounts,
  runs,
} from './harness.js';

reportCounts('crypto');

const text = (b: Buffer) => b.toString('latin1');

function files(dir: string, ext: RegExp): Buffer[] {
  return readdirSync(join(FIXTURES, dir))
    .filter((f) => ext.test(f))
    .map((f) => fixture(dir, f));
}

const pkcs8Vectors = readdirSync(join(FIXTURES, 'vectors/pkcs8'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const v = JSON.parse(fixture('vectors/pkcs8', f).toString('utf8')) as {
      file: string;
      passphrase: string;
      plaintext_pkcs8_der_hex: string;
    };
    return {
      pem: fixture('vectors/pkcs8', v.file),
      passphrase: v.passphrase,
      plain: Buffer.from(v.plaintext_pkcs8_der_hex, 'hex'),
    };
  });

const legacyKeys = [
  'go/legacy-trustdir/private/root_keys/8bfc3ff24efb8e41155ebd369e84a49f96329ea89fe333aa417ecdbdd4a4502a_root.key',
  'go/legacy-trustdir/private/tuf_keys/94b712f4fafff0ab5cb4532c504186e0442c7d5bc8f1bc99658d593054927fbb.key',
].map((p) => fixture(p));

const certPems = [...files('go/certs', /\.crt$/), ...files('vectors/keyid', /\.crt$/)];

/** Every PEM we have: keys of each type and format, certificates, public keys. */
const pemSeeds = [
  ...pkcs8Vectors.map((v) => v.pem),
  ...legacyKeys,
  ...certPems,
  ...files('go/certs', /\.key$/),
  ...files('go/keys/private', /\.key$/),
  ...files('go/keys/inputs', /\.pem$/),
  ...files('go/keys', /\.pem$/),
  ...files('vectors/keyid', /\.pem$/),
];

const passphrases = [
  'fixture-keys',
  'fixture-root',
  'fixture-targets',
  'fixture-delegation',
  'legacy-pass',
  '',
];

/** DER bodies of every PEM block we have (keys, certificates, SPKI). */
const derSeeds = pemSeeds.flatMap((p) => pemDecodeAll(text(p)).map((b) => b.bytes));

/** Headers holding a `__proto__` key as an own property, as a PEM file can. */
function protoHeader(): Record<string, string> {
  const h: Record<string, string> = {};
  Object.defineProperty(h, '__proto__', { value: 'a', enumerable: true, writable: true, configurable: true });
  return h;
}

function samePublicKey(a: PrivateKey, b: PrivateKey): void {
  expect(b.algorithm).toBe(a.algorithm);
  expect(publicBytes(b).equals(publicBytes(a))).toBe(true);
}

describe('PEM', () => {
  it('decoding never throws, on any text or mutated PEM', () => {
    fc.assert(
      fc.property(
        fc.oneof(mutated(pemSeeds, 6).map(text), fc.string({ unit: 'binary', maxLength: 300 })),
        (t) => {
          const r = parses('pemDecodeAll', () => pemDecodeAll(t));
          expect(r.ok).toBe(true);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('round trip: pemEncode then decode gives the block back', () => {
    const headerKey = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((k) => !/[:\n\r]/.test(k) && k.trim() === k && k.length > 0);
    const headerValue = fc.string({ maxLength: 30 }).filter((v) => !/[\n\r]/.test(v) && v.trim() === v);
    const block = fc.record({
      // A ':' in the type makes Go read the END line of an empty block as a header: excluded, as Go.
      type: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => !/[\n\r:-]/.test(t) && t.trim() === t),
      headers: fc.dictionary(headerKey, headerValue, { maxKeys: 4 }),
      bytes: anyBytes(200),
    });
    fc.assert(
      fc.property(block, (b: PemBlock) => {
        const decoded = parses('pemDecodeAll', () => pemDecodeAll(pemEncode(b)));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(decoded.value).toHaveLength(1);
        const [d] = decoded.value;
        expect(d!.type).toBe(b.type);
        expect({ ...d!.headers }).toEqual({ ...b.headers });
        expect(d!.bytes.equals(b.bytes)).toBe(true);
      }),
      {
        numRuns: runs(200),
        examples: [[{ type: 'X', headers: protoHeader(), bytes: Buffer.from([1]) }]],
      },
    );
  });
});

describe('DER', () => {
  it('reading any bytes: TLVs or a NotaryError', () => {
    const walk = (buf: Buffer, depth: number): void => {
      let off = 0;
      while (off < buf.length) {
        const t = readTlv(buf, off);
        off = t.end;
        if ((t.tag & 0x20) !== 0 && depth < 20) walk(t.value, depth + 1);
        if (t.tag === 0x06) oidToString(t.value);
        if (t.tag === 0x02) intValue(t);
      }
    };
    fc.assert(
      fc.property(fc.oneof(anyBytes(), mutated(derSeeds, 6)), (b) => {
        parses('DER readTlv/children', () => walk(b, 0));
      }),
      { numRuns: runs(400) },
    );
  });

  it('round trip: what the writer builds, the reader reads back', () => {
    const oidArb = fc
      .tuple(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 70n }), { maxLength: 6 }),
      )
      .map(([a, b, rest]) => [a, b, ...rest].join('.'));
    type Node =
      | { kind: 'int'; v: bigint }
      | { kind: 'oid'; v: string }
      | { kind: 'oct'; v: Buffer }
      | { kind: 'seq' | 'set'; v: Node[] };
    const { node } = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.bigInt({ min: 0n, max: 2n ** 200n }).map((v): Node => ({ kind: 'int', v })),
        oidArb.map((v): Node => ({ kind: 'oid', v })),
        anyBytes(300).map((v): Node => ({ kind: 'oct', v })),
        fc.array(tie('node'), { maxLength: 4 }).map((v): Node => ({ kind: 'seq', v })),
        fc.array(tie('node'), { maxLength: 3 }).map((v): Node => ({ kind: 'set', v })),
      ),
    }));
    const write = (n: Node): Buffer => {
      switch (n.kind) {
        case 'int':
          return int(n.v);
        case 'oid':
          return oid(n.v);
        case 'oct':
          return octets(n.v);
        case 'seq':
          return seq(...n.v.map(write));
        case 'set':
          return set(...n.v.map(write));
      }
    };
    const check = (n: Node, bytes: Buffer): void => {
      const t = readTlv(bytes);
      expect(t.end).toBe(bytes.length);
      switch (n.kind) {
        case 'int': {
          expect(t.tag).toBe(0x02);
          const v = t.value.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
          expect(v).toBe(n.v);
          if (n.v <= BigInt(Number.MAX_SAFE_INTEGER)) expect(intValue(t)).toBe(Number(n.v));
          return;
        }
        case 'oid':
          expect(oidToString(t.value)).toBe(n.v);
          return;
        case 'oct':
          expect(t.value.equals(n.v)).toBe(true);
          return;
        default: {
          const kids = children(t);
          expect(kids).toHaveLength(n.v.length);
          n.v.forEach((c, i) => {
            check(c, kids[i]!.raw);
          });
        }
      }
    };
    fc.assert(
      fc.property(node, (n) => {
        count('DER write/read');
        check(n, write(n));
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('PKCS#8', () => {
  it('plain PrivateKeyInfo: mutated or arbitrary DER gives a key or a NotaryError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutated(
            pkcs8Vectors.map((v) => v.plain),
            4,
          ),
          anyBytes(200),
        ),
        (der) => {
          parses('privateKeyFromPkcs8', () => privateKeyFromPkcs8(der));
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('encrypted: mutated EncryptedPrivateKeyInfo with the right passphrase', () => {
    const encrypted = pkcs8Vectors.map((v) => ({
      der: pemDecodeAll(text(v.pem))[0]!.bytes,
      passphrase: v.passphrase,
    }));
    fc.assert(
      fc.property(
        fc
          .constantFrom(...encrypted)
          .chain((e) => mutated([e.der], 3).map((der) => ({ der, passphrase: e.passphrase }))),
        ({ der, passphrase }) => {
          const p = parses('parseEncryptedPkcs8', () => parseEncryptedPkcs8(der));
          if (p.ok) parses('decryptPkcs8', () => decryptPkcs8(der, passphrase));
        },
      ),
      {
        numRuns: runs(150),
        examples: [
          // iteration counts Node refuses (0, > 2^31-1) or that would spin for hours
          ...([
            [0x00],
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            [0x7f, 0xff, 0xff, 0xff],
            [],
          ].map((iter) => [
            {
              der: seq(
                seq(
                  oid('1.2.840.113549.1.5.13'),
                  seq(
                    seq(
                      oid('1.2.840.113549.1.5.12'),
                      seq(octets(Buffer.alloc(8)), tlv(0x02, Buffer.from(iter))),
                    ),
                    seq(oid('2.16.840.1.101.3.4.1.42'), octets(Buffer.alloc(16))),
                  ),
                ),
                octets(Buffer.alloc(32)),
              ),
              passphrase: 'x',
            },
          ]) as [{ der: Buffer; passphrase: string }][]),
        ],
      },
    );
  });
});

describe('private key PEM files (every type, plain and encrypted, legacy)', () => {
  it('mutated key files with each known passphrase: a key or a NotaryError', () => {
    fc.assert(
      fc.property(mutated(pemSeeds, 4), fc.constantFrom(...passphrases), (pem, pass) => {
        for (const block of pemDecodeAll(text(pem))) {
          parses('parsePrivateKeyPem', () => parsePrivateKeyPem(block, pass));
          parses('parsePrivateKeyPem', () => parsePrivateKeyPem(block));
        }
      }),
      { numRuns: runs(150) },
    );
  });

  it('mutated DER inside well-formed key blocks (every PEM type), with each known passphrase', () => {
    const blocks = pemSeeds.flatMap((p) => pemDecodeAll(text(p)));
    fc.assert(
      fc.property(
        fc.constantFrom(...blocks).chain((b) => mutated([b.bytes], 3).map((bytes) => ({ ...b, bytes }))),
        fc.constantFrom(...passphrases),
        (block, pass) => {
          parses('parsePrivateKeyPem', () => parsePrivateKeyPem(block, pass));
          parses('parsePrivateKeyPem', () => parsePrivateKeyPem(block));
        },
      ),
      { numRuns: runs(200) },
    );
  });

  it('legacy encrypted blocks with hostile DEK-Info headers', () => {
    const dek = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(
          fc.constantFrom('DES-CBC', 'DES-EDE3-CBC', 'AES-128-CBC', 'AES-192-CBC', 'AES-256-CBC', 'RC4', ''),
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u).toString('hex')),
          ),
        )
        .map(([c, iv]) => `${c},${iv}`),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...legacyKeys),
        dek,
        anyBytes(80),
        fc.boolean(),
        (pem, dekInfo, bytes, keepBody) => {
          const block = pemDecodeAll(text(pem))[0]!;
          const hostile: PemBlock = {
            type: block.type,
            headers: { ...block.headers, 'DEK-Info': dekInfo },
            bytes: keepBody ? block.bytes : bytes,
          };
          parses('decryptLegacyPem', () => decryptLegacyPem(hostile, 'legacy-pass'));
          parses('parsePrivateKeyPem', () => parsePrivateKeyPem(hostile, 'legacy-pass'));
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('round trip: key file encrypt/decrypt with any passphrase and headers', () => {
    const keys = [generateKey('ecdsa'), generateKey('ed25519')];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.constantFrom<Record<string, string>>(
          {},
          { role: 'targets' },
          { role: 'root', gun: 'example.com/x' },
        ),
        (key, pass, headers) => {
          count('key file encrypt/decrypt');
          const pem =
            pass === '' ? encodePlainKeyPem(key, headers) : encodeEncryptedKeyPem(key, pass, headers);
          const [block] = pemDecodeAll(pem);
          expect({ ...block!.headers }).toEqual(headers);
          samePublicKey(key, parsePrivateKeyPem(block!, pass === '' ? undefined : pass));
          if (pass !== '') {
            const wrong = parses('parsePrivateKeyPem', () => parsePrivateKeyPem(block!, `${pass}x`));
            expect(wrong.ok).toBe(false);
          }
          expect(canonicalIdOf(parsePrivateKeyPem(block!, pass === '' ? undefined : pass))).toBe(
            canonicalIdOf(key),
          );
        },
      ),
      { numRuns: runs(30) },
    );
  });
});

describe('X.509 certificates and certificate bundles', () => {
  const now = new Date(Date.UTC(2027, 0, 1));

  it('mutated certificate PEM: parsed certificates or a NotaryError; checks never crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutated(certPems, 4),
          fc.constantFrom(...certPems).map((p) => Buffer.concat([p, p])),
        ),
        (pem) => {
          const t = text(pem);
          const parsed = parses('parseCertificates', () => parseCertificates(t));
          if (parsed.ok) {
            for (const c of parsed.value) {
              parses('signatureAlgorithmOid', () => signatureAlgorithmOid(c.der));
              parses('validateCertificate', () => validateCertificate(c, now, true));
            }
          }
          parses('certificateDers', () => certificateDers(t));
          const key = parses('certificateKey', () => certificateKey(t));
          if (key.ok) {
            parses('canonicalKeyId', () => canonicalKeyId(key.value));
            parses('publicKeyObjectOf', () => publicKeyObjectOf(key.value));
          }
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('mutated DER inside a well-formed PEM block', () => {
    const ders = certPems.map((p) => pemDecodeAll(text(p))[0]!.bytes);
    fc.assert(
      fc.property(mutated(ders, 3), (der) => {
        const pem = pemEncode({ type: 'CERTIFICATE', headers: {}, bytes: der });
        const parsed = parses('parseCertificates', () => parseCertificates(pem));
        if (parsed.ok) {
          for (const c of parsed.value) {
            parses('signatureAlgorithmOid', () => signatureAlgorithmOid(c.der));
            parses('validateCertificate', () => validateCertificate(c, now, false));
          }
        }
        const key = parses('certificateKey', () => certificateKey(pem));
        if (key.ok) parses('canonicalKeyId', () => canonicalKeyId(key.value));
      }),
      // A certificate Node parses but whose key it cannot read (the deep pass found it):
      // `publicKey` threw a plain OpenSSL error.
      { numRuns: runs(300), examples: [[unreadableKeyCert()]] },
    );
  });
});

describe('delegation key files (`delegation add <cert or public key PEM>`)', () => {
  // The handler's contract: a key, or a KeyFileProblem that ingestPublicKeys wraps into a
  // NotaryError naming the file. Anything else (TypeError, OpenSSL's plain Error) is a defect.
  const ctx = { clock: () => new Date(Date.UTC(2027, 0, 1)), log: silentLogger };
  const inputs = [...certPems, ...files('vectors/keyid', /\.pem$/)];
  it('mutated certificates and public keys: a key or the handler error', () => {
    const ders = inputs.flatMap((p) => pemDecodeAll(text(p)));
    fc.assert(
      fc.property(
        fc.oneof(
          mutated(inputs, 4),
          fc
            .constantFrom(...ders)
            .chain((b) => mutated([b.bytes], 3).map((bytes) => Buffer.from(pemEncode({ ...b, bytes })))),
        ),
        (pem) => {
          count('parseDelegationKeyPem');
          try {
            parseDelegationKeyPem(ctx, pem);
          } catch (e) {
            if (!(e instanceof Error && e.constructor.name === 'KeyFileProblem')) checkThrown(e);
          }
        },
      ),
      { numRuns: runs(200), examples: [[Buffer.from(certToPem(unreadableKeyCert()))]] },
    );
  });
});

/** A real certificate with its key's algorithm OID damaged (1.2.840.10045.2.1 → 1.3.840…). */
function unreadableKeyCert(): Buffer {
  const der = pemDecodeAll(text(fixture('go/certs/delegation-ecdsa.crt')))[0]!.bytes;
  const hex = der.toString('hex');
  const ecPublicKey = '06072a8648ce3d0201';
  expect(hex).toContain(ecPublicKey);
  return Buffer.from(hex.replace(ecPublicKey, '06072b8648ce3d0201'), 'hex');
}

describe('TUF keys from metadata (keytype + base64 public)', () => {
  const publics = [...derSeeds.filter((d) => d.length < 2000), ...certPems, Buffer.alloc(32, 7)];
  it('any key type with mutated public bytes: IDs and key objects or a NotaryError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ecdsa', 'rsa', 'ed25519', 'ecdsa-x509', 'rsa-x509', 'bogus'),
        fc.oneof(mutated(publics, 3), anyBytes(64)),
        (keytype, pub) => {
          const key = parses('parseTufKey', () =>
            parseTufKey({ keytype, keyval: { public: pub.toString('base64'), private: null } }, 'keys["x"]'),
          );
          if (!key.ok) return;
          parses('tufKeyId', () => tufKeyId(key.value));
          parses('canonicalKeyId', () => canonicalKeyId(key.value));
          parses('publicKeyObjectOf', () => publicKeyObjectOf(key.value));
        },
      ),
      {
        numRuns: runs(300),
        examples: [['ecdsa-x509', Buffer.from(certToPem(unreadableKeyCert()), 'latin1')]],
      },
    );
  });
});

// The verify-over-received-bytes fast path (src/tuf/received-canonical.ts) must give exactly the
// verdict of the slow path (canonicalise the parsed tree): fed Go's files, non-canonical,
// reordered, duplicated, escaped and tampered documents, it either returns C itself or steps aside.
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalString, parseGoJson } from '../../../src/tuf/canonical.js';
import { tufKeyId } from '../../../src/tuf/keys.js';
import { parseEnvelope, parseMetadata } from '../../../src/tuf/metadata.js';
import { signedBytesAsReceived } from '../../../src/tuf/received-canonical.js';
import type { Signature, TufKey } from '../../../src/tuf/types.js';
import { verifySignatures } from '../../../src/tuf/verify.js';

const fixtures = join(import.meta.dirname, '../../../fixtures');

/** The slow path's C for file bytes F, or the error it throws. */
function slowCanonical(bytes: Buffer): Buffer | Error {
  try {
    return canonicalBytes(parseEnvelope(bytes, 'targets').signedValue);
  } catch (e) {
    return e as Error;
  }
}

/** The property: the fast path is either absent or byte-identical to the slow path's C. */
function expectAgrees(bytes: Buffer): 'fast' | 'slow' {
  let parsed = true;
  try {
    parseGoJson(bytes);
  } catch {
    parsed = false;
  }
  if (!parsed) return 'slow'; // parseMetadata rejects it before either path runs
  const fast = signedBytesAsReceived(bytes);
  if (fast === undefined) return 'slow';
  const slow = slowCanonical(bytes);
  expect(slow).toBeInstanceOf(Buffer);
  expect(fast.toString('latin1')).toBe((slow as Buffer).toString('latin1'));
  return 'fast';
}

function envelope(signedText: string, sigs = '[]'): Buffer {
  return Buffer.from(`{"signed":${signedText},"signatures":${sigs}}`, 'utf8');
}

function metadataFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...metadataFiles(p));
    else if (name.endsWith('.json') && name !== 'manifest.json' && name !== 'timestamp.key.json') out.push(p);
  }
  return out;
}

describe('signed bytes as received', () => {
  it('takes the fast path for every file Go wrote, and returns exactly C', () => {
    const files = [join(fixtures, 'go/server'), join(fixtures, 'go/trustdir')].flatMap(metadataFiles);
    expect(files.length).toBeGreaterThan(5);
    let fast = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      if (expectAgrees(bytes) === 'fast') fast++;
    }
    // Go's files are canonical unless the signed part needed HTML escaping.
    expect(fast).toBeGreaterThanOrEqual(files.length - 1);
  });

  it('steps aside for every non-canonical form (slow path decides)', () => {
    const cases: Array<[string, string]> = [
      ['whitespace', '{"a": 1}'],
      ['reordered keys', '{"b":1,"a":2}'],
      ['duplicate keys', '{"a":1,"a":2}'],
      ['escaped key', '{"\\u0061":1}'],
      ['unicode escape in a value', '{"a":"\\u00e9"}'],
      ['html escape (Go envelope form)', '{"a":"\\u003c"}'],
      ['named escape', '{"a":"x\\ny"}'],
      ['solidus escape', '{"a":"\\/"}'],
      ['leading zero', '{"a":01}'],
      ['negative zero', '{"a":-0}'],
      ['fraction', '{"a":1.5}'],
      ['exponent', '{"a":1e3}'],
      ['big number', '{"a":12345678901234567890}'],
      ['16 digits', '{"a":1234567890123456}'],
      ['nested reorder', '{"a":{"y":1,"x":2}}'],
      ['array whitespace', '{"a":[1, 2]}'],
    ];
    for (const [what, text] of cases) {
      expect(signedBytesAsReceived(envelope(text)), what).toBeUndefined();
    }
  });

  it('accepts canonical forms with the escapes canonical JSON keeps', () => {
    for (const text of [
      '{"a":"q\\"b\\\\c"}',
      '{"a":[],"b":{},"c":null,"d":true,"e":false,"f":-12,"g":0}',
      '{"caf\u00e9":"\u2028<>&","z\u{1F600}":"x"}',
      '{"A":1,"B":2,"a":3,"b":4}',
    ]) {
      expect(signedBytesAsReceived(envelope(text)), text).toBeDefined();
      expectAgrees(envelope(text));
    }
  });

  it('rejects envelopes whose signed part could be replaced or is not where it seems', () => {
    const c = '{"a":1}';
    for (const file of [
      `{"signed":${c},"signatures":[],"signed":{"a":2}}`,
      `{"signatures":[],"signed":${c}}`,
      `{"signed":${c}, "signatures":[]}`,
      `{"signed":${c},"signatures":[]} `,
      `{"signed":${c},"signatures":[]}}`,
      `{"signed":${c}}`,
      `{"signed":${c},"signatures":[{"keyid":"x\\",\\"signed\\":1"}]}`,
    ]) {
      const bytes = Buffer.from(file);
      // Either refused, or (the last one: an escaped quote inside a string) exactly C.
      if (signedBytesAsReceived(bytes) !== undefined) expectAgrees(bytes);
      else expect(signedBytesAsReceived(bytes)).toBeUndefined();
    }
    expect(
      signedBytesAsReceived(Buffer.from(`{"signed":${c},"signatures":[],"signed":{"a":2}}`)),
    ).toBeUndefined();
  });

  it('refuses invalid UTF-8 (Go decodes it to U+FFFD, so C differs from the bytes)', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"signed":{"a":"'),
      Buffer.from([0xff]),
      Buffer.from('"},"signatures":[]}'),
    ]);
    expect(signedBytesAsReceived(bytes)).toBeUndefined();
  });

  it('property: random JSON, serialised canonically, reordered, spaced or escaped, never disagrees', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const forms = fc.constantFrom('canonical', 'stringify', 'spaced', 'reversed', 'html');
    let fastSeen = 0;
    fc.assert(
      fc.property(json, forms, (v, form) => {
        let text: string;
        try {
          text = canonicalString(v);
        } catch {
          text = JSON.stringify(v); // fractions: the slow path will reject, the fast one must too
        }
        if (form === 'stringify') text = JSON.stringify(v);
        if (form === 'spaced') text = JSON.stringify(v, null, 1);
        if (form === 'reversed' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
          const o = v as Record<string, unknown>;
          text = JSON.stringify(
            Object.fromEntries(
              Object.keys(o)
                .reverse()
                .map((k) => [k, o[k]]),
            ),
          );
        }
        if (form === 'html') text = text.replace(/</g, '\\u003c');
        if (expectAgrees(envelope(text)) === 'fast') fastSeen++;
      }),
      { numRuns: 2000 },
    );
    expect(fastSeen).toBeGreaterThan(100);
  });
});

describe('signature verdicts: fast path = slow path', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key: TufKey = {
    keytype: 'ed25519',
    public: Buffer.from(publicKey.export({ type: 'spki', format: 'der' }).subarray(12)),
  };
  const keyId = tufKeyId(key);
  const role = { keyids: [keyId], threshold: 1 };

  const signedTargets = (targets: Record<string, unknown>) => ({
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires: '2030-01-01T00:00:00Z',
    targets,
    version: 3,
  });
  const file = (signedText: string, over: string) => {
    const sig: Signature = {
      keyid: keyId,
      method: 'eddsa',
      sig: nodeSign(null, Buffer.from(over), privateKey),
    };
    return envelope(
      signedText,
      JSON.stringify([{ keyid: sig.keyid, method: sig.method, sig: sig.sig.toString('base64') }]),
    );
  };
  const verdict = (bytes: Buffer, forceSlow: boolean) => {
    const meta = parseMetadata(bytes, 'targets');
    const canonical = forceSlow ? (slowCanonical(bytes) as Buffer) : meta.canonical;
    return verifySignatures({ ...meta, canonical }, { [keyId]: key }, role).validKeyIds.length;
  };

  const c = canonicalString(
    signedTargets({
      'a/b': { hashes: { sha256: 'AAAA' }, length: 4 },
      z: { custom: { n: 1 }, hashes: { sha256: 'BBBB' }, length: 9 },
    }),
  );

  it('same verdict for the signed bytes, and for tampered, reordered and re-spaced copies', () => {
    const variants: Array<[string, string, string]> = [
      ['as signed', c, c],
      ['tampered length', c.replace('"length":9', '"length":8'), c],
      ['tampered target name', c.replace('"a/b"', '"a/c"'), c],
      [
        'reordered keys, signature over canonical',
        c.replace('"hashes":{"sha256":"AAAA"},"length":4', '"length":4,"hashes":{"sha256":"AAAA"}'),
        c,
      ],
      ['re-spaced, signature over canonical', JSON.stringify(JSON.parse(c), null, 2), c],
      // Signed over non-canonical bytes: Go rejects it (it verifies over C), so must we.
      [
        'signed over non-canonical bytes',
        JSON.stringify(JSON.parse(c), null, 2),
        JSON.stringify(JSON.parse(c), null, 2),
      ],
      [
        'signed over reordered bytes',
        c.replace('"hashes":{"sha256":"AAAA"},"length":4', '"length":4,"hashes":{"sha256":"AAAA"}'),
        c.replace('"hashes":{"sha256":"AAAA"},"length":4', '"length":4,"hashes":{"sha256":"AAAA"}'),
      ],
    ];
    for (const [what, text, over] of variants) {
      const bytes = file(text, over);
      const fast = verdict(bytes, false);
      const slow = verdict(bytes, true);
      expect(fast, what).toBe(slow);
      expect(fast, what).toBe(
        what.startsWith('as signed') || what.includes('signature over canonical') ? 1 : 0,
      );
    }
  });
});

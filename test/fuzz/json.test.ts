/**
 * Go-compatible JSON under hostile input: the byte decoder, the metadata parser (parseGoJson),
 * the canonicaliser, and the Go scanner used for change files and --custom data.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GoJsonSyntaxError, scanGoJson } from '../../src/repo/go-json.js';
import {
  canonicalString,
  canonicalStringReference,
  decodeGoUtf8,
  envelopeForm,
  parseGoJson,
} from '../../src/tuf/canonical.js';
import {
  anyBytes,
  count,
  FIXTURES,
  fixture,
  jsonMutated,
  jsonTextTricks,
  mutated,
  parses,
  reportCounts,
  runs,
} from './harness.js';

reportCounts('json');

const vectorDir = join(FIXTURES, 'vectors/canonical');
const vectorNames = readdirSync(vectorDir)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.replace('.input.json', ''));
const vectorInputs = vectorNames.map((n) => fixture('vectors/canonical', `${n}.input.json`));
const metadataSeeds = ['root', 'targets', 'snapshot', 'timestamp'].map((r) =>
  fixture('vectors/metadata/unicode', `${r}.json`),
);
const seeds = [...vectorInputs, ...metadataSeeds];

/** Parse then canonicalise, each step under the invariant. */
function parseAndCanonicalise(input: Uint8Array | string): string | undefined {
  const parsed = parses('parseGoJson', () => parseGoJson(input));
  if (!parsed.ok) return undefined;
  const c = parses('canonicalString', () => canonicalString(parsed.value));
  if (!c.ok) return undefined;
  // The fast path and the rule-by-rule reference must agree on everything they accept.
  expect(canonicalStringReference(parsed.value)).toBe(c.value);
  parses('envelopeForm', () => envelopeForm(c.value));
  return c.value;
}

/** What Go's scanner accepts equals what JSON.parse accepts on the Go-decoded text (bar depth). */
function scanAgreesWithJsonParse(bytes: Buffer): void {
  count('scanGoJson');
  let scanned: ReturnType<typeof scanGoJson> | undefined;
  let scanError: unknown;
  try {
    scanned = scanGoJson(bytes);
  } catch (e) {
    scanError = e;
  }
  if (scanError !== undefined && !(scanError instanceof GoJsonSyntaxError)) throw scanError;
  let parsed: unknown;
  let parseOk = true;
  try {
    parsed = JSON.parse(decodeGoUtf8(bytes));
  } catch {
    parseOk = false;
  }
  if (scanError instanceof GoJsonSyntaxError && /max depth/.test(scanError.message)) return;
  expect(scanned !== undefined).toBe(parseOk);
  if (scanned) {
    // Go's compact form decodes to the same value (HTML escapes are \u00XX escapes).
    expect(JSON.parse(decodeGoUtf8(scanned.compact))).toEqual(parsed);
  }
}

describe('Go byte decoding', () => {
  it('decodeGoUtf8 takes any bytes and yields well-formed text, unchanged when valid', () => {
    fc.assert(
      fc.property(anyBytes(256), (b) => {
        const s = parses('decodeGoUtf8', () => decodeGoUtf8(b));
        expect(s.ok).toBe(true);
        if (s.ok) {
          expect(s.value.isWellFormed()).toBe(true);
          if (Buffer.from(b.toString('utf8'), 'utf8').equals(b)) expect(s.value).toBe(b.toString('utf8'));
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('parseGoJson + canonicalString', () => {
  it('any bytes: a value or a NotaryError', () => {
    fc.assert(
      fc.property(anyBytes(), (b) => {
        parseAndCanonicalise(b);
      }),
      { numRuns: runs(300) },
    );
  });

  it('any string (lone surrogates, control characters): a value or a NotaryError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        parseAndCanonicalise(s);
      }),
      { numRuns: runs(200) },
    );
  });

  it('byte-level mutations of the vectors and of signed metadata', () => {
    fc.assert(
      fc.property(mutated(seeds), (b) => {
        parseAndCanonicalise(b);
      }),
      { numRuns: runs(400) },
    );
  });

  it('structural mutations: type changes, huge numbers, deep nesting, odd keys', () => {
    fc.assert(
      fc.property(jsonMutated(seeds), (b) => {
        parseAndCanonicalise(b);
      }),
      { numRuns: runs(200) },
    );
  });

  it('text tricks: duplicate and case-folded keys, invalid UTF-8, lone surrogates, big numbers', () => {
    fc.assert(
      fc.property(jsonTextTricks(seeds), (b) => {
        parseAndCanonicalise(b);
      }),
      { numRuns: runs(200) },
    );
  });

  it('nesting: refused with a NotaryError beyond the depth limit, never a stack overflow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.constantFrom('[', '{"a":'),
        fc.boolean(),
        (depth, open, surrogate) => {
          const close = open === '[' ? ']' : '}';
          const text = `${surrogate ? '["\\ud800",' : ''}${open.repeat(depth)}1${close.repeat(depth)}${surrogate ? ']' : ''}`;
          parseAndCanonicalise(text);
        },
      ),
      {
        numRuns: runs(40),
        examples: [
          [1000, '[', false],
          [1001, '[', false],
          [5000, '{"a":', false],
          [20_000, '[', true],
        ],
      },
    );
  });

  it('round trip: canonical text is a fixed point (parse → canonicalise → parse → canonicalise)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary', maxLength: 40 })),
        (text) => {
          const c1 = parseAndCanonicalise(text);
          // Canonical text with raw control characters is not JSON (Go cannot embed it either).
          if (c1 === undefined || /[\u0000-\u001f]/.test(c1)) return;
          expect(parseAndCanonicalise(c1)).toBe(c1);
          expect(parseAndCanonicalise(Buffer.from(c1, 'utf8'))).toBe(c1);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('round trip over the Go vectors: every canonical output canonicalises to itself', () => {
    let checked = 0;
    for (const name of vectorNames) {
      let expected: Buffer;
      try {
        expected = fixture('vectors/canonical', `${name}.canonical`);
      } catch {
        continue; // Go rejects this input: no canonical form
      }
      if (/[\u0000-\u001f]/.test(expected.toString('utf8'))) continue; // not JSON text (raw controls)
      const again = parseAndCanonicalise(expected);
      expect(again === undefined ? undefined : Buffer.from(again, 'utf8').equals(expected)).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

describe('Go scanner (change files, --custom)', () => {
  it('agrees with JSON.parse on any bytes, and its compact form decodes to the same value', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes(128), mutated(seeds), jsonTextTricks(seeds)), (b) => {
        scanAgreesWithJsonParse(b);
      }),
      { numRuns: runs(400) },
    );
  });

  it('deep nesting is a syntax error, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30_000 }), (depth) => {
        scanAgreesWithJsonParse(Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`));
      }),
      { numRuns: runs(30), examples: [[10_000], [10_001], [30_000]] },
    );
  });
});

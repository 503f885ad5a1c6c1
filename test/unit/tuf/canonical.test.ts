import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotaryError } from '../../../src/errors.js';
import {
  canonicalBytes,
  canonicalString,
  canonicalStringReference,
  compareUtf8,
  decodeGoUtf8,
  envelopeForm,
  goFormatFloat,
  htmlEscape,
  parseGoJson,
} from '../../../src/tuf/canonical.js';

const dir = join(import.meta.dirname, '../../../fixtures/vectors/canonical');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.replace('.input.json', ''));

function read(name: string): Buffer | undefined {
  try {
    return readFileSync(join(dir, name));
  } catch {
    return undefined;
  }
}

describe('canonical JSON vectors (Go docker/go canonical/json)', () => {
  it('has all 23 cases', () => {
    expect(cases).toHaveLength(23);
  });

  for (const name of cases) {
    it(name, () => {
      const input = read(`${name}.input.json`)!;
      const expected = read(`${name}.canonical`);
      const goError = read(`${name}.go-error.txt`);
      const value = parseGoJson(input);
      if (goError) {
        let err: unknown;
        try {
          canonicalString(value);
        } catch (e) {
          err = e;
        }
        expect(isNotaryError(err, 'INVALID_INPUT')).toBe(true);
        expect(goError.toString('utf8').trim()).toContain((err as Error).message);
        return;
      }
      const canonical = canonicalBytes(value);
      expect(canonical.equals(expected!)).toBe(true);
      const envelope = read(`${name}.envelope`);
      const envelopeError = read(`${name}.envelope-error.txt`);
      if (envelope) {
        expect(Buffer.from(envelopeForm(canonical.toString('utf8')), 'utf8').equals(envelope)).toBe(true);
      } else {
        expect(envelopeError).toBeDefined();
        expect(() => envelopeForm(canonical.toString('utf8'))).toThrow(
          envelopeError!.toString('utf8').trim(),
        );
      }
    });
  }
});

describe('canonical details', () => {
  it('sorts keys by UTF-8 bytes, not UTF-16 units', () => {
    const keys = ['x\u{1F600}', 'x\uFF01', 'x\uE000', 'Zed', 'a'];
    expect(keys.sort(compareUtf8)).toEqual(['Zed', 'a', 'x\uE000', 'x\uFF01', 'x\u{1F600}']);
    expect(canonicalString({ 'x\u{1F600}': 1, 'x\uFF01': 2 })).toBe('{"x\uFF01":2,"x\u{1F600}":1}');
  });

  it('formats int64 exactly and maps out-of-range values to INT64_MIN', () => {
    expect(canonicalString([1.0, -0, 1e2, 2 ** 53 + 2, -(2 ** 63), 2 ** 63, 1e21])).toBe(
      '[1,0,100,9007199254740994,-9223372036854775808,-9223372036854775808,-9223372036854775808]',
    );
  });

  it("uses Go's %g for the fraction error", () => {
    expect(goFormatFloat(1.5)).toBe('1.5');
    expect(goFormatFloat(1234567.5)).toBe('1.2345675e+06');
    expect(goFormatFloat(0.0001)).toBe('0.0001');
    expect(goFormatFloat(0.00001)).toBe('1e-05');
    expect(goFormatFloat(-2.5e-7)).toBe('-2.5e-07');
    expect(() => canonicalString({ n: 0.5 })).toThrow('json: unsupported value: 0.5');
  });

  it('decodes invalid UTF-8 byte by byte like Go', () => {
    expect(decodeGoUtf8(Buffer.from([0x61, 0xe2, 0x80, 0x78]))).toBe('a\uFFFD\uFFFDx');
    expect(decodeGoUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\uFFFD\uFFFD\uFFFD');
    expect(decodeGoUtf8(Buffer.from([0xf0, 0x9f, 0x98]))).toBe('\uFFFD\uFFFD\uFFFD');
    expect(decodeGoUtf8(Buffer.from('caf\u00e9 \u{1F600}'))).toBe('caf\u00e9 \u{1F600}');
  });

  it('replaces lone surrogates in keys and values, keeps __proto__ as a plain key', () => {
    const v = parseGoJson('{"\\udc00k":"\\ud800","__proto__":{"a":1}}');
    expect(canonicalString(v)).toBe('{"__proto__":{"a":1},"\uFFFDk":"\uFFFD"}');
  });

  it('escapes only the five HTML characters in the envelope form', () => {
    expect(htmlEscape('<a>&\u2028\u2029"/\u007f')).toBe('\\u003ca\\u003e\\u0026\\u2028\\u2029"/\u007f');
  });

  it('rejects syntax errors; numbers out of float64 range cannot be canonicalised', () => {
    expect(() => parseGoJson('{"a":')).toThrow(/invalid JSON/);
    expect(() => canonicalString(parseGoJson('{"a":1e400}'))).toThrow('json: unsupported value: +Inf');
  });

  it('escapes quotes and backslashes only, also on the fast path', () => {
    expect(canonicalString(['plain', 'q"b\\s', 'tab\there', '\u{1F600}', ''])).toBe(
      '["plain","q\\"b\\\\s","tab\there","\u{1F600}",""]',
    );
  });
});

describe('fast path agrees with the reference canonicaliser', () => {
  // Deterministic PRNG so failures reproduce.
  let seed = 0x2545f491;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pool = [
    'a',
    'b',
    'Z',
    '0',
    '9',
    '"',
    '\\',
    '/',
    '<',
    '>',
    '&',
    '\t',
    '\n',
    '\u0000',
    '\u007f',
    '\u00e9',
    '\u2028',
    '\uE000',
    '\uFF01',
    '\u{1F600}',
    '\uD800',
    '\uDC00',
    ' ',
  ];
  const str = () => Array.from({ length: rand(5) }, () => pool[rand(pool.length)]).join('');
  const key = () => (rand(6) === 0 ? String(rand(20)) : str());
  const nums = [0, -0, 1, -1, 42, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, -(2 ** 63), 1.5, 123456789012345680];
  const gen = (depth: number): unknown => {
    switch (rand(depth > 3 ? 4 : 7)) {
      case 0:
        return str();
      case 1:
        return nums[rand(nums.length)];
      case 2:
        return [null, true, false][rand(3)];
      case 3:
        return str();
      case 4:
        return Array.from({ length: rand(4) }, () => gen(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = rand(5); i > 0; i--)
          Object.defineProperty(o, key(), {
            value: gen(depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        return o;
      }
    }
  };
  const outcome = (f: () => string) => {
    try {
      return f();
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };

  it('on 3000 random trees (control chars, surrogates, integer-like keys, big numbers)', () => {
    for (let i = 0; i < 3000; i++) {
      const tree = gen(0);
      expect(outcome(() => canonicalString(tree))).toBe(outcome(() => canonicalStringReference(tree)));
    }
  });
});

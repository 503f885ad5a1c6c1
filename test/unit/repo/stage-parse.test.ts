import { describe, expect, it } from 'vitest';
import { goParseInt } from '../../../src/cli/handlers/stage.js';

describe('goParseInt (strconv.ParseInt(s, 0, 64), values checked against notary addhash)', () => {
  const good: Array<[string, bigint]> = [
    ['0x10', 16n],
    ['0X1f', 31n],
    ['010', 8n],
    ['0b11', 3n],
    ['0o7', 7n],
    ['1_000', 1000n],
    ['0x_1_0', 16n],
    ['+5', 5n],
    ['-5', -5n],
    ['0', 0n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ];
  for (const [s, v] of good) it(`${s} = ${v}`, () => expect(goParseInt(s)).toBe(v));

  const syntax = ['', 'abc', 'ten', '0x', '08', '1__0', '_1', '1_', '0b2', '1.0', ' 1', '+', '0xg'];
  for (const s of syntax) {
    it(`${JSON.stringify(s)} is invalid syntax`, () =>
      expect(() => goParseInt(s)).toThrow(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`));
  }
  for (const s of ['99999999999999999999', '9223372036854775808', '-9223372036854775809']) {
    it(`${s} is out of range`, () =>
      expect(() => goParseInt(s)).toThrow(`strconv.ParseInt: parsing "${s}": value out of range`));
  }
});

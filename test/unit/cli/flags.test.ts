import { describe, expect, it } from 'vitest';
import type { FlagSpec } from '../../../src/cli/context.js';
import { FlagSet, goQuote, parseGoAtoi, parseGoInt, readAsCsv } from '../../../src/cli/flags.js';
import { NotaryError } from '../../../src/errors.js';

const specs: FlagSpec[] = [
  { name: 'debug', short: 'D', type: 'bool', usage: '' },
  { name: 'verbose', short: 'v', type: 'bool', usage: '' },
  { name: 'trustDir', short: 'd', type: 'string', usage: '' },
  { name: 'roles', short: 'r', type: 'strings', usage: '' },
  { name: 'number', short: 'n', type: 'ints', usage: '' },
  { name: 'legacy', short: 'l', type: 'int', usage: '' },
  { name: 'role', type: 'string', usage: '', default: 'root' },
  { name: 'help', short: 'h', type: 'bool', usage: '' },
];
const fs = new FlagSet(specs);
const parse = (...args: string[]) => fs.parse(args);
const err = (...args: string[]): string => {
  try {
    fs.parse(args);
  } catch (e) {
    expect(e).toBeInstanceOf(NotaryError);
    expect((e as NotaryError).code).toBe('USAGE');
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
};

describe('pflag-compatible parsing (cases checked against Go notary 0.7)', () => {
  it('--flag=value, --flag value, -fvalue, -f value, -f=value', () => {
    expect(parse('--trustDir=/a').values['trustDir']).toBe('/a');
    expect(parse('--trustDir', '/b').values['trustDir']).toBe('/b');
    expect(parse('-d/c').values['trustDir']).toBe('/c');
    expect(parse('-d', '/d').values['trustDir']).toBe('/d');
    expect(parse('-d=/e').values['trustDir']).toBe('/e');
  });

  it('defaults are filled in and changed flags tracked', () => {
    const p = parse('x');
    expect(p.values).toMatchObject({
      debug: false,
      trustDir: '',
      roles: [],
      number: [],
      legacy: 0,
      role: 'root',
    });
    expect(p.changed.size).toBe(0);
    expect(parse('--role', 'targets').changed.has('role')).toBe(true);
  });

  it('combined bool shorthands -Dv / -vD, and a value flag at the end of a group', () => {
    expect(parse('-Dv').values).toMatchObject({ debug: true, verbose: true });
    expect(parse('-vD').values).toMatchObject({ debug: true, verbose: true });
    expect(parse('-Dd/x').values).toMatchObject({ debug: true, trustDir: '/x' });
    expect(parse('-Dd', '/y').values).toMatchObject({ debug: true, trustDir: '/y' });
  });

  it('--bool=false, -h=false (`status --help=false g` runs status)', () => {
    expect(parse('--debug=false').values['debug']).toBe(false);
    expect(parse('--debug=1', '--verbose=T').values).toMatchObject({ debug: true, verbose: true });
    expect(parse('-h=false', 'g').values['help']).toBe(false);
    expect(err('--debug=maybe')).toBe(
      'invalid argument "maybe" for "-D, --debug" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    );
  });

  it('a bool flag never consumes the next word', () => {
    expect(parse('--debug', 'false').positionals).toEqual(['false']);
  });

  it('string slices: repeated and CSV-split (quotes as encoding/csv)', () => {
    expect(parse('--roles', 'a,b', '-r', 'c', '-rd,e').values['roles']).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(parse('--roles', 'a,"b,c"').values['roles']).toEqual(['a', 'b,c']);
    expect(parse('--roles=').values['roles']).toEqual([]);
    expect(readAsCsv('"a""b",c')).toEqual(['a"b', 'c']);
    expect(err('--roles', 'a"b')).toBe(
      'invalid argument "a\\"b" for "-r, --roles" flag: parse error on line 1, column 2: bare " in non-quoted field',
    );
  });

  it('int slices (reset -n): comma split, Atoi, repeated', () => {
    expect(parse('-n', '1', '-n', '2,3').values['number']).toEqual([1, 2, 3]);
    expect(err('-n', '1,x')).toBe(
      'invalid argument "1,x" for "-n, --number" flag: strconv.Atoi: parsing "x": invalid syntax',
    );
    expect(err('-n', ' 1')).toBe(
      'invalid argument " 1" for "-n, --number" flag: strconv.Atoi: parsing " 1": invalid syntax',
    );
    expect(err('-n', '0x1')).toBe(
      'invalid argument "0x1" for "-n, --number" flag: strconv.Atoi: parsing "0x1": invalid syntax',
    );
  });

  it('int flags use strconv.ParseInt(s, 0, 64)', () => {
    expect(parse('-l', '0x10').values['legacy']).toBe(16);
    expect(parse('-l', '1_0').values['legacy']).toBe(10);
    expect(parse('-l', '010').values['legacy']).toBe(8);
    expect(parse('-l', '0b11').values['legacy']).toBe(3);
    expect(parse('--legacy=-1').values['legacy']).toBe(-1);
    expect(err('-l', 'abc')).toBe(
      'invalid argument "abc" for "-l, --legacy" flag: strconv.ParseInt: parsing "abc": invalid syntax',
    );
    expect(err('-l', '08')).toBe(
      'invalid argument "08" for "-l, --legacy" flag: strconv.ParseInt: parsing "08": invalid syntax',
    );
    expect(err('-l', '99999999999999999999')).toBe(
      'invalid argument "99999999999999999999" for "-l, --legacy" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
    expect(() => parseGoInt('_1')).toThrow();
    expect(() => parseGoInt('1__0')).toThrow();
    expect(parseGoAtoi('+7')).toBe(7);
  });

  it('unknown flags and missing arguments, with Go texts', () => {
    expect(err('--bogus')).toBe('unknown flag: --bogus');
    expect(err('--bogus=3')).toBe('unknown flag: --bogus');
    expect(err('-x')).toBe("unknown shorthand flag: 'x' in -x");
    expect(err('-Dx')).toBe("unknown shorthand flag: 'x' in -x");
    expect(err('-xD')).toBe("unknown shorthand flag: 'x' in -xD");
    expect(err('--trustDir')).toBe('flag needs an argument: --trustDir');
    expect(err('-d')).toBe("flag needs an argument: 'd' in -d");
    expect(err('-Dd')).toBe("flag needs an argument: 'd' in -d");
    expect(err('---x')).toBe('bad flag syntax: ---x');
    expect(err('--=x')).toBe('bad flag syntax: --=x');
  });

  it('flags anywhere; `-` is positional; `--` ends the flags', () => {
    const p = parse('g', '-D', 't', '--roles', 'a', '-', '--', '-x', '--bogus');
    expect(p.positionals).toEqual(['g', 't', '-', '-x', '--bogus']);
    expect(p.values).toMatchObject({ debug: true, roles: ['a'] });
  });

  it('command word scan skips flag values the way cobra does', () => {
    expect(fs.commandWordIndices(['-d', 'dir', 'key', 'list'])).toEqual([2, 3]);
    expect(fs.commandWordIndices(['-D', 'key'])).toEqual([1]);
    expect(fs.commandWordIndices(['--bogus=3', 'list'])).toEqual([1]);
    // an unknown flag is assumed to take a value
    expect(fs.commandWordIndices(['--bogus', 'list'])).toEqual([]);
    expect(fs.commandWordIndices(['--', 'status'])).toEqual([]);
  });

  it('goQuote matches strconv.Quote for control characters', () => {
    expect(goQuote('a\tb\x01"\\')).toBe('"a\\tb\\x01\\"\\\\"');
    expect(goQuote('é')).toBe('"é"');
  });
});

/**
 * A port of the parts of spf13/pflag (and cobra's command lookup) that notary uses, so that
 * every command line the Go client accepts is accepted here with the same meaning, and every
 * one it rejects is rejected with the same message (`unknown flag: --bogus`,
 * `unknown shorthand flag: 'x' in -x`, `flag needs an argument: ...`,
 * `invalid argument "x" for "-l, --legacy" flag: strconv.ParseInt: ...`).
 */
import { NotaryError } from '../errors.js';
import type { FlagSpec, FlagValue, FlagValues } from './context.js';
import { goQuote, parseInt64, StrconvError } from './go-strconv.js';

export { goQuote } from './go-strconv.js';

/** Go's %q of a single byte/rune: 'x'. */
function goQuoteRune(ch: string): string {
  if (ch === "'") return "'\\''";
  const q = goQuote(ch);
  return `'${q.slice(1, -1).replace(/\\"/g, '"')}'`;
}

class ParseValueError extends Error {}

/** strconv.ParseBool */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new ParseValueError(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** strconv.ParseInt(s, 0, 64) for int flags. */
export function parseGoInt(s: string): number {
  try {
    return Number(parseInt64(s));
  } catch (e) {
    if (e instanceof StrconvError) throw new ParseValueError(e.message);
    throw e;
  }
}

/** strconv.Atoi: base 10, optional sign, no underscores. */
export function parseGoAtoi(s: string): number {
  const m = /^[+-]?[0-9]+$/.exec(s);
  if (!m) throw new ParseValueError(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > INT64_MAX || v < INT64_MIN) {
    throw new ParseValueError(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  }
  return Number(v);
}

/**
 * pflag's readAsCSV: the first record of encoding/csv (`a,"b,c"` → [a, b,c]); '' → [].
 */
export function readAsCsv(val: string): string[] {
  if (val === '') return [];
  const fields: string[] = [];
  let i = 0;
  const line = 1;
  for (;;) {
    let field = '';
    if (val[i] === '"') {
      // quoted field
      const start = i;
      i++;
      for (;;) {
        if (i >= val.length) {
          throw new ParseValueError(
            `parse error on line ${line}, column ${start + 1}: extraneous or missing " in quoted-field`,
          );
        }
        const c = val[i]!;
        if (c === '"') {
          if (val[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < val.length && val[i] !== ',' && val[i] !== '\n' && val[i] !== '\r') {
        throw new ParseValueError(
          `parse error on line ${line}, column ${i + 1}: extraneous or missing " in quoted-field`,
        );
      }
    } else {
      while (i < val.length && val[i] !== ',' && val[i] !== '\n' && val[i] !== '\r') {
        if (val[i] === '"') {
          throw new ParseValueError(
            `parse error on line ${line}, column ${i + 1}: bare " in non-quoted field`,
          );
        }
        field += val[i];
        i++;
      }
    }
    fields.push(field);
    if (i < val.length && val[i] === ',') {
      i++;
      continue;
    }
    // end of record (end of input or a newline: only the first record is read)
    return fields;
  }
}

export interface ParsedFlags {
  /** every flag of the set, with its default when not given */
  values: FlagValues;
  /** names (long) of the flags present on the command line */
  changed: Set<string>;
  positionals: string[];
}

function usageError(message: string, commandPath?: string): NotaryError {
  return new NotaryError('USAGE', message, {
    hint: commandPath
      ? `Run '${commandPath} --help' to see the flags it accepts.`
      : 'Run the command with --help to see its flags.',
  });
}

function defaultOf(spec: FlagSpec): FlagValue {
  switch (spec.type) {
    case 'bool':
      return spec.default === undefined ? false : Boolean(spec.default);
    case 'string':
      return spec.default === undefined ? '' : String(spec.default);
    case 'int':
      return spec.default === undefined ? 0 : Number(spec.default);
    case 'strings':
      return [];
    case 'ints':
      return [];
  }
}

/** Flags that take no value when given bare (pflag's NoOptDefVal): only bools here. */
function takesNoValue(spec: FlagSpec | undefined): boolean {
  return spec?.type === 'bool';
}

/** The set of flags one command accepts (its own, inherited persistent flags, help). */
export class FlagSet {
  private readonly byName = new Map<string, FlagSpec>();
  private readonly byShort = new Map<string, FlagSpec>();

  /** `commandPath` (e.g. `tsnotary key list`) names the command in error hints. */
  constructor(
    readonly specs: readonly FlagSpec[],
    private readonly commandPath?: string,
  ) {
    for (const s of specs) {
      this.byName.set(s.name, s);
      if (s.short) this.byShort.set(s.short, s);
    }
  }

  lookup(name: string): FlagSpec | undefined {
    return this.byName.get(name);
  }

  lookupShort(short: string): FlagSpec | undefined {
    return this.byShort.get(short);
  }

  /** `-n, --number` / `--custom`, as pflag names a flag in errors. */
  static displayName(spec: FlagSpec): string {
    return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
  }

  /** pflag FlagSet.Parse with interspersed flags. */
  parse(args: readonly string[]): ParsedFlags {
    const values: FlagValues = {};
    for (const s of this.specs) values[s.name] = defaultOf(s);
    const changed = new Set<string>();
    const positionals: string[] = [];

    const set = (spec: FlagSpec, value: string): void => {
      try {
        switch (spec.type) {
          case 'bool':
            values[spec.name] = parseGoBool(value);
            break;
          case 'string':
            values[spec.name] = value;
            break;
          case 'int':
            values[spec.name] = parseGoInt(value);
            break;
          case 'strings': {
            const prev = changed.has(spec.name) ? (values[spec.name] as string[]) : [];
            values[spec.name] = [...prev, ...readAsCsv(value)];
            break;
          }
          case 'ints': {
            const prev = changed.has(spec.name) ? (values[spec.name] as number[]) : [];
            const parts = value === '' ? [] : value.split(',');
            values[spec.name] = [...prev, ...parts.map(parseGoAtoi)];
            break;
          }
        }
      } catch (e) {
        if (e instanceof ParseValueError) {
          throw usageError(
            `invalid argument ${goQuote(value)} for ${goQuote(FlagSet.displayName(spec))} flag: ${e.message}`,
            this.commandPath,
          );
        }
        throw e;
      }
      changed.add(spec.name);
    };

    let rest = [...args];
    while (rest.length > 0) {
      const s = rest.shift()!;
      if (s.length === 0 || s[0] !== '-' || s.length === 1) {
        positionals.push(s);
        continue;
      }
      if (s[1] === '-') {
        if (s.length === 2) {
          // "--" terminates the flags
          positionals.push(...rest);
          rest = [];
          break;
        }
        rest = this.parseLong(s, rest, set);
      } else {
        let shorthands = s.slice(1);
        while (shorthands.length > 0) {
          [shorthands, rest] = this.parseSingleShort(shorthands, rest, set);
        }
      }
    }
    return { values, changed, positionals };
  }

  private parseLong(s: string, rest: string[], set: (spec: FlagSpec, v: string) => void): string[] {
    const body = s.slice(2);
    if (body.length === 0 || body[0] === '-' || body[0] === '=') {
      throw usageError(`bad flag syntax: ${s}`, this.commandPath);
    }
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = this.byName.get(name);
    if (!spec) throw usageError(`unknown flag: --${name}`, this.commandPath);
    if (eq >= 0) {
      set(spec, body.slice(eq + 1));
      return rest;
    }
    if (takesNoValue(spec)) {
      set(spec, 'true');
      return rest;
    }
    if (rest.length > 0) {
      set(spec, rest[0]!);
      return rest.slice(1);
    }
    throw usageError(`flag needs an argument: ${s}`, this.commandPath);
  }

  private parseSingleShort(
    shorthands: string,
    rest: string[],
    set: (spec: FlagSpec, v: string) => void,
  ): [string, string[]] {
    const c = shorthands[0]!;
    const spec = this.byShort.get(c);
    if (!spec) {
      throw usageError(`unknown shorthand flag: ${goQuoteRune(c)} in -${shorthands}`, this.commandPath);
    }
    if (shorthands.length > 2 && shorthands[1] === '=') {
      set(spec, shorthands.slice(2));
      return ['', rest];
    }
    if (takesNoValue(spec)) {
      set(spec, 'true');
      return [shorthands.slice(1), rest];
    }
    if (shorthands.length > 1) {
      set(spec, shorthands.slice(1));
      return ['', rest];
    }
    if (rest.length > 0) {
      set(spec, rest[0]!);
      return ['', rest.slice(1)];
    }
    throw usageError(`flag needs an argument: ${goQuoteRune(c)} in -${shorthands}`, this.commandPath);
  }

  /**
   * The positional words cobra sees while looking for the subcommand (stripFlags /
   * argsMinusFirstX): flags are skipped, `--flag value` / `-f value` skip the value unless the
   * flag is a known bool, `--` stops the scan. Returns indices into `args`.
   */
  commandWordIndices(args: readonly string[]): number[] {
    const out: number[] = [];
    for (let i = 0; i < args.length; i++) {
      const s = args[i]!;
      if (s === '--') break;
      if (s.startsWith('--') && !s.includes('=') && !takesNoValue(this.byName.get(s.slice(2)))) {
        i++;
        continue;
      }
      if (s.startsWith('-') && !s.includes('=') && s.length === 2 && !takesNoValue(this.byShort.get(s[1]!))) {
        i++;
        continue;
      }
      if (s !== '' && !s.startsWith('-')) out.push(i);
    }
    return out;
  }
}

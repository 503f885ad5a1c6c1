/**
 * The signing input C of a metadata file, taken from the bytes as received when they already
 * are canonical — which they are for every file Go (or tsnotary) writes — instead of being
 * rebuilt from the parsed tree (docs/decisions.md, "Performance round 2").
 *
 * A file is `{"signed":X,"signatures":S}`. `signedBytesAsReceived` returns X (a view, no copy)
 * only when a byte scanner proves X == canonical(parse(X)):
 *   - the file is valid UTF-8 (otherwise Go decodes bytes to U+FFFD and C differs from X);
 *   - the envelope is exactly `{"signed":` X `,"signatures":` S `}` with S one JSON value, so the
 *     parser's `signed` is X and no duplicate key can replace it;
 *   - X has no whitespace outside strings; strings use no escape but `\"` and `\\` (canonical
 *     JSON writes everything else raw; Go's HTML escapes `\u003c`... fall back);
 *   - object keys hold no backslash and are strictly increasing in byte order (UTF-8 byte order
 *     is Go's sort order; strictly = no duplicates, which the parser would have merged);
 *   - numbers are `0` or `-?[1-9][0-9]{0,14}` (safe integers print the same; `-0`, fractions,
 *     exponents and big numbers fall back);
 *   - literals are `true`, `false`, `null`.
 * Anything else returns undefined and the caller canonicalises the parsed tree (the slow path,
 * which gives the same verdict — tests feed both paths the same tampered, reordered and
 * non-canonical documents).
 */
import { isUtf8 } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const PREFIX = Buffer.from('{"signed":');
const SEPARATOR = Buffer.from(',"signatures":');

/** Thrown inside the scanner when the input is not canonical; never escapes this module. */
const NOT_CANONICAL = -1;

/** Nesting bound: deeper documents take the slow path (no stack overflow here). */
const MAX_DEPTH = 512;

class Scanner {
  constructor(
    readonly b: Buffer,
    readonly end: number,
    /** canonical rules (false: any JSON value, for the signatures part) */
    readonly strict: boolean,
  ) {}

  /** End offset of the value starting at `i`, or NOT_CANONICAL. */
  value(i: number, depth: number): number {
    if (i >= this.end || depth > MAX_DEPTH) return NOT_CANONICAL;
    const c = this.b[i]!;
    if (c === QUOTE) return this.string(i, false);
    if (c === LBRACE) return this.object(i, depth);
    if (c === LBRACKET) return this.array(i, depth);
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number(i);
    return this.literal(i);
  }

  /** End offset (after the closing quote) of the string at `i`. */
  string(i: number, isKey: boolean): number {
    // A plain loop: strings here are short (names, hashes), where native calls cost more.
    const b = this.b;
    const end = this.end;
    for (let p = i + 1; p < end; p++) {
      const c = b[p]!;
      if (c === QUOTE) return p + 1;
      if (c !== BACKSLASH) continue;
      if (this.strict) {
        // Keys never hold an escape on the fast path; values only \" and \\.
        if (isKey) return NOT_CANONICAL;
        const next = b[p + 1];
        if (next !== QUOTE && next !== BACKSLASH) return NOT_CANONICAL;
      }
      p++; // skip the escaped byte
    }
    return NOT_CANONICAL;
  }

  /** Byte order of two key bodies (no escapes in them): negative, 0 or positive. */
  compareKeys(aStart: number, aEnd: number, bStart: number, bEnd: number): number {
    const b = this.b;
    const n = Math.min(aEnd - aStart, bEnd - bStart);
    for (let k = 0; k < n; k++) {
      const d = b[aStart + k]! - b[bStart + k]!;
      if (d !== 0) return d;
    }
    return aEnd - aStart - (bEnd - bStart);
  }

  object(i: number, depth: number): number {
    const b = this.b;
    let p = i + 1;
    if (b[p] === RBRACE) return p + 1;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      if (b[p] !== QUOTE) return NOT_CANONICAL;
      const keyEnd = this.string(p, true);
      if (keyEnd === NOT_CANONICAL) return NOT_CANONICAL;
      // Strictly increasing byte order (compare the key bodies, without quotes).
      if (this.strict && prevStart >= 0 && this.compareKeys(prevStart, prevEnd, p + 1, keyEnd - 1) >= 0) {
        return NOT_CANONICAL;
      }
      prevStart = p + 1;
      prevEnd = keyEnd - 1;
      if (b[keyEnd] !== COLON) return NOT_CANONICAL;
      const valueEnd = this.value(keyEnd + 1, depth + 1);
      if (valueEnd === NOT_CANONICAL) return NOT_CANONICAL;
      const c = b[valueEnd];
      if (c === RBRACE) return valueEnd + 1;
      if (c !== COMMA) return NOT_CANONICAL;
      p = valueEnd + 1;
    }
  }

  array(i: number, depth: number): number {
    const b = this.b;
    let p = i + 1;
    if (b[p] === RBRACKET) return p + 1;
    for (;;) {
      const valueEnd = this.value(p, depth + 1);
      if (valueEnd === NOT_CANONICAL) return NOT_CANONICAL;
      const c = b[valueEnd];
      if (c === RBRACKET) return valueEnd + 1;
      if (c !== COMMA) return NOT_CANONICAL;
      p = valueEnd + 1;
    }
  }

  number(i: number): number {
    const b = this.b;
    let p = i;
    if (b[p] === MINUS) p++;
    const first = p;
    while (p < this.end && b[p]! >= ZERO && b[p]! <= NINE) p++;
    const digits = p - first;
    if (digits === 0) return NOT_CANONICAL;
    if (this.strict) {
      // `0` alone, no leading zeros, no `-0`, at most 15 digits (always a safe integer).
      if (b[first] === ZERO && (digits > 1 || first !== i)) return NOT_CANONICAL;
      if (digits > 15) return NOT_CANONICAL;
      const c = b[p];
      if (c === 0x2e || c === 0x65 || c === 0x45) return NOT_CANONICAL; // . e E
      return p;
    }
    // Lenient: any JSON number.
    while (p < this.end && /[0-9.eE+-]/.test(String.fromCharCode(b[p]!))) p++;
    return p;
  }

  literal(i: number): number {
    for (const word of LITERALS) {
      if (i + word.length <= this.end && this.b.compare(word, 0, word.length, i, i + word.length) === 0) {
        return i + word.length;
      }
    }
    return NOT_CANONICAL;
  }
}

const LITERALS = [Buffer.from('true'), Buffer.from('false'), Buffer.from('null')];

/**
 * X (a view into `bytes`) when the file's `signed` value is already in Go canonical form, so
 * that it is exactly C; undefined when C must be rebuilt from the parsed tree.
 */
export function signedBytesAsReceived(bytes: Buffer): Buffer | undefined {
  const n = bytes.length;
  if (n < PREFIX.length + SEPARATOR.length + 2) return undefined;
  if (bytes.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) return undefined;
  if (bytes[n - 1] !== RBRACE) return undefined;
  const start = PREFIX.length;
  const signedEnd = new Scanner(bytes, n - 1, true).value(start, 0);
  if (signedEnd === NOT_CANONICAL) return undefined;
  if (
    signedEnd + SEPARATOR.length > n - 1 ||
    bytes.compare(SEPARATOR, 0, SEPARATOR.length, signedEnd, signedEnd + SEPARATOR.length) !== 0
  ) {
    return undefined;
  }
  const sigsEnd = new Scanner(bytes, n - 1, false).value(signedEnd + SEPARATOR.length, 0);
  if (sigsEnd !== n - 1) return undefined;
  // Last: valid UTF-8 over the whole file (one native pass).
  if (!isUtf8(bytes)) return undefined;
  return bytes.subarray(start, signedEnd);
}

/**
 * Go `encoding/json` output and input rules needed for changelist files (spec on-disk.md §7).
 *
 * Change files and their payloads are written by Go's `encoding/json` — NOT canonical JSON:
 * struct field order, `<` `>` `&` U+2028 U+2029 escaped as `\u003c`…, control characters as
 * `\n` `\r` `\t` or `\u00XX` (Go 1.19 has no `\b`/`\f` short forms), invalid UTF-8 as `\ufffd`.
 * Raw embedded JSON (`--custom`) is compacted by Go's scanner, whose error texts we reproduce.
 */
import { MAX_JSON_DEPTH } from '../tuf/canonical.js';

const HEX = '0123456789abcdef';

/** A JSON string literal exactly as Go's encoding/json writes it (HTML escaping on). */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      if (cp === 0x22) out += '\\"';
      else if (cp === 0x5c) out += '\\\\';
      else if (cp === 0x0a) out += '\\n';
      else if (cp === 0x0d) out += '\\r';
      else if (cp === 0x09) out += '\\t';
      else if (cp < 0x20 || cp === 0x3c || cp === 0x3e || cp === 0x26)
        out += `\\u00${HEX[cp >> 4]}${HEX[cp & 0xf]}`;
      else out += ch;
    } else if (cp === 0x2028 || cp === 0x2029) {
      out += `\\u202${HEX[cp & 0xf]}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate cannot be UTF-8 encoded; Go writes the replacement character.
      out += '\\ufffd';
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

/** strconv.Quote of `string(rune(c))` in single quotes: how Go's JSON scanner names a byte. */
export function goQuoteByte(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = {
    7: '\\a',
    8: '\\b',
    12: '\\f',
    10: '\\n',
    13: '\\r',
    9: '\\t',
    11: '\\v',
    92: '\\\\',
  };
  const n = named[c];
  if (n !== undefined) return `'${n}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${HEX[c >> 4]}${HEX[c & 0xf]}'`;
  // Latin-1 range: U+0080–U+00A0 and U+00AD are not printable for strconv.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u00${HEX[c >> 4]}${HEX[c & 0xf]}'`;
  return `'${String.fromCodePoint(c)}'`;
}

/** A syntax error with Go's scanner wording (`invalid character 'x' after object key`). */
export class GoJsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'GoJsonSyntaxError';
  }
}

export interface ScanResult {
  /** The input with insignificant whitespace removed and `<>&` U+2028/9 escaped (Go's compact). */
  compact: Buffer;
  /** Source text of every number literal, in order (for checks such as "integers only"). */
  numbers: string[];
  /** For a top-level object: byte span [start, end) of each member value in the input. */
  members: Map<string, { start: number; end: number }>;
}

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && (isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));

/**
 * Validates `src` with the rules (and first-error messages) of Go's encoding/json scanner and
 * returns its compact form. Throws GoJsonSyntaxError.
 */
export function scanGoJson(src: Uint8Array): ScanResult {
  let i = 0;
  const numbers: string[] = [];
  const members = new Map<string, { start: number; end: number }>();

  const fail = (context: string): never => {
    if (i >= src.length) throw new GoJsonSyntaxError('unexpected end of JSON input', i);
    throw new GoJsonSyntaxError(`invalid character ${goQuoteByte(src[i]!)} ${context}`, i);
  };
  const skipSpace = (): void => {
    while (isSpace(src[i])) i++;
  };

  const scanString = (): void => {
    i++; // opening quote
    for (;;) {
      const c = src[i];
      if (c === undefined) fail('in string literal');
      if (c === 0x22) {
        i++;
        return;
      }
      if (c! < 0x20) fail('in string literal');
      if (c === 0x5c) {
        i++;
        const e = src[i];
        if (e === 0x75) {
          i++;
          for (let k = 0; k < 4; k++) {
            if (!isHex(src[i])) fail('in \\u hexadecimal character escape');
            i++;
          }
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(e))) fail('in string escape code');
      }
      i++;
    }
  };

  const scanLiteral = (word: string): void => {
    i++;
    for (let k = 1; k < word.length; k++) {
      if (src[i] !== word.charCodeAt(k)) fail(`in literal ${word} (expecting '${word[k]}')`);
      i++;
    }
  };

  const scanNumber = (): void => {
    const start = i;
    if (src[i] === 0x2d) {
      i++;
      if (!isDigit(src[i])) fail('in numeric literal');
    }
    if (src[i] === 0x30) i++;
    else while (isDigit(src[i])) i++;
    if (src[i] === 0x2e) {
      i++;
      if (!isDigit(src[i])) fail('after decimal point in numeric literal');
      while (isDigit(src[i])) i++;
    }
    if (src[i] === 0x65 || src[i] === 0x45) {
      i++;
      if (src[i] === 0x2b || src[i] === 0x2d) i++;
      if (!isDigit(src[i])) fail('in exponent of numeric literal');
      while (isDigit(src[i])) i++;
    }
    numbers.push(Buffer.from(src.subarray(start, i)).toString('latin1'));
  };

  const scanValue = (depth: number): void => {
    skipSpace();
    const c = src[i];
    if (c === 0x7b) scanObject(depth);
    else if (c === 0x5b) scanArray(depth);
    else if (c === 0x22) scanString();
    else if (c === 0x2d || isDigit(c)) scanNumber();
    else if (c === 0x74) scanLiteral('true');
    else if (c === 0x66) scanLiteral('false');
    else if (c === 0x6e) scanLiteral('null');
    else fail('looking for beginning of value');
  };

  // Go's scanner stops at 10,000 levels with this text; ours stops at the limit the metadata
  // parser uses, before this recursive scanner could overflow the stack.
  const enter = (depth: number): void => {
    if (depth >= MAX_JSON_DEPTH) throw new GoJsonSyntaxError('exceeded max depth', i);
  };

  const scanObject = (depth: number): void => {
    enter(depth);
    i++;
    skipSpace();
    if (src[i] === 0x7d) {
      i++;
      return;
    }
    for (;;) {
      if (src[i] !== 0x22) fail('looking for beginning of object key string');
      const keyStart = i;
      scanString();
      const keyEnd = i;
      skipSpace();
      if (src[i] !== 0x3a) fail('after object key');
      i++;
      skipSpace();
      const valueStart = i;
      scanValue(depth + 1);
      if (depth === 0) {
        const key = JSON.parse(Buffer.from(src.subarray(keyStart, keyEnd)).toString('utf8')) as string;
        members.set(key, { start: valueStart, end: i });
      }
      skipSpace();
      if (src[i] === 0x2c) {
        i++;
        skipSpace();
        continue;
      }
      if (src[i] === 0x7d) {
        i++;
        return;
      }
      fail('after object key:value pair');
    }
  };

  const scanArray = (depth: number): void => {
    enter(depth);
    i++;
    skipSpace();
    if (src[i] === 0x5d) {
      i++;
      return;
    }
    for (;;) {
      scanValue(depth + 1);
      skipSpace();
      if (src[i] === 0x2c) {
        i++;
        continue;
      }
      if (src[i] === 0x5d) {
        i++;
        return;
      }
      fail('after array element');
    }
  };

  scanValue(0);
  skipSpace();
  if (i < src.length) fail('after top-level value');
  return { compact: compactValid(src), numbers, members };
}

/** Go's `compact(dst, src, escape=true)` for input already known to be valid JSON. */
function compactValid(src: Uint8Array): Buffer {
  const out: number[] = [];
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x3c || c === 0x3e || c === 0x26) {
      for (const b of Buffer.from(`\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`, 'latin1')) out.push(b);
      continue;
    }
    if (c === 0xe2 && i + 2 < src.length && src[i + 1] === 0x80 && (src[i + 2]! & ~1) === 0xa8) {
      for (const b of Buffer.from(`\\u202${HEX[src[i + 2]! & 0xf]}`, 'latin1')) out.push(b);
      i += 2;
      continue;
    }
    if (inString) {
      if (c === 0x5c) {
        out.push(c, src[i + 1]!);
        i++;
        continue;
      }
      if (c === 0x22) inString = false;
      out.push(c);
      continue;
    }
    if (isSpace(c)) continue;
    if (c === 0x22) inString = true;
    out.push(c);
  }
  return Buffer.from(out);
}

/**
 * Go's base64.StdEncoding decoding as used by encoding/json for `[]byte`: padding required,
 * CR/LF ignored, any other stray byte is `illegal base64 data at input byte N`.
 */
export function decodeGoBase64(text: string): Buffer {
  const clean = text.replace(/[\r\n]/g, '');
  const m = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.exec(clean);
  if (!m) {
    let bad = 0;
    while (bad < clean.length && /[A-Za-z0-9+/]/.test(clean[bad]!)) bad++;
    // Go reports the offset of the first offending quantum position; close enough for a warning.
    throw new GoJsonSyntaxError(`illegal base64 data at input byte ${bad}`, bad);
  }
  return Buffer.from(clean, 'base64');
}

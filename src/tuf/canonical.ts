/**
 * Go-compatible JSON: the canonical form of github.com/docker/go/canonical/json (what TUF
 * signatures cover, spec tuf.md §2), the HTML-escaped envelope form Go's encoding/json writes
 * into files (tuf.md §1), and a parser that decodes bytes the way Go's decoder does.
 *
 * Every rule here is pinned by fixtures/vectors/canonical. JSON.stringify and RFC 8785 libraries
 * differ from Go (UTF-16 key order, escaped control characters, big integers); JSON.stringify is
 * only used as a guarded fast path (see canonicalString) that tests cross-check against the
 * rule-by-rule canonicalStringReference.
 */
import { isUtf8 } from 'node:buffer';
import { clipForMessage, NotaryError } from '../errors.js';

const INT64_MIN = -(2n ** 63n);
const INT64_LIMIT = 2n ** 63n;

/** Go's shortest %g formatting of a float64 (strconv.FormatFloat(f, 'g', -1, 64)), for error texts. */
export function goFormatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-tripping digits, like Go.
  const [mantissa, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  // strconv 'g' with shortest precision: %e when exp < -4 || exp >= 6 (eprec is fixed at 6).
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function canonicalNumber(n: number): string {
  if (!Number.isFinite(n) || Math.floor(n) !== n) {
    throw new NotaryError('INVALID_INPUT', `json: unsupported value: ${goFormatFloat(n)}`, {
      hint: 'Notary metadata can only hold whole numbers; remove fractions (e.g. 1.5 or 2.0e-1) from the JSON.',
    });
  }
  if (Number.isSafeInteger(n)) return n === 0 ? '0' : String(n); // exact below 2^53 (and -0 → 0)
  const b = BigInt(n);
  // Go converts with int64(f); on amd64 every out-of-range value becomes INT64_MIN (vectors 09, 19).
  return (b >= INT64_LIMIT || b < INT64_MIN ? INT64_MIN : b).toString();
}

const HAS_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replace lone UTF-16 surrogates by U+FFFD, as Go does for `\ud800` escapes. */
function wellFormed(s: string): string {
  return HAS_SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\uFFFD') : s;
}

const NEEDS_WORK = /["\\\uD800-\uDFFF]/;

function canonicalStr(s: string): string {
  // Only " and \ are escaped; control characters, <>&, U+2028/9 and non-ASCII stay raw.
  // Fast path: when JSON.stringify (native) escapes nothing, its output is already canonical.
  const quoted = JSON.stringify(s);
  if (quoted.length === s.length + 2) return quoted;
  if (!NEEDS_WORK.test(s)) return `"${s}"`;
  return `"${wellFormed(s).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Byte-wise UTF-8 order (= code point order), which is what Go's sort.Strings gives. */
export function compareUtf8(a: string, b: string): number {
  // Fast path: UTF-16 order equals code point order unless a surrogate meets U+E000..U+FFFF.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    // A surrogate (astral code point) sorts after any BMP unit.
    return xs ? 1 : -1;
  }
  return a.length - b.length;
}

/** Keys (with lone surrogates already mapped to U+FFFD, as Go decoded them) in Go's order. */
function sortedKeys(o: Record<string, unknown>): string[] {
  const keys = Object.keys(o);
  let astral = false;
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (HAS_SURROGATE.test(k)) astral = true;
    if (i > 0 && sorted && keys[i - 1]! > k) sorted = false;
  }
  // Go's own files come with keys already in order: nothing to do then.
  if (astral) return keys.sort((a, b) => compareUtf8(wellFormed(a), wellFormed(b)));
  // Without surrogates, UTF-16 unit order is code point (= UTF-8 byte) order.
  return sorted ? keys : keys.sort();
}

/** Appends the canonical text of `v` to `out` (one join at the end keeps large files cheap). */
function writeCanonical(v: unknown, out: string[]): void {
  if (v === null) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'number':
      out.push(canonicalNumber(v));
      return;
    case 'string':
      out.push(canonicalStr(v));
      return;
    case 'object': {
      if (Array.isArray(v)) {
        out.push('[');
        for (let i = 0; i < v.length; i++) {
          if (i) out.push(',');
          writeCanonical(v[i], out);
        }
        out.push(']');
        return;
      }
      if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
        throw new NotaryError('INTERNAL', 'canonical JSON: encode byte arrays as base64 strings first');
      }
      const o = v as Record<string, unknown>;
      out.push('{');
      let first = true;
      for (const k of sortedKeys(o)) {
        const value = o[k];
        if (value === undefined) continue; // absent optional field
        out.push(first ? canonicalStr(k) : `,${canonicalStr(k)}`, ':');
        first = false;
        writeCanonical(value, out);
      }
      out.push('}');
      return;
    }
    default:
      throw new NotaryError('INTERNAL', `canonical JSON: unsupported value of type ${typeof v}`);
  }
}

const NOT_FAST = Symbol('not fast');
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * For the fast path: the same tree with every object's keys in canonical order, or NOT_FAST
 * when JSON.stringify could differ from Go for reasons other than string escapes (numbers that
 * are not safe integers, keys V8 would reorder or that hold surrogates, non-plain objects).
 */
function sortedTree(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : NOT_FAST;
  if (typeof v !== 'object') return v === undefined ? v : NOT_FAST;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      if (item === undefined) return NOT_FAST; // JSON.stringify would write null
      const s = sortedTree(item);
      if (s === NOT_FAST) return NOT_FAST;
      if (s !== item) {
        copy ??= v.slice();
        copy[i] = s;
      }
    }
    return copy ?? v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return NOT_FAST;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // V8 lists array-index keys first in numeric order, which we could not rebuild; surrogates
    // sort differently in UTF-8: leave both to the general path.
    if (ARRAY_INDEX.test(k) || HAS_SURROGATE.test(k)) return NOT_FAST;
    if (i > 0 && keys[i - 1]! > k) sorted = false;
  }
  if (!sorted) keys.sort();
  let copy: Record<string, unknown> | undefined = sorted ? undefined : Object.create(null);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const item = o[k];
    const s = sortedTree(item);
    if (s === NOT_FAST) return NOT_FAST;
    if (!copy && s !== item) {
      copy = Object.create(null) as Record<string, unknown>;
      for (let j = 0; j < i; j++) copy[keys[j]!] = o[keys[j]!];
    }
    if (copy) copy[k] = s;
  }
  return copy ?? o;
}

/** Escapes JSON.stringify may produce that Go's canonical form writes raw (or maybe not). */
const STRINGIFY_ESCAPE = /\\[bfnrtu]/;

/** Go canonical JSON text of a JSON value tree (objects, arrays, strings, numbers, booleans, null). */
export function canonicalString(v: unknown): string {
  if (typeof v === 'string') return canonicalStr(v);
  // Fast path: with keys in order and only safe integers, Go's canonical form is exactly
  // JSON.stringify's output unless that escaped a control character or lone surrogate.
  const tree = sortedTree(v);
  if (tree !== NOT_FAST) {
    const text = JSON.stringify(tree);
    if (!STRINGIFY_ESCAPE.test(text)) return text;
  }
  return canonicalStringReference(v);
}

/** The rule-by-rule canonicaliser (tuf.md §2) without the fast path; tests cross-check both. */
export function canonicalStringReference(v: unknown): string {
  const out: string[] = [];
  writeCanonical(v, out);
  return out.join('');
}

export function canonicalBytes(v: unknown): Buffer {
  return Buffer.from(canonicalString(v), 'utf8');
}

/** The five substitutions Go's encoding/json makes when it compacts an embedded raw value. */
export function htmlEscape(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** strconv.Quote-style rendering of one byte inside single quotes, as Go's JSON scanner reports it. */
function goQuoteChar(code: number): string {
  const named: Record<number, string> = {
    7: '\\a',
    8: '\\b',
    9: '\\t',
    10: '\\n',
    11: '\\v',
    12: '\\f',
    13: '\\r',
  };
  return `'${named[code] ?? `\\x${code.toString(16).padStart(2, '0')}`}'`;
}

/**
 * The `signed` value as Go writes it into a metadata file: canonical text with the HTML
 * substitutions. Go cannot embed canonical bytes holding a raw control character (its compactor
 * rejects them) and aborts the publish; we fail the same way rather than write a file Go
 * would never produce.
 */
export function envelopeForm(canonical: string): string {
  // Control characters can only occur inside strings in canonical output.
  const m = /[\u0000-\u001f]/.exec(canonical);
  if (m) {
    throw new NotaryError(
      'INVALID_INPUT',
      `json: error calling MarshalJSON for type *json.RawMessage: invalid character ${goQuoteChar(m[0].charCodeAt(0))} in string literal`,
      {
        hint: 'Target names and custom data must not contain control characters (tab, newline, NUL, ...); Go notary cannot publish them either.',
      },
    );
  }
  return htmlEscape(canonical);
}

/**
 * Decode bytes the way Go does for JSON strings: every byte that does not start a complete,
 * valid UTF-8 sequence becomes one U+FFFD (WHATWG decoders merge maximal subparts instead).
 */
export function decodeGoUtf8(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  let start = 0; // start of the pending valid run
  const flush = (end: number) => {
    if (end > start) out += Buffer.from(bytes.subarray(start, end)).toString('utf8');
  };
  let i = 0;
  while (i < bytes.length) {
    const size = validSequenceLength(bytes, i);
    if (size > 0) {
      i += size;
      continue;
    }
    flush(i);
    out += '\uFFFD';
    i += 1;
    start = i;
  }
  flush(i);
  return out;
}

/** Length of the valid UTF-8 sequence at `i` per Go's utf8.DecodeRune, or 0 if invalid. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c0 = b[i]!;
  if (c0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < b.length && b[j]! >= lo && b[j]! <= hi;
  if (c0 >= 0xc2 && c0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const lo = c0 === 0xe0 ? 0xa0 : 0x80;
    const hi = c0 === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const lo = c0 === 0xf0 ? 0x90 : 0x80;
    const hi = c0 === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** Normalise a JSON.parse result to what Go's decoder yields: no lone surrogates. */
function goNormalise(v: unknown): unknown {
  if (typeof v === 'string') return wellFormed(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = goNormalise(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.every((k) => !HAS_SURROGATE.test(k) || wellFormed(k) === k)) {
    for (const k of keys) o[k] = goNormalise(o[k]);
    return o;
  }
  // Rebuild so that keys that collapse to the same U+FFFD form keep "last one wins".
  const rebuilt: Record<string, unknown> = {};
  for (const k of keys) {
    Object.defineProperty(rebuilt, wellFormed(k), {
      value: goNormalise(o[k]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return rebuilt;
}

/**
 * Deepest nesting of arrays/objects we accept. Go's decoder stops at 10,000; our canonicaliser
 * and readers recurse, and a hostile file nested a few thousand deep would overflow the stack
 * (a RangeError) instead of failing cleanly. Real metadata is nested fewer than 10 levels.
 */
export const MAX_JSON_DEPTH = 1000;

/** MAX_JSON_DEPTH + 1 as soon as valid JSON text nests beyond the limit, else 0. */
function nestingDepth(text: string): number {
  let depth = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i++);
    if (c === 0x22) {
      // Skip the string: find its closing quote (one not preceded by an odd run of backslashes).
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return 0;
        let k = q - 1;
        while (k >= i && text.charCodeAt(k) === 0x5c) k--;
        i = q + 1;
        if ((q - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > MAX_JSON_DEPTH) return depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return 0;
}

/**
 * Parse JSON bytes into a value tree exactly as Go's `json.Unmarshal` into `interface{}` sees
 * them (invalid UTF-8 bytes and lone surrogate escapes become U+FFFD; duplicate keys: last wins).
 * Throws NotaryError INVALID_INPUT on syntax errors and on nesting deeper than MAX_JSON_DEPTH.
 */
export function parseGoJson(input: Uint8Array | string): unknown {
  const text = typeof input === 'string' ? input : decodeGoUtf8(input);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new NotaryError('INVALID_INPUT', `invalid JSON: ${clipForMessage((e as Error).message)}`, {
      cause: e,
    });
  }
  // A document shorter than twice the limit cannot nest beyond it: small inputs skip the scan.
  if (text.length > 2 * MAX_JSON_DEPTH && nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new NotaryError('INVALID_INPUT', `invalid JSON: nested deeper than ${MAX_JSON_DEPTH} levels`, {
      hint: 'Notary metadata and change files are never nested this deeply; the data is damaged or hostile.',
    });
  }
  // The normalising walk is only needed when the text can produce a lone surrogate (a \uD8xx
  // escape, or a raw one in a JS string input). Files written by Go have none, and skipping
  // the walk keeps large targets files fast. (Numbers out of float64 range become Infinity,
  // which typed readers and the canonicaliser reject.)
  if (SURROGATE_ESCAPE.test(text) || (typeof input === 'string' && HAS_SURROGATE.test(text))) {
    return goNormalise(value);
  }
  return value;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Go's strconv functions as notary's CLI uses them (flag values, `addhash` sizes), with Go's
 * exact error texts. One implementation for the flag parser and the handlers.
 */

/** A strconv failure; callers turn it into their own error type. */
export class StrconvError extends Error {}

/** Go's strconv.Quote for the strings that appear in flag errors. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
        else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return `${out}"`;
}

/** Go's underscoreOK: underscores only between digits or after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && /[box]/i.test(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1]!.toLowerCase() === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-f]/i.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** Go's strconv.ParseInt(s, 0, 64): base prefixes 0x/0o/0b/0, underscores, exact error texts. */
export function parseInt64(s0: string): bigint {
  const syntax = () => new StrconvError(`strconv.ParseInt: parsing ${goQuote(s0)}: invalid syntax`);
  const range = () => new StrconvError(`strconv.ParseInt: parsing ${goQuote(s0)}: value out of range`);
  let s = s0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') throw syntax();
  let base = 10n;
  if (s[0] === '0') {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && p === 'x') [base, s] = [16n, s.slice(2)];
    else if (s.length >= 3 && p === 'o') [base, s] = [8n, s.slice(2)];
    else if (s.length >= 3 && p === 'b') [base, s] = [2n, s.slice(2)];
    else [base, s] = [8n, s.slice(1)];
  }
  const maxUint = 2n ** 64n - 1n;
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = /[0-9]/.test(c)
      ? BigInt(c.charCodeAt(0) - 48)
      : /[a-z]/i.test(c)
        ? BigInt(c.toLowerCase().charCodeAt(0) - 87)
        : 99n;
    if (d >= base) throw syntax();
    n = n * base + d;
    if (n > maxUint) throw range();
  }
  if (underscores && !underscoreOK(s0)) throw syntax();
  if (!neg && n >= 2n ** 63n) throw range();
  if (neg && n > 2n ** 63n) throw range();
  return neg ? -n : n;
}

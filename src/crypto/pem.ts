/**
 * Go `encoding/pem` semantics: headers ("Key: value" lines up to the first line without a colon),
 * multiple blocks, garbage between blocks skipped, malformed blocks skipped (Go `continue`s),
 * headers encoded with Proc-Type first and the rest sorted by byte order.
 */
export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '\n-----END ';
const EOL = '-----';

/** Go's getLine: the line up to '\n' with trailing spaces/tabs/CR trimmed, and the rest. */
function getLine(s: string): [string, string] {
  const i = s.indexOf('\n');
  const line = i < 0 ? s : s.slice(0, i);
  const rest = i < 0 ? '' : s.slice(i + 1);
  return [line.replace(/[ \t\r]+$/, ''), rest];
}

function decodeStrictBase64(s: string): Buffer | undefined {
  // Go's StdEncoding is strict: only the alphabet, padding at the end, length multiple of 4.
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/** Decodes the first well-formed PEM block; `block` is undefined when there is none (rest = text). */
export function pemDecodeFirst(text: string): { block: PemBlock | undefined; rest: string } {
  let rest = text;
  for (;;) {
    if (rest.startsWith(BEGIN)) rest = rest.slice(BEGIN.length);
    else {
      const i = rest.indexOf(`\n${BEGIN}`);
      if (i < 0) return { block: undefined, rest: text };
      rest = rest.slice(i + 1 + BEGIN.length);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith(EOL)) continue;
    const type = typeLine.slice(0, -EOL.length);
    // No prototype: a header named `__proto__` is an ordinary header, as in Go's map.
    const headers: Record<string, string> = Object.create(null);
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const c = line.indexOf(':');
      if (c < 0) break;
      headers[line.slice(0, c).trim()] = line.slice(c + 1).trim();
      rest = next;
    }
    if (truncated) return { block: undefined, rest: text };
    let endIndex: number;
    let endTrailerIndex: number;
    if (Object.keys(headers).length === 0 && rest.startsWith(END.slice(1))) {
      endIndex = 0;
      endTrailerIndex = END.length - 1;
    } else {
      endIndex = rest.indexOf(END);
      endTrailerIndex = endIndex + END.length;
    }
    if (endIndex < 0) continue;
    const trailer = rest.slice(endTrailerIndex);
    const trailerLen = type.length + EOL.length;
    if (trailer.length < trailerLen) continue;
    if (trailer.slice(0, trailerLen) !== type + EOL) continue;
    if (getLine(trailer.slice(trailerLen))[0].length !== 0) continue;
    const bytes = decodeStrictBase64(rest.slice(0, endIndex).replace(/[ \t\r\n]/g, ''));
    if (!bytes) continue;
    const after = getLine(rest.slice(endIndex + END.length - 1))[1];
    return { block: { type, headers, bytes }, rest: after };
  }
}

/** Every PEM block in `text`, in order (Go's `for { b, rest = pem.Decode(rest) }` loop). */
export function pemDecodeAll(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  let rest = text;
  for (;;) {
    const r = pemDecodeFirst(rest);
    if (!r.block) return out;
    out.push(r.block);
    rest = r.rest;
  }
}

/** Go `pem.Encode` header order: Proc-Type first, then byte order of the key. */
export function sortedHeaderKeys(headers: Record<string, string>): string[] {
  const keys = Object.keys(headers).filter((k) => k !== 'Proc-Type');
  keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return 'Proc-Type' in headers ? ['Proc-Type', ...keys] : keys;
}

export function pemEncode(block: PemBlock): string {
  let s = `-----BEGIN ${block.type}-----\n`;
  const keys = sortedHeaderKeys(block.headers);
  if (keys.length > 0) {
    for (const k of keys) s += `${k}: ${block.headers[k]}\n`;
    s += '\n';
  }
  const b64 = block.bytes.toString('base64');
  for (let i = 0; i < b64.length; i += 64) s += `${b64.slice(i, i + 64)}\n`;
  return `${s}-----END ${block.type}-----\n`;
}

/** The private key PEM block types notary reads (on-disk.md §3.4). */
export const PRIVATE_KEY_PEM_TYPES = [
  'ENCRYPTED PRIVATE KEY',
  'PRIVATE KEY',
  'EC PRIVATE KEY',
  'RSA PRIVATE KEY',
  'ED25519 PRIVATE KEY',
] as const;

export function isPrivateKeyPemType(type: string): boolean {
  return (PRIVATE_KEY_PEM_TYPES as readonly string[]).includes(type);
}

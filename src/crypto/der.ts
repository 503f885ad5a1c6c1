/**
 * Minimal DER reader/writer: just what PKCS#8, SEC1, SPKI and X.509 need. Hand-rolled because
 * notary's key and certificate shapes must be byte-exact and no ASN.1 library writes them that way.
 */
import { NotaryError } from '../errors.js';

export interface Tlv {
  tag: number;
  /** the contents octets */
  value: Buffer;
  /** the whole encoding (tag + length + value) */
  raw: Buffer;
  /** offset just past this element in the buffer it was read from */
  end: number;
}

function derError(what: string): NotaryError {
  return new NotaryError('KEY_INVALID', `asn1: ${what}`);
}

/** Reads one TLV at `offset`. Only definite lengths (DER) and single-byte tags are supported. */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw derError('data truncated');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw derError('high-tag-number form not supported');
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw derError('unsupported length');
    if (pos + n > buf.length) throw derError('data truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) throw derError('data truncated');
  return { tag, value: buf.subarray(pos, pos + len), raw: buf.subarray(offset, pos + len), end: pos + len };
}

/** The elements inside a constructed TLV (SEQUENCE, SET, context tags). */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < t.value.length) {
    const c = readTlv(t.value, off);
    out.push(c);
    off = c.end;
  }
  return out;
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export function seq(...items: Uint8Array[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

export function set(...items: Uint8Array[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

/** INTEGER from a non-negative number or from big-endian unsigned magnitude bytes. */
export function int(n: number | bigint | Uint8Array): Buffer {
  let bytes: Buffer;
  if (typeof n === 'number' || typeof n === 'bigint') {
    let v = BigInt(n);
    if (v < 0n) throw derError('negative integers not supported');
    const arr: number[] = [];
    do {
      arr.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    bytes = Buffer.from(arr);
  } else {
    bytes = Buffer.from(n);
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    bytes = bytes.subarray(i);
    if (bytes.length === 0) bytes = Buffer.from([0]);
  }
  // Keep it positive: a leading 1 bit would make it negative in two's complement.
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

/** Reads an INTEGER value as a JS number (small values: versions, iteration counts). */
export function intValue(t: Tlv): number {
  if (t.tag !== 0x02) throw derError('expected INTEGER');
  let v = 0;
  for (const b of t.value) v = v * 256 + b;
  return v;
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((p) => BigInt(p));
  if (parts.length < 2) throw derError(`bad OID ${dotted}`);
  const out: number[] = [Number(parts[0]! * 40n + parts[1]!)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** Dotted string of an OID's contents octets (pass `tlv.value`). */
export function oidToString(value: Buffer): string {
  if (value.length === 0) throw derError('empty OID');
  const first = value[0]!;
  const parts: bigint[] = [BigInt(Math.min(2, Math.floor(first / 40))), 0n];
  parts[1] = BigInt(first) - parts[0]! * 40n;
  let acc = 0n;
  for (const b of value.subarray(1)) {
    acc = (acc << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0n;
    }
  }
  return parts.join('.');
}

export function octets(buf: Uint8Array): Buffer {
  return tlv(0x04, buf);
}

/** BIT STRING with no unused bits. */
export function bitString(buf: Uint8Array): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), buf]));
}

export function nullValue(): Buffer {
  return Buffer.from([0x05, 0x00]);
}

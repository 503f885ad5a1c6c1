/**
 * A small POSIX ustar reader and writer for trust-data archives (issue 12). In-house because the
 * need is narrow — regular files, hard links, long names — and a dependency would be larger
 * than this module. Reads what GNU tar, bsdtar and Python's tarfile write for such files (ustar
 * with prefix, GNU `L` long names, pax `path`/`linkpath` records); writes plain ustar, with a pax
 * `path` record only for a name that does not fit ustar's 100+155 split.
 */
import { NotaryError } from '../errors.js';

const BLOCK = 512;

export interface TarFile {
  path: string;
  data: Buffer;
}

/** An entry to write: a regular file, or a hard link to a file written earlier. */
export type TarEntry = { path: string; data: Buffer } | { path: string; linkTo: string };

function bad(why: string, where: string): NotaryError {
  return new NotaryError('METADATA_INVALID', `not a valid tar archive: ${why}`, {
    hint: `${where} is damaged or not a tar file made by \`tsnotary archive\`.`,
  });
}

function cString(buf: Buffer, start: number, len: number): string {
  const field = buf.subarray(start, start + len);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? len : end).toString('utf8');
}

function octal(buf: Buffer, start: number, len: number): number {
  // GNU base-256 for huge sizes: first byte 0x80.
  if ((buf[start] as number) & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + (buf[i] as number);
    return n;
  }
  const text = cString(buf, start, len).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  return octal(header, 148, 8) === sum;
}

/** pax extended header records: `<len> <key>=<value>\n`. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const space = data.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number.parseInt(data.subarray(off, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, off + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    off += len;
  }
  return out;
}

/** Normalises an archive path: no leading `./` or `/`, no trailing `/`. */
export function cleanTarPath(p: string): string {
  return p
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
}

/**
 * Every regular file of the archive (hard links resolved to their target's bytes), keyed by
 * path. `where` names the archive in errors. Directories, symlinks and other types are skipped:
 * a trust-data archive has no use for them.
 */
export function readTar(tar: Buffer, where: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  while (off + BLOCK <= tar.length) {
    const header = tar.subarray(off, off + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumOk(header)) throw bad(`bad header checksum at offset ${off}`, where);
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] as number);
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw bad(`entry at offset ${off} is truncated`, where);
    const data = tar.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === 'K') {
      longLink = cString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'g') continue;
    const magic = header.subarray(257, 263).toString('latin1');
    const prefix = magic.startsWith('ustar') ? cString(header, 345, 155) : '';
    const name = cString(header, 0, 100);
    const path = cleanTarPath(pax?.get('path') ?? longName ?? (prefix !== '' ? `${prefix}/${name}` : name));
    const link = pax?.get('linkpath') ?? longLink ?? cString(header, 157, 100);
    longName = undefined;
    longLink = undefined;
    pax = undefined;
    if (type === '0' || type === '\0' || type === '7') {
      files.set(path, data);
    } else if (type === '1') {
      const target = files.get(cleanTarPath(link));
      if (!target)
        throw bad(`hard link ${path} points to ${link}, which is not earlier in the archive`, where);
      files.set(path, target);
    }
  }
  return files;
}

function writeOctal(buf: Buffer, start: number, len: number, n: number): void {
  buf.write(`${n.toString(8).padStart(len - 1, '0')}\0`, start, len, 'ascii');
}

/** ustar name/prefix split, or undefined when the path does not fit. */
function splitName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return { name, prefix };
  }
  return undefined;
}

function header(opts: { path: string; size: number; type: string; mtime: number; link?: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  const split = splitName(opts.path) ?? { name: opts.path.slice(0, 100), prefix: '' };
  h.write(split.name, 0, 100, 'utf8');
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, opts.size);
  writeOctal(h, 136, 12, opts.mtime);
  h.fill(0x20, 148, 156);
  h.write(opts.type, 156, 1, 'ascii');
  if (opts.link !== undefined) h.write(opts.link, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  h.write(split.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i] as number;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

function paxHeader(records: Record<string, string>, mtime: number): Buffer[] {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rec = ` ${k}=${v}\n`;
    const n = Buffer.byteLength(rec);
    // the length counts its own digits
    let len = n + String(n).length;
    while (n + String(len).length !== len) len = n + String(len).length;
    body += `${len}${rec}`;
  }
  const data = Buffer.from(body, 'utf8');
  return [header({ path: 'PaxHeader', size: data.length, type: 'x', mtime }), data, padding(data.length)];
}

/** The archive as buffers to concatenate or stream, in entry order, with the end marker. */
export function writeTar(entries: readonly TarEntry[], mtime: Date): Buffer[] {
  const secs = Math.floor(mtime.getTime() / 1000);
  const out: Buffer[] = [];
  for (const e of entries) {
    const link = 'linkTo' in e ? e.linkTo : undefined;
    const records: Record<string, string> = {};
    if (!splitName(e.path)) records['path'] = e.path;
    if (link !== undefined && Buffer.byteLength(link) > 100) records['linkpath'] = link;
    if (Object.keys(records).length > 0) out.push(...paxHeader(records, secs));
    if ('data' in e) {
      out.push(header({ path: e.path, size: e.data.length, type: '0', mtime: secs }), e.data);
      out.push(padding(e.data.length));
    } else {
      out.push(header({ path: e.path, size: 0, type: '1', mtime: secs, link: e.linkTo }));
    }
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return out;
}

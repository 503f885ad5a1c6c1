/**
 * Read-only remotes over a trust-data archive (issue 12): `-s file:///path/FILE.tar`,
 * `-s file:///path/dir` (an extracted archive) and a plain web server serving an extracted
 * archive (see ./open.ts for how it is recognised). They serve the files the server served —
 * the archive's layout is the server's own URL space — so the update walk applies exactly the
 * checks it applies to a live server. On top, each file served is checked against the
 * archive's manifest, and every write fails with one clear line.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, NotaryError } from '../errors.js';
import type { TufKey } from '../tuf/types.js';
import {
  type ArchiveManifest,
  checkAgainstManifest,
  MANIFEST_PATH,
  parseManifest,
  roleOfFile,
  tufPath,
} from './archive-manifest.js';
import type { Access, Remote } from './types.js';
import { readTar } from './ustar.js';

/** Go's notary.MaxDownloadSize: no archived file can be larger. */
const MAX_DOWNLOAD_SIZE = 100 << 20;

/** Every write to an archive or a static copy fails with this. */
export function readOnlyError(where: string, gun: string): NotaryError {
  return new NotaryError(
    'UNSUPPORTED',
    `${where} is a read-only copy of trust data (an archive or a static web server): this command writes to the trust server and needs a live notary server`,
    {
      hint: `list, lookup, verify, delegation list and trust inspect work with it; to publish again, move ${gun} to a notary server with \`tsnotary rehost ${gun} --to <server URL> -s ${where}\`.`,
      details: { server: where, gun },
    },
  );
}

/** Fails at once for a command that needs more than reading. */
export function requireReadAccess(access: Access, where: string, gun: string): void {
  if (access !== 'pull') throw readOnlyError(where, gun);
}

/** The read half of a Remote: how a file of the archive's URL space is fetched. */
export interface ArchiveReader {
  /** The file's bytes, or undefined when the archive does not hold it. */
  read(path: string, maxBytes: number): Promise<Buffer | undefined>;
}

function tooLarge(where: string, path: string, maxBytes: number): NotaryError {
  return new NotaryError('BAD_RESPONSE', 'trust server returned a bad response.', {
    hint: `${path} in ${where} is larger than the ${maxBytes} bytes allowed for it.`,
    details: { server: where, path, limit: maxBytes },
  });
}

/**
 * A read-only Remote over `reader`. 404s read like the server's (`<where> does not have trust
 * data for <gun>` for root, `<name> trust data unavailable...` otherwise), so the update walk's
 * fallbacks and messages do not change.
 */
export function archiveRemote(
  where: string,
  gun: string,
  reader: ArchiveReader,
  manifest: ArchiveManifest | undefined,
): Remote & { getMetaVersion(role: string, version: number, maxBytes: number): Promise<Buffer> } {
  const get = async (file: string, name: string, isRoot: boolean, maxBytes: number): Promise<Buffer> => {
    const path = tufPath(gun, file);
    const data = await reader.read(path, maxBytes);
    if (data === undefined) {
      if (manifest?.files[path]) {
        throw new NotaryError(
          'HASH_MISMATCH',
          `${roleOfFile(file)}: ${path} is missing from ${where}, but its manifest.json lists it`,
          {
            hint: 'Files were removed from the archive after it was made; use an intact copy.',
            details: { role: roleOfFile(file), path },
          },
        );
      }
      const other = manifest && manifest.gun !== gun ? ` (it holds ${manifest.gun})` : '';
      if (isRoot) {
        throw new NotaryError('NO_TRUST_DATA', `${where} does not have trust data for ${gun}`, {
          hint: `The archive ${where} has no ${file} for ${gun}${other}.`,
          details: { server: where, gun, path },
        });
      }
      throw new NotaryError(
        'NOT_FOUND',
        `${name} trust data unavailable.  Has a notary repository been initialized?`,
        {
          hint: `The archive ${where} has no ${file} for ${gun}${other}.`,
          details: { server: where, gun, path },
        },
      );
    }
    if (data.length > maxBytes) throw tooLarge(where, path, maxBytes);
    if (manifest) checkAgainstManifest(manifest, path, data, where);
    return data;
  };
  const refuse = (): Promise<never> => Promise.reject(readOnlyError(where, gun));
  return {
    baseUrl: where,
    getMeta: (role, max) => get(`${role}.json`, role, role === 'root', max),
    getMetaByChecksum: (role, hex, max) => get(`${role}.${hex}.json`, `${role}.${hex}`, role === 'root', max),
    getRootVersion: (v, max) => get(`${v}.root.json`, `${v}.root`, true, max),
    getMetaVersion: (role, v, max) => get(`${v}.${role}.json`, `${v}.${role}`, role === 'root', max),
    publish: refuse,
    getKey: refuse as (role: 'timestamp' | 'snapshot') => Promise<TufKey>,
    rotateKey: refuse as (role: 'timestamp' | 'snapshot') => Promise<TufKey>,
    deleteAll: refuse,
  };
}

function unreadable(where: string, e: unknown): NotaryError {
  return new NotaryError('METADATA_INVALID', `could not read the archive ${where}: ${errorMessage(e)}`, {
    hint: 'Give -s file:///absolute/path/FILE.tar (an archive made by `tsnotary archive`) or file:///absolute/path/DIR (one extracted).',
    cause: e,
  });
}

/**
 * Every file the manifest lists, present and matching: damage anywhere (also an older version a
 * read never touches) is reported when the archive is opened, naming the file and role. Trust
 * data is small; a local archive is read in well under the time of one server round trip.
 */
async function checkWholeArchive(
  manifest: ArchiveManifest,
  where: string,
  read: (path: string) => Promise<Buffer | undefined>,
): Promise<void> {
  for (const path of Object.keys(manifest.files)) {
    const data = await read(path);
    if (data === undefined) {
      const role = roleOfFile(path.slice(path.lastIndexOf('/_trust/tuf/') + 12));
      throw new NotaryError(
        'HASH_MISMATCH',
        `${role}: ${path} is missing from ${where}, but its manifest.json lists it`,
        {
          hint: 'Files were removed from the archive after it was made; use an intact copy.',
          details: { role, path },
        },
      );
    }
    checkAgainstManifest(manifest, path, data, where);
  }
}

/** A tar archive, read whole (trust data is small) and checked file by file against its manifest. */
async function tarReader(
  file: string,
  where: string,
): Promise<{ reader: ArchiveReader; manifest?: ArchiveManifest }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw unreadable(where, e);
  }
  const files = readTar(bytes, where);
  const raw = files.get(MANIFEST_PATH);
  const manifest = raw ? parseManifest(raw, where) : undefined;
  if (manifest) {
    await checkWholeArchive(manifest, where, async (path) => files.get(path));
    for (const [path, data] of files) {
      if (path !== MANIFEST_PATH && !manifest.files[path]) checkAgainstManifest(manifest, path, data, where);
    }
  }
  return {
    reader: { read: async (path) => files.get(path) },
    ...(manifest ? { manifest } : {}),
  };
}

/** An extracted archive: files read on demand (at most maxBytes + 1, so a huge file is refused unread). */
function dirReader(dir: string): ArchiveReader {
  return {
    async read(path, maxBytes) {
      const full = join(dir, ...path.split('/'));
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(full, 'r');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
        throw e;
      }
      try {
        const st = await handle.stat();
        if (!st.isFile()) return undefined;
        const size = st.size;
        const buf = Buffer.alloc(Math.min(size, maxBytes + 1));
        let off = 0;
        while (off < buf.length) {
          const { bytesRead } = await handle.read(buf, off, buf.length - off, off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        return buf.subarray(0, off);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Is this `-s` value an archive on disk? */
export function isFileUrl(url: string): boolean {
  return /^file:/i.test(url);
}

/** The remote for `-s file:///...`: a tar file or an extracted archive directory. */
export async function openFileArchive(
  baseUrl: string,
  gun: string,
  access: Access,
): Promise<Remote & { getMetaVersion(role: string, version: number, maxBytes: number): Promise<Buffer> }> {
  let path: string;
  try {
    path = fileURLToPath(baseUrl);
  } catch (e) {
    throw new NotaryError(
      'CONFIG',
      `Could not parse remote trust server url (${baseUrl}): ${errorMessage(e)}`,
      {
        hint: 'An archive is given as file:///absolute/path/FILE.tar or file:///absolute/path/DIR.',
      },
    );
  }
  requireReadAccess(access, baseUrl, gun);
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw unreadable(path, e);
  }
  if (!isDir) {
    const { reader, manifest } = await tarReader(path, path);
    return archiveRemote(path, gun, reader, manifest);
  }
  const reader = dirReader(path);
  const raw = await reader.read(MANIFEST_PATH, 64 << 20);
  const manifest = raw ? parseManifest(raw, path) : undefined;
  if (manifest) await checkWholeArchive(manifest, path, (p) => reader.read(p, MAX_DOWNLOAD_SIZE));
  return archiveRemote(path, gun, reader, manifest);
}

/**
 * The `manifest.json` of a trust-data archive (issue 12): which GUN, from which server, when,
 * and the sha256 and length of every file. It is not signed — TUF signatures protect what
 * matters — but it catches damage to files a read never touches (older versions) and names
 * the file and role that changed.
 */
import { createHash } from 'node:crypto';
import { NotaryError } from '../errors.js';

export const MANIFEST_FORMAT = 'tsnotary-archive/1';
export const MANIFEST_PATH = 'manifest.json';

export interface ManifestFile {
  sha256: string;
  length: number;
}

export interface ArchiveManifest {
  format: typeof MANIFEST_FORMAT;
  gun: string;
  /** The server the data came from (its base URL). */
  server: string;
  /** RFC 3339 UTC time the archive was made. */
  archivedAt: string;
  /** Versions archived per role, for people reading the manifest (and rehost's plan). */
  roles: Record<string, { current: number; versions: number[] }>;
  /** Archive path (`v2/<gun>/_trust/tuf/...`) -> hash and length. */
  files: Record<string, ManifestFile>;
}

/** Where a metadata file of `gun` lives in the archive (and in the server's URL space). */
export function tufPath(gun: string, file: string): string {
  return `v2/${gun}/_trust/tuf/${file}`;
}

/** The role a metadata file name serves: `3.root.json`, `targets.<hex>.json`, `targets/a.json`. */
export function roleOfFile(file: string): string {
  let name = file.replace(/\.json$/, '');
  const version = /^[0-9]+\.(.+)$/.exec(name);
  if (version) name = version[1] as string;
  const checksum = /^(.+)\.[0-9a-fA-F]{64,128}$/.exec(name);
  if (checksum) name = checksum[1] as string;
  return name;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function invalid(where: string, why: string): NotaryError {
  return new NotaryError(
    'METADATA_INVALID',
    `${where}: manifest.json is not a tsnotary archive manifest: ${why}`,
    {
      hint: 'Archives are made by `tsnotary archive GUN -o FILE.tar`; give -s the archive file, its extracted directory or the URL that serves it.',
    },
  );
}

export function parseManifest(bytes: Buffer, where: string): ArchiveManifest {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalid(where, e instanceof Error ? e.message : String(e));
  }
  if (typeof v !== 'object' || v === null) throw invalid(where, 'not an object');
  const m = v as Record<string, unknown>;
  if (m['format'] !== MANIFEST_FORMAT) throw invalid(where, `format is ${JSON.stringify(m['format'])}`);
  if (typeof m['gun'] !== 'string' || typeof m['server'] !== 'string' || typeof m['archivedAt'] !== 'string')
    throw invalid(where, 'gun, server or archivedAt missing');
  const files = m['files'];
  if (typeof files !== 'object' || files === null) throw invalid(where, 'files missing');
  for (const [path, f] of Object.entries(files as Record<string, unknown>)) {
    const e = f as Record<string, unknown> | null;
    if (!e || typeof e['sha256'] !== 'string' || typeof e['length'] !== 'number')
      throw invalid(where, `entry ${path} has no sha256/length`);
  }
  const roles = typeof m['roles'] === 'object' && m['roles'] !== null ? m['roles'] : {};
  return { ...(m as unknown as ArchiveManifest), roles: roles as ArchiveManifest['roles'] };
}

/**
 * Checks one served file against the manifest. A file the manifest does not list, or whose
 * bytes differ, is refused naming the file and its role.
 */
export function checkAgainstManifest(
  manifest: ArchiveManifest,
  path: string,
  data: Buffer,
  where: string,
): void {
  const entry = manifest.files[path];
  const file = path.slice(path.lastIndexOf('/_trust/tuf/') + '/_trust/tuf/'.length);
  const role = roleOfFile(file);
  if (!entry) {
    throw new NotaryError(
      'HASH_MISMATCH',
      `${role}: ${path} in ${where} is not listed in its manifest.json`,
      {
        hint: 'Files were added to the archive after it was made; use an intact copy.',
        details: { role, path },
      },
    );
  }
  const got = sha256Hex(data);
  if (got !== entry.sha256 || data.length !== entry.length) {
    throw new NotaryError(
      'HASH_MISMATCH',
      `${role}: ${path} in ${where} does not match its manifest.json (sha256 ${got}, ${data.length} bytes; manifest sha256 ${entry.sha256}, ${entry.length} bytes)`,
      {
        hint: 'The archive was changed or damaged after it was made; use an intact copy.',
        details: { role, path },
      },
    );
  }
}

/** File helpers for private data: atomic writes (temp in the same dir + rename), 0600/0700. */
import { type Dirent, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic as writeAtomic } from '../atomic-file.js';
import { goPathErrorText, NotaryError } from '../errors.js';

export async function ensurePrivateDir(dir: string): Promise<void> {
  // Existing directories are not chmod-ed (Go does not either). Synchronous, like listFiles:
  // key directories are small, and fs/promises alone costs `key list` measurable start-up.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes `data` to `path` atomically with mode 0600 (see ../atomic-file.ts), with Go's error
 * wording. `createDir: false` for user-chosen output paths (Go does not create their
 * directories); `displayPath` is the path as the user wrote it, for the error message.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { createDir?: boolean; displayPath?: string } = {},
): Promise<void> {
  try {
    if (opts.createDir === false && !existsSync(dirname(path))) {
      throw Object.assign(new Error('no such file or directory'), { code: 'ENOENT' });
    }
    await writeAtomic(path, data);
  } catch (e) {
    // Go's wording: `open <path>: <reason>`
    throw new NotaryError('IO', goPathErrorText(opts.displayPath ?? path, e, 'open'), { cause: e });
  }
}

/** Relative paths (with `/`) of regular files under `root` ending in `ext`, in Go's lexical walk order. */
export async function listFiles(root: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), r);
      else if (e.isFile() && e.name.endsWith(ext)) out.push(r);
    }
  }
  await walk(root, '');
  return out;
}

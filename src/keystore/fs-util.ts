/** File helpers for private data: atomic writes (temp in the same dir + rename), 0600/0700. */
import { randomBytes } from 'node:crypto';
import { type Dirent, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NotaryError } from '../errors.js';

export async function ensurePrivateDir(dir: string): Promise<void> {
  // Existing directories are not chmod-ed (Go does not either).
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes `data` to `path` atomically with mode 0600: a crash leaves the old or the new file.
 * `createDir: false` for user-chosen output paths (Go does not create their directories);
 * `displayPath` is the path as the user wrote it, for the error message.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { createDir?: boolean; displayPath?: string } = {},
): Promise<void> {
  const dir = dirname(path);
  if (opts.createDir ?? true) await ensurePrivateDir(dir);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : e instanceof Error
              ? e.message
              : String(e);
    // Go's wording: `open <path>: <reason>`
    throw new NotaryError('IO', `open ${opts.displayPath ?? path}: ${why}`, { cause: e });
  }
}

/** Relative paths (with `/`) of regular files under `root` ending in `ext`, in Go's lexical walk order. */
export async function listFiles(root: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
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

/**
 * Migration of the notary ≤0.3 key layouts (`private/root_keys`, `private/tuf_keys`) to
 * `private/<id>.key`, exactly as Go 0.7 does on every open (on-disk.md §4.6).
 */
import { promises as fs, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { pemDecodeFirst, pemEncode } from '../crypto/pem.js';
import type { Logger } from '../log.js';
import { listFiles, writeFileAtomic } from './fs-util.js';

const LEGACY_DIRS = ['root_keys', 'tuf_keys'];

/** Synchronous: every key command asks, and fs/promises costs start-up (see fs-util.ts). */
async function exists(p: string): Promise<boolean> {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Migrates legacy keys under `privateDir`; returns the IDs written. */
export async function migrateLegacyKeys(privateDir: string, log: Logger): Promise<string[]> {
  const written: string[] = [];
  for (const sub of LEGACY_DIRS) {
    const subDir = join(privateDir, sub);
    if (!(await exists(subDir))) continue;
    let failed = false;
    for (const rel of await listFiles(subDir, '.key')) {
      const file = `${sub}/${rel.slice(0, -'.key'.length)}`;
      const text = await fs.readFile(join(privateDir, `${file}.key`), 'utf8');
      const { block } = pemDecodeFirst(text);
      if (!block) {
        // Go logs this and then deletes the directory anyway; we keep it so nothing is lost.
        log.warn(
          `Key data for ${file} could not be decoded as a valid PEM block. The key will not been migrated and may not be available`,
        );
        failed = true;
        continue;
      }
      const slash = file.lastIndexOf('/');
      let keyId = file.slice(slash + 1);
      let dir = file.slice(0, slash);
      if (dir.startsWith('root_keys')) dir = dir.slice('root_keys'.length);
      if (dir.startsWith('tuf_keys')) dir = dir.slice('tuf_keys'.length);
      if (dir !== '') block.headers['gun'] = dir.slice(1);
      if (keyId.includes('_')) {
        // Go: role = second `_`-separated field; the ID loses the `_<role>` suffix
        const role = keyId.split('_')[1] ?? '';
        if (keyId.endsWith(`_${role}`)) keyId = keyId.slice(0, -(role.length + 1));
        block.headers['role'] = role;
      }
      await writeFileAtomic(join(privateDir, `${keyId}.key`), pemEncode(block));
      written.push(keyId);
    }
    if (failed) {
      log.warn(`legacy key directory ${subDir} kept because some keys could not be migrated`);
      continue;
    }
    await fs.rm(subDir, { recursive: true, force: true });
  }
  // Go removes it on every open; asking first keeps fs/promises off the common path (nothing there)
  const certs = join(privateDir, 'trusted_certificates');
  if (await exists(certs)) await fs.rm(certs, { recursive: true, force: true });
  return written;
}

/**
 * `key list`: its own module so that listing keys loads no key decoding or crypto code (the
 * handlers in key.ts import key generation and encryption statically).
 */
import { KeyManagerImpl, sortKeyInfos } from '../../api/keys.js';
import type { KeyInfo } from '../../keystore/types.js';
import type { CommandContext, FlagValues } from '../context.js';
import { wantsJson, writeJson } from '../output-json.js';
import { renderTable } from '../tabwriter.js';
import { cliEngine } from '../wiring-repo.js';
import { usageError } from './common.js';

const MAX_GUN_WIDTH = 25;
const MAX_LOC_WIDTH = 40;

/**
 * Go's truncateWithEllipsis(str, max, leftTruncate=true). Go counts and cuts **bytes** (verified:
 * a non-ASCII GUN is cut inside a character); we cut at the same byte and show each orphaned
 * continuation byte as U+FFFD, so the output stays valid UTF-8 and aligns exactly like Go's.
 */
export function truncateLeft(s: string, max: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= max) return s;
  let tail = bytes.subarray(bytes.length - (max - 3));
  let orphans = 0;
  while (orphans < tail.length && (tail[orphans]! & 0xc0) === 0x80) orphans++;
  tail = tail.subarray(orphans);
  return `...${'\uFFFD'.repeat(orphans)}${tail.toString('utf8')}`;
}

/** Go's keyInfoSorter (the library's, so `key list` and `client.keys.list()` agree). */
export { sortKeyInfos };

/** The `key list` text exactly as Go prints it (including the surrounding blank lines). */
export function formatKeyList(keys: KeyInfo[]): string {
  if (keys.length === 0) return '\nNo signing keys found.\n\n';
  const rows = sortKeyInfos(keys).map((k) => [
    k.role,
    truncateLeft(k.gun, MAX_GUN_WIDTH),
    k.keyId,
    truncateLeft(k.location, MAX_LOC_WIDTH),
  ]);
  return `\n${renderTable(['ROLE', 'GUN', 'KEY ID', 'LOCATION'], rows)}\n`;
}

export async function keyList(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  if (args.length > 0) throw usageError('');
  const keys = await new KeyManagerImpl(await cliEngine(ctx, { hardwareBackup: false })).list();
  if (wantsJson(ctx)) {
    // An object, not a bare array, so fields can be added later (docs/json-output.md). Values are
    // never truncated, unlike the table's GUN and LOCATION columns.
    writeJson(ctx, {
      keys: sortKeyInfos(keys).map((k) => ({
        role: k.role,
        gun: k.gun,
        keyId: k.keyId,
        location: k.location,
      })),
    });
    return;
  }
  ctx.stdout.write(formatKeyList(keys));
}

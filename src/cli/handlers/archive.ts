/**
 * `archive GUN -o FILE.tar` (issue 12): the update walk as `list` runs it, then the rest of
 * what the server holds (src/repo/archive.ts), written atomically. Progress goes to stderr.
 */
import { resolve } from 'node:path';
import { type ArchiveProgress, collectArchive, writeArchive } from '../../repo/archive.js';
import { MetadataCache } from '../../repo/cache.js';
import { validateGun } from '../../repo/gun.js';
import { updateRepo } from '../../repo/update.js';
import { cacheFor, warnExpiredAsOf } from '../as-of.js';
import type { CommandContext, FlagValues } from '../context.js';
import { wantsJson, writeJson } from '../output-json.js';
import { openRemote } from '../wiring-repo.js';
import { stringFlag, usageError } from './common.js';

/** Progress lines on stderr: at most two a second, and the end of each phase. */
function progressPrinter(ctx: CommandContext, gun: string): (p: ArchiveProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < 500) return;
    last = now;
    ctx.stderr.write(`archiving ${gun}: ${p.phase} ${p.done}/${p.total}\n`);
  };
}

export async function archive(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = args[0] as string;
  const output = stringFlag(flags, 'output');
  if (output === '') throw usageError('Must specify the archive file to write with -o/--output');
  validateGun(gun);
  const settings = await ctx.settings();
  const remote = await openRemote(ctx, settings, gun, 'pull');
  const state = await updateRepo({
    gun,
    remote,
    cache: cacheFor(ctx, new MetadataCache(settings.trustDir, gun)),
    clock: ctx.clock,
    log: ctx.log,
    pinning: settings.trustPinning,
    trustDir: settings.trustDir,
    scope: { kind: 'all' },
  });
  warnExpiredAsOf(ctx, state);
  const collected = await collectArchive({
    gun,
    remote,
    state,
    log: ctx.log,
    progress: progressPrinter(ctx, gun),
  });
  const out = resolve(ctx.cwd, output);
  const { manifest, bytes } = await writeArchive({
    gun,
    server: remote.baseUrl,
    out,
    // the archive's time is the real time, also with --as-of
    clock: () => new Date(),
    collected,
  });
  const count = Object.keys(manifest.files).length;
  if (wantsJson(ctx)) {
    writeJson(ctx, {
      gun,
      server: manifest.server,
      archive: out,
      archivedAt: manifest.archivedAt,
      files: count,
      bytes,
      roles: manifest.roles,
    });
    return;
  }
  ctx.stderr.write(`archived ${gun} from ${manifest.server}: ${count} files, ${bytes} bytes, to ${out}\n`);
}

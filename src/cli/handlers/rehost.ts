/**
 * `rehost GUN --to URL [--yes]` (issue 12): move a GUN from the server given with -s (or an
 * archive of it) to another notary-server. Dry run by default: the plan is shown, nothing changes.
 * The workflow and its safety checks are in src/repo/rehost.ts.
 */
import { MetadataCache } from '../../repo/cache.js';
import { validateGun } from '../../repo/gun.js';
import { rehost as runRehost } from '../../repo/rehost.js';
import { validateServerUrl } from '../config.js';
import type { CommandContext, FlagValues } from '../context.js';
import { wantsJson, writeJson } from '../output-json.js';
import { openCryptoService } from '../wiring.js';
import { openRemote } from '../wiring-repo.js';
import { stringFlag, usageError } from './common.js';

export async function rehost(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) throw usageError('Must specify a GUN');
  const gun = args[0] as string;
  const to = stringFlag(flags, 'to');
  if (to === '') throw usageError('Must specify the notary server to move the GUN to with --to');
  validateGun(gun);
  validateServerUrl(to);
  const apply = flags['yes'] === true;
  const settings = await ctx.settings();
  const json = wantsJson(ctx);
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    if (!json) ctx.stdout.write(`${line}\n`);
  };
  say(`rehost signs new root versions of ${gun}: it needs the root key (key file or hardware token).`);
  const keys = await openCryptoService(ctx, settings);
  const source = await openRemote(ctx, settings, gun, 'pull');
  const target = await openRemote(ctx, { ...settings, serverUrl: to }, gun, 'push');
  const result = await runRehost(
    {
      gun,
      source,
      target,
      cache: new MetadataCache(settings.trustDir, gun),
      signers: keys,
      keyLocations: keys.stores.map((s) => s.location),
      pinning: settings.trustPinning,
      trustDir: settings.trustDir,
      clock: ctx.clock,
      log: ctx.log,
      say,
    },
    to,
    apply,
  );
  if (json)
    writeJson(ctx, {
      gun,
      from: source.baseUrl,
      to,
      applied: result.applied,
      uploads: result.uploads,
      plan: lines,
    });
}

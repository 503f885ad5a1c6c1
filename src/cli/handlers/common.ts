/**
 * Small helpers shared by the command handlers: Go-style usage errors, flag value access, the
 * changelist of a GUN and the `-p` auto-publish step.
 */
import { NotaryError } from '../../errors.js';
import type { Changelist } from '../../repo/changelist.js';
import type { CommandContext, FlagValues } from '../context.js';

/** An argument error; Go prints the command's usage first unless `showUsage` is false. */
export function usageError(message: string, showUsage = true): NotaryError {
  return new NotaryError('USAGE', message, { showUsage });
}

/** A string-slice flag (repeated and/or comma-separated), [] when absent. */
export function stringsFlag(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  if (v === undefined || typeof v === 'boolean') return [];
  if (Array.isArray(v)) return v.map(String);
  return String(v)
    .split(',')
    .filter((s) => s !== '');
}

/** A string flag, '' when absent. */
export function stringFlag(flags: FlagValues, name: string): string {
  const v = flags[name];
  return typeof v === 'string' ? v : '';
}

/** The changelist of `gun`, through the library's repository handle (the same engine). */
export async function changelistFor(ctx: CommandContext, gun: string): Promise<Changelist> {
  const { cliRepository } = await import('../wiring-repo.js');
  return (await cliRepository(ctx, gun)).changelist;
}

/** `-p`: publish everything staged (Go's maybeAutoPublish). */
export async function maybePublish(ctx: CommandContext, flags: FlagValues, gun: string): Promise<void> {
  if (flags['publish'] !== true) return;
  ctx.stdout.write(`Auto-publishing changes to ${gun}\n`);
  const { publishRepo } = await import('./publish.js');
  await publishRepo(ctx, gun);
}

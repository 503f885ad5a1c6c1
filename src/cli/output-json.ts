/**
 * `--format json` (beyond Go): handlers that support it print one JSON document on stdout
 * instead of the table. Keys are stable and documented in docs/cli.md.
 */
import type { CommandContext } from './context.js';

export function wantsJson(ctx: Pick<CommandContext, 'globals'>): boolean {
  return ctx.globals.output === 'json';
}

/** Writes `value` as pretty JSON followed by a newline. */
export function writeJson(ctx: Pick<CommandContext, 'stdout'>, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

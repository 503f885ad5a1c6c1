/**
 * `delegation` commands (spec cli.md §6). `delegationList` is online (runs the TUF update);
 * add/remove/purge stage changes (issue 4).
 */

import type { Delegation } from '../../api/options.js';
import { errorMessage, NotaryError } from '../../errors.js';
import { compareUtf8 } from '../../tuf/canonical.js';
import type { CommandContext, FlagValues } from '../context.js';
import { wantsJson, writeJson } from '../output-json.js';
import { renderTable } from '../tabwriter.js';
import { cliRepository } from '../wiring-repo.js';

/** Go's prettyPaths: sorted, `""` shown as `"" <all paths>`. */
function prettyPaths(paths: readonly string[]): string[] {
  return [...paths].sort(compareUtf8).map((p) => (p === '' ? '"" <all paths>' : p));
}

/** Go's prettyPrintRoles for delegations (without the surrounding blank lines). */
export function formatDelegationList(roles: readonly Delegation[]): string {
  if (roles.length === 0) return '\nNo delegations present in this repository.\n\n';
  const sorted = [...roles].sort((a, b) => compareUtf8(a.name, b.name));
  const rows: string[][] = [];
  for (const r of sorted) {
    const pp = prettyPaths(r.paths);
    rows.push([r.name, pp[0] ?? '', r.keyIds[0] ?? '', String(r.threshold)]);
    // Continuation rows: one path and one key per row, in parallel.
    const extra = Math.max(pp.length, r.keyIds.length);
    for (let i = 1; i < extra; i++) rows.push(['', pp[i] ?? '', r.keyIds[i] ?? '', '']);
  }
  return renderTable(['ROLE', 'PATHS', 'KEY IDS', 'THRESHOLD'], rows);
}

/** `delegation list GUN` */
export async function delegationList(ctx: CommandContext, args: string[], _flags: FlagValues): Promise<void> {
  if (args.length !== 1) {
    throw new NotaryError('USAGE', 'Please provide a Global Unique Name as an argument to list', {
      showUsage: true,
    });
  }
  const gun = args[0] as string;
  let roles: Delegation[];
  try {
    roles = await (await cliRepository(ctx, gun)).listDelegations();
  } catch (e) {
    const message = `Error retrieving delegation roles for repository ${gun}: ${errorMessage(e)}`;
    if (e instanceof NotaryError) {
      throw new NotaryError(e.code, message, {
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
        ...(e.details !== undefined ? { details: e.details } : {}),
        cause: e.cause ?? e,
        exitCode: e.exitCode,
      });
    }
    throw new NotaryError('INTERNAL', message, { cause: e });
  }
  if (wantsJson(ctx)) {
    // the library's Delegation list: sorted by name, paths sorted
    writeJson(ctx, { gun, delegations: roles });
    return;
  }
  ctx.stdout.write(`\n${formatDelegationList(roles)}\n`);
}

export { delegationAdd, delegationPurge, delegationRemove } from './delegation-stage.js';

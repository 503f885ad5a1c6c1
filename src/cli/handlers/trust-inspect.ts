/**
 * `trust inspect [--pretty] IMAGE[:TAG]...`: docker's JSON (byte for byte) or its tables. A
 * repository that cannot be read is docker's "no signatures or cannot access R"; the hint says
 * why (no trust data on the server, TLS, network...).
 */
import { errorMessage, isNotaryError, type NotaryError } from '../../errors.js';
import type { CommandContext, FlagValues } from '../context.js';
import {
  asDockerError,
  dockerError,
  dockerizeHint,
  openTrustRepo,
  parseRef,
  trustNotaryError,
} from './trust-common.js';
import { inspectJson, inspectJsonValue, prettyTrustInfo, type TrustInfo, trustInfo } from './trust-info.js';

/** Why a repository could not be read, as one sentence for the hint. */
export function causeHint(e: unknown): string {
  if (!isNotaryError(e)) return errorMessage(e);
  return e.hint ? `${e.message}: ${dockerizeHint(e.hint)}` : e.message;
}

/** docker's lookupTrustInfo for one argument. */
export async function lookupTrustInfo(ctx: CommandContext, remote: string): Promise<TrustInfo> {
  const ref = parseRef(remote);
  let tr: Awaited<ReturnType<typeof openTrustRepo>>;
  try {
    tr = await openTrustRepo(ctx, ref, 'pull');
  } catch (e) {
    throw trustNotaryError(ref.name, e);
  }
  let state: Awaited<ReturnType<typeof tr.repo.update>>;
  try {
    state = await tr.repo.update();
  } catch (e) {
    ctx.log.debug(`reading trust data of ${ref.name}: ${errorMessage(e)}`);
    throw dockerError(isNotaryError(e) ? e.code : 'INTERNAL', `no signatures or cannot access ${remote}`, {
      hint: causeHint(e),
      cause: e,
      exitCode: 1,
    });
  }
  return trustInfo(state, ref.tag);
}

export async function trustInspect(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  if (args.length < 1) {
    throw dockerError('USAGE', '"tsnotary trust inspect" requires at least 1 argument.', {
      hint: "See 'tsnotary trust inspect --help'.",
    });
  }
  if (flags['pretty'] === true) {
    for (let i = 0; i < args.length; i++) {
      const remote = args[i]!;
      ctx.stdout.write(prettyTrustInfo(remote, await lookupTrustInfo(ctx, remote)));
      if (i < args.length - 1) ctx.stdout.write('\n\n');
    }
    return;
  }
  const values: unknown[] = [];
  const errors: NotaryError[] = [];
  for (const remote of args) {
    try {
      values.push(inspectJsonValue(remote, await lookupTrustInfo(ctx, remote)));
    } catch (e) {
      errors.push(asDockerError(e));
    }
  }
  ctx.stdout.write(inspectJson(values));
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) {
    throw dockerError(errors[0]!.code, errors.map((e) => e.message).join('\n'), {
      hint: errors
        .map((e) => e.hint ?? '')
        .filter((h) => h !== '')
        .join('; '),
      exitCode: 1,
    });
  }
}

/**
 * Lazy handler loading: a command's handler module is imported only when that command runs,
 * so start-up (`version`, `--help`) never pays for the crypto, network or key store code.
 */
import { NotaryError } from '../../errors.js';
import type { CommandContext, CommandSpec, FlagValues } from '../context.js';

type Handler = (ctx: CommandContext, args: string[], flags: FlagValues) => Promise<void>;
type RunFn = NonNullable<CommandSpec['run']>;

function isMissingModule(e: unknown, file: string): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return (
    err !== null &&
    typeof err === 'object' &&
    err.code === 'ERR_MODULE_NOT_FOUND' &&
    typeof err.message === 'string' &&
    err.message.includes(file)
  );
}

/**
 * `run` for a command implemented by `fn` in `modulePath` (relative to this directory, e.g.
 * `../handlers/key.js`). The path is a variable so the compiler does not require the module
 * to exist while it is being written; a missing module or function is reported as a clear
 * UNSUPPORTED error instead of a crash.
 */
export function lazyHandler(modulePath: string, fn: string): RunFn {
  return async (ctx, args, flags) => {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(modulePath)) as Record<string, unknown>;
    } catch (e) {
      const file = modulePath.slice(modulePath.lastIndexOf('/') + 1);
      if (isMissingModule(e, file)) {
        throw new NotaryError('UNSUPPORTED', 'command not yet implemented', {
          hint: `This build of tsnotary has no ${file} handler module.`,
          cause: e,
        });
      }
      throw e;
    }
    const handler = mod[fn];
    if (typeof handler !== 'function') {
      throw new NotaryError('UNSUPPORTED', 'command not yet implemented', {
        hint: `${modulePath} does not export ${fn}.`,
      });
    }
    return (handler as Handler)(ctx, args, flags);
  };
}

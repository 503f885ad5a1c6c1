/**
 * Lazy handler loading: a command's handler module is imported only when that command runs,
 * so start-up (`version`, `--help`) never pays for the crypto, network or key store code.
 * The loader is a literal `import()` so the compiler checks that the handler exists and the
 * bundler can put each handler group in its own chunk.
 */
import type { CommandContext, CommandSpec, FlagValues } from '../context.js';

type Handler = (ctx: CommandContext, args: string[], flags: FlagValues) => Promise<void>;
type RunFn = NonNullable<CommandSpec['run']>;

/** `run` for a command implemented by `fn` of the module that `load` imports. */
export function lazyHandler<K extends string, M extends Record<K, Handler>>(
  load: () => Promise<M>,
  fn: K,
): RunFn {
  return async (ctx, args, flags) => (await load())[fn](ctx, args, flags);
}

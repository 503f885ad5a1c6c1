import { describe, expect, it } from 'vitest';
import { lazyHandler } from '../../../src/cli/commands/lazy.js';
import type { CommandContext } from '../../../src/cli/context.js';
import { NotaryError } from '../../../src/errors.js';

const ctx = {} as CommandContext;

describe('lazyHandler', () => {
  it('a missing handler module is a clear UNSUPPORTED error', async () => {
    const run = lazyHandler('../handlers/does-not-exist.js', 'x');
    const err = await run(ctx, [], {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotaryError);
    expect((err as NotaryError).code).toBe('UNSUPPORTED');
    expect((err as NotaryError).message).toBe('command not yet implemented');
  });

  it('a module without the function is UNSUPPORTED too', async () => {
    const run = lazyHandler('../handlers/misc.js', 'noSuchFunction');
    await expect(run(ctx, [], {})).rejects.toThrow('command not yet implemented');
  });

  it('calls the named function with the context, arguments and flags', async () => {
    let out = '';
    const run = lazyHandler('../handlers/misc.js', 'completion');
    await run({ stdout: { write: (t: string) => (out += t) } } as unknown as CommandContext, ['bash'], {});
    expect(out).toContain('complete -o default -F _tsnotary tsnotary');
  });
});

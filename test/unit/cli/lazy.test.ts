import { describe, expect, it } from 'vitest';
import { lazyHandler } from '../../../src/cli/commands/lazy.js';
import type { CommandContext } from '../../../src/cli/context.js';

describe('lazyHandler', () => {
  it('imports the module only when the command runs, then calls the named function', async () => {
    let loads = 0;
    let out = '';
    const run = lazyHandler(async () => {
      loads++;
      return import('../../../src/cli/handlers/misc.js');
    }, 'completion');
    expect(loads).toBe(0);
    const ctx = {
      stdout: {
        write: (t: string) => {
          out += t;
        },
      },
    } as unknown as CommandContext;
    await run(ctx, ['bash'], {});
    expect(loads).toBe(1);
    expect(out).toContain('complete -o default -F _tsnotary tsnotary');
  });
});

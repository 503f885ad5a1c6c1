import type { CommandContext, FlagValues } from '../context.js';
export async function trustSign(_ctx: CommandContext, _args: string[], _flags: FlagValues): Promise<void> {}
export async function trustRevoke(_ctx: CommandContext, _args: string[], _flags: FlagValues): Promise<void> {}

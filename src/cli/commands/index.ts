/** The whole command tree (cobra's root command of notary). */

/** The program name printed in command paths, help and completion scripts. */
export const PROGRAM_NAME = 'tsnotary';

import type { CliCommandSpec } from '../help.js';
import { archiveCommands } from './archive.js';
import { delegationCommand } from './delegation.js';
import { keyCommand } from './key.js';
import { completionCommand, helpCommand, versionCommand } from './misc.js';
import { repoCommands } from './repo.js';
import { globalFlags } from './shared-flags.js';
import { trustCommand } from './trust.js';

export function rootCommand(prog: string): CliCommandSpec {
  return {
    name: prog,
    short: '',
    long: 'Notary allows the creation and management of collections of signed targets, allowing the signing and validation of arbitrary content.',
    persistentFlags: globalFlags,
    flags: [{ name: 'version', type: 'bool', usage: 'Print the version number of notary' }],
    // bare `notary` prints its usage (main.ts)
    run: async () => {},
    subcommands: [
      ...repoCommands,
      ...archiveCommands,
      keyCommand,
      delegationCommand,
      trustCommand,
      versionCommand,
      completionCommand(prog),
      helpCommand(prog),
    ],
  };
}

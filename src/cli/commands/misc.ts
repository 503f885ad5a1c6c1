/** `version`, `completion` and `help` (cobra's built-ins, with their texts). */
import type { CliCommandSpec } from '../help.js';
import { lazyHandler } from './lazy.js';

const MISC = () => import('../handlers/misc.js');

export const versionCommand: CliCommandSpec = {
  name: 'version',
  short: 'Print the version number of notary',
  long: 'Print the version number of notary',
  run: lazyHandler(MISC, 'version'),
};

/** cobra's `help [command]`; main.ts implements it (it needs the command tree). */
export function helpCommand(prog: string): CliCommandSpec {
  return {
    name: 'help',
    use: '[command]',
    short: 'Help about any command',
    long: `Help provides help for any command in the application.\nSimply type ${prog} help [path to command] for full details.`,
    // replaced by main.ts; present so the command counts as runnable in help texts
    run: async () => {},
  };
}

const noDescriptions = {
  name: 'no-descriptions',
  type: 'bool' as const,
  usage: 'disable completion descriptions',
};

function shellCommand(shell: string, long: string, disableFlagsInUseLine = false): CliCommandSpec {
  const run = lazyHandler(MISC, 'completion');
  return {
    name: shell,
    short: `Generate the autocompletion script for ${shell}`,
    long,
    flags: [noDescriptions],
    noArgs: true,
    disableFlagsInUseLine,
    run: (ctx, args, flags) => run(ctx, [shell, ...args], flags),
  };
}

/** cobra's `completion` command with the texts of cobra 1.6 (what notary 0.7's Debian build has). */
export function completionCommand(prog: string): CliCommandSpec {
  return {
    name: 'completion',
    short: 'Generate the autocompletion script for the specified shell',
    long: `Generate the autocompletion script for ${prog} for the specified shell.\nSee each sub-command's help for details on how to use the generated script.\n`,
    subcommands: [
      shellCommand(
        'bash',
        `Generate the autocompletion script for the bash shell.

This script depends on the 'bash-completion' package.
If it is not installed already, you can install it via your OS's package manager.

To load completions in your current shell session:

\tsource <(${prog} completion bash)

To load completions for every new session, execute once:

#### Linux:

\t${prog} completion bash > /etc/bash_completion.d/${prog}

#### macOS:

\t${prog} completion bash > $(brew --prefix)/etc/bash_completion.d/${prog}

You will need to start a new shell for this setup to take effect.
`,
        true,
      ),
      shellCommand(
        'fish',
        `Generate the autocompletion script for the fish shell.

To load completions in your current shell session:

\t${prog} completion fish | source

To load completions for every new session, execute once:

\t${prog} completion fish > ~/.config/fish/completions/${prog}.fish

You will need to start a new shell for this setup to take effect.
`,
      ),
      shellCommand(
        'powershell',
        `Generate the autocompletion script for powershell.

To load completions in your current shell session:

\t${prog} completion powershell | Out-String | Invoke-Expression

To load completions for every new session, add the output of the above command
to your powershell profile.
`,
      ),
      shellCommand(
        'zsh',
        `Generate the autocompletion script for the zsh shell.

If shell completion is not already enabled in your environment you will need
to enable it.  You can execute the following once:

\techo "autoload -U compinit; compinit" >> ~/.zshrc

To load completions in your current shell session:

\tsource <(${prog} completion zsh); compdef _${prog} ${prog}

To load completions for every new session, execute once:

#### Linux:

\t${prog} completion zsh > "\${fpath[1]}/_${prog}"

#### macOS:

\t${prog} completion zsh > $(brew --prefix)/share/zsh/site-functions/_${prog}

You will need to start a new shell for this setup to take effect.
`,
      ),
    ],
  };
}

import type { Logger } from '../log.js';
import type { Settings } from '../repo/settings.js';
import type { Clock } from '../tuf/types.js';

/** Global flags as parsed (before config resolution). */
export interface GlobalOptions {
  configFile?: string;
  trustDir?: string;
  server?: string;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  debug: boolean;
  verbose: boolean;
  /** `--format json` (beyond Go; global, long-only, hidden in help: docs/cli.md) */
  output: 'table' | 'json';
  /** `--as-of TIME` (beyond Go, hidden; src/cli/as-of.ts): judge data as of this past time. */
  asOf?: Date;
}

/** Terminal interaction. The only implementation reads the real TTY (src/cli/prompt.ts). */
export interface Prompter {
  /** stdin is a terminal */
  readonly interactive: boolean;
  /** Prints `prompt` on stdout and reads a line without echo. Rejects when not interactive. */
  readHidden(prompt: string): Promise<string>;
  /** Prints `prompt` on stdout and reads one line (echoed); works on pipes too. '' on EOF. */
  readLine(prompt: string): Promise<string>;
}

export interface Output {
  write(text: string): void;
}

export interface CommandContext {
  stdout: Output;
  stderr: Output;
  /** raw stdin, for `verify` payloads */
  stdin: NodeJS.ReadableStream;
  /** The descriptor behind `stdin` when it is the process's own (absent when a test injects one). */
  stdinFd?: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  globals: GlobalOptions;
  /** Resolved settings; loads the config file on first call (offline commands may not need it). */
  settings(): Promise<Settings>;
  prompter: Prompter;
  log: Logger;
  clock: Clock;
}

/** `ints` = pflag IntSlice (`reset -n 1,2`), comma-split, repeatable. */
export type FlagType = 'bool' | 'string' | 'strings' | 'int' | 'ints';

export interface FlagSpec {
  /** long name without dashes, e.g. `roles` */
  name: string;
  /** one-letter short form without dash, e.g. `r` */
  short?: string;
  type: FlagType;
  /** help text, verbatim from Go (spec/cli-help.txt) */
  usage: string;
  /** default shown in help (Go prints `(default "x")` / `(default 0)` when non-zero) */
  default?: string | number | boolean;
  hidden?: boolean;
}

export type FlagValue = boolean | string | string[] | number | number[] | undefined;
export type FlagValues = Record<string, FlagValue>;

export interface CommandSpec {
  name: string;
  /** Go's `Use` line minus the command path, e.g. `[ GUN ] <target> <file>` */
  use?: string;
  short: string;
  /** Long description printed by --help (verbatim from Go) */
  long?: string;
  flags?: FlagSpec[];
  subcommands?: CommandSpec[];
  /**
   * Runs the command. Heavy modules must be imported inside (await import) so start-up stays
   * fast. Throw NotaryError on failure; return normally for exit 0.
   */
  run?: (ctx: CommandContext, args: string[], flags: FlagValues) => Promise<void>;
}

/**
 * argv → command → exit code, the way cobra runs notary: find the (sub)command, parse its
 * flags (pflag rules), `--help`, `--version`, group commands print their help, then run the
 * handler. Every error is rendered once, by render-error.ts. Imports are limited to what
 * parsing needs; handlers load lazily (see commands/lazy.ts).
 */
import { writeSync } from 'node:fs';
import { NotaryError } from '../errors.js';
import { PROGRAM_NAME, rootCommand } from './commands/index.js';
import type { CommandContext, GlobalOptions, Output, Prompter } from './context.js';
import { FlagSet, type ParsedFlags } from './flags.js';
import {
  allFlags,
  buildTree,
  type CommandNode,
  commandPath,
  helpFlag,
  helpText,
  isRunnable,
  usageText,
} from './help.js';
import { createLogger, levelFor } from './logger.js';
import type { TtyInput } from './prompt.js';

export interface MainIo {
  stdout: Output;
  stderr: Output;
  stdin: TtyInput;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stderr is a terminal (logger format) */
  stderrIsTty: boolean;
  /** name shown in command paths; tests use `notary` to compare help with Go's byte for byte */
  programName: string;
}

/**
 * The process's streams, created on first use: touching `process.stdin`/`stderr` builds stream
 * objects (and loads the stream, net and tty modules), which most commands never need. Output
 * goes straight to the file descriptor (see writeFd).
 */
function defaultIo(overrides: Partial<MainIo>): MainIo {
  const io = {
    stdout: { write: (t: string) => writeFd(1, t, () => process.stdout) },
    stderr: { write: (t: string) => writeFd(2, t, () => process.stderr) },
    env: process.env,
    cwd: process.cwd(),
    programName: PROGRAM_NAME,
  } as MainIo;
  if (!('stdin' in overrides))
    Object.defineProperty(io, 'stdin', { get: () => process.stdin, enumerable: true });
  if (!('stderrIsTty' in overrides)) {
    Object.defineProperty(io, 'stderrIsTty', { get: () => process.stderr.isTTY === true, enumerable: true });
  }
  for (const [k, v] of Object.entries(overrides))
    Object.defineProperty(io, k, { value: v, enumerable: true });
  return io;
}

/** Set once a synchronous write could not be completed: from then on the stream writes, in order. */
const useStream = new Set<number>();

/**
 * Writes `text` to fd 1 or 2 synchronously (what process.stdout/stderr do for files, and for
 * pipes on Linux), without creating the stream. A would-block (a non-blocking descriptor
 * inherited from the parent) or any other error hands the rest to the Node stream, which then
 * behaves exactly as before (EPIPE included).
 */
function writeFd(fd: 1 | 2, text: string, stream: () => NodeJS.WriteStream): void {
  if (text === '') return;
  if (!useStream.has(fd)) {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      return;
    } catch {
      useStream.add(fd);
      stream().write(buf.subarray(off));
      return;
    }
  }
  stream().write(text);
}

/** Flags known while looking for the subcommand: cobra adds the help flag only later. */
function findFlags(node: CommandNode): FlagSet {
  const help = helpFlag(node).name;
  return new FlagSet(allFlags(node).filter((f) => f.name !== help));
}

/** Damerau-free Levenshtein, case-insensitive (cobra's ld(..., true)). */
function levenshtein(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
    }
  }
  return d[a.length]![b.length]!;
}

function suggestions(node: CommandNode, typed: string): string {
  const found = node.children
    .filter((c) => !c.spec.hidden && c.name !== 'help')
    .filter((c) => levenshtein(typed, c.name) <= 2 || c.name.toLowerCase().startsWith(typed.toLowerCase()))
    .map((c) => c.name);
  if (found.length === 0) return '';
  return `\n\nDid you mean this?\n${found.map((n) => `\t${n}\n`).join('')}`;
}

function unknownCommand(typed: string, node: CommandNode, withSuggestions: boolean): NotaryError {
  return new NotaryError(
    'USAGE',
    `unknown command ${JSON.stringify(typed)} for ${JSON.stringify(commandPath(node))}${withSuggestions ? suggestions(node, typed) : ''}`,
    { hint: `Run '${commandPath(node)} --help' for usage.` },
  );
}

export interface Found {
  node: CommandNode;
  /** argv without the words naming the command */
  args: string[];
}

/** cobra's Command.Find (with legacyArgs for the root command). */
export function findCommand(root: CommandNode, argv: readonly string[]): Found {
  let node = root;
  let args = [...argv];
  for (;;) {
    const words = findFlags(node).commandWordIndices(args);
    if (words.length === 0) break;
    const idx = words[0]!;
    const child = node.children.find((c) => c.name === args[idx]);
    if (!child) break;
    args = [...args.slice(0, idx), ...args.slice(idx + 1)];
    node = child;
  }
  if (!node.parent && node.children.length > 0) {
    const words = findFlags(node).commandWordIndices(args);
    if (words.length > 0) throw unknownCommand(args[words[0]!]!, node, true);
  }
  return { node, args };
}

function globalsFrom(values: ParsedFlags['values']): GlobalOptions {
  const str = (k: string) => {
    const v = values[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const format = str('format');
  if (format !== undefined && format !== 'json' && format !== 'table') {
    throw new NotaryError(
      'USAGE',
      `invalid argument ${JSON.stringify(format)} for "--format" flag: use json or table`,
    );
  }
  const g: GlobalOptions = {
    debug: values['debug'] === true,
    verbose: values['verbose'] === true,
    output: format === 'json' ? 'json' : 'table',
  };
  const configFile = str('configFile');
  const trustDir = str('trustDir');
  const server = str('server');
  const tlscacert = str('tlscacert');
  const tlscert = str('tlscert');
  const tlskey = str('tlskey');
  if (configFile) g.configFile = configFile;
  if (trustDir) g.trustDir = trustDir;
  if (server) g.server = server;
  if (tlscacert) g.tlscacert = tlscacert;
  if (tlscert) g.tlscert = tlscert;
  if (tlskey) g.tlskey = tlskey;
  return g;
}

/** `--format json` seen anywhere, so that even flag errors are rendered as JSON. */
function jsonRequested(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return false;
    if (argv[i] === '--format=json') return true;
    if (argv[i] === '--format' && argv[i + 1] === 'json') return true;
  }
  return false;
}

function debugRequested(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--debug' || a === '--debug=true' || /^-[A-Za-z]*D[A-Za-z]*$/.test(a));
}

/** cobra's help command: `help [command...]`. */
function runHelp(root: CommandNode, args: string[], out: Output): void {
  let target: CommandNode | undefined;
  try {
    target = findCommand(root, args).node;
  } catch {
    target = undefined;
  }
  if (!target) {
    out.write(`Unknown help topic [${args.map((a) => `\`${a}\``).join(' ')}]\n`);
    out.write(usageText(root, false));
    return;
  }
  out.write(helpText(target));
}

/** The TTY prompter, loaded on first use (most commands never prompt). */
function lazyPrompter(stdin: () => TtyInput, stdout: Output): Prompter {
  let real: Promise<Prompter> | undefined;
  const get = () => {
    real ??= import('./prompt.js').then((m) => m.createPrompter(stdin(), stdout));
    return real;
  };
  return {
    get interactive() {
      return stdin().isTTY === true;
    },
    readHidden: async (prompt) => (await get()).readHidden(prompt),
    readLine: async (prompt) => (await get()).readLine(prompt),
  };
}

export async function main(argv: string[], ioOverrides: Partial<MainIo> = {}): Promise<number> {
  const io = defaultIo(ioOverrides);
  const root = buildTree(rootCommand(io.programName), io.programName);
  let node: CommandNode = root;
  let json = jsonRequested(argv);
  let debug = debugRequested(argv);
  try {
    const found = findCommand(root, argv);
    node = found.node;
    const parsed = new FlagSet(allFlags(node), commandPath(node)).parse(found.args);
    const globals = globalsFrom(parsed.values);
    json = globals.output === 'json';
    debug = globals.debug;

    if (parsed.values['help'] === true) {
      io.stdout.write(helpText(node));
      return 0;
    }
    if (!node.parent && parsed.values['version'] === true) {
      const { versionLine } = await import('./handlers/misc.js');
      io.stdout.write(versionLine());
      return 0;
    }
    if (!isRunnable(node)) {
      // group commands (key, delegation, completion) print their help, exit 0, like cobra
      io.stdout.write(helpText(node));
      return 0;
    }
    if (node.spec.noArgs && parsed.positionals.length > 0) {
      throw unknownCommand(parsed.positionals[0]!, node, false);
    }
    if (!node.parent) {
      // bare `tsnotary`
      io.stdout.write(usageText(node));
      return 0;
    }
    if (node.name === 'help' && node.parent === root) {
      runHelp(root, parsed.positionals, io.stdout);
      return 0;
    }

    const asOfText = typeof parsed.values['as-of'] === 'string' ? parsed.values['as-of'] : '';
    if (asOfText !== '') {
      const { AS_OF_COMMANDS, asOfRefused, parseAsOf } = await import('./as-of.js');
      const command = commandPath(node).split(' ').slice(1).join(' ');
      if (!AS_OF_COMMANDS.has(command)) throw asOfRefused(command);
      globals.asOf = parseAsOf(asOfText, new Date());
    }
    const asOf = globals.asOf;

    const log = createLogger({
      level: levelFor(globals.debug, globals.verbose),
      out: io.stderr,
      // asked only when something is logged: it builds process.stderr (stream and tty modules)
      get tty() {
        return io.stderrIsTty;
      },
    });
    let settings: ReturnType<CommandContext['settings']> | undefined;
    // unset $HOME is reported by resolveSettings (Go's two warnings)
    const home = io.env['HOME'];
    const ctx: CommandContext = {
      stdout: io.stdout,
      stderr: io.stderr,
      get stdin() {
        return io.stdin;
      },
      ...('stdin' in ioOverrides ? {} : { stdinFd: 0 }),
      env: io.env,
      cwd: io.cwd,
      globals,
      settings: () => {
        settings ??= import('./config.js').then((m) => m.resolveSettings(globals, io.env, io.cwd, home, log));
        return settings;
      },
      prompter: lazyPrompter(() => io.stdin, io.stdout),
      log,
      clock: asOf ? () => new Date(asOf.getTime()) : () => new Date(),
    };
    await node.spec.run!(ctx, parsed.positionals, parsed.values);
    return 0;
  } catch (err) {
    const { renderError } = await import('./render-error.js');
    const code = renderError(err, {
      stdout: io.stdout,
      stderr: io.stderr,
      debug,
      json,
      usage: usageText(node),
    });
    return goExitCodes(io.env) && code !== 0 ? 1 : code;
  }
}

/**
 * `TSNOTARY_GO_EXIT_CODES=1`: every failure exits 1, as Go notary does, for scripts that compare
 * the exit status with 1 instead of testing for non-zero (docs/exit-codes.md).
 */
function goExitCodes(env: NodeJS.ProcessEnv): boolean {
  const v = (env['TSNOTARY_GO_EXIT_CODES'] ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

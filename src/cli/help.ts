/**
 * Cobra's help and usage layout (its default templates and pflag's FlagUsages), rendered from
 * the command tree so `tsnotary <cmd> --help` matches `notary <cmd> --help` byte for byte apart
 * from the program name in command paths.
 */
import type { CommandSpec, FlagSpec } from './context.js';

/** Extra cobra properties notary's own command table does not need. */
export interface CliCommandSpec extends CommandSpec {
  subcommands?: CliCommandSpec[];
  hidden?: boolean;
  /** cobra.NoArgs: extra positionals → `unknown command "x" for "<path>"` */
  noArgs?: boolean;
  /** cobra's DisableFlagsInUseLine (completion bash) */
  disableFlagsInUseLine?: boolean;
  /** flags inherited by every subcommand (root only) */
  persistentFlags?: FlagSpec[];
}

export interface CommandNode {
  spec: CliCommandSpec;
  parent: CommandNode | undefined;
  children: CommandNode[];
  /** the name of the root (program name) or of the subcommand */
  name: string;
}

export function buildTree(root: CliCommandSpec, programName: string): CommandNode {
  const make = (spec: CliCommandSpec, parent: CommandNode | undefined): CommandNode => {
    const node: CommandNode = { spec, parent, children: [], name: parent ? spec.name : programName };
    node.children = (spec.subcommands ?? []).map((s) => make(s, node));
    return node;
  };
  return make(root, undefined);
}

export function rootOf(node: CommandNode): CommandNode {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}

export function commandPath(node: CommandNode): string {
  return node.parent ? `${commandPath(node.parent)} ${node.name}` : node.name;
}

export function isRunnable(node: CommandNode): boolean {
  return node.spec.run !== undefined;
}

export function helpFlag(node: CommandNode): FlagSpec {
  return { name: 'help', short: 'h', type: 'bool', usage: `help for ${node.name}` };
}

/** Flags defined on this command (own + own persistent + help), as cobra's LocalFlags. */
export function localFlags(node: CommandNode): FlagSpec[] {
  return [...(node.spec.persistentFlags ?? []), ...(node.spec.flags ?? []), helpFlag(node)];
}

/** Persistent flags of the ancestors. */
export function inheritedFlags(node: CommandNode): FlagSpec[] {
  const out: FlagSpec[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(...(p.spec.persistentFlags ?? []));
  return out;
}

/** Every flag the command accepts, help included. */
export function allFlags(node: CommandNode): FlagSpec[] {
  return [...localFlags(node), ...inheritedFlags(node)];
}

/** pflag's UnquoteUsage: a back-quoted word in the usage names the value, else the type. */
function unquoteUsage(flag: FlagSpec): { varname: string; usage: string } {
  const u = flag.usage;
  const start = u.indexOf('`');
  if (start >= 0) {
    const end = u.indexOf('`', start + 1);
    if (end >= 0) {
      return {
        varname: u.slice(start + 1, end),
        usage: u.slice(0, start) + u.slice(start + 1, end) + u.slice(end + 1),
      };
    }
  }
  const varname = { bool: '', string: 'string', strings: 'strings', int: 'int', ints: 'ints' }[flag.type];
  return { varname, usage: u };
}

function defaultSuffix(flag: FlagSpec): string {
  const d = flag.default;
  if (d === undefined) return '';
  switch (flag.type) {
    case 'bool':
      return d === true ? ' (default true)' : '';
    case 'string':
      return d === '' ? '' : ` (default "${String(d)}")`;
    case 'int':
      return d === 0 ? '' : ` (default ${String(d)})`;
    default:
      return '';
  }
}

/** pflag FlagSet.FlagUsages (sorted, aligned), with cobra's trimTrailingWhitespaces. */
export function flagUsages(flags: readonly FlagSpec[]): string {
  const visible = flags
    .filter((f) => !f.hidden)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines: string[] = [];
  let maxlen = 0;
  for (const f of visible) {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const { varname, usage } = unquoteUsage(f);
    if (varname) line += ` ${varname}`;
    line += '\x00';
    if (line.length > maxlen) maxlen = line.length;
    line += usage + defaultSuffix(f);
    lines.push(line);
  }
  let out = '';
  for (const line of lines) {
    const sidx = line.indexOf('\x00');
    out += `${line.slice(0, sidx)} ${' '.repeat(maxlen - sidx)} ${line.slice(sidx + 1)}\n`;
  }
  return out.replace(/\s+$/, '');
}

function useLine(node: CommandNode): string {
  const parentPath = node.parent ? `${commandPath(node.parent)} ` : '';
  const use = node.spec.use ? `${node.name} ${node.spec.use}` : node.name;
  let line = parentPath + use;
  if (!node.spec.disableFlagsInUseLine && !line.includes('[flags]')) line += ' [flags]';
  return line;
}

function availableChildren(node: CommandNode): CommandNode[] {
  return node.children
    .filter((c) => !c.spec.hidden)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * cobra's default usage template. `withHelpFlag: false` is the root's usage printed by
 * `help <unknown topic>`, where cobra has not yet added the help flag.
 */
export function usageText(node: CommandNode, withHelpFlag = true): string {
  const children = availableChildren(node);
  let out = 'Usage:';
  if (isRunnable(node)) out += `\n  ${useLine(node)}`;
  if (children.length > 0) out += `\n  ${commandPath(node)} [command]`;
  if (children.length > 0) {
    const pad = Math.max(11, ...node.children.map((c) => c.name.length));
    out += '\n\nAvailable Commands:';
    for (const c of children) out += `\n  ${c.name.padEnd(pad)} ${c.spec.short}`;
  }
  const local = localFlags(node).filter((f) => !f.hidden && (withHelpFlag || f.name !== 'help'));
  if (local.length > 0) out += `\n\nFlags:\n${flagUsages(local)}`;
  const inherited = inheritedFlags(node).filter((f) => !f.hidden);
  if (inherited.length > 0) out += `\n\nGlobal Flags:\n${flagUsages(inherited)}`;
  if (children.length > 0) {
    out += `\n\nUse "${commandPath(node)} [command] --help" for more information about a command.`;
  }
  return `${out}\n`;
}

/** cobra's default help template: long (or short) description, a blank line, the usage. */
export function helpText(node: CommandNode): string {
  const desc = (node.spec.long ?? node.spec.short).replace(/\s+$/, '');
  let out = desc ? `${desc}\n\n` : '';
  if (isRunnable(node) || node.children.length > 0) out += usageText(node);
  return out;
}

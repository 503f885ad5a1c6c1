/** `version` and `completion` (bash, zsh, fish, powershell scripts built from the command tree). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotaryError } from '../../errors.js';
import { PROGRAM_NAME, rootCommand } from '../commands/index.js';
import type { CommandContext, FlagValues } from '../context.js';
import { allFlags, buildTree, type CommandNode, commandPath } from '../help.js';

/**
 * Version and commit built into the single-file binary (scripts/build-binary.mjs defines them);
 * undefined in the npm package, which reads its package.json instead.
 */
declare const __TSNOTARY_VERSION__: string | undefined;
declare const __TSNOTARY_COMMIT__: string | undefined;
const builtVersion = typeof __TSNOTARY_VERSION__ === 'string' ? __TSNOTARY_VERSION__ : undefined;
const builtCommit = typeof __TSNOTARY_COMMIT__ === 'string' ? __TSNOTARY_COMMIT__ : undefined;

/** The directory holding tsnotary's package.json, whether running from dist/ or the bundle. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dir;
    dir = parent;
  }
}

export interface VersionInfo {
  version: string;
  gitCommit: string;
  nodeVersion: string;
}

function readGitCommit(): string {
  try {
    const gitDir = join(packageRoot(), '.git');
    if (!existsSync(gitDir)) return '';
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 7);
    const ref = head.slice(5);
    const refFile = join(gitDir, ref);
    if (existsSync(refFile)) return readFileSync(refFile, 'utf8').trim().slice(0, 7);
    const packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line ? line.slice(0, 7) : '';
  } catch {
    return '';
  }
}

export function versionInfo(): VersionInfo {
  if (builtVersion !== undefined) {
    return { version: builtVersion, gitCommit: builtCommit ?? '', nodeVersion: process.version };
  }
  let version = '';
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
    version = pkg.version ?? '';
  } catch {
    // a repackaged install without package.json still runs
  }
  return { version, gitCommit: readGitCommit(), nodeVersion: process.version };
}

/** `--version` on the root command, Go's one-line layout. */
export function versionLine(): string {
  const v = versionInfo();
  return `${PROGRAM_NAME} Version: ${v.version}, Git commit: ${v.gitCommit}, Node version: ${v.nodeVersion}\n`;
}

export async function version(ctx: CommandContext, _args: string[], _flags: FlagValues): Promise<void> {
  const v = versionInfo();
  if (ctx.globals.output === 'json') {
    ctx.stdout.write(`${JSON.stringify({ name: PROGRAM_NAME, ...v }, null, 2)}\n`);
    return;
  }
  ctx.stdout.write(
    `${PROGRAM_NAME}\n Version:    ${v.version}\n Git commit: ${v.gitCommit}\n Node version: ${v.nodeVersion}\n`,
  );
}

interface CompletionEntry {
  /** command path below the program name, '' for the root */
  path: string;
  subs: { name: string; short: string }[];
  flags: { long: string; short?: string; value: boolean; usage: string }[];
}

/** The command tree flattened for the shell scripts (hidden commands and flags left out). */
export function completionTable(): CompletionEntry[] {
  const tree = buildTree(rootCommand(PROGRAM_NAME), PROGRAM_NAME);
  const out: CompletionEntry[] = [];
  const walk = (node: CommandNode) => {
    const path = commandPath(node).split(' ').slice(1).join(' ');
    out.push({
      path,
      subs: node.children.filter((c) => !c.spec.hidden).map((c) => ({ name: c.name, short: c.spec.short })),
      flags: allFlags(node)
        .filter((f) => !f.hidden)
        .map((f) => ({ long: f.name, short: f.short, value: f.type !== 'bool', usage: f.usage })),
    });
    for (const c of node.children) walk(c);
  };
  walk(tree);
  return out;
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const fnName = PROGRAM_NAME.replace(/[^A-Za-z0-9_]/g, '_');

function flagWords(e: CompletionEntry): string {
  return e.flags.flatMap((f) => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]).join(' ');
}

function valueFlagWords(e: CompletionEntry): string {
  return e.flags
    .filter((f) => f.value)
    .flatMap((f) => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])])
    .join(' ');
}

/** Shared POSIX-shell helpers (bash and zsh): tables as `case` statements. */
function shellTables(table: CompletionEntry[]): string {
  const cases = (pick: (e: CompletionEntry) => string) =>
    table.map((e) => `    ${sq(e.path)}) echo ${sq(pick(e))} ;;`).join('\n');
  return `__${fnName}_subcommands() {
  case "$1" in
${cases((e) => e.subs.map((s) => s.name).join(' '))}
  esac
}

__${fnName}_flags() {
  case "$1" in
${cases(flagWords)}
  esac
}

__${fnName}_value_flags() {
  case "$1" in
${cases(valueFlagWords)}
  esac
}

# __${fnName}_has WORD LIST...: is WORD one of LIST
__${fnName}_has() {
  local w="$1" x
  shift
  for x in $*; do [ "$x" = "$w" ] && return 0; done
  return 1
}
`;
}

function bashScript(table: CompletionEntry[]): string {
  return `# bash completion for ${PROGRAM_NAME}                    -*- shell-script -*-
# generated by \`${PROGRAM_NAME} completion bash\`

${shellTables(table)}
_${fnName}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmdpath="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --) break ;;
      -*=*) ;;
      -*) __${fnName}_has "$w" $(__${fnName}_value_flags "$cmdpath") && ((i++)) ;;
      *) __${fnName}_has "$w" $(__${fnName}_subcommands "$cmdpath") && cmdpath="\${cmdpath:+$cmdpath }$w" ;;
    esac
  done
  if [[ "$prev" == -* && "$prev" != *=* ]] && __${fnName}_has "$prev" $(__${fnName}_value_flags "$cmdpath"); then
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(__${fnName}_flags "$cmdpath")" -- "$cur"))
    return 0
  fi
  local subs
  subs="$(__${fnName}_subcommands "$cmdpath")"
  if [[ -n "$subs" ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}

complete -o default -F _${fnName} ${PROGRAM_NAME}
`;
}

function zshScript(table: CompletionEntry[]): string {
  return `#compdef ${PROGRAM_NAME}
# zsh completion for ${PROGRAM_NAME}, generated by \`${PROGRAM_NAME} completion zsh\`

${shellTables(table)}
_${fnName}() {
  local cmdpath="" i w
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case "$w" in
      --) break ;;
      -*=*) ;;
      -*) __${fnName}_has "$w" $(__${fnName}_value_flags "$cmdpath") && ((i++)) ;;
      *) __${fnName}_has "$w" $(__${fnName}_subcommands "$cmdpath") && cmdpath="\${cmdpath:+$cmdpath }$w" ;;
    esac
  done
  if [[ "$prev" == -* && "$prev" != *=* ]] && __${fnName}_has "$prev" $(__${fnName}_value_flags "$cmdpath"); then
    _files
    return
  fi
  if [[ "$cur" == -* ]]; then
    compadd -- \${=$(__${fnName}_flags "$cmdpath")}
    return
  fi
  local subs="$(__${fnName}_subcommands "$cmdpath")"
  if [[ -n "$subs" ]]; then
    compadd -- \${=subs}
  else
    _files
  fi
}

if [ "$funcstack[1]" = "_${fnName}" ]; then
  _${fnName} "$@"
else
  compdef _${fnName} ${PROGRAM_NAME}
fi
`;
}

function fishScript(table: CompletionEntry[], descriptions: boolean): string {
  const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const desc = (s: string) => (descriptions && s ? ` -d ${fq(s)}` : '');
  const lines: string[] = [
    `# fish completion for ${PROGRAM_NAME}, generated by \`${PROGRAM_NAME} completion fish\``,
    '',
    `# prints the command path (e.g. "key rotate") of the command line being completed`,
    `function __${fnName}_path`,
    '    set -l tokens (commandline -opc)',
    '    set -e tokens[1]',
    '    set -l cmdpath ""',
    '    set -l skip 0',
    '    for t in $tokens',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $t',
    "            case '--'",
    '                break',
    "            case '-*=*'",
    "            case '-*'",
    `                if contains -- $t (__${fnName}_value_flags "$cmdpath")`,
    '                    set skip 1',
    '                end',
    "            case '*'",
    `                if contains -- $t (__${fnName}_subcommands "$cmdpath")`,
    '                    set cmdpath (string trim -- "$cmdpath $t")',
    '                end',
    '        end',
    '    end',
    '    echo $cmdpath',
    'end',
    '',
    `function __${fnName}_subcommands`,
    '    switch "$argv[1]"',
  ];
  for (const e of table) {
    lines.push(
      `        case ${fq(e.path)}`,
      `            printf '%s\\n' ${e.subs.map((s) => fq(s.name)).join(' ')}`,
    );
  }
  lines.push('    end', 'end', '', `function __${fnName}_value_flags`, '    switch "$argv[1]"');
  for (const e of table) {
    const words = valueFlagWords(e).split(' ').filter(Boolean);
    lines.push(`        case ${fq(e.path)}`, `            printf '%s\\n' ${words.map(fq).join(' ')}`);
  }
  lines.push('    end', 'end', '', `complete -c ${PROGRAM_NAME} -f`);
  for (const e of table) {
    const cond = `-n ${fq(`test (__${fnName}_path) = ${fq(e.path)}`)}`;
    for (const s of e.subs)
      lines.push(`complete -c ${PROGRAM_NAME} ${cond} -a ${fq(s.name)}${desc(s.short)}`);
    for (const f of e.flags) {
      const short = f.short ? ` -s ${f.short}` : '';
      const value = f.value ? ' -r -F' : '';
      lines.push(`complete -c ${PROGRAM_NAME} ${cond}${short} -l ${f.long}${value}${desc(f.usage)}`);
    }
    if (e.subs.length === 0) lines.push(`complete -c ${PROGRAM_NAME} ${cond} -F`);
  }
  return `${lines.join('\n')}\n`;
}

function powershellScript(table: CompletionEntry[]): string {
  const ps = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const entries = table
    .map(
      (e) =>
        `    ${ps(e.path)} = @{ Subs = @(${e.subs.map((s) => ps(s.name)).join(', ')}); ` +
        `Flags = @(${flagWords(e)
          .split(' ')
          .filter(Boolean)
          .map(ps)
          .join(
            ', ',
          )}); ValueFlags = @(${valueFlagWords(e).split(' ').filter(Boolean).map(ps).join(', ')}) }`,
    )
    .join('\n');
  return `# powershell completion for ${PROGRAM_NAME}, generated by \`${PROGRAM_NAME} completion powershell\`
$__${fnName}Table = @{
${entries}
}

Register-ArgumentCompleter -Native -CommandName '${PROGRAM_NAME}' -ScriptBlock {
  param($WordToComplete, $CommandAst, $CursorPosition)
  $words = @($CommandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
  if ($WordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words | Select-Object -SkipLast 1) }
  $path = ''
  $skip = $false
  foreach ($w in $words) {
    if ($skip) { $skip = $false; continue }
    if ($w -eq '--') { break }
    if ($w -like '-*=*') { continue }
    if ($w -like '-*') { if ($__${fnName}Table[$path].ValueFlags -contains $w) { $skip = $true }; continue }
    if ($__${fnName}Table[$path].Subs -contains $w) { $path = ("$path $w").Trim() }
  }
  $entry = $__${fnName}Table[$path]
  $candidates = if ($WordToComplete -like '-*') { $entry.Flags } else { $entry.Subs }
  $candidates | Where-Object { $_ -like "$WordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}

export function completionScript(shell: string, descriptions = true): string {
  const table = completionTable();
  switch (shell) {
    case 'bash':
      return bashScript(table);
    case 'zsh':
      return zshScript(table);
    case 'fish':
      return fishScript(table, descriptions);
    case 'powershell':
      return powershellScript(table);
    default:
      throw new NotaryError('USAGE', `unknown shell ${JSON.stringify(shell)}`, {
        hint: 'Use one of bash, zsh, fish, powershell.',
      });
  }
}

/** `completion <shell>`: main passes the shell name as the first argument. */
export async function completion(ctx: CommandContext, args: string[], flags: FlagValues): Promise<void> {
  ctx.stdout.write(completionScript(args[0] ?? '', flags['no-descriptions'] !== true));
}

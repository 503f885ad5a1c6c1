import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, runGo, runTs, tempDir } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as { version: string };

describe('bin/tsnotary.js: framework-level behaviour (subprocess)', () => {
  beforeAll(() => {
    // `npm test` builds first; rebuilding here would pull the bundle from under parallel tests
    expect(existsSync(`${projectRoot}/dist/cli-bundle/main.cjs`)).toBe(true);
  }, 120_000);

  it('--help, -h, help: the root help on stdout, exit 0, same text as Go apart from the program name', {
    tags: ['go'],
  }, async () => {
    const go = await runGo(['--help']);
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await runTs(argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(
        go.stdout.replace(/notary \[/g, 'tsnotary [').replace('help for notary', 'help for tsnotary'),
      );
    }
  });

  it('bare command prints the usage, exit 0', async () => {
    const r = await runTs([]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('Usage:\n  tsnotary [flags]\n  tsnotary [command]\n')).toBe(true);
  });

  it('unknown command and unknown flag: non-zero exit, Go wording on stderr, nothing on stdout', async () => {
    const c = await runTs(['frobnicate', 'example.com/x']);
    expect(c.code).not.toBe(0);
    expect(c.stdout).toBe('');
    expect(c.stderr).toMatch(/^\* fatal: unknown command "frobnicate" for "tsnotary"\n/);
    const f = await runTs(['list', 'example.com/x', '--no-such-flag']);
    expect(f.code).not.toBe(0);
    expect(f.stderr).toMatch(/^\* fatal: unknown flag: --no-such-flag\n/);
    const s = await runTs(['list', '-x']);
    expect(s.stderr).toMatch(/^\* fatal: unknown shorthand flag: 'x' in -x\n/);
    const n = await runTs(['list', '--roles']);
    expect(n.stderr).toMatch(/^\* fatal: flag needs an argument: --roles\n/);
  });

  it('the same command lines fail in Go too (exit 1 there; tsnotary uses its usage exit code 2)', {
    tags: ['go'],
  }, async () => {
    for (const argv of [['frobnicate'], ['list', '--bogus'], ['reset', 'g', '-n', '1,x']]) {
      const go = await runGo(argv);
      const ts = await runTs(argv);
      expect(go.code).toBe(1);
      expect(ts.code).toBe(2);
      // Go prints `\n* fatal: <msg>` on stdout; tsnotary the same line on stderr
      const goLine = go.stdout.split('\n').find((l) => l.startsWith('* fatal:'));
      expect(ts.stderr.split('\n')[0]).toBe(goLine?.replace('for "notary"', 'for "tsnotary"'));
    }
  });

  it('version and --version', async () => {
    const v = await runTs(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`tsnotary\n Version:    ${pkg.version}\n Git commit: `);
    expect(v.stdout).toContain(` Node version: ${process.version}\n`);
    const f = await runTs(['--version']);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(
      new RegExp(`^tsnotary Version: ${pkg.version.replace(/\./g, '\\.')}, Git commit: `),
    );
  });

  it('group commands without subcommand print their help and exit 0', async () => {
    for (const g of ['key', 'delegation', 'completion']) {
      const r = await runTs([g]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`tsnotary ${g} [command]`);
    }
  });

  it('completion bash produces a script bash can load and use', async () => {
    const r = await runTs(['completion', 'bash']);
    expect(r.code).toBe(0);
    const dir = tempDir();
    const out = execFileSync(
      'bash',
      [
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, not a template
        'eval "$(cat)"; COMP_WORDS=(tsnotary -D delegation ""); COMP_CWORD=3; _tsnotary; printf "%s " "${COMPREPLY[@]}"',
      ],
      { input: r.stdout, cwd: dir },
    ).toString();
    expect(out.trim().split(' ').sort()).toEqual(['add', 'list', 'purge', 'remove']);
  });

  const has = (sh: string) => spawnSync('sh', ['-c', `command -v ${sh}`]).status === 0;

  it.skipIf(!has('zsh'))('completion zsh: the function completes subcommands and flags', async () => {
    const r = await runTs(['completion', 'zsh']);
    const out = execFileSync(
      'zsh',
      [
        '-c',
        'compdef() { :; }; eval "$(cat)"; compadd() { shift; print -r -- "$@"; }; _files() { print FILES; }; ' +
          'words=(tsnotary -d /x key ""); CURRENT=5; _tsnotary; words=(tsnotary key rotate -k ""); CURRENT=5; _tsnotary',
      ],
      { input: r.stdout },
    ).toString();
    expect(out).toBe('list generate remove passwd rotate import export\nFILES\n');
  });

  it.skipIf(!has('fish'))(
    'completion fish: subcommands with descriptions, flags per command path',
    async () => {
      const r = await runTs(['completion', 'fish']);
      const out = execFileSync(
        'fish',
        ['-c', 'eval (cat | string collect); complete -C"tsnotary -d /x delegation add --p"'],
        {
          input: r.stdout,
        },
      ).toString();
      expect(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]),
      ).toEqual(['--paths', '--publish']);
    },
  );

  it('completion scripts for zsh, fish and powershell are generated', async () => {
    for (const sh of ['zsh', 'fish', 'powershell']) {
      const r = await runTs(['completion', sh]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('tsnotary');
      expect(r.stdout).toContain('delegation');
    }
  });

  it('-c with a missing config file fails with Go wording', async () => {
    const r = await runTs(['-c', 'missing.json', 'status', 'g']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      '* fatal: error opening config file: open missing.json: no such file or directory',
    );
  });

  it('--format json renders errors as one JSON object on stderr', async () => {
    const r = await runTs(['--format', 'json', 'frobnicate']);
    expect(r.code).not.toBe(0);
    const err = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('USAGE');
    expect(err.error.message).toBe('unknown command "frobnicate" for "tsnotary"');
  });
});

import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { runMain } from './capture.js';

describe('main: cobra-compatible command handling', () => {
  it('unknown command, with cobra suggestions', async () => {
    const r = await runMain(['frobnicate', 'x']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('* fatal: unknown command "frobnicate" for "tsnotary"');
    const s = await runMain(['lst']);
    expect(s.stderr).toContain('unknown command "lst" for "tsnotary"\n\nDid you mean this?\n\tlist\n');
  });

  it('unknown flags on any command', async () => {
    const r = await runMain(['list', 'g', '--no-such-flag']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n')[0]).toBe('* fatal: unknown flag: --no-such-flag');
    const d = await runMain([
      'delegation',
      'add',
      'g',
      'targets/t',
      'c.pem',
      '--all-paths',
      '--threshold',
      '2',
    ]);
    expect(d.stderr).toContain('* fatal: unknown flag: --threshold');
    const root = await runMain(['--bogus=3', 'list']);
    expect(root.stderr).toContain('* fatal: unknown flag: --bogus');
  });

  it('groups without a (known) subcommand print help and exit 0', async () => {
    for (const argv of [['key'], ['key', 'frob'], ['delegation'], ['completion']]) {
      const r = await runMain(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Available Commands:');
    }
  });

  it('completion subcommands take no arguments', async () => {
    const r = await runMain(['completion', 'bash', 'extra']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('* fatal: unknown command "extra" for "tsnotary completion bash"');
  });

  it('version and --version', async () => {
    const v = await runMain(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(
      /^tsnotary\n Version: {4}\d+\.\d+\.\d+\S*\n Git commit: \S*\n Node version: v\d+/,
    );
    const f = await runMain(['--version']);
    expect(f.stdout).toMatch(/^tsnotary Version: \d+\.\d+\.\d+\S*, Git commit: \S*, Node version: v\d+/);
    const j = await runMain(['version', '--format', 'json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ name: 'tsnotary', nodeVersion: process.version });
  });

  it('flag errors are rendered as JSON with --format json', async () => {
    const r = await runMain(['--format', 'json', 'list', '--bogus']);
    expect(r.code).toBe(ExitCode.usage);
    expect(JSON.parse(r.stderr)).toEqual({
      error: {
        code: 'USAGE',
        message: 'unknown flag: --bogus',
        hint: "Run 'tsnotary list --help' to see the flags it accepts.",
      },
    });
  });

  it('an invalid --format value is rejected', async () => {
    const r = await runMain(['--format', 'xml', 'version']);
    expect(r.code).not.toBe(0);
  });

  it('`--` ends flags: bare root prints its usage', async () => {
    const r = await runMain(['--', 'status', 'g']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('Usage:\n  tsnotary [flags]')).toBe(true);
  });
});

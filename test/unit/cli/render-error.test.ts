import { describe, expect, it } from 'vitest';
import { renderError } from '../../../src/cli/render-error.js';
import { ExitCode, NotaryError } from '../../../src/errors.js';

function render(err: unknown, opts: { debug?: boolean; json?: boolean; usage?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = renderError(err, {
    stdout: {
      write: (t) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t) => {
        stderr += t;
      },
    },
    debug: opts.debug ?? false,
    json: opts.json ?? false,
    usage: opts.usage,
  });
  return { code, stdout, stderr };
}

describe('renderError', () => {
  const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
  const e = new NotaryError('OFFLINE', 'client is offline', {
    hint: 'Check -s.',
    cause,
    details: { server: 'x' },
  });

  it('prints `* fatal:` and the hint on stderr, nothing else without -D', () => {
    const r = render(e);
    expect(r.code).toBe(ExitCode.network);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('* fatal: client is offline\n  hint: Check -s.\n');
  });

  it('adds the cause chain and stack with -D', () => {
    const r = render(e, { debug: true });
    expect(r.stderr).toContain('  cause: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(r.stderr).toContain('NotaryError: client is offline\n    at ');
  });

  it('prints the usage block on stdout first when asked', () => {
    const u = new NotaryError('USAGE', 'Must specify a GUN', { showUsage: true });
    const r = render(u, { usage: 'Usage:\n  tsnotary status [ GUN ] [flags]\n' });
    expect(r.stdout).toBe('Usage:\n  tsnotary status [ GUN ] [flags]\n');
    expect(r.stderr).toBe('* fatal: Must specify a GUN\n');
    expect(render(new NotaryError('USAGE', 'x'), { usage: 'U\n' }).stdout).toBe('');
  });

  it('renders one JSON object in JSON mode', () => {
    const r = render(e, { json: true });
    expect(JSON.parse(r.stderr)).toEqual({
      error: { code: 'OFFLINE', message: 'client is offline', hint: 'Check -s.', details: { server: 'x' } },
    });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('plain errors exit 1 with their message', () => {
    const r = render(new TypeError('boom'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('* fatal: boom\n');
    expect(JSON.parse(render(new Error('x'), { json: true }).stderr).error.code).toBe('INTERNAL');
  });
});

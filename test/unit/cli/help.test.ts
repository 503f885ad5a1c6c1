import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMain } from './capture.js';

const spec = readFileSync('/work/shared/spec/cli-help.txt', 'utf8');

interface Block {
  argv: string[];
  text: string;
}

/** Blocks of cli-help.txt: `=================== notary <args>`, output, `[rc=0]`. */
function blocks(): Block[] {
  const out: Block[] = [];
  const parts = spec.split(/^=================== notary/m).slice(1);
  for (const p of parts) {
    const nl = p.indexOf('\n');
    const header = p.slice(0, nl).trim();
    let body = p.slice(nl + 1);
    body = body.replace(/\[rc=0\]\n?$/, '');
    const argv = header.startsWith('(') ? [] : header.split(/\s+/).filter(Boolean);
    out.push({ argv, text: body.endsWith('\n') ? body : `${body}\n` });
  }
  return out;
}

describe('help texts equal Go notary 0.7 (spec/cli-help.txt) byte for byte', () => {
  const all = blocks();
  it('covers every command of the spec', () => {
    expect(all.length).toBeGreaterThanOrEqual(27);
  });
  for (const b of all) {
    it(`notary ${b.argv.join(' ') || '(no arguments)'}`, async () => {
      const r = await runMain(b.argv, { programName: 'notary' });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(b.text);
    });
  }
});

describe('help texts of cobra built-ins equal the Go binary', () => {
  const cases = [
    ['help', '--help'],
    ['help', 'help'],
    ['completion', '--help'],
    ['completion'],
    ['completion', 'bash', '--help'],
    ['completion', 'zsh', '--help'],
    ['completion', 'fish', '--help'],
    ['completion', 'powershell', '--help'],
    ['help', 'key', 'rotate'],
    ['help', 'status', 'extra'],
    ['help', 'frob'],
    ['key', 'frob'],
    ['-h', 'list'],
    ['delegation'],
    ['status', '-h'],
    ['-D', 'key', 'list', '--help'],
  ];
  for (const argv of cases) {
    it(`notary ${argv.join(' ')}`, { tags: ['go'] }, async () => {
      const go = execFileSync('notary', argv, {
        env: { HOME: '/nonexistent-home', PATH: process.env['PATH'] },
      }).toString();
      const r = await runMain(argv, { programName: 'notary' });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(go);
    });
  }

  it('the real program name is used in command paths', async () => {
    const r = await runMain(['key', 'list', '--help']);
    expect(r.stdout).toContain('  tsnotary key list [flags]');
    expect(r.stdout).toContain('Lists all keys known to notary.');
  });
});

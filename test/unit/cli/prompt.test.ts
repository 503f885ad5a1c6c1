import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPrompter } from '../../../src/cli/prompt.js';
import { NotaryError } from '../../../src/errors.js';

/** A stream that claims to be a terminal and records raw-mode switches. */
function fakeTty() {
  const s = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(m: boolean): void };
  const modes: boolean[] = [];
  s.isTTY = true;
  s.setRawMode = (m: boolean) => {
    modes.push(m);
  };
  let out = '';
  const stdout = {
    write: (t: string) => {
      out += t;
    },
  };
  return { stdin: s, stdout, modes, out: () => out };
}

describe('prompter type-ahead (one shared buffer of unread input)', () => {
  it('keeps answers that arrive in one chunk for the following hidden prompts', async () => {
    const t = fakeTty();
    const p = createPrompter(t.stdin, t.stdout);
    t.stdin.write('first-pass\rsecond-pass\rthird\r');
    expect(await p.readHidden('A: ')).toBe('first-pass');
    expect(await p.readHidden('B: ')).toBe('second-pass');
    expect(await p.readHidden('C: ')).toBe('third');
    // prompt, then the newline the terminal did not echo; the secrets never reach stdout
    expect(t.out()).toBe('A: \nB: \nC: \n');
    expect(t.modes).toEqual([true, false, true, false, true, false]);
  });

  it('hidden and line reads share the buffer; CRLF is one line end', async () => {
    const t = fakeTty();
    const p = createPrompter(t.stdin, t.stdout);
    t.stdin.write('secret1\r\nyes\r\nalice\n');
    expect(await p.readHidden('P: ')).toBe('secret1');
    expect(await p.readLine('Sure? ')).toBe('yes');
    expect(await p.readLine('User: ')).toBe('alice');
  });

  it('a second prompter on the same stream sees the rest (per-process buffer)', async () => {
    const t = fakeTty();
    t.stdin.write('one\rtwo\r');
    expect(await createPrompter(t.stdin, t.stdout).readHidden('1: ')).toBe('one');
    expect(await createPrompter(t.stdin, t.stdout).readHidden('2: ')).toBe('two');
  });

  it('answers split across chunks and multi-byte characters split across chunks', async () => {
    const t = fakeTty();
    const p = createPrompter(t.stdin, t.stdout);
    const euro = Buffer.from('pässwört€\r', 'utf8');
    const done = p.readHidden('P: ');
    t.stdin.write(euro.subarray(0, 2));
    await new Promise((r) => setTimeout(r, 5));
    t.stdin.write(euro.subarray(2, 12));
    await new Promise((r) => setTimeout(r, 5));
    t.stdin.write(euro.subarray(12));
    expect(await done).toBe('pässwört€');
  });

  it('backspace and Ctrl-U edit the hidden line; whitespace is trimmed', async () => {
    const t = fakeTty();
    const p = createPrompter(t.stdin, t.stdout);
    t.stdin.write('wrong\u0015  abcd\u007fe  \r');
    expect(await p.readHidden('P: ')).toBe('abce');
  });

  it('Ctrl-D on an empty line and end of input reject (never hang), raw mode restored', async () => {
    const t = fakeTty();
    const p = createPrompter(t.stdin, t.stdout);
    t.stdin.write('\u0004');
    await expect(p.readHidden('P: ')).rejects.toThrow(NotaryError);
    t.stdin.end('abc');
    await expect(p.readHidden('P: ')).rejects.toThrow('EOF');
    expect(t.modes.at(-1)).toBe(false);
  });

  it('a pipe is never read for a passphrase', async () => {
    const p = createPrompter(Readable.from(['secret\n']), { write: () => {} });
    await expect(p.readHidden('P: ')).rejects.toThrow(
      'Please either use environment variables or STDIN with a terminal to provide key passphrases',
    );
    // the piped line is still there for a yes/no question
    expect(await p.readLine('Q? ')).toBe('secret');
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, levelFor, rfc3339Local } from '../../../src/cli/logger.js';
import { createPrompter } from '../../../src/cli/prompt.js';
import { NotaryError } from '../../../src/errors.js';

describe('logger', () => {
  const capture = () => {
    let text = '';
    return {
      out: {
        write: (t: string) => {
          text += t;
        },
      },
      get: () => text,
    };
  };

  it('levels: warn by default, info with -v, debug with -D', () => {
    expect(levelFor(false, false)).toBe('warn');
    expect(levelFor(false, true)).toBe('info');
    expect(levelFor(true, false)).toBe('debug');
    const c = capture();
    const log = createLogger({ level: 'warn', out: c.out, tty: false, now: () => new Date(0) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(c.get()).toBe(
      `time="${rfc3339Local(new Date(0))}" level=warning msg=w\ntime="${rfc3339Local(new Date(0))}" level=error msg=e\n`,
    );
  });

  it('logrus text format quotes messages with spaces or quotes', () => {
    const c = capture();
    const log = createLogger({ level: 'debug', out: c.out, tty: false, now: () => new Date(0) });
    log.error('could not reach "x": no such host');
    expect(c.get()).toMatch(/ level=error msg="could not reach \\"x\\": no such host"\n$/);
  });

  it('terminal format is logrus short form', () => {
    const c = capture();
    createLogger({ level: 'info', out: c.out, tty: true }).warn('careful');
    expect(c.get()).toMatch(/^\x1b\[33mWARN\x1b\[0m\[0000\] careful/);
  });
});

describe('prompter over a pipe', () => {
  it('readLine reads one line per call, keeps the rest, returns "" at EOF', async () => {
    let out = '';
    const p = createPrompter(Readable.from(['yes\nsecond line\r\nlast']), {
      write: (t) => {
        out += t;
      },
    });
    expect(p.interactive).toBe(false);
    expect(await p.readLine('Q1? ')).toBe('yes');
    expect(await p.readLine('Q2? ')).toBe('second line');
    expect(await p.readLine('Q3? ')).toBe('last');
    expect(await p.readLine('Q4? ')).toBe('');
    expect(out).toBe('Q1? Q2? Q3? Q4? ');
  });

  it('readHidden refuses without a terminal, with Go message', async () => {
    const p = createPrompter(Readable.from([]), { write: () => {} });
    await expect(p.readHidden('Enter passphrase: ')).rejects.toThrow(NotaryError);
    await expect(p.readHidden('x')).rejects.toThrow(
      'Please either use environment variables or STDIN with a terminal to provide key passphrases',
    );
  });
});

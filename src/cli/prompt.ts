/**
 * The real-terminal Prompter: hidden input in raw mode (no echo; backspace, Ctrl-C, Ctrl-D
 * handled), line input that also works on pipes. Prompts go to stdout, as Go prints them.
 */
import { NotaryError } from '../errors.js';
import type { Output, Prompter } from './context.js';

export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * Reads lines from a stream one at a time without losing buffered data between calls
 * (readline would swallow the rest of a piped input after the first answer).
 */
class LineReader {
  private buffer = '';
  private ended = false;

  constructor(private readonly input: NodeJS.ReadableStream & { readableEnded?: boolean }) {}

  /**
   * Listeners are attached only while a line is awaited, so raw-mode passphrase input read
   * between two questions never ends up in this buffer.
   */
  async readLine(): Promise<string> {
    const input = this.input;
    let wake: () => void = () => {};
    const onData = (chunk: string | Buffer) => {
      this.buffer += chunk.toString();
      wake();
    };
    const onEnd = () => {
      this.ended = true;
      wake();
    };
    if (input.readableEnded) this.ended = true;
    input.setEncoding?.('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
    input.resume();
    try {
      for (;;) {
        const nl = this.buffer.indexOf('\n');
        if (nl >= 0) {
          const line = this.buffer.slice(0, nl).replace(/\r$/, '');
          this.buffer = this.buffer.slice(nl + 1);
          return line;
        }
        if (this.ended) {
          const line = this.buffer;
          this.buffer = '';
          return line;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    } finally {
      input.pause();
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
    }
  }
}

export function readHiddenFromTty(stdin: TtyInput, stdout: Output, prompt: string): Promise<string> {
  if (!stdin.isTTY || !stdin.setRawMode) {
    return Promise.reject(
      new NotaryError(
        'NO_PASSPHRASE_INPUT',
        'Please either use environment variables or STDIN with a terminal to provide key passphrases',
        {
          hint: 'Set NOTARY_ROOT_PASSPHRASE / NOTARY_TARGETS_PASSPHRASE / NOTARY_SNAPSHOT_PASSPHRASE / NOTARY_DELEGATION_PASSPHRASE.',
        },
      ),
    );
  }
  const setRaw = stdin.setRawMode.bind(stdin);
  stdout.write(prompt);
  return new Promise((resolve, reject) => {
    let buf = '';
    setRaw(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    const done = (err?: Error) => {
      setRaw(false);
      stdin.pause();
      stdin.off('data', onData);
      stdout.write('\n');
      if (err) reject(err);
      else resolve(buf.trim());
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') {
          done(new NotaryError('ABORTED', 'interrupted'));
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (ch === '\u0004') {
          if (buf === '') return done(new NotaryError('NO_PASSPHRASE_INPUT', 'EOF'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else if (ch === '\u0015')
          buf = ''; // Ctrl-U: kill line
        else if (ch >= ' ' || ch === '\t') buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export function createPrompter(stdin: TtyInput, stdout: Output): Prompter {
  let lines: LineReader | undefined;
  return {
    interactive: stdin.isTTY === true,
    readHidden: (prompt) => readHiddenFromTty(stdin, stdout, prompt),
    readLine: (prompt) => {
      stdout.write(prompt);
      lines ??= new LineReader(stdin);
      return lines.readLine();
    },
  };
}

/**
 * The real-terminal Prompter: hidden input in raw mode (no echo; backspace, Ctrl-U, Ctrl-C,
 * Ctrl-D handled), line input that also works on pipes. Prompts go to stdout, as Go prints them.
 *
 * All reads of one stdin stream share one buffer of unread input (per process, keyed by the
 * stream). A terminal or a pipe may deliver several answers in one chunk — a user typing ahead,
 * `printf 'pass\npass\n'`, tmux send-keys — and Go keeps them (its bufio.Reader holds the rest),
 * so the second prompt must see what arrived with the first answer, whichever kind of read
 * (hidden or line) comes next.
 */
import { StringDecoder } from 'node:string_decoder';
import { NotaryError } from '../errors.js';
import type { Output, Prompter } from './context.js';

export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  readableEnded?: boolean;
}

/**
 * Unread input of one stream. Listeners are attached only while a read waits for data and the
 * stream is paused again afterwards, so an idle stdin never keeps the process alive and
 * `verify` can still read its payload from the same stream.
 */
class InputBuffer {
  private text = '';
  private pos = 0;
  private ended = false;
  /** the last line ended with `\r`: a `\n` right after it belongs to the same line end */
  private skipLf = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly input: TtyInput) {}

  /** The next character (code point), or null at end of input. */
  async nextChar(): Promise<string | null> {
    for (;;) {
      if (this.pos < this.text.length) {
        const cp = this.text.codePointAt(this.pos)!;
        const ch = String.fromCodePoint(cp);
        this.pos += ch.length;
        if (this.pos >= this.text.length) {
          this.text = '';
          this.pos = 0;
        }
        if (this.skipLf) {
          this.skipLf = false;
          if (ch === '\n') continue;
        }
        return ch;
      }
      if (this.ended || this.input.readableEnded) {
        this.ended = true;
        return null;
      }
      await this.fill();
    }
  }

  /** Called when a line ended with `\r` (raw terminal Enter, or a CRLF pipe). */
  endedWithCr(): void {
    this.skipLf = true;
  }

  /** Waits for the next chunk (or end) of the stream. */
  private fill(): Promise<void> {
    const input = this.input;
    return new Promise<void>((resolve) => {
      const finish = () => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onEnd);
        input.pause();
        resolve();
      };
      const onData = (chunk: string | Buffer) => {
        this.text += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
        finish();
      };
      const onEnd = () => {
        this.text += this.decoder.end();
        this.ended = true;
        finish();
      };
      input.on('data', onData);
      input.on('end', onEnd);
      input.on('error', onEnd);
      input.resume();
    });
  }

  /** One line without its terminator (`\n`, `\r\n` or a lone `\r`); at EOF what is left ('' if nothing). */
  async readLine(): Promise<string> {
    let line = '';
    for (;;) {
      const ch = await this.nextChar();
      if (ch === null || ch === '\n') return line;
      if (ch === '\r') {
        this.endedWithCr();
        return line;
      }
      line += ch;
    }
  }
}

const buffers = new WeakMap<object, InputBuffer>();

/** The process-wide unread-input buffer of `input`. */
function bufferOf(input: TtyInput): InputBuffer {
  let b = buffers.get(input);
  if (!b) {
    b = new InputBuffer(input);
    buffers.set(input, b);
  }
  return b;
}

function noTerminalError(): NotaryError {
  return new NotaryError(
    'NO_PASSPHRASE_INPUT',
    'Please either use environment variables or STDIN with a terminal to provide key passphrases',
    {
      hint: 'Set NOTARY_ROOT_PASSPHRASE / NOTARY_TARGETS_PASSPHRASE / NOTARY_SNAPSHOT_PASSPHRASE / NOTARY_DELEGATION_PASSPHRASE.',
    },
  );
}

/**
 * Prints `prompt`, reads one line in raw mode (nothing echoed) and prints the newline the
 * terminal did not echo. Only a terminal qualifies: Go never reads a passphrase from a pipe.
 */
export async function readHiddenFromTty(stdin: TtyInput, stdout: Output, prompt: string): Promise<string> {
  if (!stdin.isTTY || !stdin.setRawMode) throw noTerminalError();
  const input = bufferOf(stdin);
  const setRaw = stdin.setRawMode.bind(stdin);
  // raw mode first: a key typed the moment the prompt shows must not be echoed
  setRaw(true);
  stdout.write(prompt);
  let buf = '';
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    setRaw(false);
    stdout.write('\n');
  };
  try {
    for (;;) {
      const ch = await input.nextChar();
      if (ch === null) throw new NotaryError('NO_PASSPHRASE_INPUT', 'EOF');
      if (ch === '\r' || ch === '\n') {
        if (ch === '\r') input.endedWithCr();
        return buf.trim();
      }
      if (ch === '\u0003') {
        // Ctrl-C in raw mode is a byte, not a signal: restore the terminal, then raise SIGINT
        restore();
        process.kill(process.pid, 'SIGINT');
        throw new NotaryError('ABORTED', 'interrupted');
      }
      if (ch === '\u0004') {
        if (buf === '') throw new NotaryError('NO_PASSPHRASE_INPUT', 'EOF');
        continue;
      }
      if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
      else if (ch === '\u0015')
        buf = ''; // Ctrl-U: kill line
      else if (ch >= ' ' || ch === '\t') buf += ch;
    }
  } finally {
    restore();
  }
}

export function createPrompter(stdin: TtyInput, stdout: Output): Prompter {
  return {
    interactive: stdin.isTTY === true,
    readHidden: (prompt) => readHiddenFromTty(stdin, stdout, prompt),
    readLine: (prompt) => {
      stdout.write(prompt);
      return bufferOf(stdin).readLine();
    },
  };
}

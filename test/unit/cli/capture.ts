import { Readable } from 'node:stream';
import { type MainIo, main } from '../../../src/cli/main.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs main() in-process with captured output and a closed, non-TTY stdin. */
export async function runMain(argv: string[], io: Partial<MainIo> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
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
    stdin: Readable.from([]),
    env: { HOME: '/nonexistent-home' },
    cwd: '/',
    stderrIsTty: false,
    ...io,
  });
  return { code, stdout, stderr };
}

/**
 * The Logger every layer writes warnings to: stderr, logrus-compatible. Level warning by
 * default, info with -v, debug with -D. Not a terminal → logrus' text format
 * (`time="…" level=warning msg="…"`, which some scripts grep); a terminal → logrus' colored
 * short form (`WARN[0000] msg`).
 */
import type { Logger } from '../log.js';
import type { Output } from './context.js';
import { goQuote } from './flags.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const logrusName: Record<LogLevel, string> = {
  error: 'error',
  warn: 'warning',
  info: 'info',
  debug: 'debug',
};
const colors: Record<LogLevel, number> = { error: 31, warn: 33, info: 36, debug: 37 };

export interface LoggerOptions {
  level: LogLevel;
  out: Output;
  tty: boolean;
  /** for tests */
  now?: () => Date;
}

export function levelFor(debug: boolean, verbose: boolean): LogLevel {
  if (debug) return 'debug';
  if (verbose) return 'info';
  return 'warn';
}

/** RFC 3339 in the local zone without fractions, as logrus prints it. */
export function rfc3339Local(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone =
    off === 0
      ? 'Z'
      : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`
  );
}

/** logrus quotes a value when it contains anything beyond [A-Za-z0-9-._/@^+]. */
function logfmtValue(s: string): string {
  if (s !== '' && /^[A-Za-z0-9\-._/@^+]+$/.test(s)) return s;
  return goQuote(s);
}

export function createLogger(opts: LoggerOptions): Logger {
  const started = Date.now();
  const now = opts.now ?? (() => new Date());
  const write = (level: LogLevel, msg: string) => {
    if (rank[level] > rank[opts.level]) return;
    if (opts.tty) {
      const secs = String(Math.floor((Date.now() - started) / 1000)).padStart(4, '0');
      const name = logrusName[level].slice(0, 4).toUpperCase();
      opts.out.write(`\x1b[${colors[level]}m${name}\x1b[0m[${secs}] ${msg.padEnd(44)} \n`);
    } else {
      opts.out.write(
        `time=${JSON.stringify(rfc3339Local(now()))} level=${logrusName[level]} msg=${logfmtValue(msg)}\n`,
      );
    }
  };
  return {
    error: (m) => write('error', m),
    warn: (m) => write('warn', m),
    info: (m) => write('info', m),
    debug: (m) => write('debug', m),
  };
}

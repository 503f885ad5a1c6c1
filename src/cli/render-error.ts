/**
 * The one place errors are printed. Text mode: the command's usage block on stdout first when
 * the error asks for it (Go does this for argument errors), then on stderr `* fatal: <message>`
 * with Go's wording, `  hint: <what to do>`, and with -D the cause chain and stack.
 * JSON mode (`--format json`): one object `{"error":{code,message,hint,details}}` on stderr.
 */
import { ExitCode, isNotaryError } from '../errors.js';
import type { Output } from './context.js';

export interface RenderErrorOptions {
  stdout: Output;
  stderr: Output;
  debug: boolean;
  json: boolean;
  /** the usage block of the command that failed, printed when the error has showUsage */
  usage?: string;
}

function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let c = err instanceof Error ? err.cause : undefined;
  while (c !== undefined && out.length < 10) {
    out.push(c);
    c = c instanceof Error ? c.cause : undefined;
  }
  return out;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Prints `err` and returns the process exit code. */
export function renderError(err: unknown, opts: RenderErrorOptions): number {
  const notary = isNotaryError(err);
  const code = notary ? err.code : 'INTERNAL';
  const message = messageOf(err);
  const hint = notary ? err.hint : undefined;
  const exitCode = notary ? err.exitCode : ExitCode.generic;

  if (opts.json) {
    const body: Record<string, unknown> = { code, message };
    if (hint) body['hint'] = hint;
    if (notary && err.details) body['details'] = err.details;
    if (opts.debug) {
      const causes = causeChain(err).map(messageOf);
      if (causes.length) body['causes'] = causes;
    }
    opts.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return exitCode;
  }

  if (notary && err.showUsage && opts.usage) opts.stdout.write(opts.usage);
  // `trust` commands print docker's plain message (scripts written for docker match on it).
  const plain = notary && err.details?.['style'] === 'docker';
  let text = plain ? `${message}\n` : `* fatal: ${message}\n`;
  if (hint) text += plain ? `hint: ${hint}\n` : `  hint: ${hint}\n`;
  if (opts.debug) {
    for (const c of causeChain(err)) {
      text += `  cause: ${messageOf(c)}\n`;
    }
    const stack = err instanceof Error ? err.stack : undefined;
    if (stack) text += `${stack}\n`;
  }
  opts.stderr.write(text);
  return exitCode;
}

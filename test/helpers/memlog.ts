import { NotaryError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';

/** A Logger that records `level: message` lines. */
export function memLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}

/** The NotaryError a promise rejects with (fails the test when it resolves or throws something else). */
export async function failure(p: Promise<unknown>): Promise<NotaryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NotaryError) return e;
    throw e;
  }
  throw new Error('expected a NotaryError');
}

/** The classified cause of an OFFLINE error. */
export function offlineCause(e: NotaryError): NotaryError {
  if (e.code !== 'OFFLINE') throw new Error(`expected OFFLINE, got ${e.code}: ${e.message}`);
  const c = e.cause;
  if (!(c instanceof NotaryError)) throw new Error('OFFLINE without a NotaryError cause');
  return c;
}

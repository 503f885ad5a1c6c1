/**
 * GUN (Globally Unique Name) safety.
 *
 * Go notary uses the GUN verbatim as a relative path under `<trust_dir>/tuf/`, so `../x` or
 * `/etc` reach outside the trust directory and `""` means `tuf/` itself (Cure53 TUF-01-004;
 * spec on-disk.md §2). tsnotary refuses such names. Everything notary-server accepts (its route
 * pattern is `[^*]+`, and Go's HTTP mux redirects any path that is not already clean) stays
 * valid: upper case, spaces, ports (`host:5000/x`), unicode, `%`.
 */
import { NotaryError } from '../errors.js';

const GUN_HINT =
  'A GUN is a name such as example.com/org/repo. It is stored as a relative path in the trust ' +
  'directory, so it must not be empty, start or end with "/", contain "//", "." or ".." segments, ' +
  'NUL, newline, carriage return or "*".';

function reject(gun: string, why: string): never {
  throw new NotaryError('INVALID_GUN', `invalid GUN ${JSON.stringify(gun)}: ${why}`, {
    hint: GUN_HINT,
    details: { gun },
  });
}

/** Why `gun` is unsafe, or undefined when it is fine. */
export function gunProblem(gun: string): string | undefined {
  if (gun.length === 0) return 'it is empty';
  if (gun.includes('\0')) return 'it contains a NUL character';
  if (/[\n\r]/.test(gun)) return 'it contains a line break';
  if (gun.includes('*')) return 'it contains "*", which notary-server does not accept in a GUN';
  if (gun.startsWith('/')) return 'it is an absolute path (starts with "/")';
  if (gun.endsWith('/')) return 'it ends with "/"';
  if (gun.includes('//')) return 'it contains an empty path segment ("//")';
  for (const segment of gun.split('/')) {
    if (segment === '..') return 'it contains a ".." path segment, which would leave the trust directory';
    if (segment === '.') return 'it contains a "." path segment';
  }
  return undefined;
}

/** Throws NotaryError INVALID_GUN (naming the GUN and the reason) unless `gun` is safe. */
export function validateGun(gun: string): string {
  const problem = gunProblem(gun);
  if (problem !== undefined) reject(gun, problem);
  return gun;
}

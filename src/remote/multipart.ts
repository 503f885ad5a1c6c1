/**
 * The publish body: multipart/form-data with Go's mime/multipart byte layout (server-api.md §2).
 * One part per role, field `files`, filename = role name without `.json`.
 */
import { randomBytes } from 'node:crypto';

/** Base roles first in dependency order, then delegations by name: a stable, readable order. */
function roleRank(role: string): number {
  const base = ['root', 'targets', 'snapshot', 'timestamp'].indexOf(role);
  if (base === 0 || base === 1) return base;
  if (base >= 2) return base + 1;
  return 2; // delegations between targets and snapshot
}

export function orderedRoles(roles: Iterable<string>): string[] {
  return [...roles].sort((a, b) => roleRank(a) - roleRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's escapeQuotes for Content-Disposition parameters. */
function escapeQuotes(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

export interface MultipartBody {
  contentType: string;
  body: Buffer;
}

/** Go's multipart.Writer: random 30-byte boundary as 60 lowercase hex characters. */
export function multipartBody(
  files: ReadonlyMap<string, Buffer>,
  boundary = randomBytes(30).toString('hex'),
): MultipartBody {
  const parts: Buffer[] = [];
  let first = true;
  for (const role of orderedRoles(files.keys())) {
    const data = files.get(role) as Buffer;
    const head =
      `${first ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Disposition: form-data; name="files"; filename="${escapeQuotes(role)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n';
    parts.push(Buffer.from(head, 'utf8'), data);
    first = false;
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}

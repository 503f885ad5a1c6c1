/** Go's server URL check, shared by the CLI (`-s`) and the library (`server` option). */
import { NotaryError } from '../errors.js';

/**
 * Go's server URL check (server-api.md §5), done by the commands that contact the server
 * (offline commands accept any `-s` value, as Go does). Returns the URL unchanged.
 */
export function validateServerUrl(url: string): string {
  const parseError = (why: string) =>
    new NotaryError(
      'CONFIG',
      `Could not parse remote trust server url (${url}): parse ${JSON.stringify(url)}: ${why}`,
      {
        hint: 'Give the server as http(s)://host:port, e.g. -s https://notary.example.com:4443.',
      },
    );
  if (/[\x00-\x1f\x7f]/.test(url)) throw parseError('net/url: invalid control character in URL');
  // url.Parse's getScheme
  let scheme = '';
  let rest = url;
  for (let i = 0; i < url.length; i++) {
    const c = url[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) throw parseError('missing protocol scheme');
      scheme = url.slice(0, i);
      rest = url.slice(i + 1);
    }
    break;
  }
  if (scheme === '') {
    const firstSegment = rest.split('/')[0] ?? '';
    if (!rest.startsWith('/') && firstSegment.includes(':')) {
      throw parseError('first path segment in URL cannot contain colon');
    }
    throw new NotaryError(
      'CONFIG',
      `Trust server url has to be in the form of http(s)://URL:PORT. Got: ${url}`,
      {
        hint: 'Add the scheme, e.g. https://notary.example.com:4443.',
      },
    );
  }
  if (rest.startsWith('//')) {
    const authority = rest.slice(2).split(/[/?#]/)[0] ?? '';
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (host.startsWith('[')) {
      const close = host.indexOf(']');
      if (close < 0) throw parseError("missing ']' in host");
      const after = host.slice(close + 1);
      if (after !== '' && !/^:[0-9]*$/.test(after))
        throw parseError(`invalid port ${JSON.stringify(after)} after host`);
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0) {
        const port = host.slice(colon);
        if (!/^:[0-9]*$/.test(port)) throw parseError(`invalid port ${JSON.stringify(port)} after host`);
      }
    }
  }
  return url;
}

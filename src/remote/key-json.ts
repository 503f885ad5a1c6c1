/**
 * Parses the public-key JSON of the `<role>.key` endpoints
 * (`{"keytype":"ed25519","keyval":{"public":"<b64>","private":null}}`) into a TufKey, with the
 * key rules of src/tuf/keys.ts; anything malformed is a bad response from the server.
 */
import { clipForMessage, errorMessage, NotaryError } from '../errors.js';
import { parseTufKey } from '../tuf/keys.js';
import type { TufKey } from '../tuf/types.js';

function bad(what: string, server: string, reason: string): NotaryError {
  return new NotaryError('BAD_RESPONSE', 'trust server returned a bad response.', {
    hint: `The ${what} from ${server} is not a valid public key (${clipForMessage(reason)}).`,
    details: { server },
  });
}

export function parseKeyJson(body: Buffer, what: string, server: string): TufKey {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw bad(what, server, `not JSON: ${errorMessage(e)}`);
  }
  try {
    return parseTufKey(v, what);
  } catch (e) {
    throw bad(what, server, errorMessage(e));
  }
}

/**
 * Parses the public-key JSON of the `<role>.key` endpoints
 * (`{"keytype":"ed25519","keyval":{"public":"<b64>","private":null}}`) into a TufKey.
 * Kept local to remote/ so the client does not depend on the whole tuf/keys module.
 */
import type { KeyType } from '../crypto/keys.js';
import { NotaryError } from '../errors.js';
import type { TufKey } from '../tuf/types.js';

const KEY_TYPES: ReadonlySet<string> = new Set<KeyType>([
  'ecdsa',
  'rsa',
  'ed25519',
  'ecdsa-x509',
  'rsa-x509',
]);

function bad(what: string, server: string, reason: string): NotaryError {
  return new NotaryError('BAD_RESPONSE', 'trust server returned a bad response.', {
    hint: `The ${what} from ${server} is not a valid public key (${reason}).`,
    details: { server },
  });
}

export function parseKeyJson(body: Buffer, what: string, server: string): TufKey {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw bad(what, server, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof v !== 'object' || v === null) throw bad(what, server, 'not a JSON object');
  const { keytype, keyval } = v as { keytype?: unknown; keyval?: unknown };
  if (typeof keytype !== 'string' || !KEY_TYPES.has(keytype))
    throw bad(what, server, `unknown keytype ${JSON.stringify(keytype)}`);
  const pub =
    typeof keyval === 'object' && keyval !== null ? (keyval as { public?: unknown }).public : undefined;
  if (typeof pub !== 'string' || pub === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(pub))
    throw bad(what, server, 'keyval.public is not base64');
  return { keytype: keytype as KeyType, public: Buffer.from(pub, 'base64') };
}

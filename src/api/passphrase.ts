/** Go notary's passphrase rules for library users who want them (no terminal prompts). */
import { envPassphraseRetriever } from '../keystore/passphrase.js';
import type { PassphraseRetriever } from '../keystore/types.js';

/**
 * A passphrase callback reading `NOTARY_ROOT_PASSPHRASE`, `NOTARY_TARGETS_PASSPHRASE`,
 * `NOTARY_SNAPSHOT_PASSPHRASE`, `NOTARY_DELEGATION_PASSPHRASE` (and Docker's
 * `DOCKER_CONTENT_TRUST_*_PASSPHRASE`) from `env`, as the CLI does. A missing variable fails with
 * `NO_PASSPHRASE_INPUT` naming the variable to set.
 */
export function passphraseFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): PassphraseRetriever {
  return envPassphraseRetriever({ ...env });
}

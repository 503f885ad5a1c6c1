/**
 * Go notary's passphrase retriever (cli.md §3): environment variables per alias first, then a
 * terminal prompt with Go's exact texts, attempt rules and per-alias cache. The terminal itself is
 * injected (only src/cli touches it).
 */
import { NotaryError } from '../errors.js';
import type { PassphraseRequest, PassphraseRetriever } from './types.js';

/**
 * The terminal as the retriever needs it. `readHidden` prints the prompt, reads a line without
 * echo and then ends the line on screen (Go prints a newline after each hidden entry), as
 * src/cli/prompt.ts does.
 */
export interface PassphrasePrompter {
  readonly interactive: boolean;
  readHidden(prompt: string): Promise<string>;
  /** stdout text (Go prints prompts and messages on stdout) */
  write(text: string): void;
}

export const ROOT_WARNING =
  'You are about to create a new root signing key passphrase. This passphrase\n' +
  'will be used to protect the most sensitive key in your signing system. Please\n' +
  'choose a long, complex passphrase and be careful to keep the password and the\n' +
  'key file itself secure and backed up. It is highly recommended that you use a\n' +
  'password manager to generate the passphrase and keep it safe. There will be no\n' +
  'way to recover this key. You can find the key in your config directory.\n';

export const NO_INPUT_MESSAGE =
  'Please either use environment variables or STDIN with a terminal to provide key passphrases';

const MIN_LENGTH = 8;
const ID_CHARS = 7;

/** Environment variables consulted for an alias, in order (NOTARY_ first, then Docker's). */
export function passphraseEnvVars(alias: string): string[] {
  switch (alias) {
    case 'root':
      return ['NOTARY_ROOT_PASSPHRASE', 'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'];
    case 'targets':
      return ['NOTARY_TARGETS_PASSPHRASE', 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'];
    case 'snapshot':
      return ['NOTARY_SNAPSHOT_PASSPHRASE', 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'];
    case 'timestamp':
      return [];
    default:
      // Go: any non-base alias (delegations, `delegation`, '' for `key generate -o`, yubikey PINs)
      return ['NOTARY_DELEGATION_PASSPHRASE', 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'];
  }
}

/** `with ID <7 chars>` exactly as Go formats it (with the `(prefix)` form for names with `/`). */
export function withIdSuffix(keyName: string): string {
  let sep = keyName.lastIndexOf('/');
  if (sep === -1) sep = 0;
  if (keyName.length <= sep + ID_CHARS) return '';
  const shortName =
    sep > 0
      ? `${keyName.slice(sep + 1, sep + ID_CHARS + 1)} (${keyName.slice(0, sep)})`
      : keyName.slice(sep, sep + ID_CHARS);
  return ` with ID ${shortName}`;
}

/** A retryable failure (too short, mismatch): the caller asks again with attempt + 1. */
export function retryableError(message: string): NotaryError {
  return new NotaryError('PASSPHRASE', message, { details: { retry: true } });
}

export function isRetryable(e: unknown): boolean {
  return e instanceof NotaryError && e.details?.['retry'] === true;
}

function noInputError(alias: string): NotaryError {
  const vars = passphraseEnvVars(alias);
  const hint =
    vars.length > 0
      ? `set ${vars[0]}${vars.length > 1 ? ` (or ${vars.slice(1).join(' / ')})` : ''} or run the command in a terminal to be prompted`
      : `run the command in a terminal to be prompted (no environment variable exists for ${alias} keys)`;
  return new NotaryError('NO_PASSPHRASE_INPUT', NO_INPUT_MESSAGE, {
    hint,
    details: { alias, envVar: vars[0] },
  });
}

/**
 * Builds Go's retriever. Env values are used for attempts 0 and 1 and give up at 2 (no prompt).
 * Without env and without a terminal it fails at once (Go would retry silently up to 11 times).
 */
export function envPassphraseRetriever(
  env: NodeJS.ProcessEnv,
  prompter?: PassphrasePrompter,
): PassphraseRetriever {
  const cache = new Map<string, string>();

  return async (req: PassphraseRequest): Promise<string> => {
    for (const name of passphraseEnvVars(req.alias)) {
      const v = env[name];
      if (v !== undefined && v !== '') {
        if (req.attempt > 1) {
          throw new NotaryError('PASSPHRASE', 'password invalid, operation has failed.', {
            hint: `the passphrase in ${name} does not decrypt this key`,
          });
        }
        return v;
      }
    }
    if (!prompter?.interactive) throw noInputError(req.alias);
    return prompt(req, prompter, cache);
  };
}

async function prompt(
  req: PassphraseRequest,
  out: PassphrasePrompter,
  cache: Map<string, string>,
): Promise<string> {
  const { keyName, alias, createNew, attempt } = req;
  if (attempt === 0) {
    if (alias === 'root' && createNew) out.write(ROOT_WARNING);
    const cached = cache.get(alias);
    if (cached !== undefined) return cached;
  } else if (!createNew) {
    if (attempt > 3) throw new NotaryError('PASSPHRASE', 'Too many attempts');
    out.write('Passphrase incorrect. Please retry.\n');
  }
  const withId = withIdSuffix(keyName);
  let text: string;
  if (createNew) text = `Enter passphrase for new ${alias} key${withId}: `;
  else if (alias === 'yubikey') text = `Enter the ${keyName} for the attached Yubikey: `;
  else text = `Enter passphrase for ${alias} key${withId}: `;
  const pass = await readTrimmed(out, text, alias);
  if (!createNew) {
    cache.set(alias, pass);
    return pass;
  }
  if (pass.length < MIN_LENGTH) {
    out.write(
      'Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n',
    );
    throw retryableError('Passphrase too short');
  }
  const confirm = await readTrimmed(out, `Repeat passphrase for new ${alias} key${withId}: `, alias);
  if (confirm !== pass) {
    out.write('Passphrases do not match. Please retry.\n');
    throw retryableError('The entered passphrases do not match');
  }
  cache.set(alias, pass);
  return pass;
}

async function readTrimmed(out: PassphrasePrompter, text: string, alias: string): Promise<string> {
  let value: string;
  try {
    value = await out.readHidden(text);
  } catch (e) {
    throw new NotaryError('NO_PASSPHRASE_INPUT', NO_INPUT_MESSAGE, {
      cause: e,
      hint: noInputError(alias).hint,
    });
  }
  return value.trim();
}

/**
 * Runs the retriever for a new key with Go's loop: up to 11 attempts, retryable errors retry,
 * anything else gives up with `maximum number of passphrase attempts exceeded`.
 */
export async function askNewPassphrase(
  retriever: PassphraseRetriever,
  keyName: string,
  alias: string,
): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt <= 10; attempt++) {
    try {
      return await retriever({ keyName, alias, createNew: true, attempt });
    } catch (e) {
      last = e;
      if (!isRetryable(e)) break;
    }
  }
  throw new NotaryError('PASSPHRASE', 'maximum number of passphrase attempts exceeded', {
    cause: last,
    hint: last instanceof NotaryError ? last.hint : undefined,
  });
}

/**
 * Go's GetPasswdDecryptBytes loop: ask, try `decrypt`, retry on a wrong passphrase; when the
 * retriever gives up → `password invalid, operation has failed.`.
 */
export async function decryptWithRetries<T>(
  retriever: PassphraseRetriever,
  keyName: string,
  alias: string,
  decrypt: (passphrase: string) => T,
): Promise<T> {
  for (let attempt = 0; attempt <= 10; attempt++) {
    let pass: string;
    try {
      pass = await retriever({ keyName, alias, createNew: false, attempt });
    } catch (e) {
      throw new NotaryError('PASSPHRASE', 'password invalid, operation has failed.', {
        cause: e,
        hint: e instanceof NotaryError ? e.hint : undefined,
        details: { keyId: keyName, role: alias },
      });
    }
    try {
      return decrypt(pass);
    } catch (e) {
      if (!(e instanceof NotaryError) || e.code !== 'PASSPHRASE') throw e;
    }
  }
  throw new NotaryError('PASSPHRASE', 'maximum number of passphrase attempts exceeded');
}

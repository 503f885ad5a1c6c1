import { describe, expect, it } from 'vitest';
import { isNotaryError, NotaryError } from '../../../src/errors.js';
import {
  askNewPassphrase,
  decryptWithRetries,
  envPassphraseRetriever,
  type PassphrasePrompter,
  ROOT_WARNING,
  withIdSuffix,
} from '../../../src/keystore/passphrase.js';

/** A scripted terminal: answers in order, records everything printed. */
function fakeTerminal(answers: string[], interactive = true): PassphrasePrompter & { out: string } {
  const t = {
    interactive,
    out: '',
    async readHidden(prompt: string) {
      t.out += prompt;
      const a = answers.shift();
      if (a === undefined) throw new Error('EOF');
      t.out += '\n';
      return a;
    },
    write(text: string) {
      t.out += text;
    },
  };
  return t;
}

const ID = '7993580aaaabbbbccccdddd';

async function rejects(p: Promise<unknown>): Promise<NotaryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NotaryError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('withIdSuffix', () => {
  it('formats like Go', () => {
    expect(withIdSuffix('7993580abcdef')).toBe(' with ID 7993580');
    expect(withIdSuffix('1234567')).toBe('');
    expect(withIdSuffix('12345678')).toBe(' with ID 1234567');
    expect(withIdSuffix('example.com/gun/0123456789')).toBe(' with ID 0123456 (example.com/gun)');
    expect(withIdSuffix('a/123456')).toBe('');
  });
});

describe('env passphrases', () => {
  it('maps aliases to variables, delegation fallback for non-base aliases', async () => {
    const env = {
      NOTARY_ROOT_PASSPHRASE: 'r',
      NOTARY_TARGETS_PASSPHRASE: 't',
      NOTARY_SNAPSHOT_PASSPHRASE: 's',
      NOTARY_DELEGATION_PASSPHRASE: 'd',
    };
    const r = envPassphraseRetriever(env);
    const ask = (alias: string) => r({ keyName: ID, alias, createNew: false, attempt: 0 });
    expect(await ask('root')).toBe('r');
    expect(await ask('targets')).toBe('t');
    expect(await ask('snapshot')).toBe('s');
    expect(await ask('targets/releases')).toBe('d');
    expect(await ask('delegation')).toBe('d');
    expect(await ask('')).toBe('d');
    expect(await ask('yubikey')).toBe('d');
    // timestamp has no variable: no terminal → fails at once
    const e = await rejects(ask('timestamp'));
    expect(e.code).toBe('NO_PASSPHRASE_INPUT');
  });

  it('empty variable counts as unset; Docker variables come after NOTARY_ ones', async () => {
    const r = envPassphraseRetriever({
      NOTARY_ROOT_PASSPHRASE: '',
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'docker-root',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'docker-repo',
      NOTARY_TARGETS_PASSPHRASE: 'notary-targets',
    });
    expect(await r({ keyName: ID, alias: 'root', createNew: false, attempt: 0 })).toBe('docker-root');
    expect(await r({ keyName: ID, alias: 'targets', createNew: false, attempt: 0 })).toBe('notary-targets');
    expect(await r({ keyName: ID, alias: 'snapshot', createNew: false, attempt: 0 })).toBe('docker-repo');
    expect(await r({ keyName: ID, alias: 'targets/x', createNew: false, attempt: 0 })).toBe('docker-repo');
  });

  it('env value used for attempts 0 and 1, gives up at 2 without prompting', async () => {
    const term = fakeTerminal(['never']);
    const r = envPassphraseRetriever({ NOTARY_TARGETS_PASSPHRASE: 'wrong' }, term);
    let tries = 0;
    const e = await rejects(
      decryptWithRetries(r, ID, 'targets', () => {
        tries++;
        throw new NotaryError('PASSPHRASE', 'pkcs8: incorrect password');
      }),
    );
    expect(tries).toBe(2);
    expect(e.message).toBe('password invalid, operation has failed.');
    expect(e.hint).toContain('NOTARY_TARGETS_PASSPHRASE');
    expect(term.out).toBe('');
  });

  it('no terminal and no env: fails at once naming the variable, for new and existing keys', async () => {
    const r = envPassphraseRetriever({}, fakeTerminal([], false));
    const e1 = await rejects(askNewPassphrase(r, ID, 'targets'));
    expect(e1.message).toBe('maximum number of passphrase attempts exceeded');
    expect(e1.hint).toContain('NOTARY_TARGETS_PASSPHRASE');
    const e2 = await rejects(decryptWithRetries(r, ID, 'targets/releases', () => 'x'));
    expect(e2.message).toBe('password invalid, operation has failed.');
    expect(e2.hint).toContain('NOTARY_DELEGATION_PASSPHRASE');
  });

  it('new key passphrases from env are not length-checked', async () => {
    const r = envPassphraseRetriever({ NOTARY_ROOT_PASSPHRASE: 'short' });
    expect(await askNewPassphrase(r, ID, 'root')).toBe('short');
  });
});

describe('interactive prompts', () => {
  it('new root key: warning, too short, mismatch, then success — exact text', async () => {
    const term = fakeTerminal(['short', 'longenough1', 'different1', ' longenough1 ', 'longenough1']);
    const r = envPassphraseRetriever({}, term);
    expect(await askNewPassphrase(r, '7993580cafebabe', 'root')).toBe('longenough1');
    expect(term.out).toBe(
      ROOT_WARNING +
        'Enter passphrase for new root key with ID 7993580: \n' +
        'Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n' +
        'Enter passphrase for new root key with ID 7993580: \n' +
        'Repeat passphrase for new root key with ID 7993580: \n' +
        'Passphrases do not match. Please retry.\n' +
        'Enter passphrase for new root key with ID 7993580: \n' +
        'Repeat passphrase for new root key with ID 7993580: \n',
    );
  });

  it('new key with empty alias has a double space', async () => {
    const term = fakeTerminal(['abcdefgh', 'abcdefgh']);
    await askNewPassphrase(envPassphraseRetriever({}, term), '160e382ffff', '');
    expect(term.out.startsWith('Enter passphrase for new  key with ID 160e382: ')).toBe(true);
  });

  it('up to 11 attempts for a new key', async () => {
    const term = fakeTerminal(Array(20).fill('short'));
    const e = await rejects(askNewPassphrase(envPassphraseRetriever({}, term), ID, 'targets'));
    expect(e.message).toBe('maximum number of passphrase attempts exceeded');
    expect(term.out.match(/Enter passphrase/g)?.length).toBe(11);
  });

  it('existing key: 4 prompts, "Passphrase incorrect" between, then gives up', async () => {
    const term = fakeTerminal(['a', 'b', 'c', 'd', 'e']);
    const r = envPassphraseRetriever({}, term);
    const e = await rejects(
      decryptWithRetries(r, ID, 'targets', () => {
        throw new NotaryError('PASSPHRASE', 'pkcs8: incorrect password');
      }),
    );
    expect(e.message).toBe('password invalid, operation has failed.');
    const p = 'Enter passphrase for targets key with ID 7993580: \n';
    const again = 'Passphrase incorrect. Please retry.\n';
    expect(term.out).toBe(p + again + p + again + p + again + p);
  });

  it('caches the last entered passphrase per alias (even a wrong one) and tries it first', async () => {
    const term = fakeTerminal(['first-pass', 'second-pass']);
    const r = envPassphraseRetriever({}, term);
    const got = await decryptWithRetries(r, ID, 'snapshot', (p) => {
      if (p !== 'second-pass') throw new NotaryError('PASSPHRASE', 'pkcs8: incorrect password');
      return p;
    });
    expect(got).toBe('second-pass');
    // next request for the same alias: silent
    const before = term.out;
    expect(await r({ keyName: ID, alias: 'snapshot', createNew: false, attempt: 0 })).toBe('second-pass');
    expect(term.out).toBe(before);
  });

  it('yubikey PIN prompt text', async () => {
    const term = fakeTerminal(['123456']);
    const r = envPassphraseRetriever({}, term);
    await r({ keyName: 'User Pin', alias: 'yubikey', createNew: false, attempt: 0 });
    expect(term.out).toBe('Enter the User Pin for the attached Yubikey: \n');
  });

  it('EOF at the prompt gives up instead of looping', async () => {
    const term = fakeTerminal([]);
    const e = await rejects(askNewPassphrase(envPassphraseRetriever({}, term), ID, 'targets'));
    expect(isNotaryError(e, 'PASSPHRASE')).toBe(true);
    expect(term.out.match(/Enter passphrase/g)?.length).toBe(1);
  });
});

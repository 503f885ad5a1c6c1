import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext, FlagValues } from '../../../src/cli/context.js';
import {
  formatKeyList,
  keyExport,
  keyGenerate,
  keyImport,
  keyList,
  keyPasswd,
  keyRemove,
  truncateLeft,
} from '../../../src/cli/handlers/key.js';
import { canonicalIdOf } from '../../../src/crypto/keygen.js';
import { pemDecodeFirst } from '../../../src/crypto/pem.js';
import { parsePrivateKeyPem } from '../../../src/crypto/private-key.js';
import { NotaryError } from '../../../src/errors.js';
import { FileKeyStore } from '../../../src/keystore/file-store.js';
import { envPassphraseRetriever } from '../../../src/keystore/passphrase.js';
import { silentLogger } from '../../../src/log.js';
import { fixturesDir, tempDir } from '../../helpers/cli.js';

const go = join(fixturesDir, 'go');

interface FakeCtx extends CommandContext {
  out: () => string;
}

function fakeCtx(trustDir: string, env: Record<string, string> = {}, answers: string[] = []): FakeCtx {
  let out = '';
  const cwd = tempDir('cwd-');
  const ctx: FakeCtx = {
    stdout: {
      write: (t) => {
        out += t;
      },
    },
    stderr: { write: () => {} },
    stdin: new PassThrough(),
    env,
    cwd,
    globals: { debug: false, verbose: false, output: 'table', trustDir },
    settings: async () => ({
      trustDir,
      serverUrl: 'https://notary-server:4443',
      tls: { skipVerify: false },
      trustPinning: { certs: {}, ca: {}, disableTofu: false },
    }),
    prompter: {
      interactive: false,
      readHidden: async () => {
        throw new Error('not a terminal');
      },
      readLine: async (p) => {
        out += p;
        return answers.shift() ?? '';
      },
    },
    log: silentLogger,
    clock: () => new Date('2026-11-23T00:00:00Z'),
    out: () => out,
  };
  return ctx;
}

async function rejects(p: Promise<unknown>): Promise<NotaryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NotaryError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function copyFixture(name: string): string {
  const dir = tempDir('kh-');
  cpSync(join(go, name), dir, { recursive: true });
  return dir;
}

const noFlags: FlagValues = {};

async function listAs(dir: string, home: string): Promise<string> {
  const store = new FileKeyStore(dir, envPassphraseRetriever({}));
  const keys = (await store.list()).map((k) => ({ ...k, location: `${home}/private` }));
  return formatKeyList(keys);
}

describe('key list', () => {
  it('matches Go outputs for trustdir, keys and legacy fixtures', async () => {
    expect(await listAs(copyFixture('trustdir'), '/home/alice/.notary')).toBe(
      readFileSync(join(go, 'outputs', 'key-list.txt'), 'utf8'),
    );
    expect(await listAs(copyFixture('keys'), '/home/alice/.notary')).toBe(
      readFileSync(join(go, 'outputs', 'keys-key-list.txt'), 'utf8'),
    );
    expect(await listAs(copyFixture('legacy-trustdir'), '/home/alice/.notary')).toBe(
      readFileSync(join(go, 'outputs', 'legacy-key-list.txt'), 'utf8'),
    );
  });

  it('empty store and extra argument', async () => {
    const ctx = fakeCtx(tempDir());
    await keyList(ctx, [], noFlags);
    expect(ctx.out()).toBe('\nNo signing keys found.\n\n');
    const e = await rejects(keyList(ctx, ['x'], noFlags));
    expect(e.message).toBe('');
    expect(e.showUsage).toBe(true);
  });

  it('truncates like Go (bytes, orphaned continuation bytes shown as U+FFFD)', () => {
    expect(truncateLeft('example.com/fixtures/legacy', 25)).toBe('...le.com/fixtures/legacy');
    expect(truncateLeft('exämple.com/ééééééé/üüüüüüüüü', 25)).toBe('...\uFFFDé/üüüüüüüüü');
    expect(truncateLeft('short', 25)).toBe('short');
  });
});

describe('key generate', () => {
  it('stores an ecdsa root key', async () => {
    const dir = tempDir();
    const ctx = fakeCtx(dir, { NOTARY_ROOT_PASSPHRASE: 'root-pass-1' });
    await keyGenerate(ctx, [], noFlags);
    const m = /^Generated new ecdsa root key with keyID: ([0-9a-f]{64})\n$/.exec(ctx.out());
    expect(m).not.toBeNull();
    const text = readFileSync(join(dir, 'private', `${m![1]}.key`), 'utf8');
    expect(text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: root\n\n')).toBe(true);
  });

  it('refuses other algorithms and two arguments with Go texts', async () => {
    const ctx = fakeCtx(tempDir());
    expect((await rejects(keyGenerate(ctx, ['rsa'], noFlags))).message).toBe(
      'Algorithm not allowed, possible values are: ECDSA',
    );
    const e = await rejects(keyGenerate(ctx, ['ecdsa', 'rsa'], noFlags));
    expect(e.message).toBe('Please provide only one Algorithm as an argument to generate (rsa, ecdsa)');
    expect(e.showUsage).toBe(true);
  });

  it('without passphrase source fails at once naming the variable', async () => {
    const dir = tempDir();
    const e = await rejects(keyGenerate(fakeCtx(dir), [], { role: 'targets/x' }));
    expect(e.message).toBe(
      'Failed to create a new targets/x key: maximum number of passphrase attempts exceeded',
    );
    expect(e.hint).toContain('NOTARY_DELEGATION_PASSPHRASE');
    expect(readdirSync(join(dir, 'private'))).toEqual([]);
  });

  it('-o writes NAME.pem and NAME-key.pem (0600) with the delegation passphrase', async () => {
    const ctx = fakeCtx(tempDir(), { NOTARY_DELEGATION_PASSPHRASE: 'gen-o-pass' });
    await keyGenerate(ctx, ['ECDSA'], { output: 'out', role: 'targets/x' });
    expect(ctx.out()).toBe('');
    const pub = readFileSync(join(ctx.cwd, 'out.pem'), 'utf8');
    const priv = readFileSync(join(ctx.cwd, 'out-key.pem'), 'utf8');
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\nrole: targets\/x\n\nMFkw/);
    expect(priv.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets/x\n\n')).toBe(true);
    expect(statSync(join(ctx.cwd, 'out.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(ctx.cwd, 'out-key.pem')).mode & 0o777).toBe(0o600);
    const key = parsePrivateKeyPem(pemDecodeFirst(priv).block!, 'gen-o-pass');
    expect(canonicalIdOf(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the Go -o fixture decrypts with fixture-keys', () => {
    const priv = readFileSync(join(go, 'keys', 'ecdsa-generate-o-key.pem'), 'utf8');
    const key = parsePrivateKeyPem(pemDecodeFirst(priv).block!, 'fixture-keys');
    expect(canonicalIdOf(key)).toBe('86c7f628d81cfc88afccb2eebd93db3b3b660b5da201fa0b2d7e97430d1b0e4b');
  });
});

describe('key passwd', () => {
  const id = '5e6c944168d8f491bce0ca842d3f0767d020b6ff656d2510d6888149c6a742dd';

  it('re-encrypts with the new passphrase', async () => {
    const dir = copyFixture('trustdir');
    const ctx = fakeCtx(dir, { NOTARY_TARGETS_PASSPHRASE: 'fixture-targets' });
    await keyPasswd(ctx, [id], noFlags);
    expect(ctx.out()).toBe(`\nSuccessfully updated passphrase for key ID: ${id}\n`);
    const text = readFileSync(join(dir, 'private', `${id}.key`), 'utf8');
    expect(
      text.startsWith(
        '-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com/fixtures/demo\nrole: targets\n\n',
      ),
    ).toBe(true);
    expect(text).not.toBe(readFileSync(join(go, 'trustdir', 'private', `${id}.key`), 'utf8'));
  });

  it('errors with Go texts', async () => {
    const dir = copyFixture('trustdir');
    expect((await rejects(keyPasswd(fakeCtx(dir), ['abc'], noFlags))).message).toBe(
      'invalid key ID provided: abc',
    );
    const missing = 'f'.repeat(64);
    expect((await rejects(keyPasswd(fakeCtx(dir), [missing], noFlags))).message).toBe(
      `could not retrieve local key for key ID provided: ${missing}`,
    );
    const wrong = await rejects(keyPasswd(fakeCtx(dir, { NOTARY_TARGETS_PASSPHRASE: 'bad' }), [id], noFlags));
    expect(wrong.message).toBe(`could not retrieve local key for key ID provided: ${id}`);
    expect(wrong.hint).toContain('NOTARY_TARGETS_PASSPHRASE');
    const e = await rejects(keyPasswd(fakeCtx(dir), [], noFlags));
    expect(e.message).toBe('must specify the key ID of the key to change the passphrase of');
  });
});

describe('key remove', () => {
  const id = '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553';

  it('confirms and deletes with Go texts', async () => {
    const dir = copyFixture('trustdir');
    const ctx = fakeCtx(dir, {}, ['yes']);
    await keyRemove(ctx, [id], noFlags);
    const loc = join(dir, 'private');
    expect(ctx.out()).toBe(
      `\nAre you sure you want to remove ${id} (role targets/releases) from ${loc}?  (yes/no)  \nDeleted ${id} (role targets/releases) from ${loc}.\n\n`,
    );
    expect(existsSync(join(loc, `${id}.key`))).toBe(false);
  });

  it('declined → Aborting action, file kept; unknown → No key with ID', async () => {
    const dir = copyFixture('trustdir');
    const ctx = fakeCtx(dir, {}, ['no']);
    await keyRemove(ctx, [id], noFlags);
    expect(ctx.out().endsWith('\nAborting action.\n\n')).toBe(true);
    expect(existsSync(join(dir, 'private', `${id}.key`))).toBe(true);
    const ctx2 = fakeCtx(dir);
    const e = await rejects(keyRemove(ctx2, ['0'.repeat(64)], noFlags));
    expect(e.message).toBe(`No key with ID ${'0'.repeat(64)} found`);
    expect(ctx2.out()).toBe('\n\n');
  });
});

describe('key export / import', () => {
  it('export all equals Go exported-all.pem; import restores it', async () => {
    const ctx = fakeCtx(copyFixture('keys'));
    await keyExport(ctx, [], noFlags);
    const exported = readFileSync(join(go, 'keys', 'exported-all.pem'), 'utf8');
    expect(ctx.out()).toBe(exported);
    const dst = tempDir();
    const ctx2 = fakeCtx(dst);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(ctx2.cwd, 'all.pem'), exported);
    await keyImport(ctx2, ['all.pem'], noFlags);
    expect(readdirSync(join(dst, 'private')).sort()).toEqual(readdirSync(join(go, 'keys', 'private')).sort());
  });

  it('export errors and -o', async () => {
    const ctx = fakeCtx(copyFixture('trustdir'));
    expect((await rejects(keyExport(ctx, ['x'], noFlags))).message).toBe(
      'export does not take any positional arguments',
    );
    expect((await rejects(keyExport(ctx, [], { gun: ['a'], key: ['b'] }))).message).toBe(
      'Only the --gun or --key flag may be provided, not a mix of the two flags',
    );
    await keyExport(ctx, [], { output: 'o.pem', gun: ['example.com/fixtures/demo'] });
    expect(statSync(join(ctx.cwd, 'o.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(ctx.cwd, 'o.pem'), 'utf8').match(/BEGIN/g)?.length).toBe(2);
  });

  it('import errors', async () => {
    const ctx = fakeCtx(tempDir());
    expect((await rejects(keyImport(ctx, [], noFlags))).message).toBe(
      'must specify at least one input file to import keys from',
    );
    expect((await rejects(keyImport(ctx, ['nope.pem'], noFlags))).message).toBe(
      'open nope.pem: no such file or directory',
    );
    const e = await rejects(
      keyImport(ctx, [join(go, 'keys', 'inputs', 'rsa-input.pem')], { role: 'targets' }),
    );
    expect(e.message).toBe('failed to import all keys: invalid key pem block');
  });
});

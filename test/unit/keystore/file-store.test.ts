import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalIdOf, generateKey } from '../../../src/crypto/keygen.js';
import { NotaryError } from '../../../src/errors.js';
import { FileKeyStore } from '../../../src/keystore/file-store.js';
import { envPassphraseRetriever } from '../../../src/keystore/passphrase.js';
import { fixturesDir, tempDir } from '../../helpers/cli.js';

const go = join(fixturesDir, 'go');

function copyFixture(name: string): string {
  const dir = tempDir('ks-');
  cpSync(join(go, name), dir, { recursive: true });
  return dir;
}

function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else out.push(r);
  }
  return out;
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

const trustdirKeys = [
  [
    'cc2db44db848cae786a79154f0e74745f0a8e072dfbc021a6c7ab17871a046fb',
    'root',
    '',
    { NOTARY_ROOT_PASSPHRASE: 'fixture-root' },
  ],
  [
    '5e6c944168d8f491bce0ca842d3f0767d020b6ff656d2510d6888149c6a742dd',
    'targets',
    'example.com/fixtures/demo',
    { NOTARY_TARGETS_PASSPHRASE: 'fixture-targets' },
  ],
  [
    'd04196436a9693ac168d440ef7e15edc740a34cc15b511428e5857bcf013b8d3',
    'snapshot',
    'example.com/fixtures/demo',
    { NOTARY_SNAPSHOT_PASSPHRASE: 'fixture-snapshot' },
  ],
  [
    '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553',
    'targets/releases',
    '',
    { NOTARY_DELEGATION_PASSPHRASE: 'fixture-delegation' },
  ],
] as const;

describe('FileKeyStore on Go fixtures', () => {
  it('lists the trustdir keys with role and gun', async () => {
    const store = new FileKeyStore(copyFixture('trustdir'), envPassphraseRetriever({}));
    const list = await store.list();
    expect(list.map((k) => [k.keyId, k.role, k.gun]).sort()).toEqual(
      trustdirKeys.map(([id, role, gun]) => [id, role, gun]).sort(),
    );
  });

  for (const [id, role, , env] of trustdirKeys) {
    it(`decrypts the ${role} key with its documented passphrase`, async () => {
      const store = new FileKeyStore(copyFixture('trustdir'), envPassphraseRetriever(env));
      const signer = await store.getSigner(id);
      expect(signer?.keyId).toBe(id);
      expect(canonicalIdOf((await store.getPrivateKey(id))!.key)).toBe(id);
      const sig = await signer!.sign(Buffer.from('hello'));
      expect(sig.method).toBe('ecdsa');
    });
  }

  it('decrypts the three algorithms in keys/', async () => {
    const dir = copyFixture('keys');
    const store = new FileKeyStore(
      dir,
      envPassphraseRetriever({ NOTARY_DELEGATION_PASSPHRASE: 'fixture-keys' }),
    );
    const list = await store.list();
    expect(list.length).toBe(3);
    const algs: string[] = [];
    for (const k of list) {
      expect(k.role).toBe('targets/keys');
      const entry = await store.getPrivateKey(k.keyId);
      expect(canonicalIdOf(entry!.key)).toBe(k.keyId);
      algs.push(entry!.key.algorithm);
    }
    expect(algs.sort()).toEqual(['ecdsa', 'ed25519', 'rsa']);
  });

  it('wrong env passphrase fails and leaves the file untouched', async () => {
    const dir = copyFixture('trustdir');
    const [id] = trustdirKeys[1];
    const file = join(dir, 'private', `${id}.key`);
    const before = readFileSync(file);
    const store = new FileKeyStore(dir, envPassphraseRetriever({ NOTARY_TARGETS_PASSPHRASE: 'nope' }));
    const e = await rejects(
      store.changePassphrase(id, envPassphraseRetriever({ NOTARY_TARGETS_PASSPHRASE: 'new-pass-1' })),
    );
    expect(e.message).toBe('password invalid, operation has failed.');
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe('legacy migration', () => {
  it('turns legacy-trustdir into exactly legacy-migrated', async () => {
    const dir = copyFixture('legacy-trustdir');
    const store = new FileKeyStore(dir, envPassphraseRetriever({}));
    await store.list();
    const want = join(go, 'legacy-migrated');
    expect(filesUnder(join(dir, 'private'))).toEqual(filesUnder(join(want, 'private')));
    for (const f of filesUnder(join(want, 'private'))) {
      expect(readFileSync(join(dir, 'private', f), 'utf8')).toBe(
        readFileSync(join(want, 'private', f), 'utf8'),
      );
      expect(statSync(join(dir, 'private', f)).mode & 0o777).toBe(0o600);
    }
    expect(existsSync(join(dir, 'private', 'root_keys'))).toBe(false);
    expect(existsSync(join(dir, 'private', 'tuf_keys'))).toBe(false);
  });

  it('legacy keys decrypt with legacy-pass and passwd converts them to PKCS#8', async () => {
    const dir = copyFixture('legacy-migrated');
    const env = {
      NOTARY_ROOT_PASSPHRASE: 'legacy-pass',
      NOTARY_TARGETS_PASSPHRASE: 'legacy-pass',
      NOTARY_SNAPSHOT_PASSPHRASE: 'legacy-pass',
      NOTARY_DELEGATION_PASSPHRASE: 'legacy-pass',
    };
    const store = new FileKeyStore(dir, envPassphraseRetriever(env));
    for (const k of await store.list()) {
      const entry = await store.getPrivateKey(k.keyId);
      expect(canonicalIdOf(entry!.key)).toBe(k.keyId);
    }
    const targets = (await store.list()).find((k) => k.role === 'targets')!;
    await store.changePassphrase(
      targets.keyId,
      envPassphraseRetriever({ NOTARY_TARGETS_PASSPHRASE: 'brand-new-pass' }),
    );
    const text = readFileSync(join(dir, 'private', `${targets.keyId}.key`), 'utf8');
    expect(text).toMatch(
      /^-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com\/fixtures\/legacy\nrole: targets\n\n/,
    );
    const again = new FileKeyStore(
      dir,
      envPassphraseRetriever({ NOTARY_TARGETS_PASSPHRASE: 'brand-new-pass' }),
    );
    expect(canonicalIdOf((await again.getPrivateKey(targets.keyId))!.key)).toBe(targets.keyId);
  });
});

describe('adding keys', () => {
  it('writes headers per role (gun only for targets/snapshot/timestamp), 0600 files, 0700 dir', async () => {
    const dir = tempDir('ks-');
    const store = new FileKeyStore(
      dir,
      envPassphraseRetriever({
        NOTARY_ROOT_PASSPHRASE: 'root-pass-1',
        NOTARY_TARGETS_PASSPHRASE: 'targets-pass',
        NOTARY_DELEGATION_PASSPHRASE: 'deleg-pass-1',
      }),
    );
    const cases: [string, string, string][] = [
      ['root', 'example.com/x', 'role: root\n\n'],
      ['targets', 'example.com/x', 'gun: example.com/x\nrole: targets\n\n'],
      ['targets/releases', 'example.com/x', 'role: targets/releases\n\n'],
      ['delegation', 'example.com/x', 'role: delegation\n\n'],
    ];
    for (const [role, gun, headers] of cases) {
      const id = await store.add(generateKey('ecdsa'), role, gun);
      const text = readFileSync(join(dir, 'private', `${id}.key`), 'utf8');
      expect(text.startsWith(`-----BEGIN ENCRYPTED PRIVATE KEY-----\n${headers}`)).toBe(true);
      expect(statSync(join(dir, 'private', `${id}.key`)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, 'private')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dir, 'private')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('same key for another role is refused', async () => {
    const store = new FileKeyStore(
      tempDir('ks-'),
      envPassphraseRetriever({ NOTARY_DELEGATION_PASSPHRASE: 'deleg-pass-1' }),
    );
    const key = generateKey('ed25519');
    await store.add(key, 'targets/a', '');
    expect(await store.add(key, 'targets/a', '')).toBe(canonicalIdOf(key));
    const e = await rejects(store.add(key, 'targets/b', ''));
    expect(e.message).toBe('key with same ID already exists for role: targets/a');
  });

  it('unencrypted PRIVATE KEY files are used silently', async () => {
    const dir = tempDir('ks-');
    const key = generateKey('rsa');
    const { encodePlainKeyPem } = await import('../../../src/crypto/private-key.js');
    const id = canonicalIdOf(key);
    cpSync(join(go, 'keys'), join(dir, 'unused'), { recursive: true });
    const store = new FileKeyStore(dir, envPassphraseRetriever({}));
    await store.open();
    writeFileSync(join(dir, 'private', `${id}.key`), encodePlainKeyPem(key, { role: 'targets/plain' }));
    const signer = await store.getSigner(id);
    expect((await signer!.sign(Buffer.from('x'))).method).toBe('rsapss');
  });
});

describe('export / import', () => {
  it('export of keys/ equals Go exported-all.pem', async () => {
    const store = new FileKeyStore(copyFixture('keys'), envPassphraseRetriever({}));
    expect(await store.exportBlocks()).toBe(readFileSync(join(go, 'keys', 'exported-all.pem'), 'utf8'));
  });

  it('export by gun and by key', async () => {
    const store = new FileKeyStore(copyFixture('trustdir'), envPassphraseRetriever({}));
    const byGun = await store.exportBlocks({ gun: 'example.com/fixtures/demo' });
    expect(byGun.match(/path: /g)?.length).toBe(2);
    expect(byGun).toContain('role: snapshot');
    const byKey = await store.exportBlocks({
      keyIds: ['cc2db44db848cae786a79154f0e74745f0a8e072dfbc021a6c7ab17871a046fb'],
    });
    expect(byKey).toContain(
      'path: cc2db44db848cae786a79154f0e74745f0a8e072dfbc021a6c7ab17871a046fb\nrole: root\n',
    );
  });

  it('import of an export restores identical files', async () => {
    const src = copyFixture('keys');
    const exported = readFileSync(join(go, 'keys', 'exported-all.pem'), 'utf8');
    const dst = tempDir('ks-');
    const store = new FileKeyStore(dst, envPassphraseRetriever({}));
    const r = await store.importBlocks(exported);
    expect(r.skipped).toEqual([]);
    for (const f of readdirSync(join(src, 'private'))) {
      expect(readFileSync(join(dst, 'private', f), 'utf8')).toBe(
        readFileSync(join(src, 'private', f), 'utf8'),
      );
    }
  });

  it('import of unencrypted keys encrypts them; canonical role without gun is skipped', async () => {
    const dst = tempDir('ks-');
    const store = new FileKeyStore(
      dst,
      envPassphraseRetriever({ NOTARY_DELEGATION_PASSPHRASE: 'import-pass' }),
    );
    const rsaInput = readFileSync(join(go, 'keys', 'inputs', 'rsa-input.pem'), 'utf8');
    const r = await store.importBlocks(rsaInput, { role: 'targets/imp' });
    expect(r.written.length).toBe(1);
    const text = readFileSync(join(dst, 'private', `${r.written[0]}.key`), 'utf8');
    expect(text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets/imp\n\n')).toBe(true);
    const r2 = await store.importBlocks(rsaInput, { role: 'targets' });
    expect(r2.skipped).toEqual(['invalid key pem block']);
    const r3 = await store.importBlocks(
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: x\n\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n',
    );
    expect(r3.skipped).toEqual(['invalid key pem block']);
    // Go keeps only the base name of a path with directories: nothing escapes private/
    const r4 = await store.importBlocks(rsaInput.replace('-----\n', '-----\npath: ../../evil\n'), {
      role: 'x',
    });
    expect(r4.written).toEqual(['evil']);
    expect(existsSync(join(dst, 'private', 'evil.key'))).toBe(true);
  });
});

describe('key files from the command line', () => {
  it('decryptKeyPem: unencrypted silently, encrypted through the retriever with retries', async () => {
    const { decryptKeyPem, isEncryptedKeyPem } = await import('../../../src/keystore/key-file.js');
    const plain = readFileSync(join(go, 'certs', 'delegation-ecdsa.key'), 'utf8');
    expect(isEncryptedKeyPem(plain)).toBe(false);
    const k1 = await decryptKeyPem(plain, envPassphraseRetriever({}), '', 'root');
    expect(canonicalIdOf(k1)).toBe('7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553');
    const enc = readFileSync(join(fixturesDir, 'vectors', 'pkcs8', 'ecdsa-root.key'), 'utf8');
    expect(isEncryptedKeyPem(enc)).toBe(true);
    const k2 = await decryptKeyPem(
      enc,
      envPassphraseRetriever({ NOTARY_ROOT_PASSPHRASE: 'fixture-root' }),
      '',
      'root',
    );
    expect(k2.algorithm).toBe('ecdsa');
    const e = await rejects(
      decryptKeyPem(enc, envPassphraseRetriever({ NOTARY_ROOT_PASSPHRASE: 'x' }), '', 'root'),
    );
    expect(e.message).toBe('password invalid, operation has failed.');
  });
});

describe('CryptoService', () => {
  it('creates in the first store, finds signers, lists with location', async () => {
    const { CryptoService } = await import('../../../src/keystore/crypto-service.js');
    const dir = tempDir('cs-');
    const fileStore = store0(dir);
    const cs = new CryptoService([fileStore]);
    const id = await cs.create('targets', 'example.com/g', 'ecdsa');
    const signer = await cs.getSigner(id);
    expect(signer?.keyId).toBe(id);
    expect(await cs.getSigner('0'.repeat(64))).toBeUndefined();
    expect(await cs.list()).toEqual([
      { keyId: id, role: 'targets', gun: 'example.com/g', location: join(dir, 'private') },
    ]);
    expect(await cs.keysForRole('targets', 'example.com/g')).toEqual([id]);
    expect(await cs.keysForRole('targets', 'other')).toEqual([]);
    expect((await cs.holders(id)).length).toBe(1);
  });
});

function store0(dir: string): FileKeyStore {
  return new FileKeyStore(dir, envPassphraseRetriever({ NOTARY_TARGETS_PASSPHRASE: 'targets-pass' }));
}

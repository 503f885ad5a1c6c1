// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Hardware root keys through the CLI (issue 6): tsnotary runs as a subprocess with
 * NOTARY_PKCS11_MODULE pointing at SoftHSM2 and SOFTHSM2_CONF at a token created in a temp dir
 * (test/helpers/softhsm.ts; never the system token directory), against a real notary-server.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { truncateLeft } from '../../src/cli/handlers/key.js';
import { keyIdFor } from '../../src/crypto/keygen.js';
import { projectRoot, type RunOptions, type RunResult, run, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import {
  createSoftHsmToken,
  putGoLayoutKey,
  SOFTHSM_MODULE,
  type SoftHsmToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

const addonBuilt = existsSync(
  join(projectRoot, 'node_modules', 'pkcs11js', 'build', 'Release', 'pkcs11.node'),
);
const TOUCH = 'Please touch the attached Yubikey to perform signing.';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase-1',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase-1',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase-1',
};

/** `key list` rows as [role, gun, id, location]. */
function keyRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r.length >= 3 && /^[0-9a-f]{64}$/.test(r.at(-2) ?? ''))
    .map((r) => (r.length === 3 ? [r[0]!, '', r[1]!, r[2]!] : r));
}

function ok(r: RunResult): RunResult {
  if (r.code !== 0)
    throw new Error(`expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

interface RootInfo {
  /** TUF ID of the root certificate key */
  tufId: string;
  /** canonical ID of the certificate's public key (the ID the key stores use) */
  keyId: string;
  cert: X509Certificate;
  version: number;
  signatureKeyIds: string[];
}

function rootOf(trust: string, gun: string): RootInfo {
  return parseRoot(readFileSync(join(trust, 'tuf', gun, 'metadata', 'root.json'), 'utf8'));
}

/** root.json as the server serves it (a rotation is published without rewriting the cache, as Go). */
async function serverRoot(server: NotaryServer, gun: string): Promise<RootInfo> {
  const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/root.json`);
  expect(res.status).toBe(200);
  return parseRoot(await res.text());
}

function parseRoot(text: string): RootInfo {
  const root = JSON.parse(text) as {
    signed: {
      version: number;
      keys: Record<string, { keytype: string; keyval: { public: string } }>;
      roles: { root: { keyids: string[] } };
    };
    signatures: { keyid: string }[];
  };
  const tufId = root.signed.roles.root.keyids[0]!;
  const key = root.signed.keys[tufId]!;
  expect(key.keytype).toBe('ecdsa-x509');
  const cert = new X509Certificate(Buffer.from(key.keyval.public, 'base64'));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer;
  return {
    tufId,
    keyId: keyIdFor('ecdsa', spki),
    cert,
    version: root.signed.version,
    signatureKeyIds: root.signatures.map((s) => s.keyid),
  };
}

/** The file store's LOCATION column as `key list` prints it (Go truncates to 40 bytes). */
function fileLoc(trust: string): string {
  return truncateLeft(join(trust, 'private'), 40);
}

function privateFiles(trust: string): string[] {
  const dir = join(trust, 'private');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

let counter = 0;

describe.skipIf(!softhsmAvailable || !addonBuilt)('hardware root keys through the CLI (SoftHSM2)', () => {
  let server: NotaryServer;
  let token: SoftHsmToken;
  let dir: string;
  let trust: string;
  let gun: string;

  beforeAll(async () => {
    server = await startNotaryServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    token = await createSoftHsmToken();
    dir = tempDir('tsnotary-p11cli-');
    trust = join(dir, 'trust');
    gun = `example.com/p11/${++counter}`;
  });
  afterEach(() => token.cleanup());

  /** tsnotary with the token: module + private SoftHSM config + passphrases. */
  const ts = (args: string[], opts: RunOptions = {}) =>
    runTs(['-d', trust, '-s', server.url, ...args], {
      ...opts,
      env: { ...PASS, NOTARY_PKCS11_MODULE: SOFTHSM_MODULE, ...token.env, ...opts.env },
    });

  it('init puts the root on the token (with a file backup), publishes, and a fresh client trusts it', async () => {
    const init = ok(await ts(['init', gun]));
    // the root certificate for the GUN and root.json are both signed on the token
    expect(init.stdout.split('\n').filter((l) => l === TOUCH)).toHaveLength(2);
    const rows = keyRows(ok(await ts(['key', 'list'])).stdout);
    const roots = rows.filter((r) => r[0] === 'root');
    expect(roots.map((r) => r[3]).sort()).toEqual([fileLoc(trust), 'yubikey'].sort());
    expect(roots[0]![2]).toBe(roots[1]![2]);
    const rootId = roots[0]![2]!;

    const root = rootOf(trust, gun);
    expect(root.keyId).toBe(rootId);
    expect(root.cert.subject).toBe(`CN=${gun}`);
    // DER ECDSA-Sig-Value from the token's raw r‖s: Go 0.7's own token signer fails here
    expect(root.cert.verify(root.cert.publicKey)).toBe(true);
    expect(root.signatureKeyIds).toEqual([root.tufId]);

    writeFileSync(join(dir, 'payload.txt'), 'hello token\n');
    ok(await ts(['add', gun, 'v1', join(dir, 'payload.txt')]));
    ok(await ts(['publish', gun]));

    // a fresh trust directory, no token configured at all
    const fresh = ok(await runTs(['-d', join(dir, 'fresh'), '-s', server.url, 'list', gun]));
    expect(fresh.stdout).toMatch(/v1\s+[0-9a-f]{64}\s+12\s+targets/);

    // key remove: the token copy (listed first) goes, the backup stays
    const rm = ok(await ts(['key', 'remove', rootId], { input: '1\nyes\n' }));
    expect(rm.stdout).toContain(`1. ${rootId}: root (yubikey)`);
    expect(rm.stdout).toContain(`Deleted ${rootId} (role root) from yubikey.`);
    const after = keyRows(ok(await ts(['key', 'list'])).stdout).filter((r) => r[0] === 'root');
    expect(after).toEqual([['root', '', rootId, fileLoc(trust)]]);
  });

  it('with the backup turned off (config pkcs11.backup: false) the root lives only on the token and still signs', async () => {
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ pkcs11: { module: SOFTHSM_MODULE, backup: false } }));
    const env = { NOTARY_PKCS11_MODULE: undefined };
    ok(await ts(['-c', cfg, 'init', '-p', gun], { env }));
    const rows = keyRows(ok(await ts(['-c', cfg, 'key', 'list'], { env })).stdout);
    const roots = rows.filter((r) => r[0] === 'root');
    expect(roots).toHaveLength(1);
    expect(roots[0]![3]).toBe('yubikey');
    expect(privateFiles(trust)).not.toContain(`${roots[0]![2]}.key`);
    expect(rootOf(trust, gun).keyId).toBe(roots[0]![2]);
    ok(await runTs(['-d', join(dir, 'fresh'), '-s', server.url, 'list', gun]));

    // key remove of the only copy: one match, straight to the confirmation
    const rm = ok(await ts(['-c', cfg, 'key', 'remove', roots[0]![2]!], { env, input: 'yes\n' }));
    expect(rm.stdout).toContain(`Deleted ${roots[0]![2]} (role root) from yubikey.`);
    expect(
      keyRows(ok(await ts(['-c', cfg, 'key', 'list'], { env })).stdout).filter((r) => r[0] === 'root'),
    ).toEqual([]);
  });

  it('init uses a root key laid out on the token the way Go expects (no file copy anywhere)', async () => {
    await putGoLayoutKey(token, '02');
    const list = keyRows(ok(await ts(['key', 'list'])).stdout);
    expect(list).toHaveLength(1);
    const [, , id, loc] = list[0]!;
    expect(loc).toBe('yubikey');
    const init = ok(await ts(['init', '-p', gun]));
    expect(init.all).toContain(`Root key found, using: ${id}`);
    expect(rootOf(trust, gun).keyId).toBe(id);
    expect(privateFiles(trust)).not.toContain(`${id}.key`);
    ok(await runTs(['-d', join(dir, 'fresh'), '-s', server.url, 'list', gun]));
  });

  it('key import: a root key goes to the token plus backup, or token only when NOTARY_PKCS11_NO_BACKUP=1', async () => {
    const keyFile = join(dir, 'root.pem');
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      keyFile,
    ]);
    ok(await ts(['key', 'import', keyFile, '--role', 'root']));
    let roots = keyRows(ok(await ts(['key', 'list'])).stdout);
    expect(roots.map((r) => r[3]).sort()).toEqual([fileLoc(trust), 'yubikey'].sort());
    const id = roots[0]![2]!;
    expect(roots[1]![2]).toBe(id);

    const other = join(dir, 'root2.pem');
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      other,
    ]);
    ok(await ts(['key', 'import', other, '--role', 'root'], { env: { NOTARY_PKCS11_NO_BACKUP: '1' } }));
    roots = keyRows(ok(await ts(['key', 'list'])).stdout);
    const id2 = roots.map((r) => r[2]).find((k) => k !== id)!;
    expect(roots.filter((r) => r[2] === id2).map((r) => r[3])).toEqual(['yubikey']);

    // export never exports a token key: nothing on stdout, the reason on stderr
    const exp = ok(await ts(['key', 'export', '--key', id2]));
    expect(exp.stdout).toBe('');
    expect(exp.stderr).toContain(`key ${id2} is held by yubikey and was not exported`);
    // the backed-up one exports its file copy
    expect(ok(await ts(['key', 'export', '--key', id])).stdout).toContain(`path: ${id}`);

    // passwd: the file copy changes passphrase; a token-only key is refused with what to do
    // (the env passphrase is both the old and the new one, as in Go)
    expect(ok(await ts(['key', 'passwd', id])).stdout).toContain(
      `Successfully updated passphrase for key ID: ${id}`,
    );
    const pw = await ts(['key', 'passwd', id2]);
    expect(pw.code).not.toBe(0);
    expect(pw.stderr).toContain(`key ${id2} is held by yubikey: it is protected by the token's PIN`);
    expect(pw.stderr).toContain('change-pin');
  });

  it('init --rootkey puts the given root key on the token (plus backup) and signs with it', async () => {
    const keyFile = join(dir, 'given-root.pem');
    // Go's rule: only encrypted root keys (here with the root passphrase the CLI is given)
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-aes-256-cbc',
      '-pass',
      `pass:${PASS.NOTARY_ROOT_PASSPHRASE}`,
      '-out',
      keyFile,
    ]);
    const init = ok(await ts(['init', '-p', gun, '--rootkey', keyFile]));
    expect(init.stdout).toContain(TOUCH);
    const id = rootOf(trust, gun).keyId;
    const rows = keyRows(ok(await ts(['key', 'list'])).stdout).filter((r) => r[2] === id);
    expect(rows.map((r) => r[3]).sort()).toEqual([fileLoc(trust), 'yubikey'].sort());
    ok(await runTs(['-d', join(dir, 'fresh'), '-s', server.url, 'list', gun]));
  });

  it('key import: an RSA root key and non-root keys stay in the file store', async () => {
    const rsa = join(dir, 'rsa.pem');
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      rsa,
    ]);
    const r = ok(await ts(['key', 'import', rsa, '--role', 'root']));
    expect(r.stderr).toContain('yubikey only supports ECDSA P-256 keys, got rsa');
    const ec = join(dir, 'targets.pem');
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      ec,
    ]);
    const t = ok(await ts(['key', 'import', ec, '--role', 'targets', '--gun', gun]));
    expect(t.stderr).toBe('');
    const rows = keyRows(ok(await ts(['key', 'list'])).stdout);
    expect(rows.map((x) => x[3])).toEqual([fileLoc(trust), fileLoc(trust)]);
  });

  it('root rotation onto the token: file root → new root created on the token', async () => {
    const noToken = { NOTARY_PKCS11_MODULE: undefined };
    ok(await ts(['init', '-p', gun], { env: noToken }));
    const oldId = rootOf(trust, gun).keyId;
    const rot = ok(await ts(['key', 'rotate', gun, 'root'], { input: 'yes\n' }));
    expect(rot.stdout).toContain(`Successfully rotated root key for repository ${gun}`);
    expect(rot.stdout).toContain(TOUCH);
    const root = await serverRoot(server, gun);
    expect(root.version).toBe(2);
    expect(root.keyId).not.toBe(oldId);
    expect(root.cert.verify(root.cert.publicKey)).toBe(true);
    // the new root is on the token (plus its backup); root.json carries the old and the new signature
    const rows = keyRows(ok(await ts(['key', 'list'])).stdout).filter((r) => r[2] === root.keyId);
    expect(rows.map((r) => r[3]).sort()).toEqual([fileLoc(trust), 'yubikey'].sort());
    expect(root.signatureKeyIds).toHaveLength(2);
    expect(root.signatureKeyIds).toContain(root.tufId);
    ok(await runTs(['-d', join(dir, 'fresh'), '-s', server.url, 'list', gun]));
  });

  it('root rotation off the token: token root (with backup) → new root in files once the token is gone', async () => {
    ok(await ts(['init', '-p', gun]));
    const oldId = rootOf(trust, gun).keyId;
    expect(keyRows(ok(await ts(['key', 'list'])).stdout).find((r) => r[3] === 'yubikey')?.[2]).toBe(oldId);
    // the token retired: no module configured; the backup copy signs the rotation
    const rot = ok(
      await ts(['key', 'rotate', gun, 'root'], { input: 'yes\n', env: { NOTARY_PKCS11_MODULE: undefined } }),
    );
    expect(rot.stdout).not.toContain(TOUCH);
    const root = await serverRoot(server, gun);
    expect(root.version).toBe(2);
    expect(root.keyId).not.toBe(oldId);
    const rows = keyRows(ok(await ts(['key', 'list'])).stdout).filter((r) => r[2] === root.keyId);
    expect(rows.map((r) => r[3])).toEqual([fileLoc(trust)]);
    ok(await runTs(['-d', join(dir, 'fresh'), '-s', server.url, 'list', gun]));
  });

  it('a wrong PIN, then the right one through NOTARY_DELEGATION_PASSPHRASE', async () => {
    token.cleanup();
    token = await createSoftHsmToken({ userPin: '87654321', soPin: '87654321' });
    // factory PINs refused, the given PIN is wrong: the key falls back to files, with the reason
    const bad = ok(await ts(['key', 'generate'], { env: { NOTARY_DELEGATION_PASSPHRASE: 'not-the-pin' } }));
    const badId = /keyID: ([0-9a-f]{64})/.exec(bad.stdout)![1]!;
    expect(bad.stderr).toContain(`could not store the root key ${badId} in yubikey`);
    expect(bad.stderr).toContain('NOTARY_DELEGATION_PASSPHRASE');
    const good = ok(await ts(['key', 'generate'], { env: { NOTARY_DELEGATION_PASSPHRASE: '87654321' } }));
    expect(good.stderr).toBe('');
    const goodId = /keyID: ([0-9a-f]{64})/.exec(good.stdout)![1]!;
    const rows = keyRows(ok(await ts(['key', 'list'])).stdout);
    expect(rows.filter((r) => r[2] === badId).map((r) => r[3])).toEqual([fileLoc(trust)]);
    expect(
      rows
        .filter((r) => r[2] === goodId)
        .map((r) => r[3])
        .sort(),
    ).toEqual([fileLoc(trust), 'yubikey'].sort());
  });

  it('a full token: the root key goes to the files with "yubikey has no available slots"', async () => {
    for (const id of ['00', '01', '02', '03']) await putGoLayoutKey(token, id);
    const r = ok(await ts(['key', 'generate']));
    expect(r.stderr).toContain('yubikey has no available slots');
    expect(r.stderr).toContain('notary key remove');
    const id = /keyID: ([0-9a-f]{64})/.exec(r.stdout)![1]!;
    expect(privateFiles(trust)).toContain(`${id}.key`);
  });

  it('no token, no module: clear warnings, every command still works on files', async () => {
    const empty = join(dir, 'empty-softhsm');
    mkdirSync(join(empty, 'tokens'), { recursive: true });
    writeFileSync(
      join(empty, 'conf'),
      `directories.tokendir = ${join(empty, 'tokens')}\nobjectstore.backend = file\n`,
    );
    const noToken = ok(await ts(['init', '-p', gun], { env: { SOFTHSM2_CONF: join(empty, 'conf') } }));
    expect(noToken.stderr).toContain(`loaded library ${SOFTHSM_MODULE}, but no HSM slots found`);
    expect(noToken.stderr).toContain('Plug in the token');

    const missing = join(dir, 'nope', 'libpkcs11.so');
    const noModule = ok(await ts(['key', 'list'], { env: { NOTARY_PKCS11_MODULE: missing } }));
    expect(noModule.stderr).toContain(`no library found (tried ${missing})`);
    expect(noModule.stderr).toContain('NOTARY_PKCS11_MODULE');
    expect(
      keyRows(noModule.stdout)
        .map((r) => r[0])
        .sort(),
    ).toEqual(['root', 'snapshot', 'targets']);

    // without any module configured nothing is said at all (Go: debug line only)
    const quiet = ok(await ts(['key', 'list'], { env: { NOTARY_PKCS11_MODULE: undefined } }));
    expect(quiet.stderr).toBe('');
  });
});

/**
 * pkcs11js absent (never installed, or failed to build without a compiler): a copy of the built
 * CLI with undici but no pkcs11js. Every command works; a configured module only earns a warning.
 */
describe.skipIf(!existsSync(join(projectRoot, 'dist', 'cli-bundle', 'main.cjs')))(
  'without the pkcs11js addon',
  () => {
    let server: NotaryServer;
    let app: string;
    beforeAll(async () => {
      server = await startNotaryServer();
      app = tempDir('tsnotary-noaddon-');
      // a real copy (Node resolves symlinks to their target, which would find the addon again)
      cpSync(join(projectRoot, 'dist'), join(app, 'dist'), { recursive: true });
      cpSync(join(projectRoot, 'bin'), join(app, 'bin'), { recursive: true });
      cpSync(join(projectRoot, 'package.json'), join(app, 'package.json'));
      mkdirSync(join(app, 'node_modules'));
      symlinkSync(join(projectRoot, 'node_modules', 'undici'), join(app, 'node_modules', 'undici'));
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('init, publish, list, key commands all work; the module setting warns how to fix it', async () => {
      const dir = tempDir('tsnotary-noaddon-run-');
      const trust = join(dir, 'trust');
      const gun = 'example.com/noaddon';
      // any existing file passes the module existence check, so the addon is what is missing
      const env = { ...PASS, NOTARY_PKCS11_MODULE: process.execPath };
      const cli = (args: string[], opts: RunOptions = {}) =>
        run(process.execPath, [join(app, 'bin', 'tsnotary.js'), '-d', trust, '-s', server.url, ...args], {
          ...opts,
          env: { ...env, ...opts.env },
        });
      const init = ok(await cli(['init', '-p', gun]));
      expect(init.stderr).toContain('optional dependency pkcs11js is missing');
      expect(init.stderr).toContain('npm install pkcs11js');
      writeFileSync(join(dir, 'f.txt'), 'x');
      ok(await cli(['add', '-p', gun, 'f', join(dir, 'f.txt')]));
      expect(ok(await cli(['list', gun])).stdout).toMatch(/^f\s+/m);
      const keys = keyRows(ok(await cli(['key', 'list'])).stdout);
      expect(keys.map((r) => r[0]).sort()).toEqual(['root', 'snapshot', 'targets']);
      expect(keys.every((r) => r[3] === fileLoc(trust))).toBe(true);
      // and without the module setting, not a word about hardware
      const quiet = ok(await cli(['key', 'list'], { env: { NOTARY_PKCS11_MODULE: undefined } }));
      expect(quiet.stderr).toBe('');
    });
  },
);

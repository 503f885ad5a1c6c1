// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Key files shared with the Go client: keys written by tsnotary are listed, decrypted and
 * re-encrypted by Go `notary`, keys written by Go are read by tsnotary, and a root certificate
 * made by tsnotary is accepted by Go `init --rootcert` against a real notary-server.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalIdOf, generateKey } from '../../src/crypto/keygen.js';
import type { KeyAlgorithm } from '../../src/crypto/keys.js';
import { encodeEncryptedKeyPem } from '../../src/crypto/private-key.js';
import { certToPem, createRootCertificate } from '../../src/crypto/x509.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { envPassphraseRetriever } from '../../src/keystore/passphrase.js';
import { fixturesDir, runGo, runTs, tempDir, tsnotaryBin } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { createSoftHsmToken, softhsmAvailable } from '../helpers/softhsm.js';

const go = join(fixturesDir, 'go');
const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-pass-1',
  NOTARY_TARGETS_PASSPHRASE: 'targets-pass-1',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-pass-1',
  NOTARY_DELEGATION_PASSPHRASE: 'deleg-pass-1',
};

function store(dir: string, env: Record<string, string> = PASS): FileKeyStore {
  return new FileKeyStore(dir, envPassphraseRetriever(env));
}

describe('tsnotary keys → Go', () => {
  const cases: [KeyAlgorithm, string, string, string][] = [
    ['ecdsa', 'targets', 'example.com/interop', 'NOTARY_TARGETS_PASSPHRASE'],
    ['rsa', 'targets/releases', '', 'NOTARY_DELEGATION_PASSPHRASE'],
    ['ed25519', 'targets/ed', '', 'NOTARY_DELEGATION_PASSPHRASE'],
    ['ecdsa', 'root', '', 'NOTARY_ROOT_PASSPHRASE'],
  ];

  it('Go lists our keys with the same role/GUN/ID, key list output identical, and Go key passwd re-encrypts them', async () => {
    const dir = tempDir();
    const s = store(dir);
    const ids: string[] = [];
    for (const [alg, role] of cases) ids.push(await s.add(generateKey(alg), role, 'example.com/interop'));

    const goList = await runGo(['-d', dir, 'key', 'list']);
    expect(goList.code).toBe(0);
    cases.forEach(([, role, gun], i) => {
      expect(goList.stdout).toMatch(
        new RegExp(`^${role.replace('/', '\\/')}\\s+${gun}\\s*${ids[i]}\\s`, 'm'),
      );
    });
    const tsList = await runTs(['-d', dir, 'key', 'list']);
    expect(tsList.stdout).toBe(goList.stdout);

    for (const [i, [, , , envVar]] of cases.entries()) {
      const before = readFileSync(join(dir, 'private', `${ids[i]}.key`), 'utf8');
      const r = await runGo(['-d', dir, 'key', 'passwd', ids[i]!], {
        env: { [envVar]: PASS[envVar as keyof typeof PASS] },
      });
      expect(r.stdout).toBe(`\nSuccessfully updated passphrase for key ID: ${ids[i]}\n`);
      expect(readFileSync(join(dir, 'private', `${ids[i]}.key`), 'utf8')).not.toBe(before);
    }
    // Go's rewritten files decrypt here
    const again = store(dir);
    for (const id of ids) expect(canonicalIdOf((await again.getPrivateKey(id))!.key)).toBe(id);
  });
});

describe('Go keys → tsnotary', () => {
  it('Go-generated keys decrypt, and after our changePassphrase Go still reads them', async () => {
    const dir = tempDir();
    const gen = await runGo(['-d', dir, 'key', 'generate', '--role', 'targets/gen'], {
      env: { NOTARY_DELEGATION_PASSPHRASE: 'go-pass-123' },
    });
    const id = /keyID: ([0-9a-f]{64})/.exec(gen.stdout)![1]!;
    const s = store(dir, { NOTARY_DELEGATION_PASSPHRASE: 'go-pass-123' });
    expect(canonicalIdOf((await s.getPrivateKey(id))!.key)).toBe(id);
    await s.changePassphrase(id, envPassphraseRetriever({ NOTARY_DELEGATION_PASSPHRASE: 'ts-new-pass' }));
    const r = await runGo(['-d', dir, 'key', 'passwd', id], {
      env: { NOTARY_DELEGATION_PASSPHRASE: 'ts-new-pass' },
    });
    expect(r.stdout).toBe(`\nSuccessfully updated passphrase for key ID: ${id}\n`);
    const wrong = await runGo(['-d', dir, 'key', 'passwd', id], {
      env: { NOTARY_DELEGATION_PASSPHRASE: 'go-pass-123' },
    });
    expect(wrong.code).toBe(1);
  });

  it('tsnotary key passwd on Go fixture keys; Go reads the result', async () => {
    const dir = tempDir();
    cpSync(join(go, 'keys'), dir, { recursive: true });
    const id = 'd88fba2a56c33d2e160f9d2a1674131a19d9d43fe09390d3926c349a581d792e';
    const r = await runTs(['-d', dir, 'key', 'passwd', id], {
      env: { NOTARY_DELEGATION_PASSPHRASE: 'fixture-keys' },
    });
    expect(r.stdout).toBe(`\nSuccessfully updated passphrase for key ID: ${id}\n`);
    const g = await runGo(['-d', dir, 'key', 'passwd', id], {
      env: { NOTARY_DELEGATION_PASSPHRASE: 'fixture-keys' },
    });
    expect(g.stdout).toBe(`\nSuccessfully updated passphrase for key ID: ${id}\n`);
  });

  it('legacy trust dir: tsnotary migrates exactly like Go and prints the same listing', async () => {
    const a = tempDir();
    const b = tempDir();
    cpSync(join(go, 'legacy-trustdir'), a, { recursive: true });
    cpSync(join(go, 'legacy-trustdir'), b, { recursive: true });
    const tsOut = await runTs(['-d', a, 'key', 'list']);
    const goOut = await runGo(['-d', b, 'key', 'list']);
    expect(tsOut.stdout.replaceAll(a, 'DIR')).toBe(goOut.stdout.replaceAll(b, 'DIR'));
  });

  it('key generate -o output is readable by Go import after adding a path header', async () => {
    const dir = tempDir();
    const cwd = tempDir();
    const r = await runTs(['-d', dir, 'key', 'generate', '-o', 'gen', '-r', 'targets/o'], {
      cwd,
      env: { NOTARY_DELEGATION_PASSPHRASE: 'gen-o-pass' },
    });
    expect(r.code).toBe(0);
    const priv = readFileSync(join(cwd, 'gen-key.pem'), 'utf8').replace('role:', 'path: importedkey\nrole:');
    writeFileSync(join(cwd, 'withpath.pem'), priv);
    const imp = await runGo(['-d', dir, 'key', 'import', join(cwd, 'withpath.pem')]);
    expect(imp.code).toBe(0);
    // Go decrypts it (key passwd) with the passphrase given at generate time
    const list = await runGo(['-d', dir, 'key', 'list']);
    expect(list.stdout).toContain('importedkey');
  });
});

describe('root certificate accepted by Go', () => {
  let server: NotaryServer;
  beforeAll(async () => {
    server = await startNotaryServer();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('notary init --rootcert --rootkey -p publishes with our certificate and key', async () => {
    const dir = tempDir();
    const work = tempDir();
    const key = generateKey('ecdsa');
    const gun = 'example.com/interop/rootcert';
    writeFileSync(
      join(work, 'key.pem'),
      encodeEncryptedKeyPem(key, PASS.NOTARY_ROOT_PASSPHRASE, { role: 'root' }),
    );
    const certPem = certToPem(await createRootCertificate(key, gun, new Date()));
    writeFileSync(join(work, 'cert.pem'), certPem);
    const r = await runGo(
      [
        '-d',
        dir,
        '-s',
        server.url,
        'init',
        gun,
        '--rootcert',
        join(work, 'cert.pem'),
        '--rootkey',
        join(work, 'key.pem'),
        '-p',
      ],
      { env: PASS },
    );
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(`Successfully published changes for repository ${gun}`);
    const root = JSON.parse(readFileSync(join(dir, 'tuf', gun, 'metadata', 'root.json'), 'utf8')) as {
      signed: { keys: Record<string, { keytype: string; keyval: { public: string } }> };
    };
    const pubs = Object.values(root.signed.keys).map((k) =>
      Buffer.from(k.keyval.public, 'base64').toString(),
    );
    expect(pubs).toContain(certPem);
    const list = await runGo(['-d', dir, '-s', server.url, 'list', gun]);
    expect(list.code, list.all).toBe(0);
  }, 60_000);
});

describe('same outputs as Go', () => {
  const id = '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553';
  const runs: [string, string[], string?, Record<string, string>?][] = [
    ['remove confirmed', ['key', 'remove', id], 'yes\n'],
    ['remove declined', ['key', 'remove', id], 'no\n'],
    ['remove unknown', ['key', 'remove', '0'.repeat(64)]],
    ['remove invalid id', ['key', 'remove', 'abc']],
    ['passwd invalid id', ['key', 'passwd', 'abc']],
    ['passwd unknown', ['key', 'passwd', '0'.repeat(64)]],
    ['passwd wrong passphrase', ['key', 'passwd', id], undefined, { NOTARY_DELEGATION_PASSPHRASE: 'wrong' }],
    ['generate rsa', ['key', 'generate', 'rsa']],
    ['generate no passphrase', ['key', 'generate']],
    ['export all', ['key', 'export']],
    ['export by gun', ['key', 'export', '--gun', 'example.com/fixtures/demo']],
    ['export by key', ['key', 'export', '--key', id]],
    ['export mix', ['key', 'export', '--key', id, '--gun', 'x']],
    ['import missing file', ['key', 'import', 'missing.pem']],
    [
      'generate -o into a missing dir',
      ['key', 'generate', '-o', 'nodir/x'],
      undefined,
      { NOTARY_DELEGATION_PASSPHRASE: 'abcdefgh' },
    ],
    ['export -o into a missing dir', ['key', 'export', '-o', 'nodir/x']],
    [
      'import of a key without gun for targets',
      ['key', 'import', '-r', 'targets', join(go, 'keys', 'inputs', 'rsa-input.pem')],
    ],
  ];
  for (const [name, args, input, env] of runs) {
    it(name, async () => {
      const a = tempDir();
      const b = tempDir();
      cpSync(join(go, 'trustdir'), a, { recursive: true });
      cpSync(join(go, 'trustdir'), b, { recursive: true });
      const opts = (dir: string) => ({
        cwd: dir,
        ...(input !== undefined ? { input } : {}),
        ...(env ? { env } : {}),
      });
      const ts = await runTs(['-d', a, ...args], opts(a));
      const g = await runGo(['-d', b, ...args], opts(b));
      // Go prints `\n* fatal: msg` on stdout; tsnotary's renderer prints it on stderr (+ hint).
      const fatal = /\n\* fatal: (.*)\n$/;
      const goFatal = fatal.exec(g.stdout)?.[1];
      const goRest = g.stdout.replace(fatal, '');
      expect(ts.stdout.replaceAll(a, 'DIR')).toBe(goRest.replaceAll(b, 'DIR'));
      if (goFatal !== undefined) expect(ts.all).toContain(`* fatal: ${goFatal.replaceAll(b, a)}\n`);
      expect(ts.code === 0).toBe(g.code === 0);
    });
  }
});

/**
 * Drives a command on a pseudo-terminal (Python's pty): answers each hidden prompt (output
 * ending in ": " with terminal echo switched off) in turn, then reads until the process exits.
 */
const PTY_DRIVER = `
import os, pty, sys, json, select, termios
args = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.environ['HOME'] = args['home']
    for k in list(os.environ):
        if k.startswith('NOTARY_'): del os.environ[k]
    os.execvp(args['cmd'][0], args['cmd'])
out = b''
answers = list(args['answers'])
answered_at = -1
def echo_off():
    return not (termios.tcgetattr(fd)[3] & termios.ECHO)
while True:
    waiting = bool(answers) and len(out) > answered_at and out.endswith(b': ')
    # a hidden prompt is answered once the program has switched echo off, one line per prompt
    if waiting and echo_off():
        os.write(fd, (answers.pop(0) + '\\r').encode())
        answered_at = len(out)
        continue
    r, _, _ = select.select([fd], [], [], 0.02 if waiting else None)
    if not r:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
`;

function onPty(cmd: string[], answers: string[], home: string): string {
  const driver = join(home, 'pty-driver.py');
  writeFileSync(driver, PTY_DRIVER);
  return execFileSync('python3', [driver, JSON.stringify({ cmd, answers, home })], {
    encoding: 'utf8',
    timeout: 60_000,
  }).replace(/\r\n/g, '\n');
}

describe('interactive passphrase prompts on a terminal, byte for byte with Go', () => {
  const scenarios: [string, string[]][] = [
    [
      'new root key: too short, mismatch, ok',
      ['short', 'longenough1', 'different1', 'longenough1', 'longenough1'],
    ],
  ];
  for (const [name, answers] of scenarios) {
    it(`key generate — ${name}; then key passwd with one wrong passphrase`, () => {
      const home = tempDir();
      const a = join(home, 'a');
      const b = join(home, 'b');
      const ts = onPty([process.execPath, tsnotaryBin, '-d', a, 'key', 'generate'], answers, home);
      const g = onPty(['notary', '-d', b, 'key', 'generate'], answers, home);
      const idA = readdirSync(join(a, 'private'))[0]!.slice(0, -4);
      const idB = readdirSync(join(b, 'private'))[0]!.slice(0, -4);
      const norm = (s: string, id: string) => s.replaceAll(id, 'ID').replaceAll(id.slice(0, 7), 'SHORT');
      expect(norm(ts, idA)).toBe(norm(g, idB));
      expect(g).toContain('Generated new ecdsa root key');

      const passwd = ['wrong-pass', 'longenough1', 'newpass12', 'newpass12'];
      const ts2 = onPty([process.execPath, tsnotaryBin, '-d', a, 'key', 'passwd', idA], passwd, home);
      const g2 = onPty(['notary', '-d', b, 'key', 'passwd', idB], passwd, home);
      expect(norm(ts2, idA)).toBe(norm(g2, idB));
      expect(g2).toContain('Successfully updated passphrase');
      // each client reads the other's result with the new passphrase
      const env = { NOTARY_ROOT_PASSPHRASE: 'newpass12' };
      return Promise.all([
        runGo(['-d', a, 'key', 'passwd', idA], { env }),
        runTs(['-d', b, 'key', 'passwd', idB], { env }),
      ]).then(([x, y]) => {
        expect(x.stdout).toContain('Successfully updated passphrase');
        expect(y.stdout).toContain('Successfully updated passphrase');
      });
    }, 60_000);
  }

  it('existing key: four wrong passphrases give up like Go (stdout before the error)', () => {
    const home = tempDir();
    const a = join(home, 'a');
    cpSync(join(go, 'trustdir'), a, { recursive: true });
    const id = '5e6c944168d8f491bce0ca842d3f0767d020b6ff656d2510d6888149c6a742dd';
    const answers = ['w1', 'w2', 'w3', 'w4', 'w5'];
    const ts = onPty([process.execPath, tsnotaryBin, '-d', a, 'key', 'passwd', id], answers, home);
    const g = onPty(['notary', '-d', a, 'key', 'passwd', id], answers, home);
    const prompts = (s: string) => s.slice(0, s.indexOf('* fatal'));
    expect(prompts(ts).trimEnd()).toBe(prompts(g).trimEnd());
    expect(prompts(g).match(/Enter passphrase for targets key with ID 5e6c944: /g)?.length).toBe(4);
    expect(ts).toContain(`* fatal: could not retrieve local key for key ID provided: ${id}`);
  }, 60_000);
});

describe.runIf(softhsmAvailable)('with a PKCS#11 token (SoftHSM) first in the store order', () => {
  it('key generate stores root on the token and backs it up; list shows both; remove asks which', async () => {
    const token = await createSoftHsmToken();
    try {
      const dir = tempDir();
      const env = {
        ...token.env,
        NOTARY_PKCS11_MODULE: token.modulePath,
        NOTARY_ROOT_PASSPHRASE: 'root-pass-1',
      };
      const g = await runTs(['-d', dir, 'key', 'generate'], { env });
      const id = /keyID: ([0-9a-f]{64})/.exec(g.stdout)![1]!;
      const l = await runTs(['-d', dir, 'key', 'list'], { env });
      const rows = l.stdout.split('\n').filter((r) => r.includes(id));
      expect(rows.map((r) => r.trim().split(/\s+/))).toEqual([
        ['root', id, join(dir, 'private')],
        ['root', id, 'yubikey'],
      ]);
      const r = await runTs(['-d', dir, 'key', 'remove', id], { env, input: '3\n2\nyes\n' });
      expect(r.stdout).toBe(
        '\nFound the following matching keys:\n' +
          `\t1. ${id}: root (yubikey)\n\t2. ${id}: root (${join(dir, 'private')})\n` +
          'Which would you like to delete?  Please enter a number:  \nInvalid choice: 3\n' +
          'Found the following matching keys:\n' +
          `\t1. ${id}: root (yubikey)\n\t2. ${id}: root (${join(dir, 'private')})\n` +
          'Which would you like to delete?  Please enter a number:  \n' +
          `Are you sure you want to remove ${id} (role root) from ${join(dir, 'private')}?  (yes/no)  \n` +
          `Deleted ${id} (role root) from ${join(dir, 'private')}.\n\n`,
      );
      const after = await runTs(['-d', dir, 'key', 'list'], { env });
      expect(after.stdout.split('\n').filter((x) => x.includes(id)).length).toBe(1);
    } finally {
      token.cleanup();
    }
  }, 60_000);
});

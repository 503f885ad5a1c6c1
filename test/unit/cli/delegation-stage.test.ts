/**
 * `delegation add | remove | purge` handlers: staged change files byte for byte against the
 * change files Go notary wrote (fixtures/vectors/changelist), outputs against spec/cli.md §6
 * and the Go binary, certificate/public-key checks with Go's error texts.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext, FlagValues } from '../../../src/cli/context.js';
import {
  confirmedAnswer,
  delegationAdd,
  delegationPurge,
  delegationRemove,
  prettyPaths,
} from '../../../src/cli/handlers/delegation-stage.js';
import { generateKey } from '../../../src/crypto/keygen.js';
import { certToPem, createRootCertificate } from '../../../src/crypto/x509.js';
import { NotaryError } from '../../../src/errors.js';
import { decodeDelegationPayload, parseChange } from '../../../src/repo/changelist.js';
import { certificateDers, certificatePem, tufKeyId } from '../../../src/tuf/keys.js';
import { fixturesDir, tempDir } from '../../helpers/cli.js';
import { memLog } from '../../helpers/memlog.js';

const VECTORS = join(fixturesDir, 'vectors', 'changelist');
const CERTS = join(fixturesDir, 'go', 'certs');
const ECDSA_CERT = join(CERTS, 'delegation-ecdsa.crt');
const RSA_CERT = join(CERTS, 'delegation-rsa.crt');
/** Canonical IDs from fixtures/go/README.md. */
const ECDSA_CERT_ID = '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553';
const RSA_CERT_ID = '4d22a4a6a71ea7e393821c63efa3bbdb9d1d01e3f14fca52fa4499970c9e9342';
const GUN = 'example.com/changelist/sample';
const PINNED = new Date('2026-11-23T00:00:00Z');

interface FakeCtx extends CommandContext {
  out: () => string;
  prompts: string[];
  log: ReturnType<typeof memLog>;
  trustDir: string;
}

function fakeCtx(opts: { answers?: string[]; clock?: () => Date } = {}): FakeCtx {
  const answers = [...(opts.answers ?? [])];
  const trustDir = join(tempDir('dlg-stage-'), 'trust');
  let out = '';
  const prompts: string[] = [];
  return {
    trustDir,
    prompts,
    stdout: {
      write: (t) => {
        out += t;
      },
    },
    stderr: { write: () => {} },
    stdin: new PassThrough(),
    env: {},
    cwd: tempDir('dlg-cwd-'),
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
        prompts.push(p);
        out += p;
        return answers.shift() ?? '';
      },
    },
    log: memLog(),
    clock: opts.clock ?? (() => PINNED),
    out: () => out,
  };
}

function changelistDir(ctx: FakeCtx, gun = GUN): string {
  return join(ctx.trustDir, 'tuf', ...gun.split('/'), 'changelist');
}

/** The staged change files' bytes, in order (none when the directory does not exist). */
function staged(ctx: FakeCtx, gun = GUN): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(changelistDir(ctx, gun)).filter((n) => n.endsWith('.change'));
  } catch {
    return [];
  }
  return names.sort().map((n) => readFileSync(join(changelistDir(ctx, gun), n)));
}

function vector(name: string): Buffer {
  return readFileSync(join(VECTORS, name));
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

function writeTemp(name: string, content: string | Buffer): string {
  const p = join(tempDir('dlg-files-'), name);
  writeFileSync(p, content);
  return p;
}

/** The certificate Go staged in vector 06, written out as a file (to re-stage it). */
function vectorCertFile(): string {
  const change = parseChange(vector('06-delegation-create-keys.change'));
  const payload = decodeDelegationPayload(change.data!);
  return writeTemp('vector.crt', payload.addKeys![0]!.public);
}

async function certPem(notBefore: Date, years: number, alg: 'ecdsa' | 'rsa' = 'ecdsa'): Promise<string> {
  return certToPem(await createRootCertificate(generateKey(alg), 'gen-cn', notBefore, years));
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

const add = (ctx: FakeCtx, args: string[], flags: FlagValues = {}) => delegationAdd(ctx, args, flags);
const remove = (ctx: FakeCtx, args: string[], flags: FlagValues = {}) => delegationRemove(ctx, args, flags);

describe('delegation add', () => {
  it('stages the key change byte-identical to the file Go wrote (vector 06), output as Go prints it', async () => {
    const ctx = fakeCtx();
    await add(ctx, [GUN, 'targets/releases', vectorCertFile()]);
    expect(staged(ctx)).toEqual([vector('06-delegation-create-keys.change')]);
    const spki = new X509Certificate(readFileSync(vectorCertFile())).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const id = tufKeyId({ keytype: 'ecdsa', public: spki });
    expect(ctx.out()).toBe(
      `\nAddition of delegation role targets/releases with keys [${id}], to repository "${GUN}" staged for next publish.\n\n`,
    );
  });

  it('stages the paths change byte-identical to vector 07 (paths in command-line order)', async () => {
    const ctx = fakeCtx();
    await add(ctx, [GUN, 'targets/releases'], { paths: ['a/', 'b/'] });
    expect(staged(ctx)).toEqual([vector('07-delegation-create-paths.change')]);
    expect(ctx.out()).toBe(
      `\nAddition of delegation role targets/releases with paths [a/\nb/], to repository "${GUN}" staged for next publish.\n\n`,
    );
  });

  it('keys first, then paths; --all-paths overrides --paths; output matches cli.md §6', async () => {
    const ctx = fakeCtx();
    await add(ctx, [GUN, 'targets/releases', ECDSA_CERT], { paths: ['x/'], 'all-paths': true });
    const files = staged(ctx).map((b) => parseChange(b));
    expect(files.map((c) => [c.action, c.role, c.type, c.path])).toEqual([
      ['create', 'targets/releases', 'delegation', ''],
      ['create', 'targets/releases', 'delegation', ''],
    ]);
    const keys = decodeDelegationPayload(files[0]!.data!);
    expect(keys.threshold).toBe(1);
    expect(keys.addKeys).toEqual([
      { keytype: 'ecdsa-x509', public: Buffer.from(readFileSync(ECDSA_CERT, 'latin1'), 'latin1') },
    ]);
    expect(files[1]!.data!.toString()).toBe('{"add_paths":[""]}');
    expect(ctx.out()).toBe(
      `\nAddition of delegation role targets/releases with keys [${ECDSA_CERT_ID}], with paths ["" <all paths>], to repository "${GUN}" staged for next publish.\n\n`,
    );
  });

  it('several files: RSA certificate, ECDSA and RSA public keys; key IDs in file order, paths sorted in the output only', async () => {
    const ctx = fakeCtx();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ecPub = writeTemp('ec.pub', ec.publicKey.export({ type: 'spki', format: 'pem' }));
    const rsaPub = writeTemp('rsa.pub', rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const ecDer = ec.publicKey.export({ type: 'spki', format: 'der' });
    const rsaDer = rsa.publicKey.export({ type: 'spki', format: 'der' });
    await add(ctx, [GUN, 'targets/team', RSA_CERT, ecPub, rsaPub], { paths: ['b/', 'a/', 'c'] });
    const [keysChange, pathsChange] = staged(ctx).map((b) => parseChange(b));
    const keys = decodeDelegationPayload(keysChange!.data!).addKeys!;
    expect(keys.map((k) => k.keytype)).toEqual(['rsa-x509', 'ecdsa', 'rsa']);
    // a PUBLIC KEY is stored as the DER of the file, as Go does
    expect(keys[1]!.public).toEqual(ecDer);
    expect(keys[2]!.public).toEqual(rsaDer);
    expect(pathsChange!.data!.toString()).toBe('{"add_paths":["b/","a/","c"]}');
    const ecId = tufKeyId({ keytype: 'ecdsa', public: ecDer });
    const rsaId = tufKeyId({ keytype: 'rsa', public: rsaDer });
    expect(ctx.out()).toBe(
      `\nAddition of delegation role targets/team with keys [${RSA_CERT_ID} ${ecId} ${rsaId}], with paths [a/\nb/\nc], to repository "${GUN}" staged for next publish.\n\n`,
    );
  });

  it("uses only the first certificate of a file, re-encoded with Go's PEM encoder (CRLF, junk, chains dropped)", async () => {
    const ctx = fakeCtx();
    const ecdsa = readFileSync(ECDSA_CERT, 'latin1');
    const rsa = readFileSync(RSA_CERT, 'latin1');
    const messy = writeTemp('messy.crt', `junk before\r\n${ecdsa.replace(/\n/g, '\r\n')}${rsa}`);
    await add(ctx, [GUN, 'targets/releases', messy]);
    const keys = decodeDelegationPayload(parseChange(staged(ctx)[0]!).data!).addKeys!;
    expect(keys).toHaveLength(1);
    expect(keys[0]!.public.toString('latin1')).toBe(certificatePem(certificateDers(ecdsa)[0]!));
    expect(keys[0]!.public.toString('latin1')).toBe(ecdsa);
  });

  it('stages a key given twice once (beyond Go, which lists the ID twice) and says so', async () => {
    const ctx = fakeCtx();
    const copy = writeTemp('copy.crt', readFileSync(ECDSA_CERT));
    await add(ctx, [GUN, 'targets/releases', ECDSA_CERT, RSA_CERT, copy]);
    const keys = decodeDelegationPayload(parseChange(staged(ctx)[0]!).data!).addKeys!;
    expect(keys.map((k) => k.keytype)).toEqual(['ecdsa-x509', 'rsa-x509']);
    expect(ctx.out()).toContain(`with keys [${ECDSA_CERT_ID} ${RSA_CERT_ID}], to`);
    expect(ctx.log.lines).toEqual([`warn: ${copy} holds the same key as ${ECDSA_CERT}; it is added once`]);
  });

  it("warns (Go's text) for a certificate expiring within six months, and still stages it", async () => {
    const ctx = fakeCtx();
    const soon = writeTemp('soon.crt', await certPem(new Date(PINNED.getTime() - 86_400_000), 0.2));
    await add(ctx, [GUN, 'targets/releases', soon]);
    expect(ctx.log.lines).toEqual(['warn: certificate with CN gen-cn is near expiry']);
    expect(staged(ctx)).toHaveLength(1);
  });

  it("refuses expired and not-yet-valid certificates with Go's message", async () => {
    for (const start of [new Date('2020-01-01T00:00:00Z'), new Date(PINNED.getTime() + 2 * 86_400_000)]) {
      const ctx = fakeCtx();
      const f = writeTemp('old.crt', await certPem(start, 1));
      const e = await rejects(add(ctx, [GUN, 'targets/releases', f]));
      expect(e.message).toBe(
        `unable to parse valid public key certificate from PEM file ${f}: invalid certificate: certificate with CN gen-cn is expired`,
      );
      expect(staged(ctx)).toEqual([]);
    }
  });

  it('refuses SHA-1, short RSA and Ed25519 certificates, and Ed25519 / short RSA public keys', async () => {
    const dir = tempDir('dlg-openssl-');
    const sha1 = join(dir, 'sha1.crt');
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'sha1.key'),
      '-out',
      sha1,
      '-days',
      '30',
      '-sha1',
      '-subj',
      '/CN=sha1cn',
    ]);
    const short = join(dir, 'short.crt');
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      join(dir, 'short.key'),
      '-out',
      short,
      '-days',
      '30',
      '-subj',
      '/CN=short',
    ]);
    const edKey = join(dir, 'ed.key');
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', edKey]);
    const edCrt = join(dir, 'ed.crt');
    openssl(['req', '-x509', '-key', edKey, '-out', edCrt, '-days', '30', '-subj', '/CN=ed']);
    const edPub = writeTemp(
      'ed.pub',
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const rsaShortPub = writeTemp(
      'short.pub',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const expected: [string, string][] = [
      [sha1, 'invalid certificate: certificate with CN sha1cn uses invalid SHA1 signature algorithm'],
      [short, 'invalid certificate: RSA bit length is too short'],
      [edCrt, 'unsupported certificate key type ed25519, expected an ECDSA or RSA key'],
      [edPub, 'unknown public key format'],
      [rsaShortPub, 'RSA public key is shorter than 2048 bits'],
    ];
    for (const [file, reason] of expected) {
      // openssl certificates carry the real time: check them against the real clock
      const ctx = fakeCtx({ clock: () => new Date() });
      const e = await rejects(add(ctx, [GUN, 'targets/releases', file], { 'all-paths': true }));
      expect(e.message).toBe(`unable to parse valid public key certificate from PEM file ${file}: ${reason}`);
      expect(e.exitCode).toBe(1);
      expect(staged(ctx)).toEqual([]);
    }
  });

  it("file errors use Go's texts and come before the role check", async () => {
    const ctx = fakeCtx();
    const missing = join(tempDir('dlg-missing-'), 'nope.crt');
    let e = await rejects(add(ctx, [GUN, 'releases', missing]));
    expect(e.message).toBe(`file for public key does not exist: ${missing}`);
    e = await rejects(add(ctx, [GUN, 'targets/x', tempDir('dlg-dir-')]));
    expect(e.message).toMatch(/^unable to read public key from file: \//);
    const cases: [string, string][] = [
      [
        '-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n',
        'could not parse provided certificate: x509: malformed certificate',
      ],
      ['hello, not a pem\n', 'no valid public key found'],
      [
        '-----BEGIN X-----\nZ2FyYmFnZQ==\n-----END X-----\n',
        'unsupported PEM block type "X", expected CERTIFICATE or PUBLIC KEY',
      ],
    ];
    for (const [content, reason] of cases) {
      const f = writeTemp('bad.pem', content);
      e = await rejects(add(ctx, [GUN, 'targets/x', f]));
      expect(e.message).toBe(`unable to parse valid public key certificate from PEM file ${f}: ${reason}`);
    }
    const junkPub = writeTemp(
      'junk.pub',
      '-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZQ==\n-----END PUBLIC KEY-----\n',
    );
    e = await rejects(add(ctx, [GUN, 'targets/x', junkPub]));
    expect(e.message).toMatch(/: unable to parse pem encoded public key: /);
    expect(staged(ctx)).toEqual([]);
  });

  it("refuses invalid delegation names (the conformance list) with Go's message, staging nothing", async () => {
    for (const role of [
      'targets/',
      'foo',
      'targets/x/',
      'targets',
      'root',
      'releases',
      'targets/A',
      'targets//x',
    ]) {
      const ctx = fakeCtx();
      const e = await rejects(add(ctx, [GUN, role, ECDSA_CERT], { 'all-paths': true }));
      expect(e.message).toBe(
        `failed to create delegation: tuf: invalid role ${role}. invalid delegation role name`,
      );
      expect(e.code).toBe('INVALID_ROLE');
      expect(staged(ctx)).toEqual([]);
    }
  });

  it('usage error (with usage block) without keys and paths, or without a role', async () => {
    for (const [args, flags] of [
      [[GUN, 'targets/releases'], {}],
      [[GUN], { 'all-paths': true }],
      [[], {}],
    ] as [string[], FlagValues][]) {
      const ctx = fakeCtx();
      const e = await rejects(add(ctx, args, flags));
      expect(e.message).toBe(
        'must specify the Global Unique Name and the role of the delegation along with the public key certificate paths and/or a list of paths to add',
      );
      expect(e.showUsage).toBe(true);
    }
  });

  it('refuses a GUN that would leave the trust directory', async () => {
    const ctx = fakeCtx();
    await expect(add(ctx, ['../../etc', 'targets/x'], { 'all-paths': true })).rejects.toThrow();
    expect(ctx.out()).toBe('');
  });
});

describe('delegation remove', () => {
  it('--paths stages vector 08, a key ID vector 09, --all-paths vector 10, -y vector 11', async () => {
    const keyId = '6c130072e300c9f7701e8353c5dddf6b2205a98064c79a707dcdcbdfa00c1188';
    const cases: [string[], FlagValues, string, string][] = [
      [[], { paths: ['a/'] }, '08-delegation-update-remove-paths.change', 'with paths [a/], '],
      [[keyId], {}, '09-delegation-update-remove-keys.change', `with keys [${keyId}], `],
      [[], { 'all-paths': true }, '10-delegation-update-clear-paths.change', 'with all paths, '],
    ];
    for (const [ids, flags, file, items] of cases) {
      const ctx = fakeCtx();
      await remove(ctx, [GUN, 'targets/releases', ...ids], flags);
      expect(staged(ctx)).toEqual([vector(file)]);
      expect(ctx.out()).toBe(
        `\nRemoval of delegation role targets/releases ${items}to repository "${GUN}" staged for next publish.\n\n`,
      );
      expect(ctx.prompts).toEqual([]);
    }
    const ctx = fakeCtx();
    await remove(ctx, [GUN, 'targets/releases'], { yes: true });
    expect(staged(ctx)).toEqual([vector('11-delegation-delete.change')]);
    expect(ctx.out()).toBe(
      '\nAre you sure you want to remove all data for this delegation? (yes/no)\n' +
        'Confirmed `yes` from flag\n' +
        `\nForced removal (including all keys and paths) of delegation role targets/releases to repository "${GUN}" staged for next publish.\n\n`,
    );
    expect(ctx.prompts).toEqual([]);
  });

  it('paths before keys; --all-paths drops --paths; output lists keys, all paths, paths (as Go)', async () => {
    let ctx = fakeCtx();
    await remove(ctx, [GUN, 'targets/x', 'k1', 'k2'], { paths: ['b/', 'a/', ''] });
    expect(staged(ctx).map((b) => parseChange(b).data!.toString())).toEqual([
      '{"remove_paths":["b/","a/",""]}',
      '{"remove_keys":["k1","k2"]}',
    ]);
    expect(ctx.out()).toBe(
      `\nRemoval of delegation role targets/x with keys [k1 k2], with paths ["" <all paths>\na/\nb/], to repository "${GUN}" staged for next publish.\n\n`,
    );
    expect(ctx.log.lines).toEqual([
      expect.stringContaining('key ID k1 is not a 64-character'),
      expect.stringContaining('key ID k2 is not a 64-character'),
    ]);
    ctx = fakeCtx();
    await remove(ctx, [GUN, 'targets/x', 'k1'], { paths: ['a/'], 'all-paths': true });
    expect(staged(ctx).map((b) => parseChange(b).data!.toString())).toEqual([
      '{"clear_paths":true}',
      '{"remove_keys":["k1"]}',
    ]);
    expect(ctx.out()).toBe(
      `\nRemoval of delegation role targets/x with keys [k1], with all paths, to repository "${GUN}" staged for next publish.\n\n`,
    );
  });

  it('whole-role removal asks; only one word y/yes (any case) confirms', async () => {
    for (const answer of ['yes', 'y', ' YeS ', 'Y']) {
      const ctx = fakeCtx({ answers: [answer] });
      await remove(ctx, [GUN, 'targets/releases']);
      expect(staged(ctx)).toEqual([vector('11-delegation-delete.change')]);
      expect(ctx.out()).toBe(
        '\nAre you sure you want to remove all data for this delegation? (yes/no)\n' +
          `\nForced removal (including all keys and paths) of delegation role targets/releases to repository "${GUN}" staged for next publish.\n\n`,
      );
    }
    for (const answer of ['no', '', 'yes extra', 'yess', 'n']) {
      const ctx = fakeCtx({ answers: [answer] });
      const e = await rejects(remove(ctx, [GUN, 'targets/releases']));
      expect(e.message).toBe('Aborting action.');
      expect(e.exitCode).toBe(1);
      expect(ctx.out()).toBe('\nAre you sure you want to remove all data for this delegation? (yes/no)\n');
      expect(staged(ctx)).toEqual([]);
    }
  });

  it('invalid role name is refused before any question; usage error without a role', async () => {
    const ctx = fakeCtx({ answers: ['yes'] });
    let e = await rejects(remove(ctx, [GUN, 'releases']));
    expect(e.message).toBe('invalid delegation name releases');
    expect(ctx.prompts).toEqual([]);
    expect(ctx.out()).toBe('');
    e = await rejects(remove(ctx, [GUN]));
    expect(e.message).toBe(
      'must specify the Global Unique Name and the role of the delegation along with optional keyIDs and/or a list of paths to remove',
    );
    expect(e.showUsage).toBe(true);
    expect(staged(ctx)).toEqual([]);
  });
});

describe('delegation purge', () => {
  it("stages vector 12 on targets/* and prints Go's tab list", async () => {
    const keyId = '6c130072e300c9f7701e8353c5dddf6b2205a98064c79a707dcdcbdfa00c1188';
    const ctx = fakeCtx();
    await delegationPurge(ctx, [GUN], { key: [keyId] });
    expect(staged(ctx)).toEqual([vector('12-delegation-purge-wildcard.change')]);
    expect(ctx.out()).toBe(
      `Removal of the following keys from all delegations in ${GUN} staged for next publish:\n\t- ${keyId}\n`,
    );
    expect(ctx.log.lines).toEqual([]);
  });

  it('several keys in one change; usage errors as Go', async () => {
    const ctx = fakeCtx();
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    await delegationPurge(ctx, [GUN], { key: [a, b] });
    expect(staged(ctx).map((x) => parseChange(x).data!.toString())).toEqual([
      `{"remove_keys":["${a}","${b}"]}`,
    ]);
    expect(ctx.out()).toContain(`:\n\t- ${a}\n\t- ${b}\n`);
    let e = await rejects(delegationPurge(ctx, [GUN], { key: [] }));
    expect(e.message).toBe('Please provide at least one key ID to be removed using the --key flag');
    e = await rejects(delegationPurge(ctx, [GUN, 'x'], { key: [a] }));
    expect(e.message).toBe('Please provide a single Global Unique Name as an argument to remove');
    e = await rejects(delegationPurge(ctx, [], { key: [a] }));
    expect(e.showUsage).toBe(true);
  });
});

describe('helpers', () => {
  it('prettyPaths sorts by bytes and names the empty path', () => {
    expect(prettyPaths(['b', '', 'a/', 'B'])).toEqual(['"" <all paths>', 'B', 'a/', 'b']);
  });
  it('confirmedAnswer follows fmt.Fscanln of one word', () => {
    expect(confirmedAnswer('yes')).toBe(true);
    expect(confirmedAnswer('\tY ')).toBe(true);
    expect(confirmedAnswer('yes no')).toBe(false);
    expect(confirmedAnswer('')).toBe(false);
  });
});

describe('wiring through main()', () => {
  it('the delegation command group reaches these handlers; usage block and Go texts on errors', async () => {
    const { runMain } = await import('./capture.js');
    const trust = join(tempDir('dlg-main-'), 'trust');
    const id = 'c'.repeat(64);
    let r = await runMain(['-d', trust, 'delegation', 'purge', GUN, '--key', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Removal of the following keys from all delegations in ${GUN} staged for next publish:\n\t- ${id}\n`,
    );
    r = await runMain(['-d', trust, 'delegation', 'add', GUN, 'targets/releases']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(
      'Usage:\n  tsnotary delegation add [ GUN ] [ Role ] <X509 file path 1> ... [flags]',
    );
    expect(r.stderr).toContain(
      '* fatal: must specify the Global Unique Name and the role of the delegation along with the public key certificate paths and/or a list of paths to add',
    );
    r = await runMain(['-d', trust, 'delegation', 'remove', GUN, 'targets/releases']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('\nAre you sure you want to remove all data for this delegation? (yes/no)\n');
    expect(r.stderr).toContain('* fatal: Aborting action.');
    r = await runMain(['-d', trust, 'status', GUN]);
    expect(r.stdout).toContain('0    update    targets/*    delegation    \n');
  });
});

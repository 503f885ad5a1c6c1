// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Prompts under a real pseudo-terminal (util-linux `script -qfec`, so stdin/stdout of the CLI
 * are a pty, not pipes): Go's new-key prompts with the root warning, too short, mismatch and
 * success (also compared with the Go client's transcript of the same keystrokes); the
 * existing-key prompt with a wrong then a right passphrase; `key passwd`; yes/no confirmations
 * typed at the terminal; answers typed ahead in one burst; and that no passphrase is ever echoed.
 * Keys are sent only after the prompt they answer is on screen, as a person would.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunOptions, type RunResult, runGo, runTs, tempDir, tsnotaryBin } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { fixtureCertNow } from '../helpers/tls.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

const ROOT_PASS = 'root-pass-123';
const TARGETS_PASS = 'targets-pass-123';
const SNAPSHOT_PASS = 'snapshot-pass-123';
const NEW_TARGETS_PASS = 'new-targets-pass-456';
const SECRETS = [
  ROOT_PASS,
  TARGETS_PASS,
  SNAPSHOT_PASS,
  NEW_TARGETS_PASS,
  'sh0rt7',
  'mismatch-pass-1',
  'wrong-pass-999',
];

/** How long one prompt may take to appear before the test fails (never reached when all is well). */
const WAIT_MS = 30_000;

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A command running on a pty; everything it prints (and the terminal echoes) is collected. */
class PtySession {
  private readonly child: ChildProcessWithoutNullStreams;
  private raw = '';
  private cursor = 0;
  private readonly exited: Promise<number>;

  constructor(argv: string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], { env, cwd });
    this.child.stdout.on('data', (d: Buffer) => {
      this.raw += d.toString('utf8');
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.raw += d.toString('utf8');
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => resolve(code ?? 1));
    });
  }

  /** The transcript with the pty's CRLF turned back into LF. */
  get output(): string {
    return this.raw.replace(/\r\n/g, '\n');
  }

  /** Waits until `text` appears after the previous match; the cursor moves past it. */
  async waitFor(text: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const i = this.output.indexOf(text, this.cursor);
      if (i >= 0) {
        this.cursor = i + text.length;
        return;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        await new Promise((r) => setTimeout(r, 100));
        const again = this.output.indexOf(text, this.cursor);
        if (again >= 0) {
          this.cursor = again + text.length;
          return;
        }
        throw new Error(`never saw ${JSON.stringify(text)}; transcript:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Types keys as a terminal sends them (Enter is \r). */
  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  async exit(): Promise<number> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), WAIT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

let server: NotaryServer;
let work: string;
let home: string;

function ptyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(NOTARY_|DOCKER_CONTENT_TRUST|TSNOTARY_)/.test(k) || /^(https?|no|all)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, HOME: home, TERM: 'xterm', ...extra };
}

function tsPty(trust: string, args: string[], extra?: Record<string, string>): PtySession {
  return new PtySession(
    [process.execPath, tsnotaryBin, '-s', server.url, '-d', trust, ...args],
    ptyEnv(extra),
    work,
  );
}

function goPty(trust: string, args: string[]): PtySession {
  return new PtySession(['notary', '-s', server.url, '-d', trust, ...args], ptyEnv(), work);
}

const pipeOpts = (env: Record<string, string> = {}): RunOptions => ({
  env,
  cwd: work,
  home,
  timeoutMs: 30_000,
});

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  expect(r.code, r.all).toBe(0);
  return r;
}

function expectNoSecrets(transcript: string): void {
  for (const s of SECRETS) expect(transcript, `echoed ${s}`).not.toContain(s);
}

const ROOT_WARNING =
  'You are about to create a new root signing key passphrase. This passphrase\n' +
  'will be used to protect the most sensitive key in your signing system. Please\n' +
  'choose a long, complex passphrase and be careful to keep the password and the\n' +
  'key file itself secure and backed up. It is highly recommended that you use a\n' +
  'password manager to generate the passphrase and keep it safe. There will be no\n' +
  'way to recover this key. You can find the key in your config directory.\n';

/**
 * The keystrokes of a first `init -p`: root too short, then a mismatch, then root, targets and
 * snapshot. Each answer is typed once its prompt shows; the two entries of the last root attempt
 * are typed ahead in one burst.
 */
async function driveInit(s: PtySession): Promise<void> {
  await s.waitFor('Enter passphrase for new root key with ID ');
  await s.waitFor(': ');
  s.type('sh0rt7\r');
  await s.waitFor('Passphrase is too short.');
  await s.waitFor('Enter passphrase for new root key with ID ');
  await s.waitFor(': ');
  s.type(`${ROOT_PASS}\r`);
  await s.waitFor('Repeat passphrase for new root key with ID ');
  await s.waitFor(': ');
  s.type('mismatch-pass-1\r');
  await s.waitFor('Passphrases do not match. Please retry.');
  await s.waitFor('Enter passphrase for new root key with ID ');
  await s.waitFor(': ');
  s.type(`${ROOT_PASS}\r${ROOT_PASS}\r`);
  await s.waitFor('Enter passphrase for new targets key with ID ');
  await s.waitFor(': ');
  s.type(`${TARGETS_PASS}\r`);
  await s.waitFor('Repeat passphrase for new targets key with ID ');
  await s.waitFor(': ');
  s.type(`${TARGETS_PASS}\r`);
  await s.waitFor('Enter passphrase for new snapshot key with ID ');
  await s.waitFor(': ');
  s.type(`${SNAPSHOT_PASS}\r${SNAPSHOT_PASS}\r`);
}

/** Key IDs and the GUN vary between runs. */
function normalize(t: string, gun: string): string {
  return t.replaceAll(gun, '<GUN>').replace(/with ID [0-9a-f]{7}/g, 'with ID <ID>');
}

beforeAll(async () => {
  server = await startNotaryServer();
  work = tempDir('tsnotary-pty-');
  home = join(work, 'home');
  mkdirSync(home);
});
afterAll(async () => {
  await server?.stop();
});

describe('passphrase prompts on a real terminal', () => {
  const gun = `example.com/pty/${randomBytes(4).toString('hex')}`;
  let trust: string;

  beforeAll(() => {
    trust = join(work, 'trust');
  });

  it('init -p: root warning, too short, mismatch, success; nothing echoed; same transcript as Go', async () => {
    const s = tsPty(trust, ['init', '-p', gun]);
    await driveInit(s);
    expect(await s.exit(), s.output).toBe(0);
    const out = s.output;
    expectNoSecrets(out);
    const transcript = normalize(out, gun);
    expect(transcript).toBe(
      `${ROOT_WARNING}Enter passphrase for new root key with ID <ID>: \n` +
        'Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n' +
        'Enter passphrase for new root key with ID <ID>: \n' +
        'Repeat passphrase for new root key with ID <ID>: \n' +
        'Passphrases do not match. Please retry.\n' +
        'Enter passphrase for new root key with ID <ID>: \n' +
        'Repeat passphrase for new root key with ID <ID>: \n' +
        'Enter passphrase for new targets key with ID <ID>: \n' +
        'Repeat passphrase for new targets key with ID <ID>: \n' +
        'Enter passphrase for new snapshot key with ID <ID>: \n' +
        'Repeat passphrase for new snapshot key with ID <ID>: \n' +
        'Auto-publishing changes to <GUN>\n' +
        'Successfully published changes for repository <GUN>\n',
    );

    // the Go client, same keystrokes, own trust dir: the same text
    const goGun = `${gun}-go`;
    const g = goPty(join(work, 'go-trust'), ['init', '-p', goGun]);
    await driveInit(g);
    expect(await g.exit(), g.output).toBe(0);
    expectNoSecrets(g.output);
    expect(transcript).toBe(normalize(g.output, goGun));

    // the passphrases typed are the ones that protect the keys
    writeFileSync(join(work, 'a.txt'), 'a');
    await ok(
      runTs(
        ['-s', server.url, '-d', trust, 'add', '-p', gun, 'a', join(work, 'a.txt')],
        pipeOpts({ NOTARY_TARGETS_PASSPHRASE: TARGETS_PASS, NOTARY_SNAPSHOT_PASSPHRASE: SNAPSHOT_PASS }),
      ),
    );
  });

  it('publish: existing-key prompt, wrong then right passphrase (same transcript as Go)', async () => {
    const drive = async (s: PtySession) => {
      await s.waitFor('Pushing changes to');
      await s.waitFor('Enter passphrase for targets key with ID ');
      await s.waitFor(': ');
      s.type('wrong-pass-999\r');
      await s.waitFor('Passphrase incorrect. Please retry.\n');
      await s.waitFor('Enter passphrase for targets key with ID ');
      await s.waitFor(': ');
      s.type(`${TARGETS_PASS}\r`);
      await s.waitFor('Enter passphrase for snapshot key with ID ');
      await s.waitFor(': ');
      s.type(`${SNAPSHOT_PASS}\r`);
    };
    const transcripts: string[] = [];
    for (const [name, start] of [
      ['b', tsPty],
      ['b-go', goPty],
    ] as const) {
      writeFileSync(join(work, `${name}.txt`), name);
      await ok(runTs(['-d', trust, 'add', gun, name, join(work, `${name}.txt`)], pipeOpts()));
      // both clients work on the same trust dir (shared format)
      const s = start(trust, ['publish', gun]);
      await drive(s);
      expect(await s.exit(), s.output).toBe(0);
      expect(s.output).toContain(`Successfully published changes for repository ${gun}\n`);
      expectNoSecrets(s.output);
      transcripts.push(normalize(s.output, gun));
    }
    expect(transcripts[0]).toBe(
      'Pushing changes to <GUN>\n' +
        'Enter passphrase for targets key with ID <ID>: \n' +
        'Passphrase incorrect. Please retry.\n' +
        'Enter passphrase for targets key with ID <ID>: \n' +
        'Enter passphrase for snapshot key with ID <ID>: \n' +
        'Successfully published changes for repository <GUN>\n',
    );
    expect(transcripts[0]).toBe(transcripts[1]);
    const l = await ok(runTs(['-s', server.url, '-d', trust, 'list', gun], pipeOpts()));
    expect(l.stdout).toMatch(/^b\s/m);
    expect(l.stdout).toMatch(/^b-go\s/m);
  });

  it('key passwd: old passphrase, new passphrase twice; the new one unlocks the key', async () => {
    const keys = JSON.parse(
      (await ok(runTs(['-d', trust, '--format', 'json', 'key', 'list'], pipeOpts()))).stdout,
    ) as { keys: { role: string; keyId: string }[] };
    const targetsId = keys.keys.find((k) => k.role === 'targets')!.keyId;
    const s = tsPty(trust, ['key', 'passwd', targetsId]);
    await s.waitFor(`Enter passphrase for targets key with ID ${targetsId.slice(0, 7)}`);
    await s.waitFor(': ');
    s.type(`${TARGETS_PASS}\r`);
    await s.waitFor(`Enter passphrase for new targets key with ID ${targetsId.slice(0, 7)}`);
    await s.waitFor(': ');
    s.type(`${NEW_TARGETS_PASS}\r`);
    await s.waitFor('Repeat passphrase for new targets key with ID ');
    await s.waitFor(': ');
    s.type(`${NEW_TARGETS_PASS}\r`);
    expect(await s.exit(), s.output).toBe(0);
    expect(s.output).toContain(`\nSuccessfully updated passphrase for key ID: ${targetsId}\n`);
    expectNoSecrets(s.output);

    // Go, same keystrokes on the same key (new → old passphrase): the same transcript
    const g = goPty(trust, ['key', 'passwd', targetsId]);
    await g.waitFor(`Enter passphrase for targets key with ID ${targetsId.slice(0, 7)}`);
    await g.waitFor(': ');
    g.type(`${NEW_TARGETS_PASS}\r`);
    await g.waitFor(`Enter passphrase for new targets key with ID ${targetsId.slice(0, 7)}`);
    await g.waitFor(': ');
    g.type(`${TARGETS_PASS}\r`);
    await g.waitFor('Repeat passphrase for new targets key with ID ');
    await g.waitFor(': ');
    g.type(`${TARGETS_PASS}\r`);
    expect(await g.exit(), g.output).toBe(0);
    expect(g.output).toBe(s.output);
    const back = tsPty(trust, ['key', 'passwd', targetsId]);
    await back.waitFor(`Enter passphrase for targets key with ID ${targetsId.slice(0, 7)}`);
    await back.waitFor(': ');
    back.type(`${TARGETS_PASS}\r${NEW_TARGETS_PASS}\r${NEW_TARGETS_PASS}\r`);
    expect(await back.exit(), back.output).toBe(0);

    writeFileSync(join(work, 'c.txt'), 'c');
    const env = (targets: string) =>
      pipeOpts({ NOTARY_TARGETS_PASSPHRASE: targets, NOTARY_SNAPSHOT_PASSPHRASE: SNAPSHOT_PASS });
    await ok(runTs(['-d', trust, 'add', gun, 'c', join(work, 'c.txt')], pipeOpts()));
    const old = await runTs(['-s', server.url, '-d', trust, 'publish', gun], env(TARGETS_PASS));
    expect(old.code).not.toBe(0);
    await ok(runTs(['-s', server.url, '-d', trust, 'publish', gun], env(NEW_TARGETS_PASS)));
    // and the Go client reads the re-encrypted key with the new passphrase
    await ok(
      runGo(
        ['-d', trust, 'key', 'passwd', targetsId],
        pipeOpts({ NOTARY_TARGETS_PASSPHRASE: NEW_TARGETS_PASS }),
      ),
    );
  });

  it('key remove: "no" typed at the terminal keeps the key, "yes" removes it', async () => {
    const gen = await ok(
      runTs(
        ['-d', trust, 'key', 'generate', '-r', 'targets/extra'],
        pipeOpts({ NOTARY_DELEGATION_PASSPHRASE: 'delegation-pass' }),
      ),
    );
    const id = /keyID: ([0-9a-f]{64})/.exec(gen.stdout)![1]!;
    const keyFile = join(trust, 'private', `${id}.key`);
    const transcripts: Record<string, string> = {};
    for (const [answer, removed, start] of [
      ['no', false, goPty],
      ['no', false, tsPty],
      ['yes', true, tsPty],
    ] as const) {
      const s = start(trust, ['key', 'remove', id]);
      await s.waitFor('?  (yes/no)  ');
      s.type(`${answer}\r`);
      expect(await s.exit(), s.output).toBe(0);
      // the answer is echoed (Go reads it in normal terminal mode), then the result
      expect(s.output).toContain(`(yes/no)  ${answer}\n`);
      expect(s.output).toContain(
        removed ? `\nDeleted ${id} (role targets/extra) from ` : '\nAborting action.\n',
      );
      expect(existsSync(keyFile)).toBe(!removed);
      transcripts[`${answer}-${start === goPty ? 'go' : 'ts'}`] = s.output;
    }
    expect(transcripts['no-ts']).toBe(transcripts['no-go']);
  });

  it('delegation remove: the whole-role confirmation typed at the terminal', async () => {
    await ok(
      runTs(
        [
          '-d',
          trust,
          'delegation',
          'add',
          gun,
          'targets/releases',
          '--all-paths',
          fixtureCertNow('delegation-ecdsa'),
        ],
        pipeOpts(),
      ),
    );
    const no = tsPty(trust, ['delegation', 'remove', gun, 'targets/releases']);
    await no.waitFor('Are you sure you want to remove all data for this delegation? (yes/no)\n');
    no.type('no\r');
    expect(await no.exit(), no.output).not.toBe(0);
    expect(no.output).toContain('* fatal: Aborting action.');
    // Go: same question and answer (its `* fatal:` goes to stdout after a blank line, ours to stderr)
    const goNo = goPty(trust, ['delegation', 'remove', gun, 'targets/releases']);
    await goNo.waitFor('(yes/no)\n');
    goNo.type('no\r');
    expect(await goNo.exit()).toBe(1);
    const question = (t: string) => t.slice(0, t.indexOf('no\n') + 3);
    expect(question(no.output)).toBe(question(goNo.output));
    expect(question(no.output)).toBe(
      '\nAre you sure you want to remove all data for this delegation? (yes/no)\nno\n',
    );
    const yes = tsPty(trust, ['delegation', 'remove', gun, 'targets/releases']);
    await yes.waitFor('(yes/no)\n');
    yes.type('YES\r');
    expect(await yes.exit(), yes.output).toBe(0);
    expect(yes.output).toContain(
      `Forced removal (including all keys and paths) of delegation role targets/releases to repository "${gun}" staged for next publish.`,
    );
    const st = await ok(runTs(['-d', trust, 'status', gun], pipeOpts()));
    expect(st.stdout).toMatch(/delete\s+targets\/releases\s+delegation/);
    await ok(runTs(['-d', trust, 'reset', gun, '--all'], pipeOpts()));
  });

  it('Ctrl-C at a passphrase prompt interrupts at once; Ctrl-D on an empty line gives up', async () => {
    const keys = JSON.parse(
      (await ok(runTs(['-d', trust, '--format', 'json', 'key', 'list'], pipeOpts()))).stdout,
    ) as { keys: { role: string; keyId: string }[] };
    const rootId = keys.keys.find((k) => k.role === 'root')!.keyId;
    const c = tsPty(trust, ['key', 'passwd', rootId]);
    await c.waitFor('Enter passphrase for root key with ID ');
    await c.waitFor(': ');
    c.type('typed-then-interrupted\u0003');
    expect(await c.exit()).not.toBe(0);
    expect(c.output).not.toContain('typed-then-interrupted');
    expect(c.output).not.toContain('Successfully updated');

    const d = tsPty(trust, ['key', 'passwd', rootId]);
    await d.waitFor('Enter passphrase for root key with ID ');
    await d.waitFor(': ');
    d.type('\u0004');
    expect(await d.exit()).toBe(7);
    expect(d.output).toContain('* fatal: could not retrieve local key for key ID provided: ');
  });

  it('a passphrase typed ahead before the prompt is kept (no hang, not echoed)', async () => {
    const gen = await ok(
      runTs(
        ['-d', trust, 'key', 'generate', '-r', 'targets/ahead'],
        pipeOpts({ NOTARY_DELEGATION_PASSPHRASE: 'old-delegation-pass' }),
      ),
    );
    const id = /keyID: ([0-9a-f]{64})/.exec(gen.stdout)![1]!;
    const s = tsPty(trust, ['key', 'passwd', id]);
    await s.waitFor('Enter passphrase for targets/ahead key with ID ');
    await s.waitFor(': ');
    // old, new and repeat in one burst
    s.type('old-delegation-pass\rnew-delegation-pass\rnew-delegation-pass\r');
    expect(await s.exit(), s.output).toBe(0);
    expect(s.output).not.toContain('delegation-pass');
    expect(s.output).toContain(`Successfully updated passphrase for key ID: ${id}`);
  });
});

describe('server credentials typed at a terminal (token-auth notary-server)', () => {
  let tokens: TokenServer;
  let authServer: NotaryServer;
  beforeAll(async () => {
    tokens = await startTokenServer({ alice: 'correct-horse-pty' });
    authServer = await startNotaryServer({ extraConfig: { auth: tokens.authConfig() } });
  });
  afterAll(async () => {
    await authServer?.stop();
    await tokens?.stop();
  });

  const passEnv = {
    NOTARY_ROOT_PASSPHRASE: ROOT_PASS,
    NOTARY_TARGETS_PASSPHRASE: TARGETS_PASS,
    NOTARY_SNAPSHOT_PASSPHRASE: SNAPSHOT_PASS,
  };
  const authPty = (trust: string, args: string[]) =>
    new PtySession(
      [process.execPath, tsnotaryBin, '-s', authServer.url, '-d', trust, ...args],
      ptyEnv(passEnv),
      work,
    );

  it('asks for username and password (hidden), then init -p and list work; a wrong password is refused', async () => {
    const trust = join(work, `auth-${randomBytes(3).toString('hex')}`);
    const gun = `example.com/pty/auth-${randomBytes(3).toString('hex')}`;

    const init = authPty(trust, ['init', '-p', gun]);
    await init.waitFor('Enter username: ');
    init.type('alice\r');
    await init.waitFor('Enter password: ');
    init.type('correct-horse-pty\r');
    expect(await init.exit(), init.output).toBe(0);
    expect(init.output).toContain(`Successfully published changes for repository ${gun}`);
    expect(init.output).not.toContain('correct-horse-pty');

    // read-only: anonymous first, then the prompt after the 401
    const list = authPty(trust, ['list', gun]);
    await list.waitFor('Enter username: ');
    list.type('alice\r');
    await list.waitFor('Enter password: ');
    list.type('correct-horse-pty\r');
    expect(await list.exit(), list.output).toBe(0);
    expect(list.output).toContain('No targets present in this repository.');

    const wrong = authPty(trust, ['publish', gun]);
    await wrong.waitFor('Enter username: ');
    wrong.type('alice\r');
    await wrong.waitFor('Enter password: ');
    wrong.type('wrong-pass-999\r');
    expect(await wrong.exit()).toBe(5);
    expect(wrong.output).toContain('* fatal: ');
    expect(wrong.output).not.toContain('wrong-pass-999');
  });
});

// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * CI-style runs (issue 5): no terminal, stdin closed, passphrases only from the environment.
 * The seed workflows (content-trust docs: init, add -p, list, key list, delegation add/list,
 * signing in a delegation, witness, key rotate snapshot --server-managed, delegation remove,
 * key remove, delete --remote) run with tsnotary against a real notary-server and never prompt
 * or hang; each command has a timeout far below the test's, so a hang fails fast. With a passphrase variable missing, every signing
 * command fails at once and names the variable. Docker's variables (DOCKER_CONTENT_TRUST_SERVER,
 * DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE) end to end,
 * a 401 from a token-auth server, and TSNOTARY_GO_EXIT_CODES.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixturesDir,
  type RunOptions,
  type RunResult,
  runGo,
  runTs,
  tempDir,
  tsnotaryBin,
} from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import { freePort } from '../helpers/ports.js';
import { fixtureCertNow } from '../helpers/tls.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

/** Per command: far below the 120 s test timeout, so a hang fails fast instead of timing out the run. */
const COMMAND_TIMEOUT_MS = 20_000;

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'ci-root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'ci-targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'ci-snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'ci-delegation-passphrase',
};
type PassVar = keyof typeof PASS;

const certs = join(fixturesDir, 'go', 'certs');
const DELEGATION_CERT = fixtureCertNow('delegation-ecdsa');
const DELEGATION_KEY = join(certs, 'delegation-ecdsa.key');
/** canonical ID of the fixture delegation key (fixtures/go/README.md) */
const DELEGATION_KEY_ID = '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553';

let server: NotaryServer;
let work: string;

beforeAll(async () => {
  server = await startNotaryServer();
  work = tempDir('tsnotary-ci-');
  writeFileSync(join(work, 'hello.txt'), 'hello\n');
  writeFileSync(join(work, 'v1.txt'), 'release 1\n');
});
afterAll(async () => {
  await server?.stop();
});

/** stdin is closed at once (runTs without `input`), stdout/stderr are pipes: no terminal anywhere. */
function ci(
  trust: string,
  args: string[],
  env: Record<string, string | undefined> = PASS,
  extra: RunOptions = {},
) {
  return runTs(['-s', server.url, '-d', trust, ...args], {
    env,
    cwd: work,
    timeoutMs: COMMAND_TIMEOUT_MS,
    ...extra,
  });
}

/** Exit 0, finished by itself (not killed by the timeout), and no prompt was printed. */
function expectOk(r: RunResult): RunResult {
  expect(r.code, r.all).toBe(0);
  expectNoPrompt(r);
  return r;
}

function expectNoPrompt(r: RunResult): void {
  expect(r.all).not.toMatch(/Enter passphrase|Repeat passphrase|Enter username|Enter password/);
}

/** Failed by itself (exit code of an error, not the SIGKILL of the per-command timeout). */
function expectFailedAtOnce(r: RunResult): void {
  expect(r.code, r.all).not.toBe(0);
  expect(r.code, `killed by the timeout (hang?): ${r.all}`).not.toBe(128);
  expectNoPrompt(r);
}

function without(...names: PassVar[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...PASS };
  for (const n of names) env[n] = undefined;
  return env;
}

describe('seed workflow, no TTY, passphrases from env only', () => {
  const gun = `registry.example.com/admin/demo-${randomBytes(3).toString('hex')}`;
  let trust: string;
  beforeAll(() => {
    trust = join(work, 'seed-trust');
  });

  it('init -p', async () => {
    const r = expectOk(await ci(trust, ['init', '-p', gun]));
    expect(r.stdout).toBe(
      `Auto-publishing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`,
    );
  });

  it('add -p, list, key list', async () => {
    expectOk(await ci(trust, ['add', '-p', gun, 'hello', join(work, 'hello.txt')]));
    const l = expectOk(await ci(trust, ['list', gun]));
    expect(l.stdout).toMatch(
      /^hello\s+5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\s+6\s+targets$/m,
    );
    const k = expectOk(await ci(trust, ['key', 'list']));
    for (const role of ['root', 'targets', 'snapshot'])
      expect(k.stdout).toMatch(new RegExp(`^${role}\\s`, 'm'));
  });

  it('key import (delegation key), delegation add -p, delegation list', async () => {
    expectOk(await ci(trust, ['key', 'import', DELEGATION_KEY, '-r', 'targets/releases']));
    expectOk(
      await ci(trust, ['delegation', 'add', '-p', gun, 'targets/releases', '--all-paths', DELEGATION_CERT]),
    );
    const d = expectOk(await ci(trust, ['delegation', 'list', gun]));
    expect(d.stdout).toMatch(
      new RegExp(`^targets/releases\\s+"" <all paths>\\s+${DELEGATION_KEY_ID}\\s+1`, 'm'),
    );
  });

  it('sign into the delegation (add -p --roles), witness -p', async () => {
    expectOk(await ci(trust, ['add', '-p', gun, 'v1', join(work, 'v1.txt'), '--roles', 'targets/releases']));
    const w = expectOk(await ci(trust, ['witness', '-p', gun, 'targets/releases']));
    expect(w.stdout).toContain(`Successfully published changes for repository ${gun}`);
    const l = expectOk(await ci(trust, ['list', gun]));
    expect(l.stdout).toMatch(/^v1\s.*targets\/releases$/m);
    // the Go client (own trust dir) sees the same repository
    const g = await runGo(['-s', server.url, '-d', join(work, 'go-reader'), 'list', gun], {
      cwd: work,
      timeoutMs: COMMAND_TIMEOUT_MS,
    });
    expect(g.code, g.all).toBe(0);
    expect(g.stdout).toBe(l.stdout);
  });

  it('key rotate snapshot --server-managed (seed), then publishing still works', async () => {
    const r = expectOk(await ci(trust, ['key', 'rotate', gun, 'snapshot', '--server-managed']));
    expect(r.stdout).toBe(`Successfully rotated snapshot key for repository ${gun}\n`);
    // the snapshot key is the server's now: publishing needs no snapshot passphrase
    expectOk(
      await ci(
        trust,
        ['add', '-p', gun, 'after-rotate', join(work, 'hello.txt')],
        without('NOTARY_SNAPSHOT_PASSPHRASE'),
      ),
    );
  });

  it('delegation remove KEYID -p (seed), then key remove with stdin closed aborts without hanging', async () => {
    expectOk(await ci(trust, ['delegation', 'remove', '-p', gun, 'targets/releases', DELEGATION_KEY_ID]));
    // whole-role removal needs a yes: stdin is closed, so the answer is empty and nothing happens
    const no = await ci(trust, ['delegation', 'remove', gun, 'targets/releases']);
    expectFailedAtOnce(no);
    expect(no.all).toContain('Aborting action.');
    const st = expectOk(await ci(trust, ['status', gun]));
    expect(st.stdout).toBe(`No unpublished changes for ${gun}\n`);

    const keyFile = join(trust, 'private', `${DELEGATION_KEY_ID}.key`);
    expect(existsSync(keyFile)).toBe(true);
    const rm = expectOk(await ci(trust, ['key', 'remove', DELEGATION_KEY_ID]));
    expect(rm.stdout).toContain('Aborting action.');
    expect(existsSync(keyFile)).toBe(true);
    // piped "yes" is accepted, as Go reads the answer from stdin
    const yes = expectOk(await ci(trust, ['key', 'remove', DELEGATION_KEY_ID], PASS, { input: 'yes\n' }));
    expect(yes.stdout).toContain(`Deleted ${DELEGATION_KEY_ID} (role targets/releases) from `);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('delete --remote', async () => {
    const r = expectOk(await ci(trust, ['delete', gun, '--remote']));
    expect(r.stdout).toContain(`Successfully deleted local and remote trust data for repository ${gun}`);
    const l = await ci(trust, ['list', gun]);
    expectFailedAtOnce(l);
    expect(l.stderr).toContain(`does not have trust data for ${gun}`);
  });
});

describe('a missing passphrase variable fails at once and names the variable', () => {
  const gun = `example.com/ci/missing-${randomBytes(3).toString('hex')}`;
  let trust: string;

  beforeAll(async () => {
    trust = join(work, 'missing-trust');
    expectOk(await ci(trust, ['init', '-p', gun]));
    expectOk(await ci(trust, ['key', 'import', DELEGATION_KEY, '-r', 'targets/releases']));
    expectOk(
      await ci(trust, ['delegation', 'add', '-p', gun, 'targets/releases', '--all-paths', DELEGATION_CERT]),
    );
    // the delegation has metadata on the server (witness needs it)
    expectOk(
      await ci(trust, ['add', '-p', gun, 'rel0', join(work, 'v1.txt'), '--roles', 'targets/releases']),
    );
  });

  async function failsNaming(args: string[], missing: PassVar, dir = trust): Promise<RunResult> {
    const r = await ci(dir, args, without(missing));
    expectFailedAtOnce(r);
    expect(r.stderr, `${args.join(' ')} without ${missing}`).toContain(missing);
    return r;
  }

  it('init -p: root, targets and snapshot passphrases', async () => {
    for (const v of [
      'NOTARY_ROOT_PASSPHRASE',
      'NOTARY_TARGETS_PASSPHRASE',
      'NOTARY_SNAPSHOT_PASSPHRASE',
    ] as const) {
      const fresh = join(work, `init-without-${v}`);
      mkdirSync(fresh);
      await failsNaming(['init', '-p', `${gun}-init`], v, fresh);
    }
  });

  it('publish / add -p: targets and snapshot passphrases; the staged change is kept', async () => {
    expectOk(await ci(trust, ['add', gun, 'kept', join(work, 'hello.txt')]));
    const r = await failsNaming(['publish', gun], 'NOTARY_TARGETS_PASSPHRASE');
    // Go's wording stays for scripts grepping for it
    expect(r.stderr).toContain(
      'could not find necessary signing keys, at least one of these keys must be available',
    );
    await failsNaming(['publish', gun], 'NOTARY_SNAPSHOT_PASSPHRASE');
    const st = expectOk(await ci(trust, ['status', gun]));
    expect(st.stdout).toMatch(/create\s+targets\s+target\s+kept/);
    await failsNaming(['add', '-p', gun, 'other', join(work, 'hello.txt')], 'NOTARY_TARGETS_PASSPHRASE');
    expectOk(await ci(trust, ['reset', gun, '--all']));
  });

  it('delegation passphrase: add -p --roles, witness -p, key import, key generate', async () => {
    await failsNaming(
      ['add', '-p', gun, 'rel', join(work, 'v1.txt'), '--roles', 'targets/releases'],
      'NOTARY_DELEGATION_PASSPHRASE',
    );
    expectOk(await ci(trust, ['reset', gun, '--all']));
    await failsNaming(['witness', '-p', gun, 'targets/releases'], 'NOTARY_DELEGATION_PASSPHRASE');
    expectOk(await ci(trust, ['reset', gun, '--all']));
    await failsNaming(
      ['key', 'import', join(certs, 'delegation-rsa.key'), '-r', 'targets/other'],
      'NOTARY_DELEGATION_PASSPHRASE',
    );
    await failsNaming(['key', 'generate', '-r', 'targets/gen'], 'NOTARY_DELEGATION_PASSPHRASE');
    await failsNaming(['key', 'generate'], 'NOTARY_ROOT_PASSPHRASE');
  });

  it('key rotate: root passphrase (the new root signs), nothing changed on failure', async () => {
    const r = await failsNaming(['key', 'rotate', gun, 'snapshot', '-r'], 'NOTARY_ROOT_PASSPHRASE');
    expect(r.stderr).toContain('password invalid, operation has failed.');
    const t = await failsNaming(['key', 'rotate', gun, 'targets'], 'NOTARY_ROOT_PASSPHRASE');
    expect(t.stderr).toContain('Nothing changed');
    // the repository still publishes with the old keys
    expectOk(await ci(trust, ['add', '-p', gun, 'still-ok', join(work, 'hello.txt')]));
  });

  it('delegation add -p: targets passphrase', async () => {
    await failsNaming(
      ['delegation', 'add', '-p', gun, 'targets/more', '--all-paths', fixtureCertNow('delegation-rsa')],
      'NOTARY_TARGETS_PASSPHRASE',
    );
    expectOk(await ci(trust, ['reset', gun, '--all']));
  });

  it('stdin left open (a pipe nobody writes to, as some CI runners give): still fails at once', async () => {
    // runTs closes stdin; here it stays open for the whole run, so any read of it would hang
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!/^(NOTARY_|DOCKER_CONTENT_TRUST)/.test(k)) env[k] = v;
    Object.assign(env, without('NOTARY_TARGETS_PASSPHRASE'), { HOME: work });
    delete env['NOTARY_TARGETS_PASSPHRASE'];
    expectOk(await ci(trust, ['add', gun, 'open-stdin', join(work, 'hello.txt')]));
    const child = spawn(process.execPath, [tsnotaryBin, '-s', server.url, '-d', trust, 'publish', gun], {
      env,
      cwd: work,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let all = '';
    child.stdout.on('data', (d: Buffer) => {
      all += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      all += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    child.stdin.destroy();
    expect(code, `hung or wrong exit: ${all}`).toBe(7);
    expect(all).toContain('NOTARY_TARGETS_PASSPHRASE');
    expect(all).not.toMatch(/Enter passphrase/);
    expectOk(await ci(trust, ['reset', gun, '--all']));
  });

  it('with --format json the hint and the exit code say the same', async () => {
    const r = await ci(trust, ['--format', 'json', 'key', 'generate'], without('NOTARY_ROOT_PASSPHRASE'));
    expectFailedAtOnce(r);
    const e = (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; hint: string } })
      .error;
    expect(e.hint).toContain('NOTARY_ROOT_PASSPHRASE');
    expect(r.code).toBe(7);
  });
});

describe("Docker's variables", () => {
  const DOCKER = {
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'docker-root-passphrase',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'docker-repository-passphrase',
  };
  const gun = `example.com/ci/docker-${randomBytes(3).toString('hex')}`;

  /** no -s: the server comes from the environment */
  function dockerRun(
    trust: string,
    args: string[],
    env: Record<string, string | undefined>,
    extra: RunOptions = {},
  ) {
    return runTs(['-d', trust, ...args], { env, cwd: work, timeoutMs: COMMAND_TIMEOUT_MS, ...extra });
  }

  it('DOCKER_CONTENT_TRUST_SERVER and the passphrase variables drive init -p, add -p, list', async () => {
    const trust = join(work, 'docker-trust');
    const env = { ...DOCKER, DOCKER_CONTENT_TRUST_SERVER: server.url };
    expectOk(await dockerRun(trust, ['init', '-p', gun], env));
    expectOk(await dockerRun(trust, ['add', '-p', gun, 'hello', join(work, 'hello.txt')], env));
    expect(expectOk(await dockerRun(trust, ['list', gun], env)).stdout).toMatch(/^hello\s/m);
    // the keys are encrypted with Docker's passphrases: the Go client opens them with the same values
    const go = await runGo(['-s', server.url, '-d', trust, 'add', '-p', gun, 'go', join(work, 'v1.txt')], {
      env: {
        NOTARY_TARGETS_PASSPHRASE: DOCKER.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
        NOTARY_SNAPSHOT_PASSPHRASE: DOCKER.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
      },
      cwd: work,
      timeoutMs: COMMAND_TIMEOUT_MS,
    });
    expect(go.code, go.all).toBe(0);
    // NOTARY_* wins over Docker's when both are set (a wrong NOTARY_ value fails)
    const both = await dockerRun(trust, ['add', '-p', gun, 'x', join(work, 'v1.txt')], {
      ...env,
      NOTARY_TARGETS_PASSPHRASE: 'not-the-passphrase',
    });
    expectFailedAtOnce(both);
    expect(both.stderr).toContain('NOTARY_TARGETS_PASSPHRASE');
    expectOk(await dockerRun(trust, ['reset', gun, '--all'], env));
  });

  it('DOCKER_CONTENT_TRUST_SERVER is only a fallback: -s and the config file win', async () => {
    const trust = join(work, 'docker-trust');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const env = { ...DOCKER, DOCKER_CONTENT_TRUST_SERVER: dead };
    // the variable alone: offline, and the hint names the server that was asked
    const off = await dockerRun(trust, ['list', `${gun}-nothing-cached`], env);
    expectFailedAtOnce(off);
    expect(off.stderr).toContain('client is offline');
    expect(off.stderr).toContain(dead.replace('http://', ''));
    expect(off.code).toBe(4);
    // -s wins
    expectOk(await dockerRun(trust, ['-s', server.url, 'list', gun], env));
    // remote_server.url of the config file wins too
    const config = join(work, 'docker-config.json');
    writeFileSync(config, JSON.stringify({ remote_server: { url: server.url } }));
    expectOk(await dockerRun(trust, ['-c', config, 'list', gun], env));
  });

  it('a missing Docker repository passphrase names a variable to set', async () => {
    const trust = join(work, 'docker-trust-2');
    const r = await dockerRun(trust, ['init', '-p', `${gun}-2`], {
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: DOCKER.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE,
      DOCKER_CONTENT_TRUST_SERVER: server.url,
    });
    expectFailedAtOnce(r);
    expect(r.stderr).toContain('NOTARY_TARGETS_PASSPHRASE');
  });
});

describe('token-auth server: 401 without credentials fails at once (no username prompt without input)', () => {
  let tokens: TokenServer;
  let authServer: NotaryServer;
  beforeAll(async () => {
    tokens = await startTokenServer({ alice: 'correct-horse' });
    authServer = await startNotaryServer({ extraConfig: { auth: tokens.authConfig() } });
  });
  afterAll(async () => {
    await authServer?.stop();
    await tokens?.stop();
  });

  it('init -p with NOTARY_AUTH works; without it: Go message, hint about NOTARY_AUTH, exit 5', async () => {
    const gun = `example.com/ci/auth-${randomBytes(3).toString('hex')}`;
    const trust = join(work, 'auth-trust');
    const run = (args: string[], env: Record<string, string | undefined>) =>
      runTs(['-s', authServer.url, '-d', trust, ...args], { env, cwd: work, timeoutMs: COMMAND_TIMEOUT_MS });
    const good = { ...PASS, NOTARY_AUTH: Buffer.from('alice:correct-horse').toString('base64') };
    expectOk(await run(['init', '-p', gun], good));

    const anon = await run(['add', '-p', gun, 'hello', join(work, 'hello.txt')], PASS);
    // Go would print `Enter username: ` and read stdin; without a terminal tsnotary never prompts.
    expect(anon.all).not.toMatch(/Enter username|Enter password/);
    expect(anon.code, anon.all).not.toBe(0);
    expect(anon.code, `killed by the timeout (hang?): ${anon.all}`).not.toBe(128);
    expect(anon.stderr).toContain('you are not authorized to perform this operation: server returned 401.');
    expect(anon.stderr).toContain('NOTARY_AUTH');
    expect(anon.code).toBe(5);

    const wrong = await run(['publish', gun], {
      ...PASS,
      NOTARY_AUTH: Buffer.from('alice:wrong').toString('base64'),
    });
    expectFailedAtOnce(wrong);
    expect(wrong.stderr).toContain('refused user "alice" (from NOTARY_AUTH)');
    expect(wrong.code).toBe(5);
    // the change that could not be published is still staged; with credentials it goes out
    expectOk(await run(['publish', gun], good));
  });
});

describe('exit codes', () => {
  it("per error class; TSNOTARY_GO_EXIT_CODES=1 gives Go's 1 for every failure", async () => {
    const trust = join(work, 'exit-trust');
    const missing = `example.com/ci/none-${randomBytes(3).toString('hex')}`;
    expect((await ci(trust, ['list', missing])).code).toBe(3);
    expect((await ci(trust, ['list'])).code).toBe(2);
    expect((await ci(trust, ['key', 'generate'], {})).code).toBe(7);
    for (const args of [['list', missing], ['list'], ['key', 'generate']]) {
      const r = await ci(trust, args, { TSNOTARY_GO_EXIT_CODES: '1' });
      expect(r.code, r.all).toBe(1);
    }
    // success stays 0
    expect((await ci(trust, ['key', 'list'], { TSNOTARY_GO_EXIT_CODES: '1' })).code).toBe(0);
  });
});

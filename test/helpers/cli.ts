import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const tsnotaryBin = join(projectRoot, 'bin', 'tsnotary.js');
export const fixturesDir = join(projectRoot, 'fixtures');

export interface RunOptions {
  /** Extra environment; NOTARY_* and proxy variables of the caller are always removed first. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to stdin, then stdin is closed (stdin is closed immediately when absent). */
  input?: string | Buffer;
  /** $HOME for the child (default: a fresh temp dir, so no ~/.notary of the machine is read). */
  home?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for message checks that should not care about the stream */
  all: string;
}

function cleanEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(NOTARY_|DOCKER_CONTENT_TRUST)/.test(k)) continue;
    if (/^(https?|no|all)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  env['HOME'] = home;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'tsnotary-home-'));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? home,
      env: cleanEnv(home, opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr, all: stdout + stderr });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Runs tsnotary (the built `bin/tsnotary.js`) as a subprocess. */
export function runTs(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [tsnotaryBin, ...args], opts);
}

/** Runs the Go notary client. */
export function runGo(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('notary', args, opts);
}

/**
 * The docker CLI used as the oracle of `trust` tests: TSNOTARY_DOCKER_CLI, else Docker CLI 28 at
 * /usr/local/bin/docker when present (Debian 12's docker.io is 20.10), else `docker` on PATH.
 */
export const dockerCli =
  process.env['TSNOTARY_DOCKER_CLI'] ??
  (existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker');

/** Runs the docker CLI (see dockerCli). */
export function runDocker(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(dockerCli, args, opts);
}

/** A fresh temp directory. */
export function tempDir(prefix = 'tsnotary-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

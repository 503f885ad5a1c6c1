#!/usr/bin/env node
/**
 * Runs the test suite the way CI does (docs/testing.md), ending with one
 * `N passed, N failed, N skipped` line over every pass:
 *
 *   node scripts/test-passes.mjs                    pass 1: every test on the real clock;
 *                                                   pass 2: the tests that run no Go binary with the
 *                                                   clock moved by CI_SHIFT (+400d)
 *   node scripts/test-passes.mjs shifted [+30d] [vitest args...]
 *                                                   the shifted pass only (default +400d); extra
 *                                                   arguments go to vitest (file filters, -t ...)
 *
 * The clock is moved with libfaketime (Debian `faketime`), preloaded into vitest and everything
 * it starts: workers, the CLI subprocesses, openssl, softhsm. Go binaries ignore it (static, raw
 * syscalls), so tests tagged `go` are left out of the shifted pass, and shims named like the Go
 * binaries come first on its PATH: an untagged test that starts one fails, saying why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');

/** The shift CI uses: longer than any lifetime a test makes (timestamp 14 d, TLS 30 d, 1 y) and across a new year. */
export const CI_SHIFT = '+400d';
/** libfaketime's relative offsets: +15d, -2h, +1y, +90m, +30 (seconds). */
const SHIFT_RE = /^[+-]\d+(\.\d+)?[mhdy]?$/;
/** Go binaries a test may start; they ignore libfaketime. */
const GO_BINARIES = ['notary', 'notary-server', 'notary-signer', 'docker', 'docker-registry', 'skopeo'];

function libfaketime() {
  const candidates = [
    process.env.FAKETIME_LIB,
    // multi-threaded flavour: node runs threads (libuv pool, V8 workers)
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
    '/usr/lib64/faketime/libfaketimeMT.so.1',
    '/usr/lib/faketime/libfaketimeMT.so.1',
    '/usr/local/lib/faketime/libfaketimeMT.so.1',
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    console.error(
      `libfaketime not found (looked at ${candidates.join(', ')}).\n` +
        'hint: install it (Debian: apt-get install faketime) or set FAKETIME_LIB to libfaketimeMT.so.1',
    );
    process.exit(2);
  }
  return found;
}

/** Each shim that ran appends a line here; the pass fails if there is one (a test may swallow the exit code). */
const STARTED_LOG = 'started.log';

/** A directory of scripts named like the Go binaries that fail at once, saying why. */
function goShims() {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-goshim-'));
  for (const name of GO_BINARIES) {
    const file = join(dir, name);
    writeFileSync(
      file,
      '#!/bin/sh\n' +
        `echo "${name} $PWD" >> '${join(dir, STARTED_LOG)}'\n` +
        `echo "shifted-clock pass: ${name} is a Go binary and ignores libfaketime, so a test that runs it` +
        " must carry the 'go' tag (docs/testing.md)\" >&2\n" +
        'exit 97\n',
    );
    chmodSync(file, 0o755);
  }
  return dir;
}

function shiftedEnv(shift, shimDir) {
  const lib = libfaketime();
  return {
    LD_PRELOAD: [lib, process.env.LD_PRELOAD].filter(Boolean).join(' '),
    FAKETIME: shift,
    // Timers and timeouts run on the monotonic clock: leave it alone so they behave as usual.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    // A fixed offset needs no clock shared between processes (what faketime(1) sets this for).
    FAKETIME_SHARED: undefined,
    PATH: `${shimDir}${delimiter}${process.env.PATH ?? ''}`,
  };
}

function mergeEnv(extra) {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Proves the preload works before trusting a green pass: a child's Date must be moved by `shift`. */
function checkShift(env, shift) {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], {
    env: mergeEnv(env),
    encoding: 'utf8',
  });
  const moved = Number(r.stdout) - Date.now();
  const m = /^([+-])(\d+(?:\.\d+)?)([mhdy]?)$/.exec(shift);
  const unit = { '': 1e3, m: 60e3, h: 3600e3, d: 86400e3, y: 365 * 86400e3 }[m[3]];
  const want = (m[1] === '-' ? -1 : 1) * Number(m[2]) * unit;
  if (!(Math.abs(moved - want) < 60_000)) {
    console.error(
      `libfaketime did not move the clock by ${shift} (a child saw ${moved} ms): the shifted pass would prove nothing.`,
    );
    process.exit(2);
  }
}

function runVitest(label, args, extraEnv) {
  const summary = join(mkdtempSync(join(tmpdir(), 'tsnotary-summary-')), 'counts.json');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitestBin, 'run', ...args], {
      cwd: root,
      stdio: 'inherit',
      env: mergeEnv({ ...extraEnv, TSNOTARY_TEST_PASS: label, TSNOTARY_TEST_SUMMARY: summary }),
    });
    child.on('close', (code, signal) => {
      let counts;
      try {
        counts = JSON.parse(readFileSync(summary, 'utf8'));
      } catch {
        counts = undefined;
      }
      rmSync(dirname(summary), { recursive: true, force: true });
      resolve({ label, code: code ?? (signal ? 128 : 1), counts });
    });
  });
}

/** Vitest's file-level tag comment (the same pattern vitest reads). */
const GO_MODULE_TAG = /(\/\/|\*)\s*@module-tag\s+go\b/;

/** Test files tagged `go` as a whole: not even collected by the shifted pass (saves a worker each). */
function goTaggedFiles(dir = join(root, 'test')) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...goTaggedFiles(p));
    else if (e.name.endsWith('.test.ts') && GO_MODULE_TAG.test(readFileSync(p, 'utf8'))) {
      out.push(relative(root, p));
    }
  }
  return out;
}

async function shiftedPass(shift, args) {
  const shimDir = goShims();
  try {
    const env = shiftedEnv(shift, shimDir);
    checkShift(env, shift);
    const label = `shifted clock (${shift}), tests without Go binaries`;
    const goFiles = goTaggedFiles();
    console.log(`${label}: leaving out ${goFiles.length} files tagged go as a whole, and tests tagged go`);
    const excludes = goFiles.map((f) => `--exclude=${f}`);
    const result = await runVitest(label, ['--tags-filter=!go', ...excludes, ...args], env);
    const started = join(shimDir, STARTED_LOG);
    if (existsSync(started)) {
      console.error(
        `${label}: an untagged test started a Go binary (binary, working dir):\n${readFileSync(started, 'utf8')}` +
          "Tag the test (or its describe or file) 'go': see docs/testing.md.",
      );
      if (result.counts) result.counts.failed++;
      result.code ||= 1;
    }
    return result;
  } finally {
    rmSync(shimDir, { recursive: true, force: true });
  }
}

function finish(results) {
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    if (!r.counts) {
      console.error(`${r.label}: vitest exited with ${r.code} and reported no counts`);
      total.failed++;
      continue;
    }
    total.passed += r.counts.passed;
    total.failed += r.counts.failed;
    total.skipped += r.counts.skipped;
    // vitest failed for a reason its tests do not show (config error, no test files...)
    if (r.code !== 0 && r.counts.failed === 0) {
      console.error(`${r.label}: vitest exited with ${r.code}`);
      total.failed++;
    }
  }
  const failed = results.some((r) => r.code !== 0) || total.failed > 0;
  // The closing line CI reads, over every pass.
  process.stdout.write(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  process.exit(failed ? 1 : 0);
}

const argv = process.argv.slice(2);
if (argv[0] === 'shifted') {
  const rest = argv.slice(1);
  const shift = rest[0] && SHIFT_RE.test(rest[0]) ? rest.shift() : CI_SHIFT;
  finish([await shiftedPass(shift, rest)]);
} else {
  const results = [await runVitest('real clock, every test', argv, {})];
  results.push(await shiftedPass(process.env.TSNOTARY_CI_SHIFT ?? CI_SHIFT, argv));
  finish(results);
}

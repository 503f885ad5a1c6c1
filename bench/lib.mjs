// Shared plumbing for the benchmarks: a real notary-server, trust dirs, hyperfine runs paired
// with the Go client, and Go-format changelist files to stage large changes quickly.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const tsBin = `node ${join(root, 'bin', 'tsnotary.js')}`;
/**
 * Optional earlier build to measure in the same hyperfine runs (old vs new vs Go), e.g.
 * `TSNOTARY_BASELINE="node /tmp/old/bin/tsnotary.js" node bench/run.mjs`.
 */
export const baselineBin = process.env['TSNOTARY_BASELINE'] ?? '';

/** Adds an `old` command (the ts command run by the baseline build) when a baseline is set. */
export function withBaseline(commands) {
  if (!baselineBin || !commands.ts) return commands;
  return { ...commands, old: commands.ts.replace(tsBin, baselineBin) };
}

/** Rows of the goal table (S1–S8), filled by the suites, printed at the end. */
export const goalRows = [];

/**
 * Records one goal row from a hyperfine result `r` ({label: {mean, cpu}}) or, for peak RSS,
 * {label: KiB}: `ts`, optional `old`, and the reference `refLabel` (Go or bare node). The goal
 * is a maximum ratio ts/ref.
 */
export function goalRow(id, what, r, refLabel, goal) {
  const row = { id, what, ts: r.ts, ref: r[refLabel], refLabel, goal };
  if (r.old !== undefined) row.old = r.old;
  goalRows.push(row);
}

/**
 * The S1–S8 table: wall-time ratios (what the goals are stated in) and, because the machine
 * may be shared, CPU-time ratios (user+system) from the same runs; old and new.
 */
export function reportGoals() {
  if (goalRows.length === 0) return;
  const hasOld = goalRows.some((r) => r.old !== undefined);
  const wall = (v) => (typeof v === 'number' ? v : v.mean);
  const cpu = (v) => (typeof v === 'number' ? undefined : v.cpu);
  const ratioOf = (a, b) => (a === undefined || b === undefined ? '' : (a / b).toFixed(2));
  const lines = [
    `| row | scenario | goal | ${hasOld ? 'old | ' : ''}new | met | ${hasOld ? 'old CPU | ' : ''}new CPU | new | reference |`,
    `|---|---|---|${hasOld ? '---|' : ''}---|---|${hasOld ? '---|' : ''}---|---|---|`,
  ];
  const fmt = (v, rss) => (rss ? `${(v / 1024).toFixed(0)} MiB` : `${v.toFixed(3)} s`);
  for (const r of goalRows) {
    const rss = typeof r.ts === 'number';
    const newRatio = wall(r.ts) / wall(r.ref);
    const cells = [r.id, r.what, `≤ ${r.goal}`];
    if (hasOld) cells.push(r.old !== undefined ? ratioOf(wall(r.old), wall(r.ref)) : '');
    cells.push(newRatio.toFixed(2), newRatio <= r.goal ? 'yes' : 'no');
    if (hasOld) cells.push(r.old !== undefined ? ratioOf(cpu(r.old), cpu(r.ref)) : '');
    cells.push(
      ratioOf(cpu(r.ts), cpu(r.ref)),
      fmt(wall(r.ts), rss),
      `${r.refLabel} ${fmt(wall(r.ref), rss)}`,
    );
    lines.push(`| ${cells.join(' | ')} |`);
  }
  report('Goals (issue 10): ratios from the same hyperfine runs (wall, and CPU = user+system)', lines);
}
export const goBin = 'notary';
export const resultsDir = join(root, 'bench', 'results');

export const passEnv = {
  NOTARY_ROOT_PASSPHRASE: 'bench-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'bench-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'bench-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'bench-delegation-pass',
};
Object.assign(process.env, passEnv);

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `tsnotary-bench-${prefix}-`));
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A real notary-server on a free loopback port (memory storage). */
export async function startServer() {
  const port = await freePort();
  const dir = tempDir('server');
  const cfg = join(dir, 'server.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      server: { http_addr: `127.0.0.1:${port}` },
      trust_service: { type: 'local', key_algorithm: 'ecdsa' },
      storage: { backend: 'memory' },
      logging: { level: 'error' },
    }),
  );
  const child = spawn('notary-server', ['-config', cfg], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${url}/_notary_server/health`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Runs a client command synchronously (setup steps), throwing with its output on failure. */
export function sh(cmd) {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Writes N Go-format `addhash`-style changelist files (create/target) into dir: the same bytes
 * `notary addhash` writes, without spawning N processes.
 */
export function writeAdditions(changelistDir, n, role = 'targets', prefix = 'bench/file') {
  mkdirSync(changelistDir, { recursive: true, mode: 0o700 });
  const base = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < n; i++) {
    const body = randomBytes(16);
    const meta = {
      length: 1000 + i,
      hashes: {
        sha256: createHash('sha256').update(body).digest('base64'),
        sha512: createHash('sha512').update(body).digest('base64'),
      },
    };
    const change = {
      action: 'create',
      role,
      type: 'target',
      path: `${prefix}-${String(i).padStart(6, '0')}`,
      data: Buffer.from(JSON.stringify(meta)).toString('base64'),
    };
    const name = `${String(base + BigInt(i)).padStart(20, '0')}_${randomUUID()}.change`;
    writeFileSync(join(changelistDir, name), JSON.stringify(change), { mode: 0o600 });
  }
}

/**
 * Writes the Go-format changelist entries of `notary delegation add <gun> <role> <cert> --all-paths`
 * (spec on-disk.md §7: a create/delegation change with the key, then one with the paths) for each
 * role, in the order Go writes them. `keytype` is the TUF type of the certificate key.
 */
export function writeDelegations(changelistDir, roles, certPem, keytype = 'ecdsa-x509') {
  mkdirSync(changelistDir, { recursive: true, mode: 0o700 });
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64');
  const keys = {
    threshold: 1,
    add_keys: [{ keytype, keyval: { public: Buffer.from(certPem).toString('base64'), private: null } }],
  };
  // Before any target addition staged afterwards in the same second: names sort by time.
  const base = BigInt(Date.now() - 1000) * 1_000_000n;
  let i = 0;
  for (const role of roles) {
    for (const data of [keys, { add_paths: [''] }]) {
      const change = { action: 'create', role, type: 'delegation', path: '', data: b64(data) };
      const name = `${String(base + BigInt(i++)).padStart(20, '0')}_${randomUUID()}.change`;
      writeFileSync(join(changelistDir, name), JSON.stringify(change), { mode: 0o600 });
    }
  }
}

/** A self-signed P-256 certificate and its unencrypted PKCS#8 key, made with openssl. */
export function makeEcdsaCert(dir, cn) {
  const key = join(dir, `${cn}.key`);
  const crt = join(dir, `${cn}.crt`);
  sh(
    `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj /CN=${cn} -keyout ${key} -out ${crt} 2>/dev/null`,
  );
  return { key, crt };
}

/**
 * hyperfine over named commands in one run (so both clients see the same machine state),
 * returning mean seconds per name.
 */
export function hyperfine(name, commands, { runs = 10, warmup = 2, prepare, shell = true } = {}) {
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, `${name}.json`);
  const args = ['--style', 'basic', '--runs', String(runs), '--warmup', String(warmup), '--export-json', out];
  if (!shell) args.push('-N');
  if (prepare) args.push('--prepare', prepare);
  for (const [label, cmd] of Object.entries(commands)) args.push('-n', label, cmd);
  execFileSync('hyperfine', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const json = JSON.parse(readFileSync(out, 'utf8'));
  return Object.fromEntries(
    json.results.map((r) => [r.command, { mean: r.mean, stddev: r.stddev, cpu: r.user + r.system }]),
  );
}

/** Peak resident memory (KiB) of a shell command, median of `runs`, via GNU time. */
export function peakRss(cmd, runs = 3) {
  const vals = [];
  for (let i = 0; i < runs; i++) {
    const outFile = join(tmpdir(), `tsnotary-bench-rss-${process.pid}`);
    execFileSync('/usr/bin/time', ['-f', '%M', '-o', outFile, 'sh', '-c', cmd], { stdio: 'ignore' });
    vals.push(Number(readFileSync(outFile, 'utf8').trim().split('\n').pop()));
  }
  vals.sort((a, b) => a - b);
  return vals[Math.floor(vals.length / 2)];
}

export function ratio(a, b) {
  return (a / b).toFixed(2);
}

/** Appends a markdown section to bench/results/summary.md and prints it. */
export function report(title, lines) {
  mkdirSync(resultsDir, { recursive: true });
  const text = `\n## ${title}\n\n${lines.join('\n')}\n`;
  process.stdout.write(text);
  writeFileSync(join(resultsDir, 'summary.md'), text, { flag: 'a' });
}

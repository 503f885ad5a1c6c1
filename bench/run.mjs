// Benchmarks, each paired with the Go notary client in one hyperfine run and reported as
// ratios tsnotary/Go (and tsnotary/bare node for start-up).
//
//   node bench/run.mjs                 # every suite
//   node bench/run.mjs startup crypto  # some suites
//
// Results: bench/results/<suite>.json (hyperfine exports) and bench/results/summary.md.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  goBin,
  hyperfine,
  makeEcdsaCert,
  peakRss,
  ratio,
  report,
  root,
  sh,
  startServer,
  tempDir,
  tsBin,
  writeAdditions,
  writeDelegations,
} from './lib.mjs';

const suites = {
  crypto: async () => (await import('./crypto.mjs')).run(report),
  binary: async () => (await import('./binary.mjs')).run(report),

  async startup() {
    const td = tempDir('startup');
    sh(`${goBin} -d ${td} key generate >/dev/null`);
    const r = hyperfine(
      'startup',
      {
        node: 'node -e 0',
        'ts version': `${tsBin} version`,
        'ts key list': `${tsBin} -d ${td} key list`,
        'go version': `${goBin} version`,
        'go key list': `${goBin} -d ${td} key list`,
      },
      { runs: 30, warmup: 3, shell: false },
    );
    report('Start-up (hyperfine -N, mean)', [
      '| command | mean ms | ÷ bare node | ÷ Go |',
      '|---|---|---|---|',
      ...[
        ['version', 'ts version', 'go version'],
        ['key list', 'ts key list', 'go key list'],
      ].map(
        ([what, ts, go]) =>
          `| ${what} | ${(r[ts].mean * 1000).toFixed(1)} | ${ratio(r[ts].mean, r.node.mean)} | ${ratio(r[ts].mean, r[go].mean)} |`,
      ),
      `| bare node -e 0 | ${(r.node.mean * 1000).toFixed(1)} | 1.00 | |`,
    ]);
  },

  async list() {
    const server = await startServer();
    try {
      const n = 10_000;
      const gun = 'bench.local/list10k';
      const seed = tempDir('list-seed');
      sh(`${goBin} -s ${server.url} -d ${seed} init ${gun}`);
      writeAdditions(join(seed, 'tuf', gun, 'changelist'), n);
      sh(`${goBin} -s ${server.url} -d ${seed} publish ${gun}`);
      const ts = tempDir('list-ts');
      const go = tempDir('list-go');
      const meta = (d) => join(d, 'tuf', gun, 'metadata');
      const cold = hyperfine(
        'list-cold',
        {
          ts: `${tsBin} -s ${server.url} -d ${ts} list ${gun} >/dev/null`,
          go: `${goBin} -s ${server.url} -d ${go} list ${gun} >/dev/null`,
        },
        { runs: 8, warmup: 1, prepare: `rm -rf ${meta(ts)} ${meta(go)}` },
      );
      const warm = hyperfine('list-warm', {
        ts: `${tsBin} -s ${server.url} -d ${ts} list ${gun} >/dev/null`,
        go: `${goBin} -s ${server.url} -d ${go} list ${gun} >/dev/null`,
      });
      report(`list of ${n} targets`, [
        '| cache | tsnotary s | Go s | ratio ts/Go | goal |',
        '|---|---|---|---|---|',
        `| cold | ${cold.ts.mean.toFixed(3)} | ${cold.go.mean.toFixed(3)} | ${ratio(cold.ts.mean, cold.go.mean)} | ≤ 0.6 |`,
        `| warm | ${warm.ts.mean.toFixed(3)} | ${warm.go.mean.toFixed(3)} | ${ratio(warm.ts.mean, warm.go.mean)} | ≤ 0.5 |`,
      ]);
    } finally {
      server.stop();
    }
  },

  async publish() {
    const server = await startServer();
    try {
      const lines = [
        '| staged additions | tsnotary s | Go s | ratio ts/Go | goal |',
        '|---|---|---|---|---|',
      ];
      for (const [n, goal] of [
        [1000, '≤ 1.0'],
        [10_000, '≤ 0.6'],
      ]) {
        const staged = tempDir(`publish-${n}`);
        writeAdditions(staged, n);
        const dirs = {};
        for (const who of ['ts', 'go']) {
          const td = tempDir(`publish-${who}`);
          const gun = `bench.local/publish-${who}-${n}`;
          sh(`${goBin} -s ${server.url} -d ${td} init -p ${gun} >/dev/null`);
          dirs[who] = { td, gun, cl: join(td, 'tuf', gun, 'changelist') };
        }
        const prepare = ['ts', 'go']
          .map((w) => `rm -rf ${dirs[w].cl} && cp -r ${staged} ${dirs[w].cl}`)
          .join(' && ');
        const r = hyperfine(
          `publish-${n}`,
          {
            ts: `${tsBin} -s ${server.url} -d ${dirs.ts.td} publish ${dirs.ts.gun} >/dev/null`,
            go: `${goBin} -s ${server.url} -d ${dirs.go.td} publish ${dirs.go.gun} >/dev/null`,
          },
          { runs: n > 1000 ? 5 : 8, warmup: 1, prepare },
        );
        lines.push(
          `| ${n} | ${r.ts.mean.toFixed(3)} | ${r.go.mean.toFixed(3)} | ${ratio(r.ts.mean, r.go.mean)} | ${goal} |`,
        );
      }
      report('publish of staged additions', lines);
    } finally {
      server.stop();
    }
  },

  async verify() {
    const server = await startServer();
    try {
      const dir = tempDir('verify');
      const file = join(dir, 'payload.bin');
      const size = 200 * 1024 * 1024;
      const sha256 = createHash('sha256');
      const sha512 = createHash('sha512');
      const fd = openSync(file, 'w');
      const chunk = randomBytes(1024 * 1024);
      for (let written = 0; written < size; written += chunk.length) {
        writeSync(fd, chunk);
        sha256.update(chunk);
        sha512.update(chunk);
      }
      closeSync(fd);
      const gun = 'bench.local/verify';
      const td = join(dir, 'trust');
      sh(`${goBin} -s ${server.url} -d ${td} init ${gun}`);
      sh(
        `${goBin} -s ${server.url} -d ${td} addhash -p ${gun} payload ${size} --sha256 ${sha256.digest('hex')} --sha512 ${sha512.digest('hex')}`,
      );
      const ts = `${tsBin} -s ${server.url} -d ${td} verify -q ${gun} payload < ${file}`;
      const go = `${goBin} -s ${server.url} -d ${td} verify -q ${gun} payload < ${file}`;
      const r = hyperfine('verify-200mb', { ts, go }, { runs: 5, warmup: 1 });
      const tsRss = peakRss(ts);
      const goRss = peakRss(go);
      report('verify of a 200 MB payload on stdin', [
        '| metric | tsnotary | Go | ratio ts/Go | goal |',
        '|---|---|---|---|---|',
        `| time s | ${r.ts.mean.toFixed(3)} | ${r.go.mean.toFixed(3)} | ${ratio(r.ts.mean, r.go.mean)} | ≤ 0.5 |`,
        `| peak RSS MiB | ${(tsRss / 1024).toFixed(0)} | ${(goRss / 1024).toFixed(0)} | ${ratio(tsRss, goRss)} | ≤ 0.15 |`,
      ]);
      rmSync(file);
    } finally {
      server.stop();
    }
  },

  async init() {
    const server = await startServer();
    try {
      const ts = tempDir('init-ts');
      const go = tempDir('init-go');
      // A fresh GUN per run: init -p of an existing GUN is a different operation.
      const gun = 'bench.local/init-$(date +%s%N)';
      const r = hyperfine(
        'init',
        {
          node: `sh -c 'node -e 0'`,
          ts: `${tsBin} -s ${server.url} -d ${ts} init -p ${gun} >/dev/null`,
          go: `${goBin} -s ${server.url} -d ${go} init -p ${gun} >/dev/null`,
        },
        { runs: 10, warmup: 1 },
      );
      report('init -p (new keys, first publish)', [
        '| client | mean s | ÷ bare node | ÷ Go | goal |',
        '|---|---|---|---|---|',
        `| tsnotary | ${r.ts.mean.toFixed(3)} | ${ratio(r.ts.mean, r.node.mean)} | ${ratio(r.ts.mean, r.go.mean)} | ≤ 1.5× node |`,
        `| Go | ${r.go.mean.toFixed(3)} | ${ratio(r.go.mean, r.node.mean)} | 1.00 | |`,
      ]);
    } finally {
      server.stop();
    }
  },

  async delegations() {
    const server = await startServer();
    try {
      const nRoles = 50;
      const perRole = 200;
      const gun = 'bench.local/delegations';
      const seed = tempDir('deleg-seed');
      // One delegation key for every role: Go and tsnotary find signing keys by key ID.
      const cert = makeEcdsaCert(seed, 'bench-delegate');
      sh(`${goBin} -s ${server.url} -d ${seed} init ${gun} >/dev/null`);
      sh(`${goBin} -s ${server.url} -d ${seed} key import ${cert.key} -r targets/d0 >/dev/null 2>&1`);
      const roles = Array.from({ length: nRoles }, (_, i) => `targets/d${i}`);
      const cl = join(seed, 'tuf', gun, 'changelist');
      writeDelegations(cl, roles, readFileSync(cert.crt, 'utf8'));
      for (const role of roles) writeAdditions(cl, perRole, role, `${role.slice(8)}/file`);
      sh(`${goBin} -s ${server.url} -d ${seed} publish ${gun} >/dev/null`);
      const ts = tempDir('deleg-ts');
      const go = tempDir('deleg-go');
      const meta = (d) => join(d, 'tuf', gun, 'metadata');
      const both = (args) => ({
        ts: `${tsBin} -s ${server.url} -d ${ts} ${args} >/dev/null`,
        go: `${goBin} -s ${server.url} -d ${go} ${args} >/dev/null`,
      });
      // Sanity before timing: both clients print the same listings, with every target.
      for (const args of [
        `list ${gun}`,
        `list ${gun} --roles targets/d17`,
        `lookup ${gun} d17/file-000100`,
      ]) {
        // Through files: the full listing is larger than execFileSync's output buffer.
        sh(`${tsBin} -s ${server.url} -d ${ts} ${args} > ${seed}/ts.out`);
        sh(`${goBin} -s ${server.url} -d ${go} ${args} > ${seed}/go.out`);
        const tsOut = readFileSync(join(seed, 'ts.out'), 'utf8');
        if (tsOut !== readFileSync(join(seed, 'go.out'), 'utf8')) throw new Error(`${args}: outputs differ`);
        if (args === `list ${gun}` && tsOut.split('\n').length !== nRoles * perRole + 3)
          throw new Error(`list shows ${tsOut.split('\n').length - 3} targets, expected ${nRoles * perRole}`);
      }
      const cold = hyperfine('delegations-list-cold', both(`list ${gun}`), {
        runs: 5,
        warmup: 1,
        prepare: `rm -rf ${meta(ts)} ${meta(go)}`,
      });
      const warm = hyperfine('delegations-list-warm', both(`list ${gun}`), { runs: 5, warmup: 1 });
      const lookup = hyperfine('delegations-lookup', both(`lookup ${gun} d17/file-000100`), {
        runs: 5,
        warmup: 1,
      });
      const oneRole = hyperfine('delegations-list-role', both(`list ${gun} --roles targets/d17`), {
        runs: 5,
        warmup: 1,
      });
      const row = (what, r, goal) =>
        `| ${what} | ${r.ts.mean.toFixed(3)} | ${r.go.mean.toFixed(3)} | ${ratio(r.ts.mean, r.go.mean)} | ${goal} |`;
      report(`${nRoles} delegations × ${perRole} targets`, [
        '| command | tsnotary s | Go s | ratio ts/Go | goal |',
        '|---|---|---|---|---|',
        row('list, cold cache', cold, '≤ 0.6'),
        row('list, warm cache', warm, '≤ 0.6'),
        row('lookup of a target in targets/d17', lookup, '≤ 0.4'),
        row('list --roles targets/d17', oneRole, '≤ 0.4'),
      ]);
    } finally {
      server.stop();
    }
  },
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(suites);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown suite ${name}; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  await suite();
}

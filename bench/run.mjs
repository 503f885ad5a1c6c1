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
  baselineBin,
  goalRow,
  goBin,
  hyperfine,
  makeEcdsaCert,
  peakRss,
  ratio,
  report,
  reportGoals,
  root,
  sh,
  startServer,
  tempDir,
  tsBin,
  withBaseline,
  writeAdditions,
  writeDelegations,
} from './lib.mjs';

/** The hyperfine result as goalRow takes it. */
const means = (r) => r;

const suites = {
  crypto: async () => (await import('./crypto.mjs')).run(report),
  binary: async () => (await import('./binary.mjs')).run(report),

  async startup() {
    const td = tempDir('startup');
    // S2: 100 keys, made by Go (in parallel, a few at a time).
    sh(
      `for i in $(seq 1 10); do for j in $(seq 1 10); do ${goBin} -d ${td} key generate >/dev/null & done; wait; done`,
    );
    const pairs = [
      ['S1', 'version', 'version'],
      ['S2', 'key list (100 keys)', `-d ${td} key list`],
    ];
    const commands = { node: 'node -e 0' };
    for (const [id, , args] of pairs) {
      commands[`ts ${id}`] = `${tsBin} ${args}`;
      if (baselineBin) commands[`old ${id}`] = `${baselineBin} ${args}`;
      commands[`go ${id}`] = `${goBin} ${args}`;
    }
    const r = hyperfine('startup', commands, { runs: 30, warmup: 3, shell: false });
    report('Start-up (hyperfine -N, mean)', [
      '| command | mean ms | ÷ bare node | ÷ Go |',
      '|---|---|---|---|',
      ...pairs.map(
        ([id, what]) =>
          `| ${what} | ${(r[`ts ${id}`].mean * 1000).toFixed(1)} | ${ratio(r[`ts ${id}`].mean, r.node.mean)} | ${ratio(r[`ts ${id}`].mean, r[`go ${id}`].mean)} |`,
      ),
      `| bare node -e 0 | ${(r.node.mean * 1000).toFixed(1)} | 1.00 | |`,
    ]);
    for (const [id, what] of pairs) {
      const row = { ts: r[`ts ${id}`], node: r.node };
      if (r[`old ${id}`]) row.old = r[`old ${id}`];
      goalRow(id, `${what} ÷ bare node`, row, 'node', id === 'S1' ? 1.2 : 1.2);
    }
  },

  async add() {
    const server = await startServer();
    try {
      // S4: `add` of one target to a repository with 1,000 staged changes.
      const n = 1000;
      const staged = tempDir('add-staged');
      writeAdditions(staged, n);
      const payload = join(staged, '..', `add-payload-${process.pid}`);
      sh(`head -c 1000 /dev/urandom > ${payload}`);
      const dirs = {};
      for (const who of ['ts', 'go']) {
        const td = tempDir(`add-${who}`);
        const gun = `bench.local/add-${who}`;
        sh(`${goBin} -s ${server.url} -d ${td} init ${gun} >/dev/null`);
        dirs[who] = { td, gun, cl: join(td, 'tuf', gun, 'changelist') };
      }
      const prepare = ['ts', 'go']
        .map((w) => `rm -rf ${dirs[w].cl} && cp -r ${staged} ${dirs[w].cl}`)
        .join(' && ');
      const r = hyperfine(
        'add',
        withBaseline({
          node: `node -e 0`,
          ts: `${tsBin} -s ${server.url} -d ${dirs.ts.td} add ${dirs.ts.gun} extra ${payload} >/dev/null`,
          go: `${goBin} -s ${server.url} -d ${dirs.go.td} add ${dirs.go.gun} extra ${payload} >/dev/null`,
        }),
        { runs: 20, warmup: 2, prepare },
      );
      report(`add with ${n} staged changes`, [
        '| client | mean s | ÷ bare node | goal |',
        '|---|---|---|---|',
        `| tsnotary | ${r.ts.mean.toFixed(3)} | ${ratio(r.ts.mean, r.node.mean)} | ≤ 1.3 |`,
        `| Go | ${r.go.mean.toFixed(3)} | ${ratio(r.go.mean, r.node.mean)} | |`,
      ]);
      goalRow('S4', `add with ${n} staged ÷ bare node`, means(r), 'node', 1.3);
      rmSync(payload, { force: true });
    } finally {
      server.stop();
    }
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
      const old = tempDir('list-old');
      const cmds = withBaseline({
        ts: `${tsBin} -s ${server.url} -d ${ts} list ${gun} >/dev/null`,
        go: `${goBin} -s ${server.url} -d ${go} list ${gun} >/dev/null`,
      });
      if (cmds.old) cmds.old = cmds.old.replace(`-d ${ts} `, `-d ${old} `);
      const cold = hyperfine('list-cold', cmds, {
        runs: 8,
        warmup: 1,
        prepare: `rm -rf ${meta(ts)} ${meta(go)} ${meta(old)}`,
      });
      const warm = hyperfine('list-warm', cmds);
      goalRow('S6a', `list ${n} targets, cold ÷ Go`, means(cold), 'go', 0.6);
      goalRow('S6b', `list ${n} targets, warm ÷ Go`, means(warm), 'go', 0.5);
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
        for (const who of baselineBin ? ['ts', 'go', 'old'] : ['ts', 'go']) {
          const td = tempDir(`publish-${who}`);
          const gun = `bench.local/publish-${who}-${n}`;
          sh(`${goBin} -s ${server.url} -d ${td} init -p ${gun} >/dev/null`);
          dirs[who] = { td, gun, cl: join(td, 'tuf', gun, 'changelist') };
        }
        const prepare = Object.keys(dirs)
          .map((w) => `rm -rf ${dirs[w].cl} && cp -r ${staged} ${dirs[w].cl}`)
          .join(' && ');
        const commands = {
          ts: `${tsBin} -s ${server.url} -d ${dirs.ts.td} publish ${dirs.ts.gun} >/dev/null`,
          go: `${goBin} -s ${server.url} -d ${dirs.go.td} publish ${dirs.go.gun} >/dev/null`,
        };
        if (dirs.old)
          commands.old = `${baselineBin} -s ${server.url} -d ${dirs.old.td} publish ${dirs.old.gun} >/dev/null`;
        const r = hyperfine(`publish-${n}`, commands, { runs: n > 1000 ? 5 : 8, warmup: 1, prepare });
        goalRow(n > 1000 ? 'S5b' : 'S5a', `publish ${n} staged ÷ Go`, means(r), 'go', Number(goal.slice(2)));
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
      const cmds = withBaseline({ ts, go });
      const r = hyperfine('verify-200mb', cmds, { runs: 5, warmup: 1 });
      const tsRss = peakRss(ts);
      const goRss = peakRss(go);
      goalRow('S8', 'verify 200 MiB on stdin, time ÷ Go', means(r), 'go', 0.5);
      const rss = { ts: tsRss, go: goRss };
      if (cmds.old) rss.old = peakRss(cmds.old);
      goalRow('S8 RSS', 'verify 200 MiB on stdin, peak RSS ÷ Go', rss, 'go', 0.15);
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
      const cmds = withBaseline({
        node: `sh -c 'node -e 0'`,
        ts: `${tsBin} -s ${server.url} -d ${ts} init -p ${gun} >/dev/null`,
        go: `${goBin} -s ${server.url} -d ${go} init -p ${gun} >/dev/null`,
      });
      if (cmds.old) cmds.old = cmds.old.replace(`-d ${ts} `, `-d ${tempDir('init-old')} `);
      const r = hyperfine('init', cmds, { runs: 10, warmup: 1 });
      goalRow('S3', 'init -p ÷ bare node', means(r), 'node', 1.5);
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
      const old = tempDir('deleg-old');
      const both = (args) => {
        const c = withBaseline({
          ts: `${tsBin} -s ${server.url} -d ${ts} ${args} >/dev/null`,
          go: `${goBin} -s ${server.url} -d ${go} ${args} >/dev/null`,
        });
        if (c.old) c.old = c.old.replace(`-d ${ts} `, `-d ${old} `);
        return c;
      };
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
        prepare: `rm -rf ${meta(ts)} ${meta(go)} ${meta(old)}`,
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
      goalRow('S7a', `list ${nRoles} delegations × ${perRole}, warm ÷ Go`, means(warm), 'go', 0.6);
      goalRow('S7d', `list ${nRoles} delegations × ${perRole}, cold ÷ Go`, means(cold), 'go', 0.6);
      goalRow('S7b', 'list --roles one delegation ÷ Go', means(oneRole), 'go', 0.4);
      goalRow('S7c', 'lookup in the 18th delegation ÷ Go', means(lookup), 'go', 0.4);
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

  /** Issue 12: archiving a GUN and reading the archive, against `list` of the same GUN. */
  async archive() {
    const server = await startServer();
    try {
      const n = 10_000;
      const gun = 'bench.local/archive10k';
      const seed = tempDir('archive-seed');
      sh(`${goBin} -s ${server.url} -d ${seed} init ${gun}`);
      writeAdditions(join(seed, 'tuf', gun, 'changelist'), n);
      sh(`${goBin} -s ${server.url} -d ${seed} publish ${gun}`);
      const out = tempDir('archive-out');
      const tar = join(out, 'gun.tar');
      const dirs = {
        list: tempDir('archive-list'),
        archive: tempDir('archive-arch'),
        read: tempDir('archive-read'),
      };
      sh(`${tsBin} -s ${server.url} -d ${dirs.archive} archive ${gun} -o ${tar} 2>/dev/null`);
      const meta = (d) => join(d, 'tuf', gun, 'metadata');
      const r = hyperfine(
        'archive-10k',
        {
          'ts list': `${tsBin} -s ${server.url} -d ${dirs.list} list ${gun} >/dev/null`,
          'ts archive': `${tsBin} -s ${server.url} -d ${dirs.archive} archive ${gun} -o ${tar} 2>/dev/null`,
          'ts list archive': `${tsBin} -s file://${tar} -d ${dirs.read} list ${gun} >/dev/null`,
          'go list': `${goBin} -s ${server.url} -d ${dirs.list}-go list ${gun} >/dev/null`,
        },
        {
          runs: 8,
          warmup: 1,
          prepare: `rm -rf ${meta(dirs.list)} ${meta(dirs.archive)} ${meta(dirs.read)} ${meta(`${dirs.list}-go`)}`,
        },
      );
      const row = (what, key, goal) =>
        `| ${what} | ${r[key].mean.toFixed(3)} | ${ratio(r[key].mean, r['ts list'].mean)} | ${goal} |`;
      report(`archive of ${n} targets (cold cache each run)`, [
        '| command | tsnotary s | ÷ ts list from the server | goal |',
        '|---|---|---|---|',
        row('list from the server', 'ts list', '1.00'),
        row('archive -o FILE.tar', 'ts archive', '< 2'),
        row('list -s file://FILE.tar', 'ts list archive', '< 2'),
        `| (Go list from the server) | ${r['go list'].mean.toFixed(3)} | ${ratio(r['go list'].mean, r['ts list'].mean)} | |`,
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
reportGoals();

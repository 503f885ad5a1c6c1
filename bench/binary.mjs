// Start-up of the three ways to install tsnotary (issue 13), paired with Go in one hyperfine
// run: the single-file binary (`npm run build:binary`), the CLI installed with `npm install -g`
// of the packed tarball (a temp prefix), and the Go `notary`. Two commands: `version` (pure
// start-up) and `key list` (start-up plus the key store), and `lookup` against a server.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { goBin, hyperfine, ratio, root, sh, startServer, tempDir } from './lib.mjs';

export async function run(report) {
  const work = tempDir('binary-bench');
  execFileSync(process.execPath, [join(root, 'scripts', 'build-binary.mjs'), join(work, 'bin')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const binary = join(work, 'bin', 'tsnotary');
  // the npm-installed CLI: pack (the bundle `npm run build` made) and install globally
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  const prefix = join(work, 'prefix');
  execFileSync(
    'npm',
    [
      'install',
      '-g',
      '--silent',
      '--no-audit',
      '--no-fund',
      '--omit=optional',
      '--ignore-scripts',
      '--prefix',
      prefix,
      join(work, packed),
      join(root, 'node_modules', 'undici'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const npmCli = join(prefix, 'bin', 'tsnotary');

  const td = tempDir('binary-bench-keys');
  sh(`${goBin} -d ${td} key generate >/dev/null`);
  const server = await startServer();
  try {
    const gun = 'bench.local/startup';
    const seed = tempDir('binary-bench-seed');
    sh(
      `${goBin} -s ${server.url} -d ${seed} init ${gun} && ${goBin} -s ${server.url} -d ${seed} add ${gun} t ${join(root, 'package.json')} && ${goBin} -s ${server.url} -d ${seed} publish ${gun}`,
    );
    const ro = { bin: tempDir('bb-bin'), npm: tempDir('bb-npm'), go: tempDir('bb-go') };
    const r = hyperfine(
      'binary-startup',
      {
        'binary version': `${binary} version`,
        'npm version': `${npmCli} version`,
        'go version': `${goBin} version`,
        'binary key list': `${binary} -d ${td} key list`,
        'npm key list': `${npmCli} -d ${td} key list`,
        'go key list': `${goBin} -d ${td} key list`,
        'binary lookup': `${binary} -s ${server.url} -d ${ro.bin} lookup ${gun} t`,
        'npm lookup': `${npmCli} -s ${server.url} -d ${ro.npm} lookup ${gun} t`,
        'go lookup': `${goBin} -s ${server.url} -d ${ro.go} lookup ${gun} t`,
      },
      { runs: 20, warmup: 3, shell: false },
    );
    const ms = (x) => (x.mean * 1000).toFixed(1);
    report('Start-up by install path (hyperfine -N, mean ms)', [
      '| command | binary (SEA) | npm -g | Go | binary ÷ npm | binary ÷ Go |',
      '|---|---|---|---|---|---|',
      ...['version', 'key list', 'lookup'].map((c) => {
        const [b, n, g] = [r[`binary ${c}`], r[`npm ${c}`], r[`go ${c}`]];
        return `| ${c} | ${ms(b)} | ${ms(n)} | ${ms(g)} | ${ratio(b.mean, n.mean)} | ${ratio(b.mean, g.mean)} |`;
      }),
    ]);
  } finally {
    server.stop();
  }
}

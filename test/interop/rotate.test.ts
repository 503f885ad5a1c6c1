// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Key rotation across clients, against a real notary-server: tsnotary rotates and a Go client
 * that cached the old root (or shares the trust directory) carries on; Go rotates and tsnotary
 * with the old cached root carries on. Outputs and error texts are compared with Go's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetadata } from '../../src/tuf/metadata.js';
import type { RootSigned } from '../../src/tuf/types.js';
import { type RunResult, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

let server: NotaryServer;
let n = 0;

function ok(r: RunResult, what = ''): RunResult {
  if (r.code !== 0) {
    throw new Error(`${what}: expected success, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r;
}

type Client = 'ts' | 'go';

function setup() {
  const dir = tempDir('tsnotary-rotate-interop-');
  const gun = `ex.io/rotate-interop/${++n}`;
  const trust = (name: string) => join(dir, name);
  const cli = (client: Client, trustName: string, args: string[], input?: string) =>
    (client === 'ts' ? runTs : runGo)(['-d', trust(trustName), '-s', server.url, ...args], {
      env: PASS,
      ...(input === undefined ? {} : { input }),
    });
  let files = 0;
  const file = () => {
    const p = join(dir, `payload-${++files}`);
    writeFileSync(p, `payload ${files}`);
    return p;
  };
  return { dir, gun, cli, file };
}

async function servedRoot(gun: string) {
  const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/root.json`);
  return parseMetadata<RootSigned>(Buffer.from(await res.arrayBuffer()), 'root');
}

function targetNames(listOutput: string): string[] {
  return listOutput
    .split('\n')
    .slice(2)
    .map((l) => l.split(/\s+/)[0]!)
    .filter((s) => s !== '')
    .sort();
}

beforeAll(async () => {
  server = await startNotaryServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/**
 * `writer` owns the repository and rotates every key (root, targets, snapshot locally, snapshot
 * and timestamp to the server), publishing a target after each step; `reader` (the other client)
 * cached the first root and must follow every rotation with a plain `list`.
 */
async function rotateEverything(writer: Client, reader: Client) {
  const t = setup();
  const w = (args: string[], input?: string) => t.cli(writer, 'writer', args, input);
  const r = (args: string[]) => t.cli(reader, 'reader', args);
  ok(await w(['init', '-p', t.gun]), 'init');
  ok(await w(['add', '-p', t.gun, 't0', t.file()]), 'add t0');
  expect(targetNames(ok(await r(['list', t.gun]), 'reader caches v1').stdout)).toEqual(['t0']);
  const expected = ['t0'];
  const steps: [string[], string | undefined][] = [
    [['root'], 'yes\n'],
    [['targets'], undefined],
    [['snapshot'], undefined],
    [['root'], 'y\n'],
    [['snapshot', '-r'], undefined],
    [['timestamp', '-r'], undefined],
  ];
  for (const [i, [args, input]] of steps.entries()) {
    const before = await servedRoot(t.gun);
    const out = ok(await w(['key', 'rotate', t.gun, ...args], input), `${writer} rotate ${args.join(' ')}`);
    expect(out.stdout).toContain(`Successfully rotated ${args[0]} key for repository ${t.gun}`);
    const after = await servedRoot(t.gun);
    expect(after.signed.version).toBe(before.signed.version + 1);
    expect(after.signed.roles[args[0]!]!.keyids).not.toEqual(before.signed.roles[args[0]!]!.keyids);
    if (args[0] === 'root') {
      // signed by the old and the new root key
      const sigs = after.signatures.map((s) => s.keyid);
      expect(sigs).toContain(before.signed.roles['root']!.keyids[0]);
      expect(sigs).toContain(after.signed.roles['root']!.keyids[0]);
    }
    // the reader, still trusting what it cached before this rotation, follows it
    const listed = ok(await r(['list', t.gun]), `${reader} list after ${writer} rotated ${args.join(' ')}`);
    expect(targetNames(listed.stdout)).toEqual(expected);
    // and the writer keeps publishing with the rotated keys
    const name = `t${i + 1}`;
    ok(await w(['add', '-p', t.gun, name, t.file()]), `${writer} add after rotate ${args.join(' ')}`);
    expected.push(name);
    expected.sort();
    expect(targetNames(ok(await r(['list', t.gun])).stdout)).toEqual(expected);
  }
  // a client that never saw the repository before trusts the final root too
  expect(targetNames(ok(await t.cli(reader, 'fresh', ['list', t.gun])).stdout)).toEqual(expected);
  return t;
}

describe('key rotate interop with the Go client', () => {
  it('tsnotary rotates every key; a Go client with the old cached root lists without errors each time', async () => {
    await rotateEverything('ts', 'go');
  }, 120_000);

  it('Go rotates every key; tsnotary with the old cached root lists without errors each time', async () => {
    await rotateEverything('go', 'ts');
  }, 120_000);

  it('shared trust dir: Go publishes with the keys tsnotary rotated to, and tsnotary with the keys Go rotated to', async () => {
    const t = setup();
    const ts = (args: string[], input?: string) => t.cli('ts', 'shared', args, input);
    const go = (args: string[], input?: string) => t.cli('go', 'shared', args, input);
    ok(await ts(['init', '-p', t.gun]));
    ok(await ts(['key', 'rotate', t.gun, 'root'], 'yes\n'));
    ok(await ts(['key', 'rotate', t.gun, 'targets']));
    ok(await go(['add', '-p', t.gun, 'by-go', t.file()]), 'Go publishes after tsnotary rotated');
    ok(await go(['key', 'rotate', t.gun, 'root'], 'yes\n'), 'Go rotates root after tsnotary rotated it');
    ok(await go(['key', 'rotate', t.gun, 'targets']));
    ok(await ts(['add', '-p', t.gun, 'by-ts', t.file()]), 'tsnotary publishes after Go rotated');
    ok(await ts(['key', 'rotate', t.gun, 'snapshot']));
    ok(await go(['add', '-p', t.gun, 'by-go-2', t.file()]));
    expect(targetNames(ok(await ts(['list', t.gun])).stdout)).toEqual(['by-go', 'by-go-2', 'by-ts']);
    // both clients list the same keys (Go deleted nothing tsnotary needs and vice versa)
    expect(ok(await ts(['key', 'list'])).stdout).toBe(ok(await go(['key', 'list'])).stdout);
  }, 120_000);

  it('root --legacy: tsnotary signs like Go (old root versions fetched as <v>.root.json)', async () => {
    const counts: Record<string, number[]> = {};
    for (const client of ['go', 'ts'] as const) {
      const t = setup();
      const c = (args: string[], input?: string) => t.cli(client, 'w', args, input);
      ok(await c(['init', '-p', t.gun]));
      ok(await c(['key', 'rotate', t.gun, 'root'], 'yes\n'));
      ok(await c(['key', 'rotate', t.gun, 'root'], 'yes\n'));
      ok(await c(['key', 'rotate', t.gun, 'root', '-l', '2'], 'yes\n'));
      const afterRoot = (await servedRoot(t.gun)).signatures.length;
      // a root re-signed for another role's rotation also takes the legacy keys
      ok(await c(['key', 'rotate', t.gun, 'targets', '-l', '1']));
      const afterTargets = (await servedRoot(t.gun)).signatures.length;
      ok(await c(['key', 'rotate', t.gun, 'targets']));
      counts[client] = [afterRoot, afterTargets, (await servedRoot(t.gun)).signatures.length];
      ok(await t.cli(client === 'go' ? 'ts' : 'go', 'reader', ['list', t.gun]));
    }
    expect(counts['go']![0]).toBe(4);
    expect(counts['ts']).toEqual(counts['go']);
  }, 120_000);

  it('same stdout and the same fatal message as Go for the prompt, an abort and every refusal', async () => {
    const t = setup();
    for (const client of ['ts', 'go'] as const)
      ok(await t.cli(client, client, ['init', '-p', `${t.gun}/${client}`]));
    const cases: [string[], string | undefined][] = [
      [['root'], 'no\n'],
      [['root'], 'nope\n'],
      [['root', '-r'], 'yes\n'],
      [['timestamp'], undefined],
      [['targets', '-r'], undefined],
      [['targets/releases'], undefined],
      [['bogus', '-r'], undefined],
      [['targets', '-k', 'missing.pem'], undefined],
    ];
    const fatal = (s: string) => /^\* fatal: .*$/m.exec(s)?.[0];
    for (const [args, input] of cases) {
      const res = {} as Record<Client, RunResult>;
      for (const client of ['ts', 'go'] as const) {
        res[client] = await t.cli(client, client, ['key', 'rotate', `${t.gun}/${client}`, ...args], input);
      }
      const what = args.join(' ');
      expect(res.ts.code === 0, what).toBe(res.go.code === 0);
      // Go prints the fatal line on stdout; tsnotary on stderr (project rule, render-error.ts)
      expect(res.ts.stdout, what).toBe(res.go.stdout.replace(/\n\* fatal: .*\n$/, ''));
      expect(fatal(res.ts.stderr), what).toBe(fatal(res.go.all));
    }
    const missing = await t.cli('ts', 'ts', ['key', 'rotate', t.gun]);
    const goMissing = await t.cli('go', 'go', ['key', 'rotate', t.gun]);
    expect(missing.stdout + missing.stderr).toContain('Must specify a GUN and a key role to rotate');
    expect(fatal(missing.stderr)).toBe(fatal(goMissing.all));
  }, 120_000);
});

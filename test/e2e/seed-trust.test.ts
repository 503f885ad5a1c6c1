// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Issue 11, done-when: the `docker trust` flows of seeds 001 ("Delegations for content trust")
 * and 003 ("Content trust in Docker") run with `tsnotary trust …` in place of `docker trust …`,
 * end to end, against a local registry (docker-registry, image pushed by skopeo) and a TLS
 * notary-server; Docker CLI 28 agrees on every `inspect`; the Notary CLI steps of the seeds
 * (`key list`, `delegation list/remove`, `key remove`, `delete --remote`) run with tsnotary on
 * the same trust dir, and the Go `notary` reads the result.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalKeyId, certificateKey } from '../../src/tuf/keys.js';
import { type RunOptions, type RunResult, runDocker, runGo, runTs, tempDir } from '../helpers/cli.js';
import { type NotaryServer, startNotaryServer } from '../helpers/notary-server.js';
import {
  type Registry,
  registryManifest,
  skopeoCopy,
  startRegistry,
  writeOciLayout,
} from '../helpers/registry.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

const T = 60_000;
let pki: TestPki;
let server: NotaryServer;
let registry: Registry;
let work: string;
let env: Record<string, string>;
let serverUrl: string;
let trustDir: string;
let gun: string;

beforeAll(async () => {
  pki = makeTestPki();
  server = await startNotaryServer({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
  serverUrl = `https://127.0.0.1:${server.port}`;
  registry = await startRegistry();
  work = tempDir('tsnotary-seed-trust-');
  const cfg = join(work, 'docker');
  mkdirSync(join(cfg, 'tls', `127.0.0.1:${server.port}`), { recursive: true });
  copyFileSync(pki.caCert, join(cfg, 'tls', `127.0.0.1:${server.port}`, 'ca.crt'));
  trustDir = join(cfg, 'trust');
  env = {
    DOCKER_CONFIG: cfg,
    DOCKER_CONTENT_TRUST_SERVER: serverUrl,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'seed-root-passphrase',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'seed-repository-passphrase',
  };
  gun = `${registry.host}/admin/demo`;
  await skopeoCopy(writeOciLayout(join(work, 'oci'), 'v1', 'demo 1\n'), 'v1', `${gun}:1`);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await registry?.stop();
});

const trust = (args: string[], opts: RunOptions = {}) =>
  runTs(['trust', ...args], { cwd: work, timeoutMs: T, ...opts, env: { ...env, ...opts.env } });
const docker = (args: string[]) => runDocker(['trust', ...args], { cwd: work, timeoutMs: T, env });
/** The Notary CLI steps of the seeds, on docker's trust dir (tsnotary, or Go with `go`). */
const notary = (args: string[], input?: string) =>
  runTs(['-d', trustDir, '-s', serverUrl, '--tlscacert', pki.caCert, ...args], {
    cwd: work,
    timeoutMs: T,
    env: { NOTARY_TARGETS_PASSPHRASE: env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE! },
    ...(input !== undefined ? { input } : {}),
  });
const goNotary = (args: string[]) =>
  runGo(['-d', trustDir, '-s', serverUrl, '--tlscacert', pki.caCert, ...args], { cwd: work, timeoutMs: T });

/** `trust inspect --pretty` by tsnotary, checked against docker's (byte for byte). */
async function inspectPretty(ref: string): Promise<RunResult> {
  const t = await trust(['inspect', '--pretty', ref]);
  const d = await docker(['inspect', '--pretty', ref]);
  expect(t.stdout).toBe(d.stdout);
  const t2 = await trust(['inspect', ref]);
  expect(t2.stdout).toBe((await docker(['inspect', ref])).stdout);
  return t;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: work, stdio: 'ignore' });
}

function certId(file: string): string {
  return canonicalKeyId(certificateKey(execFileSync('cat', [join(work, file)]).toString('latin1')));
}

it('seed 001 and 003 flows with tsnotary trust in place of docker trust', async () => {
  // Without DOCKER_CONTENT_TRUST_SERVER the trust server is https://<registry>: an error, nothing added.
  const noServer = await trust(
    ['signer', 'add', '--key', 'x.pem', 'jeff', 'registry.example.com/admin/demo'],
    {
      env: { DOCKER_CONTENT_TRUST_SERVER: '' },
    },
  );
  expect(noServer.code).not.toBe(0);

  // "Using Docker Trust to generate keys"
  const gen = await trust(['key', 'generate', 'jeff']);
  expect(gen.stdout).toBe(
    `Generating key for jeff...\nSuccessfully generated and loaded private key. Corresponding public key available: ${work}/jeff.pub\n`,
  );
  // "Manually generating keys": openssl RSA key, CSR, self-signed certificate; `key load`
  openssl(['genrsa', '-out', 'delegation.key', '2048']);
  chmodSync(join(work, 'delegation.key'), 0o600);
  openssl([
    'req',
    '-new',
    '-sha256',
    '-key',
    'delegation.key',
    '-out',
    'delegation.csr',
    '-subj',
    '/CN=jeff',
  ]);
  openssl([
    'x509',
    '-req',
    '-sha256',
    '-days',
    '365',
    '-in',
    'delegation.csr',
    '-signkey',
    'delegation.key',
    '-out',
    'delegation.crt',
  ]);
  const load = await trust(['key', 'load', 'delegation.key', '--name', 'jeff']);
  expect(load.stdout).toBe(
    'Loading key from "delegation.key"...\nSuccessfully imported key from delegation.key\n',
  );
  const jeffCert = certId('delegation.crt');
  // "Viewing local delegation keys" with the Notary CLI
  const keys = await notary(['key', 'list']);
  expect(keys.stdout).toMatch(new RegExp(`jeff\\s+${jeffCert}`));
  expect((await goNotary(['key', 'list'])).stdout).toMatch(new RegExp(`jeff\\s+${jeffCert}`));

  // "Initiating the repository"
  const add = await trust(['signer', 'add', '--key', 'delegation.crt', 'jeff', gun]);
  expect(add.stdout).toBe(
    `Adding signer "jeff" to ${gun}...\nInitializing signed repository for ${gun}...\nSuccessfully initialized "${gun}"\nSuccessfully added signer: jeff to ${gun}\n\n`,
  );
  let pretty = await inspectPretty(gun);
  expect(pretty.stdout).toContain(`No signatures for ${gun}\n`);
  expect(pretty.stdout).toContain(`jeff      ${jeffCert.slice(0, 12)}\n`);
  const dl = await goNotary(['delegation', 'list', gun]);
  expect(dl.stdout).toMatch(new RegExp(`targets/jeff\\s+"" <all paths>\\s+${jeffCert}\\s+1`));
  expect(dl.stdout).toMatch(new RegExp(`targets/releases\\s+"" <all paths>\\s+${jeffCert}\\s+1`));

  // "Adding additional signers"
  expect((await trust(['key', 'generate', 'ben'])).code).toBe(0);
  expect((await trust(['signer', 'add', '--key', 'ben.pub', 'ben', gun])).stdout).toBe(
    `Adding signer "ben" to ${gun}...\nSuccessfully added signer: ben to ${gun}\n\n`,
  );
  pretty = await inspectPretty(gun);
  expect(pretty.stdout).toMatch(/SIGNER {4}KEYS\nben {7}[0-9a-f]{12}\njeff {6}[0-9a-f]{12}\n/);

  // "Adding keys to an existing delegation": a second certificate for jeff
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key2.pem']);
  openssl([
    'req',
    '-new',
    '-x509',
    '-sha256',
    '-days',
    '365',
    '-key',
    'key2.pem',
    '-out',
    'cert2.pem',
    '-subj',
    '/CN=jeff',
  ]);
  expect((await trust(['signer', 'add', '--key', 'cert2.pem', 'jeff', gun])).code).toBe(0);
  const jeff2 = certId('cert2.pem');
  pretty = await inspectPretty(gun);
  expect(pretty.stdout).toContain(
    `jeff      ${[jeffCert, jeff2]
      .sort()
      .map((k) => k.slice(0, 12))
      .join(', ')}\n`,
  );

  // Seed 003: sign a tag (no daemon: the digest comes from the registry), inspect, revoke
  const m = await registryManifest(registry.host, 'admin/demo', '1');
  const sign = await trust(['sign', `${gun}:1`]);
  expect(sign.stdout).toBe(
    `1: digest: ${m.digest} size: ${m.size}\nSigning and pushing trust metadata\nSuccessfully signed ${gun}:1\n`,
  );
  pretty = await inspectPretty(`${gun}:1`);
  expect(pretty.stdout).toContain(`Signatures for ${gun}:1\n\nSIGNED TAG   DIGEST`);
  expect(pretty.stdout).toContain(`1            ${m.digest.slice(7)}   ben, jeff\n`);
  expect((await goNotary(['lookup', gun, '1'])).stdout.trim()).toBe(`1 ${m.digest} ${m.size}`);
  expect((await trust(['revoke', `${gun}:1`])).stdout).toBe(`Successfully deleted signature for ${gun}:1\n`);
  pretty = await inspectPretty(gun);
  expect(pretty.stdout).toContain(`No signatures for ${gun}\n`);
  // sign again for the rest of the flow
  expect((await trust(['sign', `${gun}:1`])).code).toBe(0);

  // "Removing a delegation": docker 28 printed the success line but removed nothing
  const rm = await trust(['signer', 'remove', 'ben', gun]);
  expect(rm.stdout).toBe(`Removing signer "ben" from ${gun}...\nSuccessfully removed ben from ${gun}\n\n`);
  pretty = await inspectPretty(gun);
  expect(pretty.stdout).not.toMatch(/^ben /m);
  expect(pretty.stdout).toContain(`1            ${m.digest.slice(7)}   jeff\n`);

  // "Removing a contributor's key from a delegation" (Notary CLI), both roles
  expect((await notary(['delegation', 'remove', gun, 'targets/releases', jeffCert, '-p'])).code).toBe(0);
  expect((await notary(['delegation', 'remove', gun, 'targets/jeff', jeffCert, '-p'])).code).toBe(0);
  const left = await goNotary(['delegation', 'list', gun]);
  expect(left.stdout).not.toContain(jeffCert);
  expect(left.stdout).toMatch(new RegExp(`targets/jeff\\s+"" <all paths>\\s+${jeff2}`));
  await inspectPretty(gun);

  // "Removing a local delegation private key"
  const krm = await notary(['key', 'remove', jeffCert], 'yes\n');
  expect(krm.code).toBe(0);
  expect((await notary(['key', 'list'])).stdout).not.toContain(jeffCert);

  // "Removing all trust data from a repository"
  const del = await notary(['delete', gun, '--remote']);
  expect(del.stdout).toContain(`Successfully deleted local and remote trust data for repository ${gun}`);
  const gone = await trust(['inspect', '--pretty', gun]);
  expect(gone.code).not.toBe(0);
  expect(gone.stderr).toContain(`no signatures or cannot access ${gun}\n`);
  expect((await docker(['inspect', '--pretty', gun])).stderr).toContain(
    `no signatures or cannot access ${gun}`,
  );
}, 300_000);

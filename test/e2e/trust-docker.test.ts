// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Issue 11: `tsnotary trust …` against real parts, with Docker CLI 28 (`docker trust`, no
 * daemon) as the oracle on the same DOCKER_CONFIG:
 * - a TLS notary-server with this test's own CA ($DOCKER_CONFIG/tls/<host:port>/ca.crt);
 * - Debian's docker-registry (distribution 2.8) on a loopback port, images pushed daemon-free
 *   by `skopeo copy` from OCI layouts written here (OCI manifest, Docker v2 manifest, OCI index);
 * - what docker sets up, `tsnotary trust inspect` prints byte for byte; what tsnotary signs,
 *   `docker trust inspect` shows with the registry's digest; key files written by either side
 *   are used by the other; the Go `notary` reads the result.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';

const T = 60_000;

let pki: TestPki;
let server: NotaryServer;
let registry: Registry;
let work: string;
let dockerConfig: string;
let serverUrl: string;
let env: Record<string, string>;

function dockerEnvFor(configDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DOCKER_CONFIG: configDir,
    DOCKER_CONTENT_TRUST_SERVER: serverUrl,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'root-passphrase-1',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-passphrase-1',
    ...extra,
  };
}

function ts(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runTs(['trust', ...args], { cwd: work, timeoutMs: T, ...opts, env: { ...env, ...opts.env } });
}

function dk(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runDocker(['trust', ...args], {
    cwd: work,
    timeoutMs: T,
    ...opts,
    env: { ...env, ...opts.env },
  });
}

/** Both inspect outputs, which must be identical (stdout, stderr, exit status). */
async function sameInspect(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const d = await dk(['inspect', ...args], opts);
  const t = await ts(['inspect', ...args], opts);
  expect(t.stdout).toBe(d.stdout);
  // tsnotary adds a `hint:` line under docker's message
  expect(t.stderr.split('\n').filter((l) => !l.startsWith('hint: '))).toEqual(d.stderr.split('\n'));
  expect(t.code === 0).toBe(d.code === 0);
  return t;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

let repo: string;

beforeAll(async () => {
  pki = makeTestPki();
  server = await startNotaryServer({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
  serverUrl = `https://127.0.0.1:${server.port}`;
  registry = await startRegistry();
  work = tempDir('tsnotary-trust-');
  dockerConfig = join(work, 'docker');
  mkdirSync(join(dockerConfig, 'tls', `127.0.0.1:${server.port}`), { recursive: true });
  copyFileSync(pki.caCert, join(dockerConfig, 'tls', `127.0.0.1:${server.port}`, 'ca.crt'));
  env = dockerEnvFor(dockerConfig);
  repo = `${registry.host}/org/app`;
  await skopeoCopy(writeOciLayout(join(work, 'oci1'), 'v1', 'release one\n'), 'v1', `${repo}:1`);
  await skopeoCopy(writeOciLayout(join(work, 'oci2'), 'v2', 'release two\n'), 'v2', `${repo}:2`, {
    format: 'v2s2',
  });
  await skopeoCopy(
    writeOciLayout(join(work, 'oci3'), 'v3', 'release three\n', { index: true }),
    'v3',
    `${repo}:3`,
    {
      all: true,
    },
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await registry?.stop();
});

describe('trust key generate / load', () => {
  it('docker and tsnotary generate keys in the same trust dir, with the same files', async () => {
    const d = await dk(['key', 'generate', 'alice', '--dir', work]);
    expect(d.code).toBe(0);
    const t = await ts(['key', 'generate', 'bob', '--dir', work]);
    expect(t.stdout).toBe(
      `Generating key for bob...\nSuccessfully generated and loaded private key. Corresponding public key available: ${work}/bob.pub\n`,
    );
    expect(t.code).toBe(0);
    for (const name of ['alice', 'bob']) {
      const pub = readFileSync(join(work, `${name}.pub`), 'utf8');
      expect(pub).toMatch(
        new RegExp(
          `^-----BEGIN PUBLIC KEY-----\\nrole: ${name}\\n\\n[A-Za-z0-9+/=\\n]+-----END PUBLIC KEY-----\\n$`,
        ),
      );
      expect(statSync(join(work, `${name}.pub`)).mode & 0o777).toBe(0o600);
    }
    const roles = readdirSync(join(dockerConfig, 'trust', 'private')).map(
      (f) => /role: (\S+)/.exec(readFileSync(join(dockerConfig, 'trust', 'private', f), 'utf8'))?.[1],
    );
    expect(roles.sort()).toEqual(['alice', 'bob']);
    // Without --dir the public key lands in the working directory, printed as an absolute path.
    const here = await ts(['key', 'generate', 'carol']);
    expect(here.stdout).toContain(`available: ${work}/carol.pub\n`);
    // Same errors as docker
    for (const args of [
      ['key', 'generate', 'bob', '--dir', work],
      ['key', 'generate', 'x', '--dir', join(work, 'nope')],
      ['key', 'generate', 'Bad'],
    ]) {
      const dd = await dk(args);
      const tt = await ts(args);
      expect(tt.code).not.toBe(0);
      expect(tt.stderr.split('\n')[0]).toBe(dd.stderr.split('\n')[0]);
      expect(tt.stderr).toMatch(/\nhint: /);
    }
    // Fixed: a key named root would be taken as the root key of the next repository.
    const root = await ts(['key', 'generate', 'root', '--dir', work]);
    expect(root.code).not.toBe(0);
    expect(root.stderr).toContain('key name "root" is reserved');
  });

  it('key load imports plain and encrypted keys (docker 28 stored nothing for the latter), refuses public keys', async () => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(work, 'dave.key')]);
    chmodSync(join(work, 'dave.key'), 0o644);
    const open = await ts(['key', 'load', '--name', 'dave', 'dave.key']);
    expect(open.code).not.toBe(0);
    expect(open.stderr).toContain('must not be readable or writable by others');
    chmodSync(join(work, 'dave.key'), 0o600);
    const ok = await ts(['key', 'load', '--name', 'dave', 'dave.key']);
    expect(ok.stdout).toBe('Loading key from "dave.key"...\nSuccessfully imported key from dave.key\n');
    expect(ok.code).toBe(0);

    // PKCS#8 encrypted with PBES2/hmacWithSHA1, no `path` header: decrypted with the repository passphrase.
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(work, 'erin-plain.key')]);
    openssl([
      'pkcs8',
      '-topk8',
      '-v2',
      'aes-256-cbc',
      '-v2prf',
      'hmacWithSHA1',
      '-in',
      join(work, 'erin-plain.key'),
      '-out',
      join(work, 'erin.key'),
      '-passout',
      'pass:repo-passphrase-1',
    ]);
    chmodSync(join(work, 'erin.key'), 0o600);
    const before = readdirSync(join(dockerConfig, 'trust', 'private')).length;
    const enc = await ts(['key', 'load', '--name', 'erin', 'erin.key']);
    expect(enc.stdout).toBe('Loading key from "erin.key"...\nSuccessfully imported key from erin.key\n');
    expect(readdirSync(join(dockerConfig, 'trust', 'private')).length).toBe(before + 1);

    const pub = await ts(['key', 'load', join(work, 'bob.pub')]);
    const dpub = await dk(['key', 'load', join(work, 'bob.pub')]);
    expect(pub.code).not.toBe(0);
    expect(pub.stderr.split('\n')[0]).toBe(dpub.stderr.split('\n')[0]);
    expect(pub.stderr).toContain('hint: To add a signer');
  });
});

describe('signers and inspect', () => {
  it('what docker sets up, tsnotary inspects byte for byte (JSON and --pretty)', async () => {
    const add = await dk(['signer', 'add', '--key', join(work, 'alice.pub'), 'alice', repo]);
    expect(add.code).toBe(0);
    await sameInspect([repo]);
    await sameInspect(['--pretty', repo]);
    await sameInspect([`${repo}:1`]);
    await sameInspect(['--pretty', `${repo}:1`]);
    // A repository without trust data: `[]`, docker's message, exit 1; with several, the good ones.
    const none = await sameInspect([`${registry.host}/org/none`]);
    expect(none.stdout).toBe('[]\n');
    expect(none.stderr).toContain(`no signatures or cannot access ${registry.host}/org/none\nhint: `);
    await sameInspect([repo, `${registry.host}/org/none`]);
    await sameInspect(['--pretty', `${registry.host}/org/none`]);
  });

  it('what tsnotary sets up (signer add on several repositories), docker inspects the same', async () => {
    const t = await ts([
      'signer',
      'add',
      '--key',
      join(work, 'bob.pub'),
      'bob',
      repo,
      `${registry.host}/org/other`,
    ]);
    expect(t.stdout).toBe(
      [
        `Adding signer "bob" to ${repo}...`,
        `Successfully added signer: bob to ${repo}`,
        '',
        `Adding signer "bob" to ${registry.host}/org/other...`,
        `Initializing signed repository for ${registry.host}/org/other...`,
        `Successfully initialized "${registry.host}/org/other"`,
        `Successfully added signer: bob to ${registry.host}/org/other`,
        '',
        '',
      ].join('\n'),
    );
    expect(t.code).toBe(0);
    const pretty = await sameInspect(['--pretty', repo, `${registry.host}/org/other`]);
    expect(pretty.stdout).toMatch(/SIGNER {4}KEYS\nalice {5}[0-9a-f]{12}\nbob {7}[0-9a-f]{12}\n/);
    await sameInspect([repo, `${registry.host}/org/other`]);
  });
});

describe('trust sign without a daemon', () => {
  it('signs what the registry holds (OCI manifest, Docker manifest, OCI index); docker and Go notary agree', async () => {
    for (const tag of ['1', '2', '3']) {
      const m = await registryManifest(registry.host, 'org/app', tag);
      const t = await ts(['sign', `${repo}:${tag}`]);
      expect(t.stderr).toBe('');
      expect(t.stdout).toBe(
        `${tag}: digest: ${m.digest} size: ${m.size}\nSigning and pushing trust metadata\nSuccessfully signed ${repo}:${tag}\n`,
      );
      const d = await dk(['inspect', `${repo}:${tag}`]);
      const info = JSON.parse(d.stdout) as {
        SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[];
      }[];
      // both signer keys are in this trust dir: targets/releases, targets/alice and targets/bob
      expect(info[0]!.SignedTags).toEqual([
        { SignedTag: tag, Digest: m.digest.slice(7), Signers: ['alice', 'bob'] },
      ]);
      const go = await runGo(
        ['-d', join(dockerConfig, 'trust'), '-s', serverUrl, '--tlscacert', pki.caCert, 'lookup', repo, tag],
        { timeoutMs: T },
      );
      expect(go.stdout.trim()).toBe(`${tag} ${m.digest} ${m.size}`);
    }
    expect((await registryManifest(registry.host, 'org/app', '2')).mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect((await registryManifest(registry.host, 'org/app', '3')).mediaType).toBe(
      'application/vnd.oci.image.index.v1+json',
    );
    await sameInspect([repo]);
    await sameInspect(['--pretty', repo]);
  });

  it('a signer with their own trust dir co-signs a released tag, as with docker', async () => {
    // carl has only his own key (another machine); the admin adds him as a signer.
    const carlConfig = join(work, 'docker-carl');
    mkdirSync(join(carlConfig, 'tls'), { recursive: true });
    const carl = dockerEnvFor(carlConfig);
    expect((await ts(['key', 'generate', 'carl', '--dir', work], { env: carl })).code).toBe(0);
    expect((await ts(['signer', 'add', '--key', join(work, 'carl.pub'), 'carl', repo])).code).toBe(0);
    const m = await registryManifest(registry.host, 'org/app', '1');
    const t = await ts(['sign', `${repo}:1`], { env: carl });
    expect(t.stdout).toBe(
      `Signing and pushing trust metadata for ${repo}:1\nExisting signatures for tag 1 digest ${m.digest.slice(7)} from:\nalice, bob\nSuccessfully signed ${repo}:1\n`,
    );
    const d = await dk(['inspect', `${repo}:1`]);
    expect(JSON.parse(d.stdout)[0].SignedTags).toEqual([
      { SignedTag: '1', Digest: m.digest.slice(7), Signers: ['alice', 'bob', 'carl'] },
    ]);
    await sameInspect(['--pretty', repo], { env: carl });
    // carl holds no key of targets/releases' other signers: signing tag 2 adds only his roles
    const t2 = await ts(['sign', `${repo}:2`], { env: carl });
    expect(t2.code).toBe(0);
    expect(JSON.parse((await dk(['inspect', `${repo}:2`])).stdout)[0].SignedTags[0].Signers).toEqual([
      'alice',
      'bob',
      'carl',
    ]);
  });

  it('a tag the registry does not have: one-line cause and hint, nothing published', async () => {
    const before = await dk(['inspect', repo]);
    const t = await ts(['sign', `${repo}:missing`]);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toBe(
      `manifest unknown: ${repo}:missing does not exist in the registry\nhint: Push the image first (docker push, skopeo copy, buildah push...), then sign the tag; nothing was signed.\n`,
    );
    expect((await dk(['inspect', repo])).stdout).toBe(before.stdout);
    // A new repository is not initialised either.
    const fresh = await ts(['sign', `${registry.host}/org/fresh:1`]);
    expect(fresh.code).not.toBe(0);
    expect((await dk(['inspect', `${registry.host}/org/fresh`])).stderr).toContain(
      'no signatures or cannot access',
    );
    // No tag, a digest: docker's messages
    for (const r of [repo, `${repo}@sha256:${'a'.repeat(64)}`]) {
      const dd = await dk(['sign', r]);
      const tt = await ts(['sign', r]);
      expect(tt.code).not.toBe(0);
      expect(tt.stderr.split('\n')[0]).toBe(dd.stderr.split('\n')[0]);
    }
  });

  it('a new repository: initialised as docker does, signed into targets (anonymous registry)', async () => {
    const other = `${registry.host}/org/solo`;
    await skopeoCopy(join(work, 'oci1'), 'v1', `${other}:1`);
    const t = await ts(['sign', `${other}:1`]);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`Finished initializing signed repository for ${other}:1\n`);
    const pretty = await sameInspect(['--pretty', other]);
    expect(pretty.stdout).toContain('(Repo Admin)');
    // the snapshot key is held by the server, as docker sets it up
    const go = await runGo(
      ['-d', join(dockerConfig, 'trust'), '-s', serverUrl, '--tlscacert', pki.caCert, 'key', 'list'],
      {
        timeoutMs: T,
      },
    );
    expect(go.stdout).not.toMatch(new RegExp(`snapshot\\s+${other.replace(/[.]/g, '\\.')}`));
  });
});

describe('revoke and signer remove', () => {
  it('docker revokes, tsnotary inspects the same; tsnotary revokes, docker sees it', async () => {
    const d = await dk(['revoke', '-y', `${repo}:1`]);
    expect(d.code).toBe(0);
    await sameInspect([repo]);
    const t = await ts(['revoke', `${repo}:2`]);
    expect(t.stderr).toBe('');
    expect(t.stdout).toBe(`Successfully deleted signature for ${repo}:2\n`);
    const after = await sameInspect(['--pretty', repo]);
    expect(after.stdout).not.toMatch(/^2 /m);
    // unsigned tag: docker's message
    const dd = await dk(['revoke', `${repo}:unsigned`]);
    const tt = await ts(['revoke', `${repo}:unsigned`]);
    expect(tt.code).not.toBe(0);
    expect(tt.stderr.split('\n')[0]).toBe(dd.stderr.split('\n')[0]);
    // all tags: the confirmation; "n" does nothing
    const no = await ts(['revoke', repo], { input: 'n\n' });
    const dno = await dk(['revoke', repo], { input: 'n\n' });
    expect(no.stdout).toBe(dno.stdout);
    expect(no.code).toBe(0);
  });

  it('signer remove removes the signer (docker 28 did nothing), certificates included', async () => {
    // A signer added from an x509 certificate: docker 28 never matched it.
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(work, 'frank.key')]);
    openssl([
      'req',
      '-new',
      '-x509',
      '-key',
      join(work, 'frank.key'),
      '-out',
      join(work, 'frank.crt'),
      '-days',
      '30',
      '-subj',
      '/CN=frank',
    ]);
    expect((await dk(['signer', 'add', '--key', join(work, 'frank.crt'), 'frank', repo])).code).toBe(0);
    const r = await ts(['signer', 'remove', 'frank', repo]);
    expect(r.stdout).toBe(
      `Removing signer "frank" from ${repo}...\nSuccessfully removed frank from ${repo}\n\n`,
    );
    const r2 = await ts(['signer', 'remove', '-f', 'bob', repo]);
    expect(r2.code).toBe(0);
    const after = await sameInspect(['--pretty', repo]);
    expect(after.stdout).not.toMatch(/^(frank|bob) /m);
    // messages as docker's
    for (const args of [
      ['signer', 'remove', 'nobody', repo],
      ['signer', 'remove', 'releases', repo],
    ]) {
      const dd = await dk(args);
      const tt = await ts(args);
      expect(tt.code).not.toBe(0);
      const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('hint: '));
      expect(strip(tt.stderr)).toEqual(strip(dd.stderr));
    }
  });

  it('removing the last signer of targets/releases asks first, and says how to recover', async () => {
    const lone = `${registry.host}/org/lone`;
    await skopeoCopy(join(work, 'oci1'), 'v1', `${lone}:1`);
    expect((await ts(['signer', 'add', '--key', join(work, 'alice.pub'), 'alice', lone])).code).toBe(0);
    expect((await ts(['sign', `${lone}:1`])).code).toBe(0);
    const no = await ts(['signer', 'remove', 'alice', lone], { input: 'n\n' });
    expect(no.stdout).toBe(
      `Removing signer "alice" from ${lone}...\nThe signer "alice" signed the last released version of ${lone}. Removing this signer will make ${lone} unpullable. Are you sure you want to continue? [y/N] `,
    );
    expect(no.code).toBe(0);
    expect((await dk(['inspect', '--pretty', lone])).stdout).toMatch(/^alice /m);
    const yes = await ts(['signer', 'remove', 'alice', lone], { input: 'y\n' });
    expect(yes.stdout).toContain(`Successfully removed alice from ${lone}\n`);
    expect(yes.stderr).toContain('tsnotary witness');
    expect((await dk(['inspect', '--pretty', lone])).stdout).not.toMatch(/^alice /m);
  });
});

describe('bad input: one-line cause and hint, nothing published', () => {
  it('an image reference docker rejects', async () => {
    for (const r of [`${registry.host}/Org/App:1`, 'UPPER', 'a:b:c', '0'.repeat(64)]) {
      const dd = await dk(['sign', r]);
      const tt = await ts(['sign', r]);
      expect(tt.code).not.toBe(0);
      expect(tt.stderr).toBe(
        `${dd.stderr}hint: An image reference is [REGISTRY[:PORT]/]REPOSITORY[:TAG], lowercase (e.g. registry.example.com/team/app:1.0).\n`,
      );
    }
  });

  it('a signer key that is not a public key', async () => {
    const before = await dk(['inspect', repo]);
    const dd = await dk(['signer', 'add', '--key', join(work, 'dave.key'), 'dave', repo]);
    const tt = await ts(['signer', 'add', '--key', join(work, 'dave.key'), 'dave', repo]);
    expect(tt.code).not.toBe(0);
    expect(dd.code).not.toBe(0);
    expect(tt.stderr.split('\n')).toHaveLength(3);
    expect(tt.stderr).toMatch(
      new RegExp(`^could not parse public key from file: ${join(work, 'dave.key')}: .*\nhint: .*\n$`),
    );
    expect((await dk(['inspect', repo])).stdout).toBe(before.stdout);
  });

  it('a trust server with an unknown CA (a registry that is not loopback is verified)', async () => {
    const other = makeTestPki();
    const cfg = join(work, 'docker-wrong-ca');
    mkdirSync(join(cfg, 'tls', `127.0.0.1:${server.port}`), { recursive: true });
    copyFileSync(other.caCert, join(cfg, 'tls', `127.0.0.1:${server.port}`, 'ca.crt'));
    const e = dockerEnvFor(cfg);
    const image = 'registry.example.com/org/app';
    const dd = await dk(['signer', 'add', '--key', join(work, 'bob.pub'), 'bob', image], { env: e });
    const tt = await ts(['signer', 'add', '--key', join(work, 'bob.pub'), 'bob', image], { env: e });
    expect(tt.code).not.toBe(0);
    // docker adds Go's x509 detail "(possibly because of ...)" to the same first words
    const [first, ...rest] = tt.stderr.split('\n').filter((l) => !l.startsWith('hint: '));
    const [dfirst, ...drest] = dd.stderr.split('\n');
    expect(dfirst!.startsWith(first!)).toBe(true);
    expect(rest).toEqual(drest);
    expect(tt.stderr).toContain(
      'Error: error contacting notary server: tls: failed to verify certificate: x509: certificate signed by unknown authority\nhint: ',
    );
    const insp = await sameInspect([image], { env: e });
    expect(insp.stderr).toContain('hint: ');
    // nothing reached the server: with the right CA, there is still no trust data
    const good = await sameInspect([image]);
    expect(good.stderr).toContain(`no signatures or cannot access ${image}\nhint: `);
  });

  describe('registry with token authentication', () => {
    let tokens: TokenServer;
    let authRegistry: Registry;
    beforeAll(async () => {
      tokens = await startTokenServer({ alice: 'correct-horse' });
      authRegistry = await startRegistry({
        tokenAuth: {
          realm: tokens.realm,
          service: tokens.service,
          issuer: tokens.issuer,
          rootcertbundle: tokens.certFile,
        },
      });
      await skopeoCopy(join(work, 'oci1'), 'v1', `${authRegistry.host}/org/private:1`, {
        creds: 'alice:correct-horse',
      });
    }, 60_000);
    afterAll(async () => {
      await authRegistry?.stop();
      await tokens?.stop();
    });

    function configWith(password: string): Record<string, string> {
      const cfg = tempDir('tsnotary-dockercfg-');
      const auth = Buffer.from(`alice:${password}`).toString('base64');
      execFileSync('sh', ['-c', `cat > ${join(cfg, 'config.json')}`], {
        input: JSON.stringify({ auths: { [authRegistry.host]: { auth } } }),
      });
      // the same trust dir as the other tests (keys), this config for credentials
      execFileSync('ln', ['-s', join(dockerConfig, 'trust'), join(cfg, 'trust')]);
      return dockerEnvFor(cfg);
    }

    it('refused credentials: the cause, a hint, nothing published', async () => {
      const image = `${authRegistry.host}/org/private`;
      const t = await ts(['sign', `${image}:1`], { env: configWith('wrong') });
      expect(t.code).not.toBe(0);
      expect(t.stderr).toBe(
        `unauthorized: registry ${authRegistry.host} refused the credentials of alice\nhint: Log in again (\`docker login ${authRegistry.host}\`): the stored credentials are not accepted.\n`,
      );
      expect((await dk(['inspect', image])).stderr).toContain('no signatures or cannot access');
    });

    it('with the registry user: the signer role is named after them, as docker did', async () => {
      const image = `${authRegistry.host}/org/private`;
      const e = configWith('correct-horse');
      const t = await ts(['sign', `${image}:1`], { env: e });
      expect(t.stdout).toContain('Created signer: alice\n');
      expect(t.code).toBe(0);
      const m = await registryManifest(authRegistry.host, 'org/private', '1', {
        Authorization: `Bearer ${await bearer(tokens, 'org/private')}`,
      });
      const d = await sameInspect([image], { env: e });
      const info = JSON.parse(d.stdout) as { SignedTags: unknown[]; Signers: { Name: string }[] }[];
      expect(info[0]!.SignedTags).toEqual([
        { SignedTag: '1', Digest: m.digest.slice(7), Signers: ['alice'] },
      ]);
      expect(info[0]!.Signers.map((s) => s.Name)).toEqual(['alice']);
    });
  });
});

describe('credential helpers', () => {
  it('a docker-credential-* helper named in credHelpers gives the registry credentials', async () => {
    // A real helper program on PATH, speaking the docker-credential protocol (`get`, server on stdin).
    const bin = tempDir('tsnotary-credbin-');
    const script = join(bin, 'docker-credential-tsnotarytest');
    writeFileSync(
      script,
      '#!/bin/sh\nread server\necho "$server" >> "$(dirname "$0")/asked"\nprintf \'{"ServerURL":"%s","Username":"alice","Secret":"correct-horse"}\' "$server"\n',
    );
    chmodSync(script, 0o755);
    const tokens = await startTokenServer({ alice: 'correct-horse' });
    const reg = await startRegistry({
      tokenAuth: {
        realm: tokens.realm,
        service: tokens.service,
        issuer: tokens.issuer,
        rootcertbundle: tokens.certFile,
      },
    });
    try {
      await skopeoCopy(join(work, 'oci2'), 'v2', `${reg.host}/org/helper:2`, {
        creds: 'alice:correct-horse',
      });
      const cfg = tempDir('tsnotary-dockercfg-');
      writeFileSync(
        join(cfg, 'config.json'),
        JSON.stringify({ credHelpers: { [reg.host]: 'tsnotarytest' } }),
      );
      symlinkSync(join(dockerConfig, 'trust'), join(cfg, 'trust'));
      const e = { ...dockerEnvFor(cfg), PATH: `${bin}:${process.env['PATH']}` };
      const t = await ts(['sign', `${reg.host}/org/helper:2`], { env: e });
      expect(t.stderr).toBe('');
      expect(t.stdout).toContain('Created signer: alice\n');
      expect(readFileSync(join(bin, 'asked'), 'utf8')).toContain(reg.host);
      await sameInspect([`${reg.host}/org/helper`], { env: e });
    } finally {
      await reg.stop();
      await tokens.stop();
    }
  });
});

describe('trust server with token authentication', () => {
  it('docker login credentials of the registry are used for the trust server, as docker did', async () => {
    const tokens = await startTokenServer({ alice: 'correct-horse' });
    const authServer = await startNotaryServer({
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey },
      extraConfig: { auth: tokens.authConfig() },
    });
    try {
      const cfg = tempDir('tsnotary-dockercfg-');
      mkdirSync(join(cfg, 'tls', `127.0.0.1:${authServer.port}`), { recursive: true });
      copyFileSync(pki.caCert, join(cfg, 'tls', `127.0.0.1:${authServer.port}`, 'ca.crt'));
      symlinkSync(join(dockerConfig, 'trust'), join(cfg, 'trust'));
      const image = 'registry.example.com/org/authn';
      const e = { ...dockerEnvFor(cfg), DOCKER_CONTENT_TRUST_SERVER: `https://127.0.0.1:${authServer.port}` };
      // no credentials: the server's refusal, a hint, nothing published
      const anon = await ts(['signer', 'add', '--key', join(work, 'bob.pub'), 'bob', image], { env: e });
      expect(anon.code).not.toBe(0);
      expect(anon.stderr).toContain('failed to add signer to: registry.example.com/org/authn');
      expect(anon.stderr).toMatch(/\nhint: .*docker login/);
      expect(anon.stderr).not.toContain('NOTARY_');
      writeFileSync(
        join(cfg, 'config.json'),
        JSON.stringify({
          auths: { 'registry.example.com': { auth: Buffer.from('alice:correct-horse').toString('base64') } },
        }),
      );
      const ok = await ts(['signer', 'add', '--key', join(work, 'bob.pub'), 'bob', image], { env: e });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(tokens.log.some((l) => l.user === 'alice' && l.ok)).toBe(true);
      await sameInspect(['--pretty', image], { env: e });
    } finally {
      await authServer.stop();
      await tokens.stop();
    }
  });
});

async function bearer(tokens: TokenServer, repository: string): Promise<string> {
  const res = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:${repository}:pull`, {
    headers: { Authorization: `Basic ${Buffer.from('alice:correct-horse').toString('base64')}` },
  });
  return ((await res.json()) as { token: string }).token;
}

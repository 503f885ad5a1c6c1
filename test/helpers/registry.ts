/**
 * A real registry for `trust sign` tests: Debian's `docker-registry` (distribution 2.8) on a
 * free loopback port with its own config and storage in a temp dir, and images pushed to it
 * daemon-free by `skopeo copy` from an OCI layout written here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stopChild } from './child.js';
import { freePort } from './ports.js';

export interface Registry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** distribution's `auth.token` section (e.g. from test/helpers/token-server.ts) */
  tokenAuth?: { realm: string; service: string; issuer: string; rootcertbundle: string };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-registry-'));
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.tokenAuth) {
    const t = opts.tokenAuth;
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${t.realm}`,
      `    service: ${t.service}`,
      `    issuer: ${t.issuer}`,
      `    rootcertbundle: ${t.rootcertbundle}`,
    );
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    stop: () => stopChild(child, dir),
  };
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * Writes a one-layer OCI image layout (a tar.gz layer holding one file with `content`) tagged
 * `ref`, and returns the dir. The manifest is OCI (`application/vnd.oci.image.manifest.v1+json`).
 */
export function writeOciLayout(
  dir: string,
  ref: string,
  content: string,
  opts: { index?: boolean } = {},
): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blob = (b: Buffer) => {
    const d = sha256(b);
    writeFileSync(join(dir, 'blobs', 'sha256', d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  // A minimal ustar archive with one regular file.
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write('hello.txt', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
  const tar = Buffer.concat([header, body, Buffer.alloc(1024)]);
  const diffId = `sha256:${sha256(tar)}`;
  const layer = blob(gzipSync(tar));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    ),
  );
  const INDEX = 'application/vnd.oci.image.index.v1+json';
  const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
  // With `index`, the tag names an image index (multi-platform) holding the manifest.
  const top = opts.index
    ? {
        mediaType: INDEX,
        ...blob(
          Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: INDEX,
              manifests: [
                { mediaType: MANIFEST, ...manifest, platform: { architecture: 'amd64', os: 'linux' } },
              ],
            }),
          ),
        ),
      }
    : { mediaType: MANIFEST, ...manifest };
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': ref } }],
    }),
  );
  return dir;
}

/** `skopeo copy oci:<layout>:<ref> docker://<dest>` (plain http, optional credentials). */
export function skopeoCopy(
  layout: string,
  ref: string,
  dest: string,
  opts: { creds?: string; format?: 'oci' | 'v2s2'; all?: boolean } = {},
): Promise<string> {
  const args = ['copy', '--quiet', '--dest-tls-verify=false'];
  if (opts.all) args.push('--all');
  if (opts.creds) args.push('--dest-creds', opts.creds);
  if (opts.format) args.push('--format', opts.format);
  args.push(`oci:${layout}:${ref}`, `docker://${dest}`);
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`skopeo ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** The manifest as the registry serves it (digest and size computed from its bytes). */
export async function registryManifest(
  host: string,
  repo: string,
  tag: string,
  headers: Record<string, string> = {},
): Promise<{ digest: string; size: number; mediaType: string }> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    headers: {
      Accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json',
      ...headers,
    },
  });
  if (res.status !== 200) throw new Error(`manifest ${repo}:${tag}: ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  return {
    digest: `sha256:${sha256(body)}`,
    size: body.length,
    mediaType: res.headers.get('content-type') ?? '',
  };
}

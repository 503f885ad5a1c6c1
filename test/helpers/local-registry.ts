import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename } from 'node:path';

/**
 * A package registry on loopback serving a few local tarballs (the tests have no internet):
 * `GET /<name>` answers the packument, `GET /<name>/-/<file>.tgz` the tarball. Enough for
 * `npm install`, `npm install -g` and `npx` to resolve tsnotary's dependencies the way they
 * would from a public registry, with a private empty cache.
 */
export interface LocalRegistry {
  url: string;
  close(): Promise<void>;
}

interface Entry {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  file: string;
  bytes: Buffer;
}

function readManifest(tarball: string): Record<string, unknown> {
  const text = execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  return JSON.parse(text) as Record<string, unknown>;
}

export async function startLocalRegistry(tarballs: readonly string[]): Promise<LocalRegistry> {
  const entries = new Map<string, Entry>();
  for (const t of tarballs) {
    const manifest = readManifest(t);
    const name = String(manifest['name']);
    entries.set(name, {
      name,
      version: String(manifest['version']),
      manifest,
      file: basename(t),
      bytes: readFileSync(t),
    });
  }
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/').slice(1);
    const tarballMatch = /^(.+)\/-\/([^/]+\.tgz)$/.exec(path);
    if (tarballMatch) {
      const e = entries.get(tarballMatch[1] as string);
      if (e && e.file === tarballMatch[2]) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(e.bytes);
        return;
      }
    }
    const e = entries.get(path);
    if (!e) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    const dist = {
      tarball: `${base}/${e.name}/-/${e.file}`,
      shasum: createHash('sha1').update(e.bytes).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(e.bytes).digest('base64')}`,
    };
    const body = {
      name: e.name,
      'dist-tags': { latest: e.version },
      versions: { [e.version]: { ...e.manifest, _id: `${e.name}@${e.version}`, dist } },
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url: base,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

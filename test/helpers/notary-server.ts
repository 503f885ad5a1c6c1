import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './child.js';
import { freePort } from './ports.js';

export interface NotaryServer {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Extra top-level config merged into the server config (e.g. `auth`, or a `server` block with TLS). */
  extraConfig?: Record<string, unknown>;
  /** TLS: paths to the server certificate and key (PEM). */
  tls?: { certFile: string; keyFile: string };
  /** A fixed port (default: a free one). */
  port?: number;
}

/**
 * Starts a real notary-server 0.7 (memory storage, local trust service) on a free loopback port
 * and waits until /_notary_server/health answers.
 */
export async function startNotaryServer(opts: ServerOptions = {}): Promise<NotaryServer> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-server-'));
  const server: Record<string, unknown> = { http_addr: `127.0.0.1:${port}` };
  if (opts.tls) {
    server['tls_cert_file'] = opts.tls.certFile;
    server['tls_key_file'] = opts.tls.keyFile;
  }
  const config = {
    server,
    trust_service: { type: 'local', key_algorithm: 'ecdsa' },
    storage: { backend: 'memory' },
    logging: { level: 'error' },
    ...opts.extraConfig,
  };
  const configFile = join(dir, 'server.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child: ChildProcess = spawn('notary-server', ['-config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`notary-server exited (${child.exitCode}): ${stderr}`);
    if (await healthy(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`notary-server did not become healthy on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    dir,
    stop: () => stopChild(child, dir),
  };
}

/** Plain TCP+HTTP health probe; works for TLS servers too because any answer means it listens. */
async function healthy(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

import { createServer } from 'node:net';

/**
 * A free loopback TCP port. The conformance suite owns 4470-4479, so ours come from the
 * kernel's ephemeral range (port 0), retried if one of theirs comes back.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port < 4470 || port > 4479) return port;
  }
}

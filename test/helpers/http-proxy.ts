import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** A forward proxy (CONNECT and absolute-form) that sends everything to `upstreamPort`. */
export async function startProxy(
  upstreamPort: number,
): Promise<{ url: string; log: string[]; close(): void }> {
  const log: string[] = [];
  const proxy = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    res.writeHead(502);
    res.end();
  });
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    log.push(`CONNECT ${req.url}`);
    const up = connect(upstreamPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  const port = (proxy.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => {
      proxy.closeAllConnections();
      proxy.close();
    },
  };
}

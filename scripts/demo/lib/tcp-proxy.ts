// A TCP proxy between one kiosk and the broker, so the demo and the tests can take that kiosk's
// network away and give it back without touching the broker or the other kiosks:
//   open       bytes flow both ways;
//   cut        every connection is reset and new ones are refused (an outage the kiosk notices);
//   blackhole  connections stay up but no byte passes (a silent network: requests get no answer).
// Leaving `cut` or `blackhole` resets the held connections, so the kiosk reconnects cleanly.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'open' | 'cut' | 'blackhole';

export interface TcpProxy {
  /** mqtt://127.0.0.1:PORT of the proxy's listening side. */
  readonly url: string;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: ProxyMode = 'open';
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (mode === 'open') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'open') client.write(chunk);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
  const resetAll = () => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    mode: () => mode,
    setMode(next: ProxyMode) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (next === 'cut' || previous !== 'open') resetAll();
    },
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

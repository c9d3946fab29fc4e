import { createServer, type RequestListener } from 'node:http';

export interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `handler` on host:port (port 0: any free port) until closed. */
export function listen(handler: RequestListener, port: number, host: string): Promise<ListeningServer> {
  const server = createServer(handler);
  // A slow client may not hold a connection open forever; GitHub sends a delivery in well under a minute.
  server.requestTimeout = 60_000;
  server.headersTimeout = 15_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
        port: actual,
        close: () => new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

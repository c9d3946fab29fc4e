import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createApp } from './src/app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const serviceEnv = process.env.SERVICE_ENV ?? 'development';
const version = process.env.SERVICE_VERSION ?? 'dev';

const handle = createApp({ serviceEnv, version });

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  let status;
  let body;
  try {
    ({ status, body } = handle(req.method ?? 'GET', path));
  } catch (error) {
    console.error(`${req.method} ${path} failed:`, error);
    status = 500;
    body = { error: 'internal error' };
  }
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 16)}"`,
  });
  res.end(json);
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(JSON.stringify({ event: 'listening', port: address.port, env: serviceEnv, version }));
});

function shutdown(signal) {
  console.log(JSON.stringify({ event: 'shutdown', signal }));
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

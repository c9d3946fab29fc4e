import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createApp } from './src/app.js';
import { createMetrics, METRICS_CONTENT_TYPE } from './src/metrics.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const serviceEnv = process.env.SERVICE_ENV ?? 'development';
const version = process.env.SERVICE_VERSION ?? 'dev';

const handle = createApp({ serviceEnv, version });
const metrics = createMetrics({ service: process.env.SERVICE_NAME ?? 'demo-service', version });

const server = createServer((req, res) => {
  const arrivedAt = process.hrtime.bigint();
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
    res.end(metrics.render());
    return;
  }
  // Health checks are not traffic: counting them would dilute the error rate the canary is judged on.
  if (path !== '/health') {
    res.on('finish', () => metrics.observe(res.statusCode, Number(process.hrtime.bigint() - arrivedAt) / 1e9));
  }
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

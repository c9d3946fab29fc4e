/** `prpilot webhook` as its own process, and deliveries to it with full control of method, headers and body. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { PRPILOT } from '../../helpers/cli.js';
import { freePort } from '../../helpers/temporal.js';

export interface WebhookProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startWebhook(env: NodeJS.ProcessEnv): Promise<WebhookProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(PRPILOT, ['webhook', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  for (let i = 0; i < 480 && !log.includes('listening on') && child.exitCode === null; i++) await sleep(250);
  assert.match(log, /listening on http:\/\/127\.0\.0\.1:/, log);
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}

export interface Delivery {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body in chunks without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One HTTP request; resolves with the answer even if the server stops reading the body early (413). */
export function deliver(url: string, delivery: Delivery): Promise<Answer> {
  const body = delivery.body === undefined ? undefined : Buffer.from(delivery.body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${delivery.path ?? '/'}`, {
      method: delivery.method ?? 'POST',
      headers: { ...(body && !delivery.chunked ? { 'content-length': String(body.length) } : {}), ...delivery.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) as Record<string, unknown> : {} });
      });
    });
    // The server may answer and stop reading before the body is sent (413): that is the point, not an error.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    if (body && delivery.chunked) {
      const size = 1024 * 1024;
      for (let offset = 0; offset < body.length; offset += size) req.write(body.subarray(offset, offset + size));
    } else if (body) {
      req.write(body);
    }
    req.end();
  });
}

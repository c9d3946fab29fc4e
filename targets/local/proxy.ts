/**
 * Weighted reverse proxy, run as its own process:
 *   node --import tsx targets/local/proxy.ts '<ProxyConfig JSON>'
 * Listens on 127.0.0.1 on a free port and prints `{"event":"listening","port":N}` as its first line.
 *
 * Requests go to `stable`, or to `canary` for canaryPercent% of them (deterministic split). Every
 * proxied request is recorded (version, status, latency, completion time) in a bounded ring buffer;
 * an upstream that cannot be reached answers 502 (504 after upstreamTimeoutMs), counted as an error of
 * that version. Admin API under /__prpilot/ (never proxied):
 *   GET  /__prpilot/health
 *   GET  /__prpilot/config                       → { stable, canary, canaryPercent, recorded }
 *   GET  /__prpilot/stats?since=<ms>[&until=<ms>] → per version { requests, errors, errorRate, p50Ms, p99Ms, latencySampleMs }
 *   POST /__prpilot/weight     {"canaryPercent": n}
 *   POST /__prpilot/upstreams  {"stable"?: {url,label}, "canary"?: {url,label} | null}
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { isMainModule } from './main-module.js';
import { RequestLog, WeightedSplit } from './stats.js';
import {
  ADMIN_PREFIX,
  proxyConfigSchema,
  upstreamsBodySchema,
  weightBodySchema,
  type ProxyConfig,
  type Slot,
  type StatsResponse,
  type Upstream,
} from './types.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: new Date().toISOString(), ...fields })}\n`);
}

export function startProxy(config: ProxyConfig): Promise<{ port: number; close: () => Promise<void> }> {
  let stable: Upstream = config.stable;
  let canary: Upstream | null = config.canary;
  let canaryPercent = canary ? config.canaryPercent : 0;
  const records = new RequestLog(config.maxRecords);
  const split = new WeightedSplit();
  const agent = new Agent({ keepAlive: true, maxSockets: 512, scheduling: 'lifo' });

  function proxy(req: IncomingMessage, res: ServerResponse): void {
    const slot: Slot = canary !== null && split.toCanary(canaryPercent) ? 'canary' : 'stable';
    const upstream = slot === 'canary' && canary ? canary : stable;
    const started = performance.now();
    let recorded = false;
    const record = (status: number): void => {
      if (recorded) return;
      recorded = true;
      records.add(slot, status, performance.now() - started, Date.now());
    };
    res.on('finish', () => record(res.statusCode));
    res.on('close', () => record(res.writableFinished ? res.statusCode : 499));

    const bodyless = req.method === 'GET' || req.method === 'HEAD';
    const target = new URL(req.url ?? '/', upstream.url);
    const send = (attempt: number): void => {
      const upstreamReq = request(target, {
        method: req.method,
        headers: { ...forwardHeaders(req.headers), host: target.host, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
        agent,
      });
      let timedOut = false;
      upstreamReq.setTimeout(config.upstreamTimeoutMs, () => {
        timedOut = true;
        upstreamReq.destroy(new Error(`no response within ${config.upstreamTimeoutMs} ms`));
      });
      upstreamReq.on('response', (upstreamRes) => {
        const headers = forwardHeaders(upstreamRes.headers);
        res.writeHead(upstreamRes.statusCode ?? 502, { ...headers, 'x-prpilot-version': upstream.label });
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
        upstreamRes.on('aborted', () => res.destroy());
      });
      upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the upstream closed just as we reused it: retry once on a new one (as
        // browsers do), so idle-timeout races are not counted as errors of the version.
        const staleSocket = upstreamReq.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        if (staleSocket && bodyless && attempt === 0 && !res.headersSent && !res.destroyed) {
          send(1);
          return;
        }
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const status = timedOut ? 504 : 502;
        res.writeHead(status, { 'content-type': 'application/json', 'x-prpilot-version': upstream.label });
        res.end(JSON.stringify({ error: `prpilot proxy: ${upstream.label} at ${upstream.url}: ${error.message}` }));
      });
      res.on('close', () => {
        if (!res.writableFinished) upstreamReq.destroy();
      });
      if (bodyless) upstreamReq.end();
      else req.pipe(upstreamReq);
    };
    send(0);
  }

  function state(): { stable: Upstream; canary: Upstream | null; canaryPercent: number; recorded: number } {
    return { stable, canary, canaryPercent, recorded: records.recorded };
  }

  function stats(since: number, until: number): StatsResponse {
    return {
      now: Date.now(),
      since,
      until,
      canaryPercent,
      versions: {
        stable: { label: stable.label, ...records.stats('stable', since, until) },
        canary: canary ? { label: canary.label, ...records.stats('canary', since, until) } : null,
      },
    };
  }

  async function admin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const route = `${req.method} ${url.pathname.slice(ADMIN_PREFIX.length)}`;
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    switch (route) {
      case 'GET health':
        return reply(200, { ok: true });
      case 'GET config':
        return reply(200, state());
      case 'GET stats': {
        const since = Number(url.searchParams.get('since') ?? 0);
        const until = Number(url.searchParams.get('until') ?? Date.now());
        if (!Number.isFinite(since) || !Number.isFinite(until)) return reply(400, { error: 'since and until must be epoch milliseconds' });
        return reply(200, stats(since, until));
      }
      case 'POST weight': {
        const body = await readJson(req, weightBodySchema);
        if (!body.ok) return reply(400, { error: body.error });
        if (canary === null && body.value.canaryPercent > 0) return reply(409, { error: 'there is no canary upstream' });
        canaryPercent = body.value.canaryPercent;
        log('weight', { canaryPercent });
        return reply(200, state());
      }
      case 'POST upstreams': {
        const body = await readJson(req, upstreamsBodySchema);
        if (!body.ok) return reply(400, { error: body.error });
        if (body.value.stable) stable = body.value.stable;
        if (body.value.canary !== undefined) canary = body.value.canary;
        if (canary === null) canaryPercent = 0;
        log('upstreams', { stable, canary, canaryPercent });
        return reply(200, state());
      }
      default:
        return reply(404, { error: `no admin route ${route}` });
    }
  }

  const server = createServer((req, res) => {
    if ((req.url ?? '').startsWith(ADMIN_PREFIX)) {
      admin(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(error) }));
      });
      return;
    }
    proxy(req, res);
  });
  // Longer than the load generator's idle sockets live, so it never reuses a socket we just closed.
  server.keepAliveTimeout = 65_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
            agent.destroy();
          }),
      });
    });
  });
}

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) return { ok: false, error: 'body larger than 64 KiB' };
    chunks.push(chunk);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  return { ok: true, value: parsed.data };
}

async function main(): Promise<void> {
  const config = proxyConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  const { port, close } = await startProxy(config);
  log('listening', { port, stable: config.stable, canary: config.canary, canaryPercent: config.canaryPercent });
  const shutdown = (signal: string): void => {
    log('shutdown', { signal });
    close().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

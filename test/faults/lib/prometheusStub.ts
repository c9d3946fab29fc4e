/**
 * A stand-in for Prometheus's instant-query API (POST /api/v1/query) for the `command` deploy target,
 * which has no proxy of prpilot's to measure and requires a Prometheus. It answers the queries of
 * `faultMetrics(url)` only: each version serves 20 requests a second over the queried window, all fast;
 * the canary of a deployment marked bad fails half of its requests. The fault cases are about the
 * deploy steps around the judge, not the judge (tested against a real Prometheus in test/e2e).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const FAULT_QUERIES = {
  requests: 'sum(increase(fault_requests_total{version="$version",deployment="$deployment"}[$window]))',
  errors: 'sum(increase(fault_errors_total{version="$version",deployment="$deployment"}[$window]))',
  latencyBuckets: 'sum by (le) (increase(fault_latency_seconds_bucket{version="$version",deployment="$deployment"}[$window]))',
} as const;

const REQUESTS_PER_SECOND = 20;

export interface PrometheusStub {
  url: string;
  /** Deployments (ids, or a prefix such as a workflow id) whose canary fails half of its requests. */
  bad: Set<string>;
  /** How many queries it answered, per deployment id. */
  queries: Map<string, number>;
  close(): Promise<void>;
}

/** `canary.metrics` for a config whose canary this stub measures. */
export function faultMetrics(url: string) {
  return { source: 'prometheus' as const, url, queries: { ...FAULT_QUERIES }, timeoutSeconds: 5 };
}

export async function startPrometheusStub(): Promise<PrometheusStub> {
  const bad = new Set<string>();
  const queries = new Map<string, number>();

  const answer = (query: string): unknown => {
    const metric = /fault_(requests_total|errors_total|latency_seconds_bucket)/.exec(query)?.[1];
    const version = /version="([^"]*)"/.exec(query)?.[1];
    const deployment = /deployment="([^"]*)"/.exec(query)?.[1] ?? '';
    const windowSeconds = Number(/\[(\d+)s\]/.exec(query)?.[1]);
    if (!metric || !version || !Number.isFinite(windowSeconds)) return { status: 'error', errorType: 'bad_data', error: `the fault stub does not know the query ${query}` };
    queries.set(deployment, (queries.get(deployment) ?? 0) + 1);
    const requests = REQUESTS_PER_SECOND * windowSeconds;
    const failing = version === 'canary' && [...bad].some((prefix) => deployment.startsWith(prefix));
    const now = Date.now() / 1000;
    const sample = (labels: Record<string, string>, value: number) => ({ metric: labels, value: [now, String(value)] });
    const result = metric === 'requests_total'
      ? [sample({}, requests)]
      : metric === 'errors_total'
        ? (failing ? [sample({}, requests / 2)] : [])
        : [sample({ le: '0.01' }, requests / 2), sample({ le: '0.05' }, requests), sample({ le: '+Inf' }, requests)];
    return { status: 'success', data: { resultType: 'vector', result } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://stub');
    if (url.pathname !== '/api/v1/query') {
      res.writeHead(404).end();
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const query = form.get('query') ?? url.searchParams.get('query') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer(query)));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    bad,
    queries,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

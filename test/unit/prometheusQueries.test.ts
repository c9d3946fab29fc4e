/**
 * The Prometheus metrics source without a Prometheus: query templating and histogram conversion as
 * plain functions, and the source against a local HTTP server that answers like Prometheus's
 * /api/v1/query with canned bodies (and like a broken one). Also the proxy source's mapping.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { metricsConfigSchema, prometheusMetricsConfigSchema, type PrometheusMetricsConfigInput } from '../../config/metrics.js';
import { createPrometheusMetricsSource } from '../../activities/metrics/prometheus.js';
import { createProxyMetricsSource } from '../../activities/metrics/proxy.js';
import {
  bucketsToBins,
  capBinsAt,
  histogramQuantile,
  parsePromFloat,
  promqlWindow,
  renderQuery,
} from '../../activities/metrics/promql.js';
import { createMetricsSource, MetricsSourceError, type MetricsQuery } from '../../activities/metrics/source.js';
import { summarize } from '../../targets/local/stats.js';
import type { TrafficStats } from '../../targets/local/types.js';

// ---------------------------------------------------------------------------------------------
// Templating

describe('query templates', () => {
  const variables = { service: 'orders', version: 'canary', window: '37s', deployment: 'pr-42-abc' };

  test('placeholders are filled, label values escaped, the window left as a duration', () => {
    assert.equal(
      renderQuery('sum(increase(x{service="$service",version="$version",deployment="$deployment"}[$window]))', variables),
      'sum(increase(x{service="orders",version="canary",deployment="pr-42-abc"}[37s]))',
    );
    assert.equal(renderQuery('x{service="$service"}', { ...variables, service: 'a"b\\c' }), 'x{service="a\\"b\\\\c"}');
    // a placeholder is a whole word: $versions is not $version followed by "s"
    assert.equal(renderQuery('$version $window', variables), 'canary 37s');
  });

  test('the default queries match the demo service and the local target labels', () => {
    const config = prometheusMetricsConfigSchema.parse({ source: 'prometheus', url: 'http://127.0.0.1:9090' });
    const selector = 'service="orders",version="canary",deployment="pr-42-abc"';
    assert.equal(renderQuery(config.queries.requests, variables), `sum(increase(http_requests_total{${selector}}[37s]))`);
    assert.equal(renderQuery(config.queries.errors, variables), `sum(increase(http_requests_total{${selector},code=~"5.."}[37s]))`);
    assert.equal(
      renderQuery(config.queries.latencyBuckets, variables),
      `sum by (le) (increase(http_request_duration_seconds_bucket{${selector}}[37s]))`,
    );
    assert.deepEqual(config.versionLabels, { stable: 'stable', canary: 'canary' });
    assert.equal(config.timeoutSeconds, 10);
    assert.equal(config.latencyUnit, 'seconds');
    assert.equal(config.queries.p99, undefined);
  });

  test('an unknown placeholder or a missing url is a config error naming it', () => {
    const bad = metricsConfigSchema.safeParse({ source: 'prometheus', url: 'http://p:9090', queries: { requests: 'sum(x{job="$job"})' } });
    assert.equal(bad.success, false);
    assert.match(bad.error?.issues[0]?.message ?? '', /unknown placeholder \$job/);
    assert.deepEqual(bad.error?.issues[0]?.path, ['queries', 'requests']);
    assert.equal(metricsConfigSchema.safeParse({ source: 'prometheus' }).success, false);
    assert.deepEqual(metricsConfigSchema.parse({ source: 'proxy' }), { source: 'proxy' });
  });

  test('the window is whole seconds, at least one', () => {
    assert.equal(promqlWindow(1_000, 38_200), '37s');
    assert.equal(promqlWindow(1_000, 1_400), '1s');
    assert.equal(promqlWindow(0, 600_000), '600s');
  });

  test('Prometheus floats parse, infinities included', () => {
    assert.equal(parsePromFloat('+Inf'), Infinity);
    assert.equal(parsePromFloat('-Inf'), -Infinity);
    assert.ok(Number.isNaN(parsePromFloat('NaN')));
    assert.equal(parsePromFloat('0.8'), 0.8);
    assert.equal(parsePromFloat('1e3'), 1000);
  });
});

// ---------------------------------------------------------------------------------------------
// Buckets

describe('histogram buckets', () => {
  test('cumulative buckets become per-bin counts at their upper bound in ms; +Inf at twice the last bound', () => {
    const bins = bucketsToBins(
      [
        { le: Infinity, count: 100 },
        { le: 0.1, count: 60 },
        { le: 0.8, count: 90 },
        { le: 0.025, count: 10 },
      ],
      1000,
    );
    assert.deepEqual(bins, [
      { ms: 25, count: 10 },
      { ms: 100, count: 50 },
      { ms: 800, count: 30 },
      { ms: 1600, count: 10 },
    ]);
  });

  test('extrapolated counts are rounded as cumulative counts, so the bins add up to the rounded total', () => {
    const bins = bucketsToBins(
      [
        { le: 0.1, count: 10.4 },
        { le: 0.5, count: 20.6 },
        { le: Infinity, count: 20.6 },
      ],
      1000,
    );
    assert.deepEqual(bins, [
      { ms: 100, count: 10 },
      { ms: 500, count: 11 },
    ]);
  });

  test('series with the same bound are summed; a bucket below its neighbour is lifted to it', () => {
    const bins = bucketsToBins(
      [
        { le: 0.1, count: 5 },
        { le: 0.1, count: 5 },
        { le: 0.25, count: 9.6 },
        { le: Infinity, count: 12 },
      ],
      1000,
    );
    assert.deepEqual(bins, [
      { ms: 100, count: 10 },
      { ms: 500, count: 2 }, // the 0.25 s bucket is lifted to 10 (an empty bin, left out); +Inf at 2 × 250 ms
    ]);
  });

  test('milliseconds histograms keep their unit', () => {
    assert.deepEqual(bucketsToBins([{ le: 50, count: 3 }, { le: Infinity, count: 3 }], 1), [{ ms: 50, count: 3 }]);
  });

  test('requests with no finite bucket have an unknown latency: an error, not 0 ms', () => {
    assert.throws(() => bucketsToBins([{ le: Infinity, count: 5 }], 1000), /no finite bucket/);
    assert.deepEqual(bucketsToBins([], 1000), []);
  });

  test('quantiles are interpolated as histogram_quantile() does', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.2, count: 100 },
      { le: Infinity, count: 100 },
    ];
    assert.equal(histogramQuantile(0.5, buckets), 0.1);
    assert.ok(Math.abs(histogramQuantile(0.99, buckets) - 0.198) < 1e-12);
    assert.ok(Math.abs(histogramQuantile(0.25, buckets) - 0.05) < 1e-12);
    // rank in the +Inf bucket: the highest finite bound
    assert.equal(histogramQuantile(0.99, [{ le: 0.8, count: 90 }, { le: Infinity, count: 100 }]), 0.8);
    assert.equal(histogramQuantile(0.99, []), 0);
  });

  test('bins are capped at the request count, from the fullest bin', () => {
    const bins = [
      { ms: 10, count: 3 },
      { ms: 100, count: 40 },
      { ms: 800, count: 2 },
    ];
    assert.deepEqual(capBinsAt(bins, 43), [
      { ms: 10, count: 3 },
      { ms: 100, count: 38 },
      { ms: 800, count: 2 },
    ]);
    assert.deepEqual(capBinsAt(bins, 50), bins);
    assert.deepEqual(capBinsAt(bins, 0), []);
  });
});

// ---------------------------------------------------------------------------------------------
// The source against a canned Prometheus

interface Seen {
  path: string;
  query: string;
  time: string;
  timeout: string;
}

type Reply = { status: number; body: string; delayMs?: number };

/** A local server that answers each POSTed query with reply(query); it records what it was asked. */
class CannedPrometheus {
  readonly seen: Seen[] = [];
  reply: (query: string) => Reply = () => ({ status: 200, body: vector([]) });
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const query = form.get('query') ?? '';
      this.seen.push({ path: req.url ?? '', query, time: form.get('time') ?? '', timeout: form.get('timeout') ?? '' });
      const { status, body, delayMs } = this.reply(query);
      const send = (): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (delayMs) setTimeout(send, delayMs);
      else send();
    });
  });

  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function vector(series: { metric?: Record<string, string>; value: string }[]): string {
  return JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: series.map(({ metric, value }) => ({ metric: metric ?? {}, value: [1_700_000_037.5, value] })) },
  });
}

const ok = (body: string): Reply => ({ status: 200, body });
const round2 = (ms: number): number => Math.round(ms * 100) / 100;

/** Canned numbers per version, as a real Prometheus would answer the default queries. */
function demoAnswers(query: string): Reply {
  const canary = query.includes('version="canary"');
  if (query.includes('http_request_duration_seconds_bucket')) {
    const buckets: [string, string][] = canary
      ? [['0.1', '10.2'], ['0.8', '38.9'], ['+Inf', '41.3']]
      : [['0.1', '196.7'], ['0.8', '200.4'], ['+Inf', '200.4']];
    return ok(vector(buckets.map(([le, value]) => ({ metric: { le }, value }))));
  }
  if (query.includes('code=~"5.."')) return ok(vector(canary ? [{ value: '12.6' }] : []));
  return ok(vector([{ value: canary ? '40.7' : '199.6' }]));
}

describe('the Prometheus source', () => {
  const prometheus = new CannedPrometheus();
  before(() => prometheus.start());
  after(() => prometheus.stop());

  const window: MetricsQuery = { deploymentId: 'pr-7', service: 'orders', sinceEpochMs: 1_700_000_000_500, untilEpochMs: 1_700_000_037_500 };
  const source = (overrides: Partial<PrometheusMetricsConfigInput> = {}) =>
    createPrometheusMetricsSource(prometheusMetricsConfigSchema.parse({ source: 'prometheus', url: prometheus.url, ...overrides }));

  test('both versions: counts rounded, errors from 5xx, latency bins from buckets, p99 interpolated', async () => {
    prometheus.seen.length = 0;
    prometheus.reply = demoAnswers;
    const traffic = await source().observe(window);

    assert.equal(traffic.source, 'prometheus');
    assert.deepEqual([traffic.sinceEpochMs, traffic.untilEpochMs], [window.sinceEpochMs, window.untilEpochMs]);
    assert.deepEqual(traffic.stable, {
      requests: 200,
      errors: 0,
      p50Ms: round2((100 * (0.5 * 200.4)) / 196.7), // as histogram_quantile(0.5, …), in ms
      p99Ms: round2(100 + (700 * (0.99 * 200.4 - 196.7)) / (200.4 - 196.7)),
      latency: [
        { ms: 100, count: 197 },
        { ms: 800, count: 3 },
      ],
    });
    assert.equal(traffic.canary.requests, 41);
    assert.equal(traffic.canary.errors, 13);
    // bins add up to 41 (rounded +Inf), not more than requests
    assert.deepEqual(traffic.canary.latency, [
      { ms: 100, count: 10 },
      { ms: 800, count: 29 },
      { ms: 1600, count: 2 },
    ]);
    assert.equal(traffic.canary.p99Ms, 800); // the rank falls in +Inf: the highest finite bound

    // 3 queries per version, at the window's end, over the window
    assert.equal(prometheus.seen.length, 6);
    for (const seen of prometheus.seen) {
      assert.equal(seen.path, '/api/v1/query');
      assert.equal(seen.time, '1700000037.500');
      assert.equal(seen.timeout, '10s');
      assert.match(seen.query, /service="orders",version="(stable|canary)",deployment="pr-7"/);
      assert.match(seen.query, /\[37s\]/);
    }
  });

  test('version labels and p50/p99 queries from the config are used', async () => {
    prometheus.seen.length = 0;
    prometheus.reply = (query) => {
      if (query.startsWith('histogram_quantile(0.99')) return ok(vector([{ value: query.includes('"green"') ? '1.25' : '0.02' }]));
      if (query.startsWith('histogram_quantile(0.5')) return ok(vector([{ value: 'NaN' }]));
      return demoAnswers(query.replace('"green"', '"canary"').replace('"blue"', '"stable"'));
    };
    const traffic = await source({
      versionLabels: { stable: 'blue', canary: 'green' },
      queries: {
        p99: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket{version="$version"}[$window])))',
        p50: 'histogram_quantile(0.5, sum by (le) (rate(x_bucket{version="$version"}[$window])))',
      },
    }).observe(window);
    assert.equal(traffic.canary.p99Ms, 1250);
    assert.equal(traffic.stable.p99Ms, 20);
    // NaN from the p50 query: computed from the buckets instead, never 0
    assert.equal(traffic.stable.p50Ms, round2((100 * (0.5 * 200.4)) / 196.7));
    assert.ok(prometheus.seen.some((seen) => seen.query.includes('version="green"')));
    assert.ok(prometheus.seen.every((seen) => !seen.query.includes('version="canary"')));
  });

  test('no series is no traffic, not an error', async () => {
    prometheus.reply = () => ok(vector([]));
    const traffic = await source().observe(window);
    assert.deepEqual(traffic.canary, { requests: 0, errors: 0, p50Ms: 0, p99Ms: 0, latency: [] });
    assert.deepEqual(traffic.stable, traffic.canary);
  });

  test('errors never exceed requests', async () => {
    prometheus.reply = (query) => (query.includes('5..') ? ok(vector([{ value: '10.6' }])) : query.includes('bucket') ? ok(vector([])) : ok(vector([{ value: '0.4' }])));
    const traffic = await source().observe(window);
    assert.equal(traffic.canary.requests, 0);
    assert.equal(traffic.canary.errors, 0);
  });

  test('a scalar answer counts as one series', async () => {
    prometheus.reply = (query) =>
      query.includes('bucket')
        ? ok(vector([{ metric: { le: '0.1' }, value: '3' }, { metric: { le: '+Inf' }, value: '3' }]))
        : ok(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1_700_000_037.5, '3'] } }));
    const traffic = await source().observe(window);
    assert.equal(traffic.stable.requests, 3);
  });

  const rejects = async (code: string, message: RegExp, retryable?: boolean, overrides: Partial<PrometheusMetricsConfigInput> = {}): Promise<void> => {
    await assert.rejects(source(overrides).observe(window), (error: unknown) => {
      assert.ok(error instanceof MetricsSourceError, `expected a MetricsSourceError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      if (retryable !== undefined) assert.equal(error.retryable, retryable);
      return true;
    });
  };

  test('a query Prometheus rejects is an error that names the query, not retryable for bad_data', async () => {
    prometheus.reply = () => ({ status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }) });
    await rejects('query_error', /Prometheus at http:\/\/127\.0\.0\.1:\d+, query sum\(increase\(.*: bad_data: parse error at char 5 \(HTTP 400\)/, false);
    prometheus.reply = () => ({ status: 503, body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }) });
    await rejects('query_error', /timeout: query timed out/, true);
  });

  test('a non-Prometheus answer is an error: HTTP status, not JSON, wrong shape, a range vector', async () => {
    prometheus.reply = () => ({ status: 502, body: '<html>Bad Gateway</html>' });
    await rejects('http_error', /HTTP 502: <html>Bad Gateway/, true);
    prometheus.reply = () => ok('<html>login</html>');
    await rejects('malformed', /not JSON/);
    prometheus.reply = () => ok(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['x', 1] }] } }));
    await rejects('malformed', /not a Prometheus query answer/);
    prometheus.reply = () => ok(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    await rejects('malformed', /returns a matrix/, false);
  });

  test('numbers that cannot be counts are errors, never healthy zeros', async () => {
    prometheus.reply = (query) => (query.includes('5..') ? ok(vector([{ value: 'NaN' }])) : demoAnswers(query));
    await rejects('malformed', /errors of version stable.*value NaN/);
    prometheus.reply = (query) => (query.includes('bucket') ? ok(vector([{ metric: {}, value: '4' }])) : demoAnswers(query));
    await rejects('malformed', /no numeric "le" label/);
    prometheus.reply = (query) => (query.includes('bucket') ? ok(vector([])) : demoAnswers(query));
    await rejects('malformed', /no series, but the requests query counted/);
    prometheus.reply = (query) => (query.includes('bucket') ? ok(vector([{ metric: { le: '+Inf' }, value: '40' }])) : demoAnswers(query));
    await rejects('malformed', /no finite bucket/);
  });

  test('a Prometheus that does not answer in time is a timeout error', async () => {
    prometheus.reply = () => ({ ...ok(vector([])), delayMs: 1_500 });
    await rejects('timeout', /no answer within 0.2 s/, true, { timeoutSeconds: 0.2 });
  });

  test('an unreachable Prometheus is an error naming the address', async () => {
    const gone = new CannedPrometheus();
    await gone.start();
    await gone.stop();
    const unreachable = createPrometheusMetricsSource(prometheusMetricsConfigSchema.parse({ source: 'prometheus', url: gone.url }));
    await assert.rejects(unreachable.observe(window), (error: unknown) => {
      assert.ok(error instanceof MetricsSourceError);
      assert.equal(error.code, 'unreachable');
      assert.match(error.message, new RegExp(`Prometheus at ${gone.url}.*cannot be reached: ECONNREFUSED`));
      return true;
    });
  });

  test('an empty or inverted window is refused', async () => {
    await assert.rejects(source().observe({ ...window, sinceEpochMs: window.untilEpochMs }), (error: unknown) => {
      assert.ok(error instanceof MetricsSourceError);
      assert.equal(error.code, 'invalid_argument');
      assert.equal(error.retryable, false);
      return true;
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The proxy source

describe('the proxy source', () => {
  const stats = (latencies: number[], errors: number): TrafficStats => summarize(latencies, errors);

  test('maps the proxy stats of the window, latency samples as bins of count 1', async () => {
    const asked: unknown[][] = [];
    const target = {
      async stats(...args: [string, number, number?]) {
        asked.push(args);
        return { stable: stats([5, 3, 4], 0), canary: stats([900, 12], 1) };
      },
    };
    const traffic = await createProxyMetricsSource(target).observe({ deploymentId: 'd1', service: 's', sinceEpochMs: 10, untilEpochMs: 20 });
    assert.deepEqual(asked, [['d1', 10, 20]]);
    assert.equal(traffic.source, 'proxy');
    assert.deepEqual(traffic.canary, { requests: 2, errors: 1, p50Ms: 12, p99Ms: 900, latency: [{ ms: 12, count: 1 }, { ms: 900, count: 1 }] });
    assert.deepEqual(traffic.stable.latency.map((bin) => bin.ms), [3, 4, 5]);
  });

  test('a deployment without a canary is an error', async () => {
    const target = { stats: async () => ({ staging: stats([1], 0) }) };
    await assert.rejects(
      createProxyMetricsSource(target).observe({ deploymentId: 'd1', service: 's', sinceEpochMs: 10, untilEpochMs: 20 }),
      /d1 is not a canary \(its proxy reports versions staging\)/,
    );
  });

  test('createMetricsSource picks the source the config names', async () => {
    const target = { stats: async () => ({ stable: stats([1], 0), canary: stats([2], 0) }) };
    const proxyTraffic = await createMetricsSource({ source: 'proxy' }, { target }).observe({ deploymentId: 'd', service: 's', sinceEpochMs: 1, untilEpochMs: 2 });
    assert.equal(proxyTraffic.source, 'proxy');
    const prometheus = metricsConfigSchema.parse({ source: 'prometheus', url: 'http://127.0.0.1:1' });
    await assert.rejects(
      createMetricsSource(prometheus, { target }).observe({ deploymentId: 'd', service: 's', sinceEpochMs: 1, untilEpochMs: 2 }),
      (error: unknown) => error instanceof MetricsSourceError && error.code === 'unreachable',
    );
  });
});

/**
 * Prometheus as a metrics source: the configured PromQL queries (config/metrics.ts) evaluated with
 * the instant-query API at the window's end, `$window` long, once per version.
 *
 * - requests / errors: summed over the series returned, rounded to whole requests (increase()
 *   extrapolates to the window's edges, so it answers e.g. 41.7); errors never exceed requests.
 * - latency: the cumulative `le` buckets become per-bin counts in ms (see bucketsToBins: the +Inf
 *   bucket is a bin at twice the highest finite bound), capped to add up to at most `requests`.
 * - p50 / p99: the configured queries if any, else computed from the buckets as histogram_quantile().
 *
 * A query that returns no series means no traffic of that kind (0), not an error: a counter of 5xx
 * responses exists only after the first one. But latency buckets missing while requests were counted
 * is an error: their latency would otherwise read as 0 ms.
 */
import type { PrometheusMetricsConfig } from '../../config/metrics.js';
import { canaryTrafficSchema, type CanaryTraffic, type VersionTraffic } from '../../workflows/policy/traffic.js';
import { instantQuery, type PromSample } from './prometheusApi.js';
import {
  bucketsToBins,
  capBinsAt,
  histogramQuantile,
  parsePromFloat,
  promqlWindow,
  renderQuery,
  type CumulativeBucket,
  type QueryVariables,
} from './promql.js';
import { checkWindow, MetricsSourceError, type MetricsQuery, type MetricsSource } from './source.js';

interface QueryResult {
  query: string;
  samples: PromSample[];
}

const UNIT_MS: Record<PrometheusMetricsConfig['latencyUnit'], number> = { seconds: 1000, milliseconds: 1 };

export function createPrometheusMetricsSource(config: PrometheusMetricsConfig, fetchImpl: typeof fetch = fetch): MetricsSource {
  const unitMs = UNIT_MS[config.latencyUnit];

  async function run(template: string, variables: QueryVariables, atEpochMs: number): Promise<QueryResult> {
    const query = renderQuery(template, variables);
    const samples = await instantQuery({ baseUrl: config.url, query, atEpochMs, timeoutSeconds: config.timeoutSeconds, fetchImpl });
    return { query, samples };
  }

  const malformed = (what: string, query: string, detail: string): MetricsSourceError =>
    new MetricsSourceError('malformed', `Prometheus at ${config.url}: ${what} (query ${query}): ${detail}`);

  /** Sum of the series as a whole number of requests; 0 for no series. */
  function count(what: string, result: QueryResult): number {
    let sum = 0;
    for (const { value, labels } of result.samples) {
      if (!Number.isFinite(value) || value < 0) {
        throw malformed(what, result.query, `series ${JSON.stringify(labels)} has value ${value}; a count must be a finite number ≥ 0`);
      }
      sum += value;
    }
    return Math.round(sum);
  }

  function buckets(what: string, result: QueryResult): CumulativeBucket[] {
    return result.samples.map(({ labels, value }) => {
      const le = labels.le === undefined ? NaN : parsePromFloat(labels.le);
      if (Number.isNaN(le)) throw malformed(what, result.query, `series ${JSON.stringify(labels)} has no numeric "le" label: keep le, e.g. sum by (le) (…)`);
      if (!Number.isFinite(value) || value < 0) throw malformed(what, result.query, `bucket le="${labels.le}" has value ${value}`);
      return { le, count: value };
    });
  }

  /** A configured quantile query's answer in ms, or null (not configured, no series, NaN) to compute it from the buckets. */
  function quantileMs(result: QueryResult | null): number | null {
    const values = (result?.samples ?? []).map((sample) => sample.value).filter((value) => Number.isFinite(value) && value >= 0);
    return values.length === 0 ? null : Math.max(...values) * unitMs;
  }

  async function versionTraffic(label: string, query: MetricsQuery): Promise<VersionTraffic> {
    const variables: QueryVariables = {
      service: query.service,
      version: label,
      window: promqlWindow(query.sinceEpochMs, query.untilEpochMs),
      deployment: query.deploymentId,
    };
    const at = query.untilEpochMs;
    const { queries } = config;
    const optional = (template: string | undefined): Promise<QueryResult | null> => (template === undefined ? Promise.resolve(null) : run(template, variables, at));
    const [requestsResult, errorsResult, bucketsResult, p50Result, p99Result] = await Promise.all([
      run(queries.requests, variables, at),
      run(queries.errors, variables, at),
      run(queries.latencyBuckets, variables, at),
      optional(queries.p50),
      optional(queries.p99),
    ]);

    const version = `version ${label}`;
    const requests = count(`requests of ${version}`, requestsResult);
    const errors = Math.min(count(`errors of ${version}`, errorsResult), requests);
    const cumulative = buckets(`latency buckets of ${version}`, bucketsResult);
    if (requests > 0 && cumulative.length === 0) {
      throw malformed(`latency buckets of ${version}`, bucketsResult.query, `no series, but the requests query counted ${requests} requests: check the latencyBuckets query`);
    }
    let bins;
    try {
      bins = capBinsAt(bucketsToBins(cumulative, unitMs), requests);
    } catch (error) {
      throw malformed(`latency buckets of ${version}`, bucketsResult.query, error instanceof Error ? error.message : String(error));
    }
    const round = (ms: number): number => Math.round(ms * 100) / 100;
    return {
      requests,
      errors,
      p50Ms: round(quantileMs(p50Result) ?? histogramQuantile(0.5, cumulative) * unitMs),
      p99Ms: round(quantileMs(p99Result) ?? histogramQuantile(0.99, cumulative) * unitMs),
      latency: bins,
    };
  }

  return {
    async observe(query: MetricsQuery): Promise<CanaryTraffic> {
      checkWindow(query);
      const [stable, canary] = await Promise.all([
        versionTraffic(config.versionLabels.stable, query),
        versionTraffic(config.versionLabels.canary, query),
      ]);
      return canaryTrafficSchema.parse({ stable, canary, sinceEpochMs: query.sinceEpochMs, untilEpochMs: query.untilEpochMs, source: 'prometheus' });
    },
  };
}

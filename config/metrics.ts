/**
 * Where the canary judge's numbers come from: the local proxy's own measurements (default) or
 * Prometheus, through PromQL queries evaluated at the end of each judged window.
 *
 * Query templates may use these placeholders (anything else starting with `$` is a config error):
 *   $service     the service's name (service.name)
 *   $version     the version's label: versionLabels.stable or versionLabels.canary
 *   $window      the judged window as a PromQL duration, in whole seconds, e.g. `37s`
 *   $deployment  the deployment id prpilot gave the canary (the local target labels its targets with it)
 * Values are escaped for use inside a PromQL double-quoted string.
 */
import { z } from 'zod';

export const proxyMetricsConfigSchema = z.strictObject({ source: z.literal('proxy') });

export const QUERY_PLACEHOLDERS = ['service', 'version', 'window', 'deployment'] as const;

const promqlTemplate = z
  .string()
  .trim()
  .min(1)
  .superRefine((template, context) => {
    for (const match of template.matchAll(/\$([A-Za-z_]\w*)/g)) {
      const name = match[1] ?? '';
      if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(name)) {
        context.addIssue({
          code: 'custom',
          message: `unknown placeholder $${name} (known: ${QUERY_PLACEHOLDERS.map((known) => `$${known}`).join(', ')})`,
        });
      }
    }
  });

/** The demo service's series, scraped through the local target's file_sd (which adds `deployment`). */
const selector = 'service="$service",version="$version",deployment="$deployment"';

export const prometheusQueriesSchema = z.strictObject({
  /** Requests completed in the window (a number; several series are summed). */
  requests: promqlTemplate.default(`sum(increase(http_requests_total{${selector}}[$window]))`),
  /** Of those, the failed ones. */
  errors: promqlTemplate.default(`sum(increase(http_requests_total{${selector},code=~"5.."}[$window]))`),
  /** Cumulative latency histogram over the window, one series per `le` (series with the same `le` are summed). */
  latencyBuckets: promqlTemplate.default(`sum by (le) (increase(http_request_duration_seconds_bucket{${selector}}[$window]))`),
  /**
   * Optional p50/p99 expressions (in latencyUnit). Left out, they are computed from latencyBuckets the
   * way histogram_quantile() does, which is what e.g.
   * `histogram_quantile(0.99, sum by (le) (increase(http_request_duration_seconds_bucket{…}[$window])))` answers.
   */
  p50: promqlTemplate.optional(),
  p99: promqlTemplate.optional(),
});
export type PrometheusQueries = z.infer<typeof prometheusQueriesSchema>;

export const prometheusMetricsConfigSchema = z.strictObject({
  source: z.literal('prometheus'),
  /** Base URL of the Prometheus server (its HTTP API is under /api/v1/). */
  url: z.url({ protocol: /^https?$/ }),
  queries: prometheusQueriesSchema.default(prometheusQueriesSchema.parse({})),
  /** The values of $version for each side of the canary. */
  versionLabels: z
    .strictObject({
      stable: z.string().min(1).default('stable'),
      canary: z.string().min(1).default('canary'),
    })
    .default({ stable: 'stable', canary: 'canary' }),
  /** Unit of the histogram's `le` bounds and of the p50/p99 queries' answers. */
  latencyUnit: z.enum(['seconds', 'milliseconds']).default('seconds'),
  /** Per query: the HTTP request, and Prometheus's own evaluation timeout. */
  timeoutSeconds: z.number().positive().max(300).default(10),
});
export type PrometheusMetricsConfig = z.infer<typeof prometheusMetricsConfigSchema>;
export type PrometheusMetricsConfigInput = z.input<typeof prometheusMetricsConfigSchema>;

export const metricsConfigSchema = z.discriminatedUnion('source', [proxyMetricsConfigSchema, prometheusMetricsConfigSchema]);
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

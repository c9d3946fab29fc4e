/**
 * Where the canary judge's traffic numbers come from. Two sources behind one interface: the local
 * proxy's own records of every request (proxy.ts), and a Prometheus server's view of the service's own
 * metrics (prometheus.ts). Both report the same shape, CanaryTraffic, for the same window.
 *
 * A source never turns a failure into numbers: whatever it cannot measure, it throws, and Temporal
 * retries the activity (or, for MetricsSourceError with retryable false, it fails for a human to fix).
 */
import type { MetricsConfig } from '../../config/metrics.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { CanaryTraffic } from '../../workflows/policy/traffic.js';
import { createPrometheusMetricsSource } from './prometheus.js';
import { createProxyMetricsSource } from './proxy.js';

export interface MetricsQuery {
  deploymentId: string;
  /** service.name of the config: `$service` in Prometheus queries */
  service: string;
  sinceEpochMs: number;
  untilEpochMs: number;
}

export interface MetricsSource {
  /** Traffic of both versions of a canary deployment completed in [sinceEpochMs, untilEpochMs]. */
  observe(query: MetricsQuery): Promise<CanaryTraffic>;
}

export type MetricsSourceErrorCode =
  | 'invalid_argument' // an empty or inverted window, a deployment that is not a canary
  | 'unreachable' // no connection to the metrics server
  | 'timeout' // no answer within timeoutSeconds
  | 'http_error' // an HTTP status other than 200 without a Prometheus error body
  | 'query_error' // Prometheus answered status "error"
  | 'malformed'; // an answer that is not what a query of this kind returns

/** Errors of a metrics source; `retryable` tells the activity layer whether another attempt can help. */
export class MetricsSourceError extends Error {
  override readonly name = 'MetricsSourceError';

  constructor(
    readonly code: MetricsSourceErrorCode,
    message: string,
    readonly retryable = code !== 'invalid_argument',
  ) {
    super(message);
  }
}

export function checkWindow(query: MetricsQuery): void {
  if (!(Number.isFinite(query.sinceEpochMs) && Number.isFinite(query.untilEpochMs) && query.sinceEpochMs < query.untilEpochMs)) {
    throw new MetricsSourceError(
      'invalid_argument',
      `metrics window must have since < until (got since ${query.sinceEpochMs}, until ${query.untilEpochMs}) for deployment ${query.deploymentId}`,
    );
  }
}

export function createMetricsSource(config: MetricsConfig, deps: { target: Pick<LocalTarget, 'stats'> }): MetricsSource {
  switch (config.source) {
    case 'proxy':
      return createProxyMetricsSource(deps.target);
    case 'prometheus':
      return createPrometheusMetricsSource(config);
  }
}

/**
 * The local proxy as a metrics source: it records every request it forwards (targets/local/proxy.ts),
 * so its numbers are exact. Latency comes as the proxy's sample of up to 2000 latencies, each a bin of
 * count 1.
 */
import type { LocalTarget, TrafficStats } from '../../targets/local/types.js';
import { canaryTrafficSchema, type CanaryTraffic, type VersionTraffic } from '../../workflows/policy/traffic.js';
import { checkWindow, MetricsSourceError, type MetricsQuery, type MetricsSource } from './source.js';

export function toVersionTraffic(stats: TrafficStats): VersionTraffic {
  return {
    requests: stats.requests,
    errors: stats.errors,
    p50Ms: stats.p50Ms,
    p99Ms: stats.p99Ms,
    latency: [...stats.latencySampleMs].sort((a, b) => a - b).map((ms) => ({ ms, count: 1 })),
  };
}

export function createProxyMetricsSource(target: Pick<LocalTarget, 'stats'>): MetricsSource {
  return {
    async observe(query: MetricsQuery): Promise<CanaryTraffic> {
      checkWindow(query);
      const stats = await target.stats(query.deploymentId, query.sinceEpochMs, query.untilEpochMs);
      const { stable, canary } = stats;
      if (!stable || !canary) {
        throw new MetricsSourceError(
          'invalid_argument',
          `local deployment ${query.deploymentId} is not a canary (its proxy reports versions ${Object.keys(stats).join(', ') || 'none'})`,
        );
      }
      return canaryTrafficSchema.parse({
        stable: toVersionTraffic(stable),
        canary: toVersionTraffic(canary),
        sinceEpochMs: query.sinceEpochMs,
        untilEpochMs: query.untilEpochMs,
        source: 'proxy',
      });
    },
  };
}

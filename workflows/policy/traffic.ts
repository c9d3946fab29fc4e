/**
 * What a metrics source reports about one version's traffic over a window, and what the canary judge
 * reads. Latency is a weighted distribution: raw samples (the local proxy) are bins of count 1,
 * a Prometheus histogram gives one bin per bucket (its upper bound, in ms, with that bucket's count).
 */
import { z } from 'zod';

export const latencyBinSchema = z.object({
  ms: z.number().min(0),
  count: z.number().min(0),
});
export type LatencyBin = z.infer<typeof latencyBinSchema>;

export const versionTrafficSchema = z.object({
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  /** As reported by the source (exact from the proxy, interpolated from buckets by Prometheus). */
  p50Ms: z.number().min(0),
  p99Ms: z.number().min(0),
  /** The latency distribution, in ascending ms; counts sum to at most `requests`. */
  latency: z.array(latencyBinSchema),
});
export type VersionTraffic = z.infer<typeof versionTrafficSchema>;

export const canaryTrafficSchema = z.object({
  canary: versionTrafficSchema,
  stable: versionTrafficSchema,
  /** The window the numbers cover, epoch ms. */
  sinceEpochMs: z.number(),
  untilEpochMs: z.number(),
  source: z.enum(['proxy', 'prometheus']),
});
export type CanaryTraffic = z.infer<typeof canaryTrafficSchema>;

export const noTraffic = (): VersionTraffic => ({ requests: 0, errors: 0, p50Ms: 0, p99Ms: 0, latency: [] });

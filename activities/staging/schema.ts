import { z } from 'zod';

/** Measured traffic over a window; latency samples stay out of history (they are large). */
export const trafficSummarySchema = z.object({
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  errorRate: z.number().min(0).max(1),
  p50Ms: z.number().min(0),
  p99Ms: z.number().min(0),
});
export type TrafficSummary = z.infer<typeof trafficSummarySchema>;

export const baselineSchema = trafficSummarySchema.extend({
  service: z.string(),
  /** `stored`: from the last promoted version; `measured-base`: measured on the PR's base just now. */
  source: z.enum(['stored', 'measured-base']),
  measuredAt: z.string(),
  commit: z.string(),
});
export type Baseline = z.infer<typeof baselineSchema>;

export const smokeResultSchema = z.object({
  path: z.string(),
  status: z.number().int(),
  ok: z.boolean(),
  ms: z.number().min(0),
});

export const stagingReportSchema = z.object({
  smoke: z.array(smokeResultSchema),
  smokePassed: z.boolean(),
  windowSeconds: z.number().int(),
  requestsPerSecond: z.number().int(),
  measured: trafficSummarySchema.nullable(),
  baseline: baselineSchema.nullable(),
  logSha256: z.string().nullable(),
  summary: z.string(),
});
export type StagingReport = z.infer<typeof stagingReportSchema>;

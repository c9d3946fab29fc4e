import { z } from 'zod';

export const validationCheckSchema = z.object({ name: z.string(), passed: z.boolean(), detail: z.string() });

export const validationReportSchema = z.object({
  passed: z.boolean(),
  calibrationFactor: z.number().positive(),
  /** Staging numbers × calibration factor: the estimate for production. */
  adjusted: z.object({ p50Ms: z.number(), p99Ms: z.number(), errorRate: z.number() }).nullable(),
  baselineAdjusted: z.object({ p50Ms: z.number(), p99Ms: z.number(), errorRate: z.number() }).nullable(),
  p99RegressionPercent: z.number().nullable(),
  checks: z.array(validationCheckSchema),
  summary: z.string(),
});
export type ValidationReport = z.infer<typeof validationReportSchema>;

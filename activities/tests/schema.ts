import { z } from 'zod';

const ratio = z.object({ total: z.number().int().min(0), covered: z.number().int().min(0), percent: z.number().min(0).max(100) });

export const testReportSchema = z.object({
  ran: z.boolean(),
  passed: z.boolean(),
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().min(0),
  /** Full test output, in the artifact store. */
  logSha256: z.string().nullable(),
  coverage: ratio.nullable(),
  /** Coverage of the lines this PR adds in files the coverage report knows. */
  diffCoverage: ratio.nullable(),
  /** Tests the test agent generated for coverage gaps: kept only if they pass repeatedly and raise diff coverage. */
  generatedTests: z.array(z.object({
    file: z.string(),
    gap: z.string(),
    kept: z.boolean(),
    attempts: z.number().int().min(0),
    reason: z.string(),
  })).default([]),
  /** The kept tests as a patch in the artifact store; never committed to the user's branch. */
  patchSha256: z.string().nullable().default(null),
  summary: z.string(),
});
export type TestReport = z.infer<typeof testReportSchema>;
export type CoverageRatio = z.infer<typeof ratio>;

import { z } from 'zod';
import { metricsConfigSchema } from './metrics.js';
import { commandTargetConfigSchema } from '../targets/command/config.js';

/** Every duration is in whole seconds; the names say so. Defaults are the seed's thresholds. */
const seconds = (min: number) => z.number().int().min(min);
const fraction = z.number().min(0).max(1);

export const serviceConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
  /** argv run from the checked-out version's directory; the service must listen on $PORT. */
  start: z.array(z.string().min(1)).min(1),
  healthPath: z.string().startsWith('/').default('/health'),
  /** Paths that must answer 2xx on staging before any traffic is measured. */
  smokePaths: z.array(z.string().startsWith('/')).default(['/health']),
  /** Paths the load generator requests, round robin. */
  trafficPaths: z.array(z.string().startsWith('/')).min(1).default(['/']),
  startTimeoutSeconds: seconds(1).default(30),
});

export const testsConfigSchema = z.strictObject({
  /** argv run from the checked-out head; null means the repo has no test command. */
  command: z.array(z.string().min(1)).min(1).nullable().default(null),
  /** lcov report the command writes, relative to the repo root. */
  coverageReport: z.string().min(1).nullable().default(null),
  timeoutSeconds: seconds(1).default(600),
  /** Where generated tests are written, relative to the repo root (the Claude test agent). */
  generatedTestDir: z.string().min(1).default('test/generated'),
  /** Framework and style hint for generated tests, e.g. "node:test with node:assert/strict". */
  framework: z.string().min(1).default('the framework the repository already uses'),
  /** Generate-run-retry attempts per coverage gap, with the failure output fed back each time. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** A generated test is kept only if it passes this many runs in a row (flaky ones are dropped). */
  stableRuns: z.number().int().min(1).max(20).default(5),
});

export const reviewConfigSchema = z.strictObject({
  riskThreshold: z.number().int().min(1).max(10).default(7),
});

export const stagingConfigSchema = z.strictObject({
  perfWindowSeconds: seconds(1).default(120),
  requestsPerSecond: z.number().int().min(1).max(2000).default(50),
  /** production latency ≈ staging latency × factor (staging is smaller than production). */
  calibrationFactor: z.number().positive().max(10).default(1),
  maxP99RegressionPercent: z.number().min(0).max(1000).default(20),
  /** A p99 increase smaller than this many ms is jitter, not a regression, whatever its percentage. */
  p99RegressionFloorMs: z.number().min(0).default(25),
  maxErrorRate: fraction.default(0.005),
});

export const canaryStepSchema = z.strictObject({
  percent: z.number().min(1).max(100),
  durationSeconds: seconds(1),
});
export type CanaryStep = z.infer<typeof canaryStepSchema>;

/** How the canary judge weighs evidence (see workflows/policy/canaryJudge.ts). */
export const canaryJudgeConfigSchema = z.strictObject({
  /** Significance of each statistical test, per look: small, because the canary is looked at every interval. */
  alpha: z.number().gt(0).max(0.2).default(0.001),
  /** A canary error rate above stable's by less than this is not a regression, however significant. */
  minErrorRateIncrease: fraction.default(0.002),
  /** Canary latency (mean) above stable's by more than this percent, and significant, is a regression. */
  maxLatencyIncreasePercent: z.number().min(0).max(1000).default(20),
  /** ...and by more than this many ms: small latencies jitter by large percentages. */
  latencyFloorMs: z.number().min(0).default(10),
  /** Judgements inconclusive (too little traffic) for this long fail closed, without waiting for the step to end. */
  maxInconclusiveSeconds: seconds(1).default(120),
});
export type CanaryJudgeConfig = z.infer<typeof canaryJudgeConfigSchema>;

export const canaryConfigSchema = z.strictObject({
  /** One step at `percent` for `durationSeconds`, unless `steps` is given (then both are ignored). */
  percent: z.number().min(1).max(100).default(5),
  durationSeconds: seconds(1).default(600),
  /** A ramp, e.g. 5% → 25% → 50% for their durations, then promotion; each step judged on its own traffic. */
  steps: z.array(canaryStepSchema).min(1).max(10).optional(),
  // Looks are cheap (one activity polls; history does not grow per look), so look often: a clear failure rolls back sooner.
  intervalSeconds: seconds(1).default(5),
  requestsPerSecond: z.number().int().min(1).max(2000).default(100),
  maxErrorRate: fraction.default(0.005),
  maxP99Ms: z.number().positive().default(800),
  /** Each version needs this many requests in a judgement, else the judgement is inconclusive. */
  minRequests: z.number().int().min(1).default(20),
  /** A canary paused past its window is rolled back after this long (it keeps being judged meanwhile). */
  maxPauseSeconds: seconds(1).default(3_600),
  judge: canaryJudgeConfigSchema.default(canaryJudgeConfigSchema.parse({})),
  metrics: metricsConfigSchema.default({ source: 'proxy' }),
});

/** The ramp a canary config describes: its steps, or the single step `percent` for `durationSeconds`. */
export function canarySteps(canary: Pick<CanaryConfig, 'steps' | 'percent' | 'durationSeconds'>): CanaryStep[] {
  return canary.steps ?? [{ percent: canary.percent, durationSeconds: canary.durationSeconds }];
}

export const approvalConfigSchema = z.strictObject({
  timeoutSeconds: seconds(1).default(86_400),
  reminderSeconds: seconds(1).default(14_400),
  /** Empty means anyone but the author may approve. */
  approvers: z.array(z.string().min(1)).default([]),
});

export const deployConfigSchema = z.discriminatedUnion('target', [
  z.strictObject({ target: z.literal('local') }),
  z.strictObject({ target: z.literal('command'), command: commandTargetConfigSchema }),
]);

/** Timer-driven steps per wait (canary intervals, approval reminders): keeps a run's history bounded. */
export const MAX_TIMER_STEPS = 200;

export const prpilotConfigSchema = z.strictObject({
  service: serviceConfigSchema,
  tests: testsConfigSchema.default(testsConfigSchema.parse({})),
  review: reviewConfigSchema.default(reviewConfigSchema.parse({})),
  staging: stagingConfigSchema.default(stagingConfigSchema.parse({})),
  canary: canaryConfigSchema.default(canaryConfigSchema.parse({})),
  approval: approvalConfigSchema.default(approvalConfigSchema.parse({})),
  deploy: deployConfigSchema.default({ target: 'local' }),
}).refine((config) => canarySteps(config.canary).every((step) => config.canary.intervalSeconds <= step.durationSeconds), {
  path: ['canary', 'intervalSeconds'],
  message: 'must not be longer than any canary step (canary.durationSeconds or canary.steps[].durationSeconds)',
}).refine((config) => config.deploy.target !== 'command' || config.canary.metrics.source !== 'proxy', {
  path: ['canary', 'metrics', 'source'],
  message: "the command deploy target has no local proxy to measure: set canary.metrics.source to 'prometheus'",
}).refine((config) => config.approval.timeoutSeconds / config.approval.reminderSeconds <= MAX_TIMER_STEPS, {
  path: ['approval', 'reminderSeconds'],
  message: `must be at least approval.timeoutSeconds / ${MAX_TIMER_STEPS} (each reminder adds to the run's history)`,
});


export type PrpilotConfig = z.infer<typeof prpilotConfigSchema>;
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;
export type CanaryConfig = z.infer<typeof canaryConfigSchema>;
export type DeployConfig = z.infer<typeof deployConfigSchema>;
export type StagingConfig = z.infer<typeof stagingConfigSchema>;

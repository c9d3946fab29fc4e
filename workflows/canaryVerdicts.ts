/**
 * What watching a canary step produces: one verdict per interval with the numbers behind it (each
 * becomes a decision record), and how the watch ended. Shared by the watch activity and the workflow.
 */
import { z } from 'zod';

export const trafficBriefSchema = z.object({
  requests: z.number(),
  errors: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
});
export type TrafficBrief = z.infer<typeof trafficBriefSchema>;

const verdictSchema = z.enum(['pass', 'fail', 'inconclusive']);

export const intervalVerdictSchema = z.object({
  atEpochMs: z.number(),
  /** Seconds since the step's weight was set: the judged window is [step start, atEpochMs]. */
  elapsedSeconds: z.number(),
  /** 'final' is the step's closing judgement, where the seed's thresholds apply as point estimates. */
  mode: z.enum(['interval', 'final']),
  verdict: verdictSchema,
  reasons: z.array(z.string()),
  canary: trafficBriefSchema,
  stable: trafficBriefSchema,
  checks: z.array(z.object({
    name: z.string(),
    result: verdictSchema,
    numbers: z.record(z.string(), z.number()).optional(),
  })),
});
export type IntervalVerdict = z.infer<typeof intervalVerdictSchema>;

/**
 * passed: the step's final judgement passed. held: a paused canary's hold ended with no failure.
 * failed: a judgement failed (early abort if before the step's end). inconclusive: too little traffic
 * for too long, or at the step's end: both fail closed.
 */
export const watchOutcomeSchema = z.enum(['passed', 'held', 'failed', 'inconclusive']);
export type WatchOutcome = z.infer<typeof watchOutcomeSchema>;

export interface WatchResult {
  outcome: WatchOutcome;
  reasons: string[];
  /** Ended before its time was up (a failure found early). */
  endedEarly: boolean;
  intervals: IntervalVerdict[];
  /** Carried into the next hold, so "inconclusive for too long" spans holds. */
  inconclusiveSinceEpochMs: number | null;
  source: 'proxy' | 'prometheus';
}

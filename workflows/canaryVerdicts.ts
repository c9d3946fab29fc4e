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

/**
 * All of a watch's verdicts, kept out of history (canary v3): the artifact holding them as JSON, and
 * how many there were of each. The sealed record carries this, so the log is tamper-evident.
 */
export const verdictLogSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  judgements: z.number().int().min(0),
  verdicts: z.object({ pass: z.number().int().min(0), fail: z.number().int().min(0), inconclusive: z.number().int().min(0) }),
});
export type VerdictLog = z.infer<typeof verdictLogSchema>;

/** With a verdict log, a watch result keeps only its last verdicts in full: the ones that decided it. */
export const VERDICTS_KEPT_IN_HISTORY = 3;

/** What a watch returns in place of its verdicts once they are stored as the artifact `sha256`. */
export function verdictLogOf(intervals: IntervalVerdict[], sha256: string): { intervals: IntervalVerdict[]; verdictLog: VerdictLog } {
  const count = (verdict: IntervalVerdict['verdict']) => intervals.filter((interval) => interval.verdict === verdict).length;
  return {
    intervals: intervals.slice(-VERDICTS_KEPT_IN_HISTORY),
    verdictLog: { sha256, judgements: intervals.length, verdicts: { pass: count('pass'), fail: count('fail'), inconclusive: count('inconclusive') } },
  };
}

export interface WatchResult {
  outcome: WatchOutcome;
  reasons: string[];
  /** Ended before its time was up (a failure found early). */
  endedEarly: boolean;
  /** Every verdict; with a verdict log, only the last VERDICTS_KEPT_IN_HISTORY. */
  intervals: IntervalVerdict[];
  verdictLog?: VerdictLog;
  /** Carried into the next hold, so "inconclusive for too long" spans holds. */
  inconclusiveSinceEpochMs: number | null;
  source: 'proxy' | 'prometheus';
}

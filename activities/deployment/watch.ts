/**
 * Watches one canary ramp step (or a paused canary's hold) as a single heartbeating activity: every
 * interval it reads both versions' traffic since the step began, judges it, and returns at the first
 * failure, when evidence stays inconclusive too long, or when the step's time is up (with the final
 * judgement). Polling here instead of with workflow timers keeps the run's history small whatever the
 * interval; the verdicts come back together, stored as one artifact whose hash the workflow seals into
 * the audit chain (runs from before canary v3 get every verdict back and seal each).
 * A retry (worker crash) resumes from the verdicts in the last heartbeat, with the same step window.
 */
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { CanaryConfig } from '../../config/schema.js';
import type { MetricsConfig } from '../../config/metrics.js';
import { judgeCanary, type CanaryJudgement, type JudgeMode } from '../../workflows/policy/canaryJudge.js';
import type { VersionTraffic } from '../../workflows/policy/traffic.js';
import {
  intervalVerdictSchema, verdictLogOf, type IntervalVerdict, type TrafficBrief, type WatchOutcome, type WatchResult,
} from '../../workflows/canaryVerdicts.js';
import { createMetricsSource } from '../metrics/source.js';
import type { ActivityDeps } from '../deps.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { classifyFailures } from './failures.js';

export interface WatchCanaryInput {
  deploymentId: string;
  service: string;
  /** 'step': judge until the step ends, finally as the step's verdict; 'hold': a paused canary, judged until endsAt. */
  mode: 'step' | 'hold';
  /** The step's share of traffic: at 100% there is no stable to compare with. */
  percent: number;
  /** Traffic is judged from here: when the step's weight was set. */
  sinceEpochMs: number;
  endsAtEpochMs: number;
  limits: Pick<CanaryConfig, 'intervalSeconds' | 'maxErrorRate' | 'maxP99Ms' | 'minRequests' | 'judge'>;
  metrics: MetricsConfig;
  /** From the previous hold: inconclusive judgements since then count towards the limit. */
  inconclusiveSinceEpochMs?: number | null;
  /** Canary v3: the verdicts go to the artifact store and only the last few come back (see VerdictLog). */
  verdictLog?: boolean;
}

const progressSchema = z.object({
  intervals: z.array(intervalVerdictSchema),
  inconclusiveSinceEpochMs: z.number().nullable(),
});
type Progress = z.infer<typeof progressSchema>;

const HEARTBEAT_EVERY_MS = 5_000;

export function watchCanaryActivity(deps: ActivityDeps) {
  return async function watchCanary(input: WatchCanaryInput): Promise<WatchResult> {
    const context = Context.current();
    const source = createMetricsSource(input.metrics, { target: deps.target });
    const resumed = progressSchema.safeParse(context.info.heartbeatDetails);
    const progress: Progress = resumed.success
      ? resumed.data
      : { intervals: [], inconclusiveSinceEpochMs: input.inconclusiveSinceEpochMs ?? null };
    const intervalMs = input.limits.intervalSeconds * 1000;
    const ticker = setInterval(() => context.heartbeat(progress), HEARTBEAT_EVERY_MS);
    try {
      for (;;) {
        const now = deps.now().getTime();
        const last = progress.intervals.at(-1)?.atEpochMs ?? input.sinceEpochMs;
        await context.sleep(Math.max(0, Math.min(input.endsAtEpochMs, last + intervalMs) - now));
        const at = deps.now().getTime();
        const atEnd = at >= input.endsAtEpochMs;
        const traffic = await classifyFailures(() => source.observe({
          deploymentId: input.deploymentId, service: input.service, sinceEpochMs: input.sinceEpochMs, untilEpochMs: at,
        }));
        const mode: JudgeMode = atEnd && input.mode === 'step' ? 'final' : 'interval';
        const judgement = judgeCanary(traffic, input.limits, mode, { withStable: input.percent < 100 });
        progress.intervals.push(intervalVerdict(at, input.sinceEpochMs, mode, judgement, traffic));
        context.heartbeat(progress);
        const done = async (outcome: WatchOutcome, reasons: string[]): Promise<WatchResult> => ({
          outcome, reasons, endedEarly: !atEnd, inconclusiveSinceEpochMs: progress.inconclusiveSinceEpochMs, source: traffic.source,
          ...(input.verdictLog ? await storeVerdicts(deps.artifacts, progress.intervals) : { intervals: progress.intervals }),
        });
        if (judgement.verdict === 'fail') return done('failed', judgement.reasons);
        if (judgement.verdict === 'pass') progress.inconclusiveSinceEpochMs = null;
        else {
          progress.inconclusiveSinceEpochMs ??= last;
          const inconclusiveFor = at - progress.inconclusiveSinceEpochMs;
          if (inconclusiveFor >= input.limits.judge.maxInconclusiveSeconds * 1000) {
            return done('inconclusive', [
              ...judgement.reasons,
              `inconclusive for ${Math.round(inconclusiveFor / 1000)}s (limit ${input.limits.judge.maxInconclusiveSeconds}s): fail closed`,
            ]);
          }
        }
        if (!atEnd) continue;
        if (input.mode === 'hold') return done('held', judgement.reasons);
        // A step must end on a verdict it can stand on: inconclusive at its end fails closed.
        return judgement.verdict === 'pass'
          ? done('passed', judgement.reasons)
          : done('inconclusive', [...judgement.reasons, 'the step ended without enough traffic to judge: fail closed']);
      }
    } finally {
      clearInterval(ticker);
    }
  };
}

/** Claim check: every verdict into the artifact store; the last few (those that decided) stay in the result. */
export async function storeVerdicts(artifacts: ArtifactStore, intervals: IntervalVerdict[]): Promise<Pick<WatchResult, 'intervals' | 'verdictLog'>> {
  const { sha256 } = await artifacts.put(JSON.stringify(intervals));
  return verdictLogOf(intervals, sha256);
}

function brief(traffic: VersionTraffic): TrafficBrief {
  return { requests: traffic.requests, errors: traffic.errors, p50Ms: traffic.p50Ms, p99Ms: traffic.p99Ms };
}

function intervalVerdict(
  at: number, since: number, mode: JudgeMode, judgement: CanaryJudgement, traffic: { canary: VersionTraffic; stable: VersionTraffic },
): IntervalVerdict {
  return {
    atEpochMs: at,
    elapsedSeconds: Math.round((at - since) / 1000),
    mode,
    verdict: judgement.verdict,
    reasons: judgement.reasons,
    canary: brief(traffic.canary),
    stable: brief(traffic.stable),
    // The numbers behind anything but a plain pass; a pass is fully described by the traffic above.
    checks: judgement.checks.map((check) => (judgement.verdict === 'pass'
      ? { name: check.name, result: check.result }
      : { name: check.name, result: check.result, numbers: check.numbers })),
  };
}

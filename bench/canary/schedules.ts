/**
 * The two judging schedules compared, as pure functions over "traffic since the step began, at second
 * t" (for simulated streams; live canaries run the real watch activity, see live.ts):
 *
 * - ours: activities/deployment/watch.ts's loop: judgeCanary every intervalSeconds in `interval` mode
 *   on cumulative step traffic, `final` mode at the step's end; rollback at the first `fail`, or when
 *   judgements stay inconclusive for judge.maxInconclusiveSeconds, or inconclusive at the end.
 * - fixed: the seed's threshold rule (workflows/policy/canaryJudgeV1.ts: fail if error rate > 0.5% or
 *   p99 > 800 ms) looked at every `everySeconds` on the same cumulative traffic; inconclusive at the
 *   step's end fails closed, as the seed's canary did.
 */
import type { TrafficSummary } from '../../activities/staging/schema.js';
import type { CanaryConfig } from '../../config/schema.js';
import { judgeCanary, type CanaryJudgement } from '../../workflows/policy/canaryJudge.js';
import { judgeCanary as judgeCanaryV1, type CanaryJudgement as CanaryJudgementV1 } from '../../workflows/policy/canaryJudgeV1.js';
import type { VersionTraffic } from '../../workflows/policy/traffic.js';

export type TrafficAt = (seconds: number) => { canary: VersionTraffic; stable: VersionTraffic };

export interface StepDecision {
  /** failed and inconclusive (fail closed) roll back; passed promotes; undecided: still running at the cap */
  outcome: 'passed' | 'failed' | 'inconclusive' | 'undecided';
  /** seconds into the step of the judgement that decided (the cap, when undecided) */
  atSeconds: number;
  reasons: string[];
}

export const rolledBack = (decision: StepDecision): boolean => decision.outcome === 'failed' || decision.outcome === 'inconclusive';

export interface Schedule {
  stepSeconds: number;
  /** stop looking after this many seconds (undecided); default: the step's end */
  capSeconds?: number;
}

/** The look times of a schedule: every `every` seconds, and the step's end. */
function lookTimes(every: number, { stepSeconds, capSeconds = stepSeconds }: Schedule): number[] {
  const times: number[] = [];
  for (let t = every; t < stepSeconds && t <= capSeconds; t += every) times.push(t);
  if (stepSeconds <= capSeconds) times.push(stepSeconds);
  return times;
}

export function ourSchedule(trafficAt: TrafficAt, canary: CanaryConfig, schedule: Schedule): StepDecision {
  const { stepSeconds } = schedule;
  let inconclusiveSince: number | null = null;
  let last = 0;
  for (const t of lookTimes(canary.intervalSeconds, schedule)) {
    const atEnd = t >= stepSeconds;
    const judgement: CanaryJudgement = judgeCanary(trafficAt(t), canary, atEnd ? 'final' : 'interval', { withStable: canary.percent < 100 });
    if (judgement.verdict === 'fail') return { outcome: 'failed', atSeconds: t, reasons: judgement.reasons };
    if (judgement.verdict === 'pass') inconclusiveSince = null;
    else {
      inconclusiveSince ??= last;
      if (t - inconclusiveSince >= canary.judge.maxInconclusiveSeconds) return { outcome: 'inconclusive', atSeconds: t, reasons: judgement.reasons };
    }
    if (atEnd) return { outcome: judgement.verdict === 'pass' ? 'passed' : 'inconclusive', atSeconds: t, reasons: judgement.reasons };
    last = t;
  }
  return { outcome: 'undecided', atSeconds: schedule.capSeconds ?? stepSeconds, reasons: [] };
}

/** The seed's rule on a metrics source's VersionTraffic (its TrafficSummary: counts and percentiles only). */
export function fixedJudge(traffic: VersionTraffic, canary: CanaryConfig): CanaryJudgementV1 {
  const summary: TrafficSummary = {
    requests: traffic.requests,
    errors: traffic.errors,
    errorRate: traffic.requests > 0 ? traffic.errors / traffic.requests : 0,
    p50Ms: traffic.p50Ms,
    p99Ms: traffic.p99Ms,
  };
  return judgeCanaryV1(summary, canary);
}

export function fixedSchedule(trafficAt: TrafficAt, canary: CanaryConfig, everySeconds: number, schedule: Schedule): StepDecision {
  for (const t of lookTimes(everySeconds, schedule)) {
    const judgement = fixedJudge(trafficAt(t).canary, canary);
    if (judgement.verdict === 'fail') return { outcome: 'failed', atSeconds: t, reasons: judgement.reasons };
    if (t >= schedule.stepSeconds) return { outcome: judgement.verdict === 'pass' ? 'passed' : 'inconclusive', atSeconds: t, reasons: judgement.reasons };
  }
  return { outcome: 'undecided', atSeconds: schedule.capSeconds ?? schedule.stepSeconds, reasons: [] };
}

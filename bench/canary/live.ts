/**
 * Both judges on a live canary, reading the same deployment through the same metrics source:
 *
 * - ours: the production watch activity itself (activities/deployment/watch.ts), run in a mock
 *   activity context: every intervalSeconds it reads the step's cumulative traffic from the metrics
 *   source and calls judgeCanary, interval mode until the step's end, and returns at the first fail.
 * - fixed: the seed's threshold rule looked at every `everySeconds` on the same source (schedules.ts).
 *
 * Times are measured from the step's start (the canary's start: its fault is there from the first
 * request) to the moment the deciding judgement returned.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { watchCanaryActivity, type WatchCanaryInput } from '../../activities/deployment/watch.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { createMetricsSource } from '../../activities/metrics/source.js';
import type { MetricsConfig } from '../../config/metrics.js';
import type { CanaryConfig } from '../../config/schema.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { TrafficBrief, WatchResult } from '../../workflows/canaryVerdicts.js';
import { fixedJudge, type StepDecision } from './schedules.js';

export interface LiveDecision extends StepDecision {
  /** wall-clock seconds from the step's start to the deciding judgement's return; null when undecided */
  seconds: number | null;
  /** the end of the window the deciding judgement read; null when undecided */
  untilEpochMs: number | null;
  /** the canary's traffic the deciding judgement saw */
  canary: TrafficBrief | null;
  stable: TrafficBrief | null;
  looks: number;
}

export interface LiveStep {
  target: LocalTarget;
  deploymentId: string;
  service: string;
  sinceEpochMs: number;
  canary: CanaryConfig;
  metrics: MetricsConfig;
  /** the step's length (its end is judged in final mode) */
  stepSeconds: number;
  /** give up (undecided) after this many seconds */
  capSeconds: number;
}

/** The watch activity needs only the target and the clock; anything else it touched would be a bench bug. */
function watchDeps(target: LocalTarget): ActivityDeps {
  const unused = (name: string): never => {
    throw new Error(`bench: the watch activity used deps.${name}, which the benchmark does not provide`);
  };
  return {
    target,
    now: () => new Date(),
    get paths() { return unused('paths'); },
    get artifacts() { return unused('artifacts'); },
    get commandTarget() { return unused('commandTarget'); },
    get agents() { return unused('agents'); },
    get notifier() { return unused('notifier'); },
    get policySha256() { return unused('policySha256'); },
  };
}

const secondsSince = (sinceEpochMs: number): number => (Date.now() - sinceEpochMs) / 1000;

export async function watchWithOurJudge(step: LiveStep): Promise<LiveDecision> {
  const environment = new MockActivityEnvironment();
  const cap = setTimeout(() => environment.cancel(), step.capSeconds * 1000);
  try {
    const input: WatchCanaryInput = {
      deploymentId: step.deploymentId,
      service: step.service,
      mode: 'step',
      percent: step.canary.percent,
      sinceEpochMs: step.sinceEpochMs,
      endsAtEpochMs: step.sinceEpochMs + step.stepSeconds * 1000,
      limits: step.canary,
      metrics: step.metrics,
    };
    const watchCanary = watchCanaryActivity(watchDeps(step.target));
    const result = await environment.run<[WatchCanaryInput], WatchResult, typeof watchCanary>(watchCanary, input);
    const seconds = secondsSince(step.sinceEpochMs);
    const last = result.intervals.at(-1);
    return {
      outcome: result.outcome === 'held' ? 'passed' : result.outcome,
      atSeconds: last?.elapsedSeconds ?? seconds,
      seconds,
      untilEpochMs: last?.atEpochMs ?? null,
      reasons: result.reasons,
      canary: last?.canary ?? null,
      stable: last?.stable ?? null,
      looks: result.intervals.length,
    };
  } catch (error) {
    if (environment.context.cancellationSignal.aborted) {
      return { outcome: 'undecided', atSeconds: step.capSeconds, seconds: null, untilEpochMs: null, reasons: [], canary: null, stable: null, looks: 0 };
    }
    throw error;
  } finally {
    clearTimeout(cap);
  }
}

const sleepUntil = (epochMs: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));

export async function watchWithFixedJudge(step: LiveStep, everySeconds: number): Promise<LiveDecision> {
  const source = createMetricsSource(step.metrics, { target: step.target });
  let looks = 0;
  for (let t = Math.min(everySeconds, step.stepSeconds); ; t = Math.min(t + everySeconds, step.stepSeconds)) {
    if (t > step.capSeconds) break;
    await sleepUntil(step.sinceEpochMs + t * 1000);
    const untilEpochMs = Date.now();
    const traffic = await source.observe({ deploymentId: step.deploymentId, service: step.service, sinceEpochMs: step.sinceEpochMs, untilEpochMs });
    const judgement = fixedJudge(traffic.canary, step.canary);
    looks++;
    const atEnd = t >= step.stepSeconds;
    if (judgement.verdict === 'fail' || atEnd) {
      const outcome = judgement.verdict === 'fail' ? 'failed' : judgement.verdict === 'pass' ? 'passed' : 'inconclusive';
      return {
        outcome, atSeconds: t, seconds: secondsSince(step.sinceEpochMs), untilEpochMs, reasons: judgement.reasons,
        canary: brief(traffic.canary), stable: brief(traffic.stable), looks,
      };
    }
  }
  return { outcome: 'undecided', atSeconds: step.capSeconds, seconds: null, untilEpochMs: null, reasons: [], canary: null, stable: null, looks };
}

function brief(traffic: TrafficBrief): TrafficBrief {
  return { requests: traffic.requests, errors: traffic.errors, p50Ms: traffic.p50Ms, p99Ms: traffic.p99Ms };
}

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
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { watchCanaryActivity, type WatchCanaryInput } from '../../activities/deployment/watch.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { createMetricsSource, type MetricsQuery, type MetricsSource } from '../../activities/metrics/source.js';
import type { MetricsConfig } from '../../config/metrics.js';
import type { CanaryConfig } from '../../config/schema.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { TrafficBrief, WatchResult } from '../../workflows/canaryVerdicts.js';
import type { CanaryTraffic } from '../../workflows/policy/traffic.js';
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

/**
 * The watch activity reads only the target and the clock. The rest of ActivityDeps (agents, notifier,
 * GitHub, …) is not built: a Proxy throws if the activity ever touches it, so the benchmark neither
 * fakes parts it does not use nor breaks each time a dependency is added for other activities.
 */
function watchDeps(target: LocalTarget): ActivityDeps {
  const provided: Pick<ActivityDeps, 'target' | 'now'> = { target, now: () => new Date() };
  const deps = new Proxy(provided, {
    get(object, name) {
      if (name === 'target' || name === 'now') return object[name];
      throw new Error(`bench: the watch activity used deps.${String(name)}, which the benchmark does not provide`);
    },
  });
  return deps as ActivityDeps;
}

const secondsSince = (sinceEpochMs: number): number => (Date.now() - sinceEpochMs) / 1000;

/**
 * The workflow's retry policy for watchCanary (workflows/activityOptions.ts): 5 attempts, 2 s doubling.
 * A failed attempt (e.g. the proxy's stats answer timing out on an overloaded machine) is retried the way
 * Temporal would: a new attempt resuming from the last heartbeat's verdicts, with the same step window.
 */
const WATCH_RETRY = { maximumAttempts: 5, initialIntervalMs: 2_000, backoffCoefficient: 2 } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function watchWithOurJudge(step: LiveStep): Promise<LiveDecision> {
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
  const deadline = step.sinceEpochMs + step.capSeconds * 1000;
  const undecided: LiveDecision = { outcome: 'undecided', atSeconds: step.capSeconds, seconds: null, untilEpochMs: null, reasons: [], canary: null, stable: null, looks: 0 };
  let heartbeatDetails: unknown;
  for (let attempt = 1; ; attempt++) {
    if (Date.now() >= deadline) return undecided;
    // Our own line reports a failed attempt; the SDK's multi-line warning would bury the tables.
    const environment = new MockActivityEnvironment({ attempt, heartbeatDetails }, { logger: new DefaultLogger('ERROR') });
    environment.on('heartbeat', (details: unknown) => {
      heartbeatDetails = details;
    });
    const cap = setTimeout(() => environment.cancel(), deadline - Date.now());
    try {
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
      if (environment.context.cancellationSignal.aborted) return undecided;
      const nonRetryable = error instanceof ApplicationFailure && error.nonRetryable;
      if (nonRetryable || attempt >= WATCH_RETRY.maximumAttempts) throw error;
      const delayMs = WATCH_RETRY.initialIntervalMs * WATCH_RETRY.backoffCoefficient ** (attempt - 1);
      console.error(`  ${step.deploymentId}: watch attempt ${attempt} failed (${String(error)}); retrying in ${delayMs / 1000} s, as Temporal would`);
      await sleep(delayMs);
    } finally {
      clearTimeout(cap);
    }
  }
}

const sleepUntil = (epochMs: number): Promise<void> => sleep(Math.max(0, epochMs - Date.now()));

/**
 * A metrics read retried with the watch's retry policy (the seed read its stats in an activity that
 * Temporal retried too). `query` is built anew for each attempt, so a window ending "now" moves on.
 */
export async function observeWithRetries(source: MetricsSource, query: () => MetricsQuery): Promise<CanaryTraffic> {
  for (let attempt = 1; ; attempt++) {
    const window = query();
    try {
      return await source.observe(window);
    } catch (error) {
      if (attempt >= WATCH_RETRY.maximumAttempts) throw error;
      const delayMs = WATCH_RETRY.initialIntervalMs * WATCH_RETRY.backoffCoefficient ** (attempt - 1);
      console.error(`  ${window.deploymentId}: metrics read ${attempt} failed (${String(error)}); retrying in ${delayMs / 1000} s`);
      await sleep(delayMs);
    }
  }
}

export async function watchWithFixedJudge(step: LiveStep, everySeconds: number): Promise<LiveDecision> {
  const source = createMetricsSource(step.metrics, { target: step.target });
  let looks = 0;
  for (let t = Math.min(everySeconds, step.stepSeconds); ; t = Math.min(t + everySeconds, step.stepSeconds)) {
    if (t > step.capSeconds) break;
    await sleepUntil(step.sinceEpochMs + t * 1000);
    let untilEpochMs = Date.now();
    const traffic = await observeWithRetries(source, () => {
      untilEpochMs = Date.now();
      return { deploymentId: step.deploymentId, service: step.service, sinceEpochMs: step.sinceEpochMs, untilEpochMs };
    });
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

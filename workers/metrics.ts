/**
 * The worker's Prometheus endpoint (PRPILOT_METRICS_PORT): the Temporal SDK's own metrics (workflow and
 * activity counts and latencies, task slots, polls) and prpilot's (activities/metrics/pipelineMetrics.ts),
 * both recorded through the SDK runtime's metric meter, so one `/metrics` serves them all.
 */
import { IllegalStateError, type MetricMeter } from '@temporalio/common';
import { Runtime, type ActivityInterceptorsFactory, type RuntimeOptions } from '@temporalio/worker';
import type { PrpilotEnv } from '../config/env.js';
import { gateNames, outcomes } from '../workflows/messages.js';
import {
  canaryVerdicts, PipelineTracker, pipelineMetricsInterceptor, tokenKinds, type Observation,
} from '../activities/metrics/pipelineMetrics.js';

export const METRIC_NAMES = {
  prs: 'prpilot_prs_total',
  stageDuration: 'prpilot_stage_duration_seconds',
  escalations: 'prpilot_escalations_total',
  rollbacks: 'prpilot_rollbacks_total',
  tokens: 'prpilot_llm_tokens_total',
  canaryVerdicts: 'prpilot_canary_verdicts_total',
} as const;

/** From seconds (a gate check) to a day (an approval wait). */
const STAGE_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];

/** `9464` listens on every interface (as Prometheus exporters do), `127.0.0.1:9464` only there. */
export function metricsBindAddress(setting: string): string {
  return /^\d+$/.test(setting) ? `0.0.0.0:${setting}` : setting;
}

/** The address of the endpoint this process serves, once installWorkerRuntime set it up. */
let installed: { metricsAddress: string | null } | null = null;

/**
 * Sets up the process's Temporal runtime: `base` (a logger, log forwarding) plus, when PRPILOT_METRICS_PORT
 * is set, the Prometheus endpoint. The runtime exists once per process and only before the first worker
 * connection: call this first. Returns the endpoint's address, or null without one (a warning says why
 * when PRPILOT_METRICS_PORT was set but something else had already set up the runtime).
 */
export function installWorkerRuntime(
  env: Pick<PrpilotEnv, 'PRPILOT_METRICS_PORT'>, base: RuntimeOptions = {}, log: (line: string) => void = () => undefined,
): string | null {
  if (installed) return installed.metricsAddress;
  const metricsAddress = env.PRPILOT_METRICS_PORT ? metricsBindAddress(env.PRPILOT_METRICS_PORT) : null;
  if (!metricsAddress && Object.keys(base).length === 0) return null; // the SDK's default runtime will do
  try {
    Runtime.install(metricsAddress ? withPrometheus(base, metricsAddress) : base);
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
    if (metricsAddress) log(`prpilot: PRPILOT_METRICS_PORT ignored: this process set up its Temporal runtime before the worker (${error.message})`);
    return null;
  }
  installed = { metricsAddress };
  return metricsAddress;
}

function withPrometheus(base: RuntimeOptions, bindAddress: string): RuntimeOptions {
  return {
    ...base,
    telemetryOptions: {
      ...base.telemetryOptions,
      metrics: { prometheus: { bindAddress, histogramBucketOverrides: { [METRIC_NAMES.stageDuration]: STAGE_BUCKETS_SECONDS } } },
    },
  };
}

/**
 * prpilot's instruments on `meter`, each series started at 0 (so a rate is defined before the first event),
 * and a function recording one observation.
 */
export function meterRecorder(meter: MetricMeter): (observation: Observation) => void {
  const prs = meter.createCounter(METRIC_NAMES.prs, undefined, 'pull requests finished, by outcome');
  const stageDuration = meter.createHistogram(METRIC_NAMES.stageDuration, 'float', 's', 'time in each pipeline stage, observed when the pipeline leaves it');
  const escalations = meter.createCounter(METRIC_NAMES.escalations, undefined, 'approval gates fired, by gate');
  const rollbacks = meter.createCounter(METRIC_NAMES.rollbacks, undefined, 'canary rollbacks');
  const tokens = meter.createCounter(METRIC_NAMES.tokens, undefined, 'model tokens used by the agents, by kind');
  const verdicts = meter.createCounter(METRIC_NAMES.canaryVerdicts, undefined, 'canary judgements, by verdict');
  outcomes.forEach((outcome) => prs.add(0, { outcome }));
  gateNames.forEach((gate) => escalations.add(0, { gate }));
  rollbacks.add(0);
  tokenKinds.forEach((kind) => tokens.add(0, { kind }));
  canaryVerdicts.forEach((verdict) => verdicts.add(0, { verdict }));
  return (observation) => {
    switch (observation.kind) {
      case 'pr': return prs.add(1, { outcome: observation.outcome });
      case 'stage_duration': return stageDuration.record(observation.seconds, { stage: observation.stage });
      case 'escalation': return escalations.add(1, { gate: observation.gate });
      case 'rollback': return rollbacks.add(1);
      case 'tokens': return tokens.add(observation.count, { kind: observation.tokenKind });
      case 'canary_verdict': return verdicts.add(observation.count, { verdict: observation.verdict });
    }
  };
}

/** The activity interceptor that counts prpilot's metrics on the runtime's meter (call after installWorkerRuntime). */
export function pipelineMetrics(meter: MetricMeter = Runtime.instance().metricMeter): ActivityInterceptorsFactory {
  return pipelineMetricsInterceptor(new PipelineTracker(), meterRecorder(meter));
}

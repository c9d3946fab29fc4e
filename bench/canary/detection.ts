/**
 * Rollback latency on live canaries: for each fault case and run, the demo service as stable and a
 * faulty copy as canary, both judges watching the same deployment through the same metrics source
 * until both have decided (or the cap), then the deployment is stopped. The cases of one run go at
 * the same time (separate deployments), the runs one after another.
 */
import { join } from 'node:path';
import { createProxyMetricsSource } from '../../activities/metrics/proxy.js';
import type { MetricsConfig } from '../../config/metrics.js';
import { demoServiceDir } from '../../examples/demo-service/pr-changes/index.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { TrafficBrief } from '../../workflows/canaryVerdicts.js';
import { defaultCanary, demoService, startCanary } from './local.js';
import { observeWithRetries, watchWithFixedJudge, watchWithOurJudge, type LiveDecision } from './live.js';
import type { FaultCase } from './models.js';
import { fmtSeconds, median, printTable } from './report.js';
import { writeServiceVersion } from './service.js';
import type { Workspace } from './workspace.js';

/** The fixed judge's schedule: a look every 60 s. */
export const FIXED_EVERY_SECONDS = 60;

export interface DetectionOptions {
  workspace: Workspace;
  target: LocalTarget;
  /** prefix of the deployment ids */
  name: string;
  cases: FaultCase[];
  runs: number;
  capSeconds: number;
  /** the metrics source both judges read */
  metrics: MetricsConfig;
}

export interface CaseRun {
  faultCase: FaultCase;
  run: number;
  ours: LiveDecision;
  fixed: LiveDecision;
  /** What the proxy itself recorded of the canary over the window of our deciding judgement (to set a Prometheus reading beside it). */
  proxyAtOurs: TrafficBrief | null;
}

export async function measureDetection(options: DetectionOptions): Promise<CaseRun[]> {
  const { workspace, target, cases, runs, capSeconds, metrics } = options;
  const service = demoService();
  const canaries = cases.map((faultCase) => ({ faultCase, dir: writeServiceVersion(join(workspace.root, `canary-${faultCase.key}`), faultCase.fault) }));
  const results: CaseRun[] = [];
  for (let run = 1; run <= runs; run++) {
    console.error(`${options.name}: run ${run}/${runs}: cases ${cases.map((faultCase) => faultCase.key).join(', ')} at once (each until both judges decide, at most ${capSeconds} s)`);
    const round = await Promise.all(canaries.map(async ({ faultCase, dir }): Promise<CaseRun> => {
      const deploymentId = `${options.name}-${faultCase.key}-${run}`;
      try {
        const started = await startCanary(target, deploymentId, { stable: demoServiceDir, canary: dir });
        const step = {
          target, deploymentId, service: service.name, sinceEpochMs: started.sinceEpochMs, canary: defaultCanary, metrics,
          stepSeconds: defaultCanary.durationSeconds, capSeconds,
        };
        const [ours, fixed] = await Promise.all([watchWithOurJudge(step), watchWithFixedJudge(step, FIXED_EVERY_SECONDS)]);
        console.error(`  case ${faultCase.key} run ${run}: ours ${fmtSeconds(ours.seconds)} s (${ours.outcome}), fixed ${fmtSeconds(fixed.seconds)} s (${fixed.outcome})`);
        const until = ours.untilEpochMs;
        const proxyAtOurs = until === null ? null : (await observeWithRetries(createProxyMetricsSource(target), () => ({
          deploymentId, service: service.name, sinceEpochMs: started.sinceEpochMs, untilEpochMs: until,
        }))).canary;
        return { faultCase, run, ours, fixed, proxyAtOurs };
      } finally {
        await target.stop(deploymentId);
      }
    }));
    results.push(...round);
  }
  return results;
}

/** Seconds to a rollback decision; Infinity when the judge did not roll back within the cap. */
export const rollbackSeconds = (decision: LiveDecision): number =>
  (decision.outcome === 'failed' || decision.outcome === 'inconclusive') && decision.seconds !== null ? decision.seconds : Number.POSITIVE_INFINITY;

export interface CaseSummary {
  faultCase: FaultCase;
  oursMedian: number;
  /** median second of the deciding look (ours looks at 10, 20, 30 … s; the wall clock adds the read) */
  oursLookMedian: number;
  fixedMedian: number;
  ratio: number;
  runs: number;
}

export function summarizeCases(results: CaseRun[], cases: FaultCase[]): CaseSummary[] {
  return cases.map((faultCase) => {
    const runs = results.filter((result) => result.faultCase.key === faultCase.key);
    const oursMedian = median(runs.map((result) => rollbackSeconds(result.ours)));
    const oursLookMedian = median(runs.map((result) => (Number.isFinite(rollbackSeconds(result.ours)) ? result.ours.atSeconds : Number.POSITIVE_INFINITY)));
    const fixedMedian = median(runs.map((result) => rollbackSeconds(result.fixed)));
    return { faultCase, oursMedian, oursLookMedian, fixedMedian, ratio: oursMedian / fixedMedian, runs: runs.length };
  });
}

function shortReason(decision: LiveDecision): string {
  const reason = (decision.reasons[0] ?? decision.outcome).replace(/\|/g, '/');
  return reason.length > 140 ? `${reason.slice(0, 139)}…` : reason;
}
const trafficNote = (canary: TrafficBrief | null): string =>
  canary ? `${canary.errors}/${canary.requests} err, p99 ${Math.round(canary.p99Ms)} ms` : '—';

/** withProxy: add what the proxy recorded over the same window (when the judges read another source). */
export function printRuns(results: CaseRun[], { withProxy = false } = {}): void {
  printTable(
    [
      'case', 'run', 'ours: s to rollback', 'ours: look', 'canary traffic seen', ...(withProxy ? ['proxy recorded (same window)'] : []), 'ours: reason',
      'fixed (60 s): s to rollback', 'fixed: traffic seen',
    ],
    results.map(({ faultCase, run, ours, fixed, proxyAtOurs }) => [
      faultCase.key, run, fmtSeconds(rollbackSeconds(ours)), `#${ours.looks} (${ours.atSeconds} s, ${ours.outcome})`, trafficNote(ours.canary),
      ...(withProxy ? [trafficNote(proxyAtOurs)] : []), shortReason(ours), fmtSeconds(rollbackSeconds(fixed)), trafficNote(fixed.canary),
    ]),
  );
}

export function printSummary(summaries: CaseSummary[]): void {
  printTable(
    ['case', 'fault (canary only, from its first request)', 'runs', 'ours: median s', 'fixed 60 s: median s', 'ours / fixed', 'ours ≤ 30 s', 'ratio ≤ 0.5'],
    summaries.map((summary) => [
      summary.faultCase.key, summary.faultCase.title, summary.runs, fmtSeconds(summary.oursMedian, 2), fmtSeconds(summary.fixedMedian, 2),
      Number.isFinite(summary.ratio) ? summary.ratio.toFixed(3) : '—', summary.oursMedian <= 30 ? 'yes' : 'NO', summary.ratio <= 0.5 ? 'yes' : 'NO',
    ]),
  );
}

/**
 * False rollbacks: how many healthy canaries does each judge roll back over a full default step
 * (600 s at 5% of 100 req/s, judged every 10 s, final judgement at the end)?
 *
 * Simulated (50 × 10 minutes of real traffic does not fit in a benchmark): per canary, a seeded stream
 * where both versions behave the same (bench/canary/models.ts): log-normal latency (median 5 ms,
 * σ = 1.0), 1% of requests 200–600 ms slower, and a background error rate drawn in 0.05–0.1% for both.
 * The judge gets, at each look, the exact VersionTraffic the proxy metrics source would report. Ours
 * runs watch.ts's schedule; the baseline is the seed's fixed thresholds looked at every 60 s (also at
 * the seed's default interval, 30 s, and at ours, 10 s).
 *
 * Live sanity check: 3 healthy canaries through real processes (both versions the demo service with
 * the same injected background errors and spikes), a 120-s step each, judged by the production watch
 * activity and by the fixed judge; their traffic is printed next to the simulated traffic of the same
 * window length.
 *
 *   node --import tsx bench/canaryFalseRollback.ts [--canaries 50] [--live-runs 3] [--live-seconds 120]
 */
import { join } from 'node:path';
import { createProxyMetricsSource } from '../activities/metrics/proxy.js';
import { numberFlag } from './canary/args.js';
import { benchTarget, defaultCanary, demoService, startCanary } from './canary/local.js';
import { observeWithRetries, watchWithFixedJudge, watchWithOurJudge, type LiveDecision } from './canary/live.js';
import { backgroundErrorRate, healthyVersion, liveNoise } from './canary/models.js';
import { fmtSeconds, median, printTable, writeResult } from './canary/report.js';
import { fixedSchedule, ourSchedule, rolledBack, type StepDecision } from './canary/schedules.js';
import { describeFault, writeServiceVersion } from './canary/service.js';
import { seededRandom, simulateCanary } from './canary/simulate.js';
import { medianShape, shapeCells, shapeHeader, trafficShape, type TrafficShape } from './canary/trafficStats.js';
import { withWorkspace } from './canary/workspace.js';

const canaries = numberFlag('canaries', 50);
const liveRuns = numberFlag('live-runs', 3);
const liveSeconds = numberFlag('live-seconds', 120);
const FIXED_EVERY = [60, 30, 10] as const;
const startedAt = Date.now();

// ---------------------------------------------------------------------------------------------
// Simulated: 50 healthy canaries over a full default step

interface SimulatedRun {
  seed: number;
  errorRate: number;
  ours: StepDecision;
  fixed: Record<(typeof FIXED_EVERY)[number], StepDecision>;
  /** both versions' traffic over the live runs' window, to compare with them */
  early: { canary: TrafficShape; stable: TrafficShape };
  full: { canary: TrafficShape; stable: TrafficShape };
}

function simulateHealthy(seed: number): SimulatedRun {
  const errorRate = backgroundErrorRate.min + (backgroundErrorRate.max - backgroundErrorRate.min) * seededRandom(seed * 7919 + 17)();
  const version = { ...healthyVersion, errorRate };
  const simulated = simulateCanary({
    requestsPerSecond: defaultCanary.requestsPerSecond, percent: defaultCanary.percent, durationSeconds: defaultCanary.durationSeconds,
    stable: version, canary: version,
  }, seed);
  const schedule = { stepSeconds: defaultCanary.durationSeconds };
  const shapes = (seconds: number) => {
    const traffic = simulated.trafficAt(seconds);
    return { canary: trafficShape(traffic.canary), stable: trafficShape(traffic.stable) };
  };
  return {
    seed,
    errorRate,
    ours: ourSchedule(simulated.trafficAt, defaultCanary, schedule),
    fixed: {
      60: fixedSchedule(simulated.trafficAt, defaultCanary, 60, schedule),
      30: fixedSchedule(simulated.trafficAt, defaultCanary, 30, schedule),
      10: fixedSchedule(simulated.trafficAt, defaultCanary, 10, schedule),
    },
    early: shapes(Math.min(liveSeconds, defaultCanary.durationSeconds)),
    full: shapes(defaultCanary.durationSeconds),
  };
}

console.error(`canary-false-rollback: simulating ${canaries} healthy canaries of ${defaultCanary.durationSeconds} s ...`);
const simulated: SimulatedRun[] = [];
for (let seed = 1; seed <= canaries; seed++) simulated.push(simulateHealthy(seed));
const oursFalse = simulated.filter((run) => rolledBack(run.ours));
const fixedFalse = (every: (typeof FIXED_EVERY)[number]) => simulated.filter((run) => rolledBack(run.fixed[every]));

// ---------------------------------------------------------------------------------------------
// Live: a few short healthy canaries through real processes

interface LiveRun {
  run: number;
  ours: LiveDecision;
  fixed: LiveDecision;
  canary: TrafficShape;
  stable: TrafficShape;
}

console.error(`canary-false-rollback: ${liveRuns} live healthy canaries at once, ${liveSeconds}-s steps (both versions: ${describeFault(liveNoise)}) ...`);
const live = await withWorkspace('canary-false-rollback', async (workspace): Promise<LiveRun[]> => {
  const target = benchTarget(workspace);
  const service = demoService();
  const dirs = {
    stable: writeServiceVersion(join(workspace.root, 'stable'), liveNoise),
    canary: writeServiceVersion(join(workspace.root, 'canary'), liveNoise),
  };
  const canary = { ...defaultCanary, durationSeconds: liveSeconds };
  return Promise.all(Array.from({ length: liveRuns }, async (_, index): Promise<LiveRun> => {
    const deploymentId = `bench-healthy-${index + 1}`;
    try {
      const { sinceEpochMs } = await startCanary(target, deploymentId, dirs, canary);
      const step = {
        target, deploymentId, service: service.name, sinceEpochMs, canary, metrics: { source: 'proxy' as const },
        stepSeconds: liveSeconds, capSeconds: liveSeconds + 30,
      };
      const [ours, fixed] = await Promise.all([watchWithOurJudge(step), watchWithFixedJudge(step, 60)]);
      const traffic = await observeWithRetries(createProxyMetricsSource(target), () => ({
        deploymentId, service: service.name, sinceEpochMs, untilEpochMs: sinceEpochMs + liveSeconds * 1000,
      }));
      return { run: index + 1, ours, fixed, canary: trafficShape(traffic.canary), stable: trafficShape(traffic.stable) };
    } finally {
      await target.stop(deploymentId);
    }
  }));
});
const liveFalse = live.filter((run) => rolledBack(run.ours));

// ---------------------------------------------------------------------------------------------
// Report

const verdict = (decision: StepDecision): string => (rolledBack(decision) ? `ROLLED BACK at ${decision.atSeconds} s` : decision.outcome);

console.log(`\n## False rollbacks over ${canaries} simulated healthy canaries (${defaultCanary.durationSeconds}-s step, ${defaultCanary.percent}% of ${defaultCanary.requestsPerSecond} req/s)\n`);
printTable(
  ['judge', 'schedule', 'false rollbacks', 'rate'],
  [
    ['ours (judgeCanary)', `every ${defaultCanary.intervalSeconds} s, final at ${defaultCanary.durationSeconds} s`, oursFalse.length, `${((100 * oursFalse.length) / canaries).toFixed(0)}%`],
    ...FIXED_EVERY.map((every) => [
      every === 60 ? 'fixed thresholds (baseline)' : 'fixed thresholds', `every ${every} s${every === 30 ? ' (the seed\'s default interval)' : every === 10 ? ' (our interval)' : ''}`,
      fixedFalse(every).length, `${((100 * fixedFalse(every).length) / canaries).toFixed(0)}%`,
    ]),
  ],
);
const rolledBackExamples: { judge: string; run: SimulatedRun; decision: StepDecision }[] = [
  ...oursFalse.map((run) => ({ judge: 'ours', run, decision: run.ours })),
  ...fixedFalse(60).slice(0, 5).map((run) => ({ judge: 'fixed 60 s', run, decision: run.fixed[60] })),
];
if (rolledBackExamples.length > 0) {
  console.log('\nRolled back (seed, judge, when, why; at most 5 of the fixed judge\'s):');
  for (const { judge, run, decision } of rolledBackExamples) {
    console.log(`- seed ${run.seed} (background errors ${(run.errorRate * 100).toFixed(3)}%), ${judge}: ${verdict(decision)}: ${decision.reasons.join('; ')}`);
  }
}

console.log(`\n## Live healthy canaries (${liveSeconds}-s step, both versions: ${describeFault(liveNoise)})\n`);
printTable(
  ['run', 'ours', 'ours looks', 'fixed (60 s)', ...shapeHeader('canary'), ...shapeHeader('stable')],
  live.map((run) => [run.run, verdict(run.ours), run.ours.looks, verdict(run.fixed), ...shapeCells(run.canary), ...shapeCells(run.stable)]),
);
console.log(`\nSimulated traffic over the same ${liveSeconds} s (median of the ${canaries} canaries) and over the full step:\n`);
printTable(
  ['window', ...shapeHeader('canary'), ...shapeHeader('stable')],
  [
    [`${liveSeconds} s`, ...shapeCells(medianShape(simulated.map((run) => run.early.canary), median)), ...shapeCells(medianShape(simulated.map((run) => run.early.stable), median))],
    [`${defaultCanary.durationSeconds} s`, ...shapeCells(medianShape(simulated.map((run) => run.full.canary), median)), ...shapeCells(medianShape(simulated.map((run) => run.full.stable), median))],
  ],
);

const met = oursFalse.length === 0 && liveFalse.length === 0;
const baselineFalse = fixedFalse(60).length;
console.log(`\nTarget (0 false rollbacks by our judge): ${met ? 'met' : 'MISSED'}. Took ${fmtSeconds((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'canary-false-rollback',
  figures: { falseRollbacks: oursFalse.length, simulatedCanaries: canaries, liveFalseRollbacks: liveFalse.length, liveCanaries: liveRuns },
  baseline: {
    falseRollbacks: baselineFalse,
    falseRollbacksFixedEvery30s: fixedFalse(30).length,
    falseRollbacksFixedEvery10s: fixedFalse(10).length,
    liveFalseRollbacks: live.filter((run) => rolledBack(run.fixed)).length,
  },
  ratio: baselineFalse > 0 ? oursFalse.length / baselineFalse : oursFalse.length,
  target: `0 false rollbacks of ${canaries} simulated healthy canaries over a full default step (and of the live sanity canaries)`,
  met,
  notes: `simulated: ${defaultCanary.durationSeconds}-s step at ${defaultCanary.percent}% of ${defaultCanary.requestsPerSecond} req/s, both versions log-normal latency (median ${healthyVersion.medianMs} ms, σ ${healthyVersion.sigma}), `
    + `${healthyVersion.spikeRate * 100}% of requests +${healthyVersion.spikeMinMs}–${healthyVersion.spikeMaxMs} ms, background errors ${backgroundErrorRate.min * 100}–${backgroundErrorRate.max * 100}% (one draw per canary); `
    + `baseline: the seed's thresholds every 60 s (falseRollbacksFixedEvery30s/10s: the same rule at the seed's 30-s and our 10-s interval); `
    + `ratio: ours / baseline (the false-rollback count itself when the baseline has none); live: ${liveRuns} real canaries of ${liveSeconds} s`,
});

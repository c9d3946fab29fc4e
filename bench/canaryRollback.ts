/**
 * Rollback latency: how long after a bad canary starts does each judge decide to roll it back?
 *
 * Live: the demo service as stable, a copy with an injected fault as canary (case A: 5% of requests
 * answer 500; case B: every request delayed 1.5 s), real processes behind the local target's proxy at
 * the default canary config (5% of 100 req/s). Two judges read the same deployment through the proxy
 * metrics source: ours is the production watch activity (judgeCanary every 10 s on the step's
 * cumulative traffic, interval mode), the baseline is the seed's fixed thresholds (error rate > 0.5% or
 * p99 > 800 ms) looked at every 60 s. Each case runs 3 times (A and B side by side); medians reported.
 * Then the same judges on 100 simulated canaries per case over the full 600-s step (its final judgement
 * included), adding B2 (2% of requests delayed 1.5 s), too slow for ours to run live repeatedly.
 *
 *   node --import tsx bench/canaryRollback.ts [--runs 3] [--cap 300] [--seeds 100]
 */
import { numberFlag } from './canary/args.js';
import { FIXED_EVERY_SECONDS, measureDetection, printRuns, printSummary, summarizeCases } from './canary/detection.js';
import { benchTarget, defaultCanary } from './canary/local.js';
import { errorCase, latencyCase, tailLatencyCase } from './canary/models.js';
import { fmtSeconds, median, printTable, round, writeResult } from './canary/report.js';
import { quantile, simulateDetection } from './canary/simulatedDetection.js';
import { withWorkspace } from './canary/workspace.js';

const runs = numberFlag('runs', 3);
const capSeconds = numberFlag('cap', 300);
const seeds = numberFlag('seeds', 100);
const cases = [errorCase, latencyCase];
const startedAt = Date.now();

const results = await withWorkspace('canary-rollback', async (workspace) => {
  const target = benchTarget(workspace);
  return measureDetection({ workspace, target, name: 'bench-rollback', cases, runs, capSeconds, metrics: { source: 'proxy' } });
});
const summaries = summarizeCases(results, cases);

console.log(`\n## Rollback latency, live (proxy metrics; ${defaultCanary.percent}% of ${defaultCanary.requestsPerSecond} req/s; ours every ${defaultCanary.intervalSeconds} s, fixed every ${FIXED_EVERY_SECONDS} s)\n`);
printRuns(results);
console.log('');
printSummary(summaries);

const stepSeconds = defaultCanary.durationSeconds;
console.log(`\n## Rollback latency, simulated (${seeds} canaries per case over the full ${stepSeconds}-s step, same judges and schedules, noise of bench/canary/models.ts)\n`);
const simulated = [errorCase, latencyCase, tailLatencyCase].map((faultCase) => simulateDetection(faultCase, seeds, stepSeconds, FIXED_EVERY_SECONDS));
const missed = (values: number[]) => values.filter((value) => !Number.isFinite(value)).length;
printTable(
  ['case', 'fault', 'ours: median s', 'ours: p90 s', 'ours: max s', 'ours: never', 'fixed: median s', 'fixed: p90 s', 'fixed: max s', 'fixed: never'],
  simulated.map(({ faultCase, ours, fixed }) => [
    faultCase.key, faultCase.title, fmtSeconds(median(ours)), fmtSeconds(quantile(ours, 0.9)), fmtSeconds(quantile(ours, 1)), missed(ours),
    fmtSeconds(median(fixed)), fmtSeconds(quantile(fixed, 0.9)), fmtSeconds(quantile(fixed, 1)), missed(fixed),
  ]),
);

const met = summaries.every((summary) => summary.oursMedian <= 30 && summary.ratio <= 0.5);
const finite = (value: number, cap = capSeconds): number => (Number.isFinite(value) ? round(value, 2) : cap);
const figures: Record<string, number> = {};
const baseline: Record<string, number> = {};
for (const summary of summaries) {
  figures[`case${summary.faultCase.key}_medianSeconds`] = finite(summary.oursMedian);
  figures[`case${summary.faultCase.key}_medianLookSeconds`] = finite(summary.oursLookMedian);
  baseline[`case${summary.faultCase.key}_medianSeconds`] = finite(summary.fixedMedian);
}
for (const { faultCase, ours, fixed } of simulated) {
  figures[`simulated_case${faultCase.key}_medianSeconds`] = finite(median(ours), stepSeconds);
  baseline[`simulated_case${faultCase.key}_medianSeconds`] = finite(median(fixed), stepSeconds);
}
const worstRatio = Math.max(...summaries.map((summary) => summary.ratio));
console.log(`\nTarget (ours ≤ 30 s and ≤ 0.5× fixed, live median per case): ${met ? 'met' : 'MISSED'}. Took ${Math.round((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'canary-rollback',
  figures,
  baseline,
  ratio: Number.isFinite(worstRatio) ? round(worstRatio, 4) : 1,
  target: 'rollback decision ≤ 30 s after fault onset and ≤ 0.5× a fixed 60-s threshold judge (cases A and B, live median of 3)',
  met,
  notes: `live: ${runs} runs per case, ${defaultCanary.percent}% of ${defaultCanary.requestsPerSecond} req/s, proxy metrics, cap ${capSeconds} s (a capped judge counts as ${capSeconds} s); `
    + `case A: ${errorCase.title}; case B: ${latencyCase.title}; ratio: the worst case's median ours / median fixed; `
    + `simulated_*: median of ${seeds} simulated canaries per case over the full ${stepSeconds}-s step (B2: ${tailLatencyCase.title})`,
});

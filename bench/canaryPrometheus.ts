/**
 * Rollback latency with the numbers read through a real Prometheus: the same live cases as
 * canaryRollback.ts (A: 5% of canary requests answer 500; B: every canary request delayed 1.5 s), but
 * both judges read the Prometheus metrics source (activities/metrics/prometheus.ts, the default
 * queries over the demo service's own /metrics), with Prometheus (scripts/ensure-prometheus) scraping
 * every second the processes the local target lists in its file_sd dir. Ours: the production watch
 * activity every 10 s; baseline: the seed's fixed thresholds every 60 s, on the same Prometheus numbers.
 *
 *   node --import tsx bench/canaryPrometheus.ts [--runs 3] [--cap 300]
 */
import { join } from 'node:path';
import { metricsConfigSchema } from '../config/metrics.js';
import { numberFlag } from './canary/args.js';
import { FIXED_EVERY_SECONDS, measureDetection, printRuns, printSummary, summarizeCases } from './canary/detection.js';
import { benchTarget, defaultCanary } from './canary/local.js';
import { errorCase, latencyCase } from './canary/models.js';
import { SCRAPE_INTERVAL_SECONDS, startPrometheus } from './canary/prometheus.js';
import { round, writeResult } from './canary/report.js';
import { withWorkspace } from './canary/workspace.js';

const runs = numberFlag('runs', 3);
const capSeconds = numberFlag('cap', 300);
const cases = [errorCase, latencyCase];
const startedAt = Date.now();

const results = await withWorkspace('canary-prometheus', async (workspace) => {
  const targetsDir = join(workspace.root, 'file_sd');
  const prometheus = await startPrometheus(workspace, targetsDir);
  console.error(`canary-prometheus: Prometheus ${prometheus.binary} at ${prometheus.url}, scraping every ${SCRAPE_INTERVAL_SECONDS} s`);
  const target = benchTarget(workspace, { prometheusTargetsDir: targetsDir });
  const metrics = metricsConfigSchema.parse({ source: 'prometheus', url: prometheus.url });
  return measureDetection({ workspace, target, name: 'bench-prometheus', cases, runs, capSeconds, metrics });
});
const summaries = summarizeCases(results, cases);

console.log(`\n## Rollback latency through Prometheus (scrape every ${SCRAPE_INTERVAL_SECONDS} s; ${defaultCanary.percent}% of ${defaultCanary.requestsPerSecond} req/s; ours every ${defaultCanary.intervalSeconds} s, fixed every ${FIXED_EVERY_SECONDS} s)\n`);
printRuns(results, { withProxy: true });
console.log('');
printSummary(summaries);

const met = summaries.every((summary) => summary.oursMedian <= 30 && summary.ratio <= 0.5);
const finite = (value: number): number => (Number.isFinite(value) ? round(value, 2) : capSeconds);
const figures: Record<string, number> = {};
const baseline: Record<string, number> = {};
for (const summary of summaries) {
  figures[`case${summary.faultCase.key}_medianSeconds`] = finite(summary.oursMedian);
  figures[`case${summary.faultCase.key}_medianLookSeconds`] = finite(summary.oursLookMedian);
  baseline[`case${summary.faultCase.key}_medianSeconds`] = finite(summary.fixedMedian);
}
const worstRatio = Math.max(...summaries.map((summary) => summary.ratio));
console.log(`\nTarget (ours ≤ 30 s and ≤ 0.5× fixed, median per case): ${met ? 'met' : 'MISSED'}. Took ${Math.round((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'canary-prometheus',
  figures,
  baseline,
  ratio: Number.isFinite(worstRatio) ? round(worstRatio, 4) : 1,
  target: 'through Prometheus: rollback decision ≤ 30 s after fault onset and ≤ 0.5× a fixed 60-s threshold judge (cases A and B, median)',
  met,
  notes: `live: ${runs} runs per case, ${defaultCanary.percent}% of ${defaultCanary.requestsPerSecond} req/s, Prometheus source with the default queries, scrape_interval ${SCRAPE_INTERVAL_SECONDS}s, `
    + `cap ${capSeconds} s (a capped judge counts as ${capSeconds} s); case A: ${errorCase.title}; case B: ${latencyCase.title}; ratio: the worst case's median ours / median fixed`,
});

/**
 * History size: events and bytes of a clean PR's workflow history as the diff grows (10 KB, 1 MB, 5 MB).
 *
 * A real git repository per size (bench/lib/diffRepo.ts), the REAL prepareChange (git diff, the
 * artifact store's claim check, the detectors), the real offline review, tests, validation and
 * deployment agents and decision sealing; staging and the canary are faked (a passing watch with the
 * demo's 20-s step judged every 5 s: 4 judgements and a final one; its verdicts claim-checked into the
 * artifact store as the real watch does). A fourth run repeats the 10 KB PR with the default canary's
 * judgements (10 minutes judged every 5 s: 120 and a final one): the canary's length must not grow the
 * history either. Measured on the finished run: event count, bytes of `temporal workflow show --output json`,
 * and the decoded bytes of every payload in it.
 *
 * Target: ≤ 150 events and ≤ 256 KB whatever the diff size, and with the default canary. Baseline: the
 * 10 KB run (ratio: the 5 MB run's JSON bytes ÷ the 10 KB run's).
 *
 *   node --import tsx bench/historySize.ts [--sizes 10240,1048576,5242880]
 */
import { Context } from '@temporalio/activity';
import { createActivities } from '../activities/index.js';
import { storeVerdicts } from '../activities/deployment/watch.js';
import { prpilotConfigSchema } from '../config/schema.js';
import { intervalVerdict, passedWatch } from '../test/workflow/fakes.js';
import type { WatchResult } from '../workflows/canaryVerdicts.js';
import { approveSignal, statusQuery } from '../workflows/messages.js';
import { buildDiffRepo } from './lib/diffRepo.js';
import { benchActivities } from './lib/fakeActivities.js';
import { historyWeight, type HistoryWeight } from './lib/history.js';
import { benchDeps, benchPrInput, benchWorker, keepRunning, startPipeline } from './lib/pipeline.js';
import { printTable, round, writeResult } from './lib/result.js';
import { benchDevServer, bundlePrpilotWorkflows, type BenchServer } from './lib/temporal.js';
import { numberListFlag, withWorkspace } from './lib/workspace.js';

const sizes = numberListFlag('sizes', [10 * 1024, 1024 * 1024, 5 * 1024 * 1024]);
const TASK_QUEUE = 'bench-history';
const KB = 1024;
const MAX_EVENTS = 150;
const MAX_BYTES = 256 * KB;
/** The demo's canary: one 20-s step judged every 5 s. */
const DEMO_CANARY = { percent: 5, durationSeconds: 20, intervalSeconds: 5 };
/** The default canary (the config schema's defaults): 10 minutes judged every 5 s. */
const DEFAULT_CANARY = (({ percent, durationSeconds, intervalSeconds }) => ({ percent, durationSeconds, intervalSeconds }))(
  prpilotConfigSchema.parse({ service: { name: 'defaults', start: ['node', 'server.js'] } }).canary,
);

interface Case {
  key: string;
  bytes: number;
  canary: typeof DEMO_CANARY;
}

interface Measured extends HistoryWeight {
  key: string;
  diffBytes: number;
  judgements: number;
  outcome: string;
  approvedByBench: boolean;
  gates: string[];
}

const label = (bytes: number) => (bytes >= 1024 * 1024 ? `${round(bytes / 1024 / 1024, 1)}MB` : `${round(bytes / 1024, 0)}KB`);
const cases: Case[] = [
  ...sizes.map((bytes) => ({ key: label(bytes), bytes, canary: DEMO_CANARY })),
  { key: `${label(sizes[0] ?? 10 * KB)}-default-canary`, bytes: sizes[0] ?? 10 * KB, canary: DEFAULT_CANARY },
];

/** The watch a canary config gets: one passing judgement per interval and the final one, at once. */
function watchFor(canary: typeof DEMO_CANARY): WatchResult {
  const judgements = Math.floor(canary.durationSeconds / canary.intervalSeconds);
  const intervals = Array.from({ length: judgements }, (_, index) => ({ ...intervalVerdict('pass'), elapsedSeconds: (index + 1) * canary.intervalSeconds }));
  return { ...passedWatch(), intervals: [...intervals, { ...intervalVerdict('pass', undefined, 'final'), elapsedSeconds: canary.durationSeconds }] };
}

const startedAt = Date.now();
const measured = await withWorkspace('history-size', async (workspace) => {
  const server = await benchDevServer(workspace);
  const bundle = await bundlePrpilotWorkflows(workspace);
  const deps = await benchDeps(workspace.root);
  const real = createActivities(deps);
  const canaryByWorkflow = new Map<string, typeof DEMO_CANARY>();
  const fakes = benchActivities();
  const worker = await benchWorker({
    connection: server.nativeConnection, taskQueue: TASK_QUEUE, home: workspace.root, workflowBundleCode: bundle.code, deps,
    activities: {
      ...fakes,
      prepareChange: real.prepareChange,
      reviewChange: real.reviewChange,
      runTests: real.runTests,
      validateStaging: real.validateStaging,
      assessDeploymentRisk: real.assessDeploymentRisk,
      recordDecision: real.recordDecision,
      recordDecisions: real.recordDecisions,
      notify: real.notify,
      async watchCanary(input) {
        const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
        if (input.mode !== 'step') return fakes.watchCanary(input);
        const watch = watchFor(canaryByWorkflow.get(workflowId) ?? DEMO_CANARY);
        // The real watch's claim check: its verdicts go to the artifact store, their hash into history.
        return input.verdictLog ? { ...watch, ...(await storeVerdicts(deps.artifacts, watch.intervals)) } : watch;
      },
    },
  });
  keepRunning(workspace, worker);
  const results: Measured[] = [];
  for (const [index, benchCase] of cases.entries()) {
    const repo = await buildDiffRepo(workspace.root, benchCase.bytes);
    const workflowId = `bench-history-${process.pid}-${index}`;
    canaryByWorkflow.set(workflowId, benchCase.canary);
    const input = {
      ...benchPrInput(`bench-history-svc-${index}`, { canary: benchCase.canary }),
      repo: { kind: 'local' as const, path: repo.path, name: repo.name },
      baseSha: repo.baseSha,
      headSha: repo.headSha,
      title: `Add computation modules (${benchCase.key})`,
    };
    const run = await runToEnd(server, workflowId, input);
    const weight = await historyWeight(server, workflowId);
    const judgements = watchFor(benchCase.canary).intervals.length;
    results.push({ ...weight, key: benchCase.key, diffBytes: repo.diffBytes, judgements, ...run });
    console.log(`${benchCase.key}: diff ${repo.diffBytes} B → ${weight.events} events, ${weight.jsonBytes} B of JSON, ${weight.payloadBytes} B of payloads (${run.outcome}${run.approvedByBench ? ', approved by the bench' : ''})`);
  }
  return results;
});

/** Runs the PR to its end; a gate would make it wait for a human: the bench approves it then (and says so). */
async function runToEnd(server: BenchServer, workflowId: string, input: Parameters<typeof startPipeline>[2]) {
  const handle = await startPipeline(server.client, TASK_QUEUE, input, workflowId);
  let approvedByBench = false;
  let finished = false;
  const approver = (async () => {
    while (!finished) {
      const status = await handle.query(statusQuery).catch(() => null);
      if (status?.awaitingApproval && !approvedByBench) {
        approvedByBench = true;
        await handle.signal(approveSignal, { by: 'bench-reviewer', reason: 'history size benchmark' });
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  const result = await handle.result().finally(() => { finished = true; });
  await approver;
  return { outcome: result.outcome, approvedByBench, gates: result.gates };
}

const kb = (bytes: number) => round(bytes / KB, 1);
console.log('\n## Workflow history of a clean PR by diff size\n');
printTable(
  ['PR', 'diff KB', 'canary judgements', 'events', 'history JSON KB', 'payload KB', 'largest payload KB', 'outcome', 'gates'],
  measured.map((m) => [m.key, kb(m.diffBytes), m.judgements, m.events, kb(m.jsonBytes), kb(m.payloadBytes), kb(m.largestPayloadBytes), m.outcome, m.gates.join(', ') || '—']),
);
const first = measured[0];
const last = measured[sizes.length - 1];
if (!first || !last) throw new Error('nothing measured');
console.log('\nEvents by type (smallest diff): ' + Object.entries(first.eventTypes).sort((a, b) => b[1] - a[1]).map(([type, count]) => `${type} ${count}`).join(', '));

const met = measured.every((m) => m.events <= MAX_EVENTS && m.jsonBytes <= MAX_BYTES && m.outcome === 'deployed');
const figures: Record<string, number> = {};
for (const m of measured) {
  figures[`events_${m.key}`] = m.events;
  figures[`jsonKB_${m.key}`] = kb(m.jsonBytes);
  figures[`payloadKB_${m.key}`] = kb(m.payloadBytes);
  figures[`diffKB_${m.key}`] = kb(m.diffBytes);
}
console.log(`\nTook ${Math.round((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'history-size',
  figures,
  baseline: { events: first.events, jsonKB: kb(first.jsonBytes), payloadKB: kb(first.payloadBytes) },
  ratio: round(last.jsonBytes / first.jsonBytes, 3),
  target: `≤ ${MAX_EVENTS} events and ≤ 256 KB of history (temporal workflow show --output json) for every diff size and with the default canary, the PR deployed`,
  met,
  notes: `real prepareChange on a real git repo per size, real offline agents and decision sealing; staging and canary faked (a passing watch with the demo's ${DEMO_CANARY.durationSeconds}-s step judged every ${DEMO_CANARY.intervalSeconds} s); `
    + `ratio: history JSON bytes ${last.key} ÷ ${first.key}; payloadKB: decoded payload bytes (data + metadata); `
    + `${measured.at(-1)?.key}: the same PR with the default canary's ${watchFor(DEFAULT_CANARY).intervals.length} judgements (${DEFAULT_CANARY.durationSeconds} s judged every ${DEFAULT_CANARY.intervalSeconds} s), claim-checked like every watch's verdicts`
    + (measured.some((m) => m.approvedByBench) ? `; gates fired and the bench approved: ${measured.filter((m) => m.approvedByBench).map((m) => `${m.key} (${m.gates.join(', ')})`).join(', ')}` : ''),
});

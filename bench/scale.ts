/**
 * Scale: N concurrent PR workflows on ONE worker against a dev server on this machine.
 *
 * Every PR is a clean one through the real prToProduction workflow with fast fake activities (they
 * answer at once; decision sealing and the deploy lock are real). Each PR deploys a service of its own,
 * so the per-service deploy lock does not serialize them (one lock workflow per PR: N PR workflows and N
 * lock workflows open at once); the one-service case is measured separately (every canary waits its
 * turn). Each measurement gets a fresh in-memory dev server and a fresh worker process
 * (bench/lib/scaleWorker.ts: createPrpilotWorker with its production options, then the setting's
 * overrides). The client starts the N workflows (50 starts in flight), polls the count of running ones,
 * then reads every result.
 *
 * Figures: completion time (first start → none running), PRs per second, per-PR latency (server start →
 * close), the worker's peak RSS (VmHWM) and CPU seconds, the dev server's; how time grows with N.
 * Target: 1,000 complete, worker peak RSS ≤ 1 GiB.
 *
 *   node --import tsx bench/scale.ts [--n 100,300,1000] [--one-service 20] [--budget 1500]
 *   node --import tsx bench/scale.ts --settings [--n 300] [--only production,threads-2]
 *       worker option settings compared (result scale-settings; not part of `npm run bench`)
 */
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { spawnTsx, stopChild, waitForOutput } from './lib/child.js';
import { benchPrInput, startPipeline } from './lib/pipeline.js';
import { cpuSecondsOf, memoryOf, MiB } from './lib/processStats.js';
import { median, printTable, round, writeResult } from './lib/result.js';
import type { ScaleWorkerInput } from './lib/scaleWorker.js';
import { benchDevServer, bundlePrpilotWorkflows, type BenchServer } from './lib/temporal.js';
import { numberFlag, numberListFlag, withWorkspace, type Workspace } from './lib/workspace.js';

const compareSettings = process.argv.includes('--settings');
const sizes = numberListFlag('n', compareSettings ? [300] : [100, 300, 1000]);
const oneServiceN = compareSettings ? 0 : numberFlag('one-service', 20);
/** Seconds for the whole benchmark; a measurement gets what is left (at most its own cap), the rest are skipped. */
const budgetSeconds = numberFlag('budget', compareSettings ? 3600 : 1500);
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex === -1 ? null : (process.argv[onlyIndex + 1] ?? '').split(',');
const TASK_QUEUE = 'bench-scale';
const SCALE_WORKER = fileURLToPath(new URL('./lib/scaleWorker.ts', import.meta.url));
const START_CONCURRENCY = 50;
const RSS_TARGET_BYTES = 1024 * MiB;

interface Setting {
  key: string;
  options: ScaleWorkerInput['options'];
  /** PRPILOT_WORKFLOW_MEMORY_MB for the worker (the workflow thread's heap; the cache is sized from it) */
  workflowMemoryMb?: number;
}

/** createPrpilotWorker's options as they are (workflow memory 640 MB: cache 444; 20 activities, 50 local). */
const production: Setting = { key: 'production', options: {} };
/** Compared with --settings, each over the production options. */
const candidates: Setting[] = [
  production,
  // Before tuning: the thread's heap left to V8 (4 GiB on this machine), 500 cached workflows.
  { key: 'untuned-cache-500', options: { maxCachedWorkflows: 500 }, workflowMemoryMb: 4096 },
  { key: 'memory-512', options: {}, workflowMemoryMb: 512 },
  { key: 'memory-768', options: {}, workflowMemoryMb: 768 },
  { key: 'threads-2', options: { workflowThreadPoolSize: 2 } },
].filter((setting) => only === null || only.includes(setting.key));

interface Measurement {
  setting: string;
  n: number;
  oneService: boolean;
  completed: number;
  deployed: number;
  seconds: number;
  prsPerSecond: number;
  latencyP50Seconds: number;
  latencyP95Seconds: number;
  workerPeakRssMiB: number;
  workerCpuSeconds: number;
  serverPeakRssMiB: number;
  serverCpuSeconds: number;
  /** what the PRs still running at the deadline were waiting for */
  stuck: string;
}

const startedAt = Date.now();
const secondsLeft = () => budgetSeconds - (Date.now() - startedAt) / 1000;
const skipped: string[] = [];

const measurements = await withWorkspace('scale', async (workspace) => {
  const bundle = await bundlePrpilotWorkflows(workspace);
  const done: Measurement[] = [];
  const measure = async (setting: Setting, n: number, oneService = false) => {
    const capSeconds = Math.min(secondsLeft(), 60 + n * 2);
    if (capSeconds < 60) {
      skipped.push(`${setting.key} N=${n}${oneService ? ' (one service)' : ''}`);
      console.log(`skipped ${setting.key}, N=${n}: the ${budgetSeconds}-s budget is spent`);
      return;
    }
    const result = await measureOnce(workspace, bundle.codePath, setting, n, oneService, capSeconds);
    done.push(result);
    console.log(`${setting.key}, N=${n}${oneService ? ' (one service)' : ''}: ${result.completed}/${n} in ${result.seconds} s, `
      + `${result.prsPerSecond} PRs/s, worker peak RSS ${result.workerPeakRssMiB} MiB, worker CPU ${result.workerCpuSeconds} s${result.stuck ? `; still running: ${result.stuck}` : ''}`);
  };
  if (compareSettings) {
    for (const n of sizes) for (const setting of candidates) await measure(setting, n);
  } else {
    for (const n of sizes) await measure(production, n);
    if (oneServiceN > 0) await measure(production, oneServiceN, true);
  }
  return done;
});

async function measureOnce(workspace: Workspace, bundlePath: string, setting: Setting, n: number, oneService: boolean, capSeconds: number): Promise<Measurement> {
  const server = await benchDevServer(workspace);
  const workerInput: ScaleWorkerInput = { address: server.address, taskQueue: TASK_QUEUE, bundlePath, home: workspace.root, options: setting.options };
  const worker = spawnTsx(SCALE_WORKER, [JSON.stringify(workerInput)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(setting.workflowMemoryMb ? { PRPILOT_WORKFLOW_MEMORY_MB: String(setting.workflowMemoryMb) } : {}) },
  });
  const stopWorker = workspace.onCleanup(async () => { await stopChild(worker); });
  try {
    await waitForOutput(worker, (output) => output.includes('"event":"ready"'), 120_000, 'the scale worker');
    worker.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker] ${chunk.toString()}`));
    worker.stdout?.resume();
    return await runPullRequests(server, worker, setting.key, n, oneService, capSeconds);
  } finally {
    await stopWorker();
    await server.stop();
  }
}

async function runPullRequests(server: BenchServer, worker: ChildProcess, setting: string, n: number, oneService: boolean, capSeconds: number): Promise<Measurement> {
  const prefix = `scale-${setting}-${n}-${oneService ? 'one' : 'many'}`;
  const t0 = performance.now();
  const handles: Awaited<ReturnType<typeof startPipeline>>[] = [];
  for (let next = 0; next < n;) {
    const batch = Array.from({ length: Math.min(START_CONCURRENCY, n - next) }, (_, offset) => next + offset);
    next += batch.length;
    handles.push(...await Promise.all(batch.map((index) => {
      const service = oneService ? `${prefix}-svc` : `${prefix}-svc-${index}`;
      return startPipeline(server.client, TASK_QUEUE, benchPrInput(service), `${prefix}-pr-${index}`);
    })));
  }
  console.log(`  ${setting}, N=${n}: all started after ${round((performance.now() - t0) / 1000, 1)} s`);
  // Counting running workflows (visibility) costs the client far less than N long-polls for results.
  const running = () => server.client.workflow.count(`WorkflowType = 'prToProduction' AND ExecutionStatus = 'Running'`).then((count) => count.count);
  let left = n;
  while (left > 0 && (performance.now() - t0) / 1000 < capSeconds) {
    await sleep(1_000);
    left = await running();
  }
  const seconds = (performance.now() - t0) / 1000;
  const stuck = left > 0 ? await whatRunningWaitFor(handles) : '';
  const closed: { latencyMs: number; deployed: boolean }[] = [];
  for (let next = 0; next < handles.length; next += START_CONCURRENCY) {
    closed.push(...(await Promise.all(handles.slice(next, next + START_CONCURRENCY).map(async (handle) => {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') return null;
      const result = await handle.result().catch(() => null);
      return { latencyMs: (description.closeTime?.getTime() ?? Number.NaN) - description.startTime.getTime(), deployed: result?.outcome === 'deployed' };
    }))).filter((entry) => entry !== null));
  }
  const latencies = closed.map((entry) => entry.latencyMs).sort((a, b) => a - b);
  const workerPid = worker.pid ?? 0;
  return {
    setting, n, oneService,
    completed: closed.length,
    deployed: closed.filter((entry) => entry.deployed).length,
    seconds: round(seconds, 1),
    prsPerSecond: round(closed.length / seconds, 2),
    latencyP50Seconds: round(median(latencies) / 1000, 1),
    latencyP95Seconds: round((latencies[Math.ceil(latencies.length * 0.95) - 1] ?? Number.NaN) / 1000, 1),
    workerPeakRssMiB: round(memoryOf(workerPid).peakRssBytes / MiB, 0),
    workerCpuSeconds: round(cpuSecondsOf(workerPid), 1),
    serverPeakRssMiB: round(memoryOf(server.pid).peakRssBytes / MiB, 0),
    serverCpuSeconds: round(cpuSecondsOf(server.pid), 1),
    stuck,
  };
}

/** For PRs still running at the deadline: their pending activities (type and state), counted. */
async function whatRunningWaitFor(handles: Awaited<ReturnType<typeof startPipeline>>[]): Promise<string> {
  const counts = new Map<string, number>();
  for (const handle of handles) {
    const description = await handle.describe().catch(() => null);
    if (description?.status.name !== 'RUNNING') continue;
    const pending = description.raw.pendingActivities ?? [];
    const key = pending.length === 0 ? 'no activity (a workflow task or a signal)' : pending.map((activity) => `${activity.activityType?.name ?? '?'} (state ${activity.state ?? '?'}, attempt ${activity.attempt ?? '?'})`).join(' + ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${count}× ${key}`).join('; ');
}

const columns: [string, (m: Measurement) => string | number][] = [
  ['setting', (m) => m.setting], ['PRs', (m) => `${m.n}${m.oneService ? ' (one service)' : ''}`], ['completed', (m) => m.completed],
  ['deployed', (m) => m.deployed], ['seconds', (m) => m.seconds], ['PRs/s', (m) => m.prsPerSecond],
  ['latency p50 s', (m) => m.latencyP50Seconds], ['p95 s', (m) => m.latencyP95Seconds],
  ['worker peak RSS MiB', (m) => m.workerPeakRssMiB], ['worker CPU s', (m) => m.workerCpuSeconds],
  ['server peak RSS MiB', (m) => m.serverPeakRssMiB], ['server CPU s', (m) => m.serverCpuSeconds],
];
function describeSetting(setting: Setting): string {
  const memory = setting.workflowMemoryMb ? ` (workflow memory ${setting.workflowMemoryMb} MB)` : '';
  return `${setting.key} ${JSON.stringify(setting.options)}${memory}`;
}
const settingsUsed = compareSettings ? candidates : [production];
console.log(`\n## Scale: concurrent PRs on one worker (${settingsUsed.map(describeSetting).join('; ')})\n`);
printTable(columns.map(([title]) => title), measurements.map((m) => columns.map(([, pick]) => pick(m))));
if (skipped.length) console.log(`\nSkipped (budget of ${budgetSeconds} s spent): ${skipped.join(', ')}`);
const notes = `one in-memory dev server and one worker process per measurement on this ${cpus().length}-core machine; fast fake activities (answer at once), real decision sealing and deploy lock; `
  + `each PR its own service (no lock contention)${oneServiceN > 0 ? `, except one-service (${oneServiceN} PRs of one service: every canary waits its turn on one lock)` : ''}; `
  + `a measurement stops at min(60 + 2·N s, what is left of the ${budgetSeconds}-s budget)${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`;
const meets = (m: Measurement) => m.completed === m.n && m.deployed === m.n && m.workerPeakRssMiB * MiB <= RSS_TARGET_BYTES;
const keyOf = (m: Measurement) => (m.oneService ? `oneService_n${m.n}` : compareSettings ? `${m.setting}_n${m.n}` : `n${m.n}`);
const figures: Record<string, number> = {};
for (const m of measurements) {
  figures[`${keyOf(m)}_seconds`] = m.seconds;
  figures[`${keyOf(m)}_completed`] = m.completed;
  figures[`${keyOf(m)}_prsPerSecond`] = m.prsPerSecond;
  figures[`${keyOf(m)}_workerPeakRssMiB`] = m.workerPeakRssMiB;
}
console.log(`\nTook ${Math.round((Date.now() - startedAt) / 1000)} s.`);

if (compareSettings) {
  const largestN = Math.max(...sizes);
  const atLargest = measurements.filter((m) => m.n === largestN);
  const base = atLargest.find((m) => m.setting === production.key);
  const best = [...atLargest].filter(meets).sort((a, b) => a.seconds - b.seconds)[0] ?? [...atLargest].sort((a, b) => b.completed / b.seconds - a.completed / a.seconds)[0];
  console.log(best ? `\nbest at N=${largestN}: ${best.setting} (${best.completed}/${best.n} in ${best.seconds} s, worker peak RSS ${best.workerPeakRssMiB} MiB)` : '');
  writeResult({
    name: 'scale-settings',
    figures,
    baseline: base ? { [`production_n${largestN}_seconds`]: base.seconds, [`production_n${largestN}_workerPeakRssMiB`]: base.workerPeakRssMiB } : {},
    ratio: best && base ? round(best.seconds / base.seconds, 3) : 1,
    target: `the fastest setting that completes ${largestN} PRs with worker peak RSS ≤ 1 GiB (ratio: its time ÷ production's)`,
    met: best ? meets(best) : false,
    notes: `${notes}; settings over createPrpilotWorker's: ${candidates.map(describeSetting).join(', ')}; best: ${best?.setting ?? 'none'}`,
  });
} else {
  const many = measurements.filter((m) => !m.oneService);
  const smallest = many.find((m) => m.n === Math.min(...sizes));
  const largest = many.find((m) => m.n === Math.max(...sizes)) ?? many.at(-1);
  const growth = smallest && largest ? largest.seconds / smallest.seconds : Number.NaN;
  const linear = smallest && largest ? largest.n / smallest.n : Number.NaN;
  if (smallest && largest) console.log(`\ntime(${largest.n}) ÷ time(${smallest.n}) = ${round(growth, 2)} (linear: ${linear})`);
  writeResult({
    name: 'scale',
    figures: { ...figures, growth: round(growth, 2) },
    baseline: smallest && largest ? { [`n${largest.n}_seconds_if_linear`]: round(smallest.seconds * linear, 1), growth_if_linear: linear } : {},
    ratio: round(growth / linear, 3),
    target: `${Math.max(...sizes)} concurrent PRs on one worker all complete (deployed) with worker peak RSS ≤ 1 GiB (production worker options)`,
    met: largest?.n === Math.max(...sizes) && meets(largest),
    notes: `${notes}; ratio: time(largest N) ÷ (N ratio × time(smallest N)): above 1 grows faster than linear`,
  });
}

/**
 * Scale: N concurrent PR workflows on ONE worker against a dev server on this machine.
 *
 * Every PR is a clean one through the real prToProduction workflow with fast fake activities (they
 * answer at once; decision sealing and the deploy lock are real). Each PR deploys a service of its own,
 * so the per-service deploy lock does not serialize them (one lock workflow per PR: N PR workflows and N
 * lock workflows in all); the same-service case is measured separately (every canary waits its turn).
 * Each measurement gets a fresh dev server and a fresh worker process (bench/lib/scaleWorker.ts:
 * createPrpilotWorker, its production options, then the setting's overrides); the client starts the N
 * workflows (50 starts in flight) and waits for every result.
 *
 * Figures: completion time (first start → last result), PRs per second, per-PR latency, the worker's
 * peak RSS (VmHWM) and CPU seconds, the dev server's; how time grows with N (time(max N) ÷ time(min N)
 * against the linear max/min). Target: 1,000 complete, worker RSS ≤ 1 GiB.
 *
 *   node --import tsx bench/scale.ts [--n 100,300,1000] [--compare-at 1000] [--same-service 50] [--deadline 420]
 */
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnTsx, stopChild, waitForOutput } from './lib/child.js';
import { benchPrInput, startPipeline } from './lib/pipeline.js';
import { cpuSecondsOf, memoryOf, MiB } from './lib/processStats.js';
import { median, printTable, round, writeResult } from './lib/result.js';
import type { ScaleWorkerInput } from './lib/scaleWorker.js';
import { benchDevServer, bundlePrpilotWorkflows, type BenchServer } from './lib/temporal.js';
import { numberFlag, numberListFlag, withWorkspace, type Workspace } from './lib/workspace.js';

const sizes = numberListFlag('n', [100, 300, 1000]);
const compareAt = numberFlag('compare-at', Math.max(...sizes));
const sameServiceN = numberFlag('same-service', 50);
const deadlineSeconds = numberFlag('deadline', 420);
const TASK_QUEUE = 'bench-scale';
const SCALE_WORKER = fileURLToPath(new URL('./lib/scaleWorker.ts', import.meta.url));
const START_CONCURRENCY = 50;
const RSS_TARGET_BYTES = 1024 * MiB;

/** Worker option settings tried, each over createPrpilotWorker's production options. */
const settings: { key: string; options: ScaleWorkerInput['options'] }[] = [
  { key: 'production', options: {} },
  { key: 'cache-2500', options: { maxCachedWorkflows: 2500 } },
  { key: 'cache-2500-wft-4', options: { maxCachedWorkflows: 2500, maxConcurrentWorkflowTaskExecutions: 4 } },
  { key: 'cache-100', options: { maxCachedWorkflows: 100 } },
];
const productionSetting = settings[0]!;

interface Measurement {
  setting: string;
  n: number;
  sameService: boolean;
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
}

const startedAt = Date.now();
const measurements = await withWorkspace('scale', async (workspace) => {
  const bundle = await bundlePrpilotWorkflows(workspace);
  const done: Measurement[] = [];
  const measure = async (setting: (typeof settings)[number], n: number, sameService = false) => {
    const result = await measureOnce(workspace, bundle.codePath, setting, n, sameService);
    done.push(result);
    console.log(`${setting.key}, N=${n}${sameService ? ' (one service)' : ''}: ${result.completed}/${n} in ${result.seconds} s, `
      + `${result.prsPerSecond} PRs/s, worker peak RSS ${result.workerPeakRssMiB} MiB, worker CPU ${result.workerCpuSeconds} s`);
  };
  for (const n of sizes) await measure(productionSetting, n);
  for (const setting of settings.slice(1)) await measure(setting, compareAt);
  if (sameServiceN > 0) await measure(productionSetting, sameServiceN, true);
  return done;
});

async function measureOnce(workspace: Workspace, bundlePath: string, setting: (typeof settings)[number], n: number, sameService: boolean): Promise<Measurement> {
  const server = await benchDevServer(workspace);
  const workerInput: ScaleWorkerInput = { address: server.address, taskQueue: TASK_QUEUE, bundlePath, home: workspace.root, options: setting.options };
  const worker = spawnTsx(SCALE_WORKER, [JSON.stringify(workerInput)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stopWorker = workspace.onCleanup(async () => { await stopChild(worker); });
  try {
    await waitForOutput(worker, (output) => output.includes('"event":"ready"'), 120_000, 'the scale worker');
    worker.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker] ${chunk.toString()}`));
    return await runPullRequests(server, worker, setting.key, n, sameService);
  } finally {
    await stopWorker();
    await server.stop();
  }
}

async function runPullRequests(server: BenchServer, worker: ChildProcess, setting: string, n: number, sameService: boolean): Promise<Measurement> {
  const prefix = `scale-${setting}-${n}-${sameService ? 'one' : 'many'}-${process.pid}`;
  const latencies: number[] = [];
  let deployed = 0;
  const t0 = performance.now();
  const waits: Promise<void>[] = [];
  for (let next = 0; next < n;) {
    const batch = Array.from({ length: Math.min(START_CONCURRENCY, n - next) }, (_, offset) => next + offset);
    next += batch.length;
    await Promise.all(batch.map(async (index) => {
      const service = sameService ? `${prefix}-svc` : `${prefix}-svc-${index}`;
      const startedMs = performance.now();
      const handle = await startPipeline(server.client, TASK_QUEUE, benchPrInput(service), `${prefix}-pr-${index}`);
      waits.push(handle.result().then((result) => {
        latencies.push(performance.now() - startedMs);
        if (result.outcome === 'deployed') deployed += 1;
        else console.error(`${handle.workflowId}: ${result.outcome}: ${result.reason}`);
      }, (error: unknown) => console.error(`${handle.workflowId}: ${String(error)}`)));
    }));
  }
  const startedAllSeconds = (performance.now() - t0) / 1000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, deadlineSeconds * 1000); });
  await Promise.race([Promise.all(waits), deadline]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (latencies.length < n) console.error(`${setting}, N=${n}: only ${latencies.length} of ${n} finished within ${deadlineSeconds} s`);
  console.log(`  (all ${n} started after ${round(startedAllSeconds, 1)} s)`);
  const workerPid = worker.pid ?? 0;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    setting, n, sameService,
    completed: latencies.length,
    deployed,
    seconds: round(seconds, 1),
    prsPerSecond: round(latencies.length / seconds, 2),
    latencyP50Seconds: round(median(sorted) / 1000, 1),
    latencyP95Seconds: round((sorted[Math.ceil(sorted.length * 0.95) - 1] ?? Number.NaN) / 1000, 1),
    workerPeakRssMiB: round(memoryOf(workerPid).peakRssBytes / MiB, 0),
    workerCpuSeconds: round(cpuSecondsOf(workerPid), 1),
    serverPeakRssMiB: round(memoryOf(server.pid).peakRssBytes / MiB, 0),
    serverCpuSeconds: round(cpuSecondsOf(server.pid), 1),
  };
}

const columns: [string, (m: Measurement) => string | number][] = [
  ['setting', (m) => m.setting], ['PRs', (m) => `${m.n}${m.sameService ? ' (one service)' : ''}`], ['completed', (m) => m.completed],
  ['deployed', (m) => m.deployed], ['seconds', (m) => m.seconds], ['PRs/s', (m) => m.prsPerSecond],
  ['latency p50 s', (m) => m.latencyP50Seconds], ['p95 s', (m) => m.latencyP95Seconds],
  ['worker peak RSS MiB', (m) => m.workerPeakRssMiB], ['worker CPU s', (m) => m.workerCpuSeconds],
  ['server peak RSS MiB', (m) => m.serverPeakRssMiB], ['server CPU s', (m) => m.serverCpuSeconds],
];
console.log(`\n## Scale: concurrent PRs on one worker (${settings.map((s) => `${s.key} = ${JSON.stringify(s.options)}`).join('; ')})\n`);
printTable(columns.map(([title]) => title), measurements.map((m) => columns.map(([, pick]) => pick(m))));

const production = measurements.filter((m) => m.setting === productionSetting.key && !m.sameService);
const smallest = production.find((m) => m.n === Math.min(...sizes));
const largest = production.find((m) => m.n === Math.max(...sizes));
if (!smallest || !largest) throw new Error('the production setting was not measured at every N');
const growth = largest.seconds / smallest.seconds;
const linear = largest.n / smallest.n;
const atCompare = measurements.filter((m) => m.n === compareAt && !m.sameService && m.completed === m.n);
const fastest = [...atCompare].sort((a, b) => a.seconds - b.seconds)[0];
console.log(`\ntime(${largest.n}) ÷ time(${smallest.n}) = ${round(growth, 2)} (linear: ${linear})`);
if (fastest) console.log(`fastest at N=${compareAt}: ${fastest.setting} (${fastest.seconds} s, worker peak RSS ${fastest.workerPeakRssMiB} MiB)`);

const figures: Record<string, number> = {};
const baseline: Record<string, number> = {};
for (const m of measurements) {
  const key = m.sameService ? `oneService_${m.n}` : m.setting === productionSetting.key ? `n${m.n}` : `${m.setting}_n${m.n}`;
  figures[`${key}_seconds`] = m.seconds;
  figures[`${key}_prsPerSecond`] = m.prsPerSecond;
  figures[`${key}_workerPeakRssMiB`] = m.workerPeakRssMiB;
  figures[`${key}_completed`] = m.completed;
}
figures.growth = round(growth, 2);
baseline[`n${largest.n}_seconds_if_linear`] = round(smallest.seconds * linear, 1);
baseline.growth_if_linear = linear;
const met = largest.completed === largest.n && largest.deployed === largest.n && largest.workerPeakRssMiB * MiB <= RSS_TARGET_BYTES;
console.log(`\nTook ${Math.round((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'scale',
  figures,
  baseline,
  ratio: round(growth / linear, 3),
  target: `${largest.n} concurrent PRs on one worker all complete, worker peak RSS ≤ 1 GiB (production worker options)`,
  met,
  notes: `one dev server and one worker process per measurement on this ${cpus().length}-core machine; fast fake activities (answer at once), real decision sealing and deploy lock; `
    + `each PR its own service (no lock contention) except oneService_* (every canary waits its turn on one lock); ratio: time(${largest.n}) ÷ (${linear} × time(${smallest.n})), below 1 is sublinear; `
    + `settings over createPrpilotWorker's: ${settings.map((s) => `${s.key} ${JSON.stringify(s.options)}`).join(', ')}; fastest at N=${compareAt}: ${fastest?.setting ?? 'none completed'}; deadline ${deadlineSeconds} s per measurement`,
});

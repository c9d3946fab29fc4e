/**
 * Orchestration overhead: what prpilot's workflow adds on top of the work its activities do.
 *
 * A clean PR (offline-agent-like fakes: each agent or deploy step sleeps 50-200 ms, the canary one
 * 3-second step whose watch returns after 3 s; decision sealing and the deploy lock are the real ones)
 * runs through the real prToProduction workflow on a real dev server (not time-skipping), on prpilot's
 * own worker in this process. For each run:
 *
 *   wall      = client start → result
 *   activity  = Σ each activity's own duration (inside the worker, start to answer; local ones too)
 *               + the PR workflow's own timers, if it started any (counted as activity-like waiting)
 *   bare      = wall time of bench/lib/bareWorkflow.ts running the same activities, in the same order,
 *               each sleeping the duration it took in that PR run, on the same server and worker process
 *
 * Targets: wall ÷ activity ≤ 1.10 and wall ÷ bare ≤ 1.20 (medians over the runs, after one warm-up).
 *
 *   node --import tsx bench/overhead.ts [--runs 5] [--canary-seconds 3]
 */
import { Worker } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FAST_TARGET_DELAYS, benchActivities, timedActivities, type ActivityTiming } from './lib/fakeActivities.js';
import { benchPrInput, benchWorker, keepRunning, shortCanary, startPipeline } from './lib/pipeline.js';
import { median, printTable, round, writeResult } from './lib/result.js';
import { benchDevServer, bundlePrpilotWorkflows, bundleToFile, type BenchServer } from './lib/temporal.js';
import { numberFlag, withWorkspace } from './lib/workspace.js';
import type { BareStep } from './lib/bareWorkflow.js';

const runs = numberFlag('runs', 5);
const canarySeconds = numberFlag('canary-seconds', 3);
const PR_QUEUE = 'bench-overhead';
const BARE_QUEUE = 'bench-overhead-bare';
const SERVICE = 'bench-overhead-svc';
const BARE_WORKFLOW = fileURLToPath(new URL('./lib/bareWorkflow.ts', import.meta.url));

interface Run {
  wallMs: number;
  activityMs: number;
  timerMs: number;
  timers: number;
  bareWallMs: number;
  /** the bare workflow with every sleep 0: Temporal's own cost per activity on this server */
  floorWallMs: number;
  /** the same, its remote activities only, and its local activities only */
  floorRemoteWallMs: number;
  floorLocalWallMs: number;
  remote: number;
  local: number;
  /** workflow tasks of the PR run and of the bare one (same durations), from their histories */
  tasks: WorkflowTasks;
  bareTasks: WorkflowTasks;
  /** the gaps between activities (and before the first / after the last) */
  gaps: { after: string; before: string; ms: number }[];
}

const startedAt = Date.now();
const measured = await withWorkspace('overhead', async (workspace) => {
  const server = await benchDevServer(workspace);
  const [prBundle, bareBundle] = [await bundlePrpilotWorkflows(workspace), await bundleToFile(workspace, BARE_WORKFLOW, 'bare-workflow.js')];
  const timings: ActivityTiming[] = [];
  const prWorker = await benchWorker({
    connection: server.nativeConnection, taskQueue: PR_QUEUE, home: workspace.root, workflowBundleCode: prBundle.code,
    activities: benchActivities({ delays: FAST_TARGET_DELAYS, watchMs: canarySeconds * 1000 }),
    wrap: (activities) => timedActivities(activities, (timing) => timings.push(timing)),
  });
  const bareWorker = await Worker.create({
    connection: server.nativeConnection, taskQueue: BARE_QUEUE, workflowBundle: { code: bareBundle.code },
    activities: { async bareStep(sleepMs: number) { if (sleepMs > 0) await sleep(sleepMs); } },
  });
  keepRunning(workspace, prWorker);
  keepRunning(workspace, bareWorker);

  const all: Run[] = [];
  for (let index = 0; index <= runs; index++) {
    const run = await measureOnce(server, timings, index);
    if (index === 0) {
      console.log(`warm-up: ${round(run.wallMs / 1000, 2)} s (not counted; it also starts the service's deploy lock workflow)`);
      continue;
    }
    all.push(run);
    console.log(`run ${index}: PR ${round(run.wallMs)} ms, its activities ${round(run.activityMs)} ms, bare ${round(run.bareWallMs)} ms, bare with no-op activities ${round(run.floorWallMs)} ms`);
  }
  return all;
});

async function measureOnce(server: BenchServer, timings: ActivityTiming[], index: number): Promise<Run> {
  const workflowId = `bench-overhead-${process.pid}-${index}`;
  const input = benchPrInput(SERVICE, { canary: shortCanary(canarySeconds) });
  const t0 = performance.now();
  const handle = await startPipeline(server.client, PR_QUEUE, input, workflowId);
  const result = await handle.result();
  const t1 = performance.now();
  if (result.outcome !== 'deployed') throw new Error(`${workflowId} ended ${result.outcome}: ${result.reason}`);
  const own = timings.filter((timing) => timing.workflowId === workflowId).sort((a, b) => a.startMs - b.startMs);
  const history = await handle.fetchHistory();
  const { timers, timerMs } = timersOf(history);
  const steps: BareStep[] = own.map((timing) => ({ activity: timing.activity, local: timing.local, sleepMs: Math.round(timing.endMs - timing.startMs) }));
  const bare = await runBare(server, steps, `${workflowId}-bare`);
  const bareWallMs = bare.wallMs;
  const noOps = steps.map((step) => ({ ...step, sleepMs: 0 }));
  const floorWallMs = (await runBare(server, noOps, `${workflowId}-floor`)).wallMs;
  const floorRemoteWallMs = (await runBare(server, noOps.filter((step) => !step.local), `${workflowId}-floor-remote`)).wallMs;
  const floorLocalWallMs = (await runBare(server, noOps.filter((step) => step.local), `${workflowId}-floor-local`)).wallMs;
  const gaps: Run['gaps'] = [];
  let previousEnd = t0;
  let previous = '(start at the client)';
  for (const timing of own) {
    gaps.push({ after: previous, before: timing.activity, ms: Math.max(0, timing.startMs - previousEnd) });
    previousEnd = Math.max(previousEnd, timing.endMs);
    previous = timing.activity;
  }
  gaps.push({ after: previous, before: '(result at the client)', ms: t1 - previousEnd });
  return {
    wallMs: t1 - t0,
    activityMs: own.reduce((sum, timing) => sum + (timing.endMs - timing.startMs), 0),
    timerMs,
    timers,
    bareWallMs,
    floorWallMs,
    floorRemoteWallMs,
    floorLocalWallMs,
    tasks: workflowTasksOf(history),
    bareTasks: bare.tasks,
    remote: own.filter((timing) => !timing.local).length,
    local: own.filter((timing) => timing.local).length,
    gaps,
  };
}

async function runBare(server: BenchServer, steps: BareStep[], workflowId: string): Promise<{ wallMs: number; tasks: WorkflowTasks }> {
  const t0 = performance.now();
  const handle = await server.client.workflow.start('bareWorkflow', { taskQueue: BARE_QUEUE, workflowId, args: [steps] });
  await handle.result();
  const wallMs = performance.now() - t0;
  return { wallMs, tasks: workflowTasksOf(await handle.fetchHistory()) };
}

type History = Awaited<ReturnType<Awaited<ReturnType<typeof startPipeline>>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

function eventMs(event: HistoryEvent | undefined): number {
  return Number(event?.eventTime?.seconds ?? 0) * 1000 + Number(event?.eventTime?.nanos ?? 0) / 1e6;
}

interface WorkflowTasks {
  count: number;
  /** scheduled → started: waiting for a worker to poll it */
  waitingMs: number;
  /** started → completed: the worker running workflow code (and local activities) */
  runningMs: number;
  firstRunningMs: number;
}

/** Where a run's workflow tasks spent their time, from the server's event times. */
function workflowTasksOf(history: History): WorkflowTasks {
  const byId = new Map((history.events ?? []).map((event) => [Number(event.eventId), event]));
  const tasks = { count: 0, waitingMs: 0, runningMs: 0, firstRunningMs: 0 };
  for (const event of history.events ?? []) {
    const completed = event.workflowTaskCompletedEventAttributes;
    if (!completed) continue;
    const started = byId.get(Number(completed.startedEventId));
    const scheduled = byId.get(Number(completed.scheduledEventId));
    const running = eventMs(event) - eventMs(started);
    if (tasks.count === 0) tasks.firstRunningMs = running;
    tasks.count += 1;
    tasks.runningMs += running;
    tasks.waitingMs += eventMs(started) - eventMs(scheduled);
  }
  return tasks;
}

/** The PR workflow's own timers and how long the fired ones waited (event time started → fired). */
function timersOf(history: History): { timers: number; timerMs: number } {
  const started = new Map<string, number>();
  let timers = 0;
  let timerMs = 0;
  for (const event of history.events ?? []) {
    const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Number(event.eventTime?.nanos ?? 0) / 1e6;
    if (event.timerStartedEventAttributes?.timerId) {
      timers += 1;
      started.set(event.timerStartedEventAttributes.timerId, at);
    }
    const fired = event.timerFiredEventAttributes?.timerId;
    if (fired && started.has(fired)) timerMs += at - (started.get(fired) ?? at);
  }
  return { timers, timerMs };
}

const med = (pick: (run: Run) => number) => median(measured.map(pick));
const ratioToActivities = med((run) => run.wallMs / (run.activityMs + run.timerMs));
const ratioToBare = med((run) => run.wallMs / run.bareWallMs);
const first = measured[0];
if (!first) throw new Error('no run measured');

console.log(`\n## Orchestration overhead (median of ${runs} runs; ${first.remote} activities + ${first.local} local activities per PR; ${first.timers} timer(s))\n`);
printTable(['measure', 'median', 'per run'], [
  ['PR wall time (start → result), ms', round(med((run) => run.wallMs)), measured.map((run) => Math.round(run.wallMs)).join(', ')],
  ['Σ its activities\' own durations (+ timers), ms', round(med((run) => run.activityMs + run.timerMs)), measured.map((run) => Math.round(run.activityMs + run.timerMs)).join(', ')],
  ['bare workflow, same activities and durations, ms', round(med((run) => run.bareWallMs)), measured.map((run) => Math.round(run.bareWallMs)).join(', ')],
  ['bare workflow, same activities as no-ops, ms', round(med((run) => run.floorWallMs)), measured.map((run) => Math.round(run.floorWallMs)).join(', ')],
  [`  its ${first.remote} remote no-ops only, ms`, round(med((run) => run.floorRemoteWallMs)), measured.map((run) => Math.round(run.floorRemoteWallMs)).join(', ')],
  [`  its ${first.local} local no-ops only, ms`, round(med((run) => run.floorLocalWallMs)), measured.map((run) => Math.round(run.floorLocalWallMs)).join(', ')],
  ['PR workflow tasks: count, ms running (first), ms waiting', `${first.tasks.count}, ${round(med((run) => run.tasks.runningMs))} (${round(med((run) => run.tasks.firstRunningMs))}), ${round(med((run) => run.tasks.waitingMs))}`, ''],
  ['bare workflow tasks: the same', `${first.bareTasks.count}, ${round(med((run) => run.bareTasks.runningMs))} (${round(med((run) => run.bareTasks.firstRunningMs))}), ${round(med((run) => run.bareTasks.waitingMs))}`, ''],
  ['PR overhead (wall − activities), ms', round(med((run) => run.wallMs - run.activityMs - run.timerMs)), ''],
  ['bare overhead (bare wall − activities), ms', round(med((run) => run.bareWallMs - run.activityMs - run.timerMs)), ''],
  ['wall ÷ activities (target ≤ 1.10)', round(ratioToActivities, 3), measured.map((run) => round(run.wallMs / (run.activityMs + run.timerMs), 3)).join(', ')],
  ['wall ÷ bare (target ≤ 1.20)', round(ratioToBare, 3), measured.map((run) => round(run.wallMs / run.bareWallMs, 3)).join(', ')],
]);

// Where the PR's overhead goes: the median gap before each activity, largest first.
const gapRows = first.gaps.map((gap, position) => ({ ...gap, position, ms: median(measured.map((run) => run.gaps[position]?.ms ?? Number.NaN)) }))
  .sort((a, b) => b.ms - a.ms).slice(0, 8);
console.log('\nLargest gaps between activities (median ms from one activity\'s answer to the next one starting):\n');
printTable(['#', 'after', 'before', 'ms'], gapRows.map((gap) => [gap.position, gap.after, gap.before, round(gap.ms, 1)]));

const met = ratioToActivities <= 1.10 && ratioToBare <= 1.20;
console.log(`\nTook ${Math.round((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'overhead',
  figures: {
    prWallSeconds: round(med((run) => run.wallMs) / 1000, 3),
    wallOverActivities: round(ratioToActivities, 3),
    wallOverBare: round(ratioToBare, 3),
    prOverheadMs: round(med((run) => run.wallMs - run.activityMs - run.timerMs), 0),
    bareOverheadMs: round(med((run) => run.bareWallMs - run.activityMs - run.timerMs), 0),
    temporalFloorMsPerActivity: round(med((run) => run.floorWallMs / (run.remote + run.local)), 1),
    temporalFloorMsPerRemoteActivity: round(med((run) => run.floorRemoteWallMs / run.remote), 1),
    temporalFloorMsPerLocalActivity: round(med((run) => run.floorLocalWallMs / Math.max(1, run.local)), 1),
    bareOverActivities: round(med((run) => run.bareWallMs / (run.activityMs + run.timerMs)), 3),
    activities: first.remote,
    localActivities: first.local,
    timers: first.timers,
  },
  baseline: {
    activitySumSeconds: round(med((run) => run.activityMs + run.timerMs) / 1000, 3),
    bareWallSeconds: round(med((run) => run.bareWallMs) / 1000, 3),
  },
  ratio: round(ratioToBare, 3),
  target: 'wall ÷ Σ activity durations ≤ 1.10 and wall ÷ bare workflow (same activities, same durations) ≤ 1.20',
  met,
  notes: `median of ${runs} runs after a warm-up, real dev server (not time-skipping), prpilot's worker in-process with its production options; `
    + `fake activities sleep 50-200 ms, the canary one ${canarySeconds}-s step (watch returns after ${canarySeconds} s); decision sealing (local activities) and the deploy lock are real; `
    + `the PR workflow starts ${first.timers} timer(s) (timers would count as activity time); ratio: wall ÷ bare; `
    + 'bare = bench/lib/bareWorkflow.ts running the same activity sequence with each step sleeping its measured duration; '
    + 'temporalFloorMsPerActivity: the bare workflow with no-op activities, per activity (also for its remote and its local ones alone); '
    + 'bareOverActivities: what the bare workflow itself scores against the first target',
});

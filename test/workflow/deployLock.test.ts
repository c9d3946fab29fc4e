/**
 * The deploy lock on the time-skipping server: the real lock workflow, real activities with a real
 * Client, and a test holder workflow (test/workflow/lockHolders.ts) that records when it acquired and
 * released, in workflow time. Waiting 60 s liveness checks or a 10-minute idle timeout takes milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure, type Workflow, type WorkflowResultType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { deployLockActivities } from '../../activities/lock/index.js';
import {
  DEPLOY_LOCK_WORKFLOW_TYPE, acquireDeployLockSignal, deployLockStateQuery, deployLockWorkflowId, type DeployLockState,
} from '../../workflows/deployLockMessages.js';
import type { deployLock, DeployLockInput, DeployLockSummary } from '../../workflows/deployLock.js';
import { holderTimelineQuery, lockTestHolder, type HolderEvent, type LockTestHolderInput } from './lockHolders.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

const HOLDERS_PATH = fileURLToPath(new URL('./lockHolders.ts', import.meta.url));

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
before(async () => {
  env = await timeSkippingEnv();
  bundle = await bundleWorkflowCode({ workflowsPath: HOLDERS_PATH });
});
after(async () => { await env?.teardown(); });

/**
 * If the time-skipping server stops skipping time (see HOLD_SECONDS for the one cause found), every later
 * test times out and the process, its worker and holders still open, never ends, which stalls the whole
 * run. It ends here instead, failed, well after the suite's own 10-minute timeout (a pass takes seconds).
 */
const WATCHDOG_MS = 12 * 60_000;
setTimeout(() => {
  console.error(`deployLock.test.ts: still running after ${WATCHDOG_MS / 60_000} minutes; exiting`);
  process.exit(1);
}, WATCHDOG_MS).unref();

/**
 * How long holders hold the lock: never a whole number of the lock's 60 s liveness interval. A release
 * that lands in the same instant as a liveness timer makes the lock cancel a timer that fired during its
 * workflow task; the real server accepts that, but the time-skipping test server refuses the completion
 * and leaves the task started forever, and time stops (temporalio/sdk-java#3088, fix proposed in #3060).
 */
const HOLD_SECONDS = { short: 30, medium: 90, long: 150, longest: 570, never: 3630 } as const;

type Holder = WorkflowHandle<typeof lockTestHolder>;

interface LockTest {
  service: string;
  taskQueue: string;
  holder(name: string, input: Partial<LockTestHolderInput> & { holdSeconds: number }): Promise<Holder>;
  lockState(): Promise<DeployLockState>;
  /** Polls the lock's state query until predicate holds. */
  untilLock(predicate: (state: DeployLockState) => boolean): Promise<DeployLockState>;
}

let counter = 0;
/**
 * One worker (task queue) and one service per test. Every workflow it started is closed before the
 * worker stops: the locks by letting them go idle and complete, anything else by a settled terminate.
 */
async function lockTest<T>(body: (t: LockTest) => Promise<T>): Promise<T> {
  const n = ++counter;
  const taskQueue = `deploy-lock-test-${n}`;
  const service = `svc-${n}`;
  const worker = await Worker.create({
    connection: env.nativeConnection, taskQueue, workflowBundle: bundle,
    activities: deployLockActivities({ client: env.client, taskQueue }),
  });
  const holders: Holder[] = [];
  const services = new Set([service]);
  const lockHandle = (of = service) => env.client.workflow.getHandle<typeof deployLock>(deployLockWorkflowId(of));
  const lockState = () => lockHandle().query(deployLockStateQuery);
  const t: LockTest = {
    service,
    taskQueue,
    async holder(name, input) {
      services.add(input.service ?? service);
      const handle = await env.client.workflow.start(lockTestHolder, {
        taskQueue, workflowId: `${service}-${name}`, args: [{ service, ...input }],
      });
      holders.push(handle);
      return handle;
    },
    lockState,
    async untilLock(predicate) {
      let last: unknown = null;
      for (let i = 0; i < 400; i++) {
        try {
          const state = await lockState();
          if (predicate(state)) return state;
          last = state;
        } catch (error) {
          last = error; // the lock may not have run its first task yet
        }
        await sleep(50);
      }
      throw new Error(`lock state not reached; last: ${JSON.stringify(last)}`);
    },
  };
  return worker.runUntil(async () => {
    try {
      return await body(t);
    } catch (error) {
      console.error(`lock state: ${JSON.stringify(await lockState().catch(String))}`);
      console.error(`lock history ends: ${await historyTail(lockHandle())}`);
      for (const handle of holders) {
        const status = await handle.describe().then((d) => d.status.name, String);
        console.error(`${handle.workflowId} ${status}: ${JSON.stringify(await handle.query(holderTimelineQuery).catch(String))}`);
        console.error(`${handle.workflowId} history ends: ${await historyTail(handle)}`);
      }
      throw error;
    } finally {
      for (const handle of holders) await closeRun(handle);
      for (const of of services) {
        const lock = lockHandle(of);
        const running = await lock.describe().then((d) => d.status.name === 'RUNNING', () => false);
        if (running) await finished(lock).catch(() => closeRun(lock));
      }
    }
  });
}

/**
 * Terminates a run if it is still open, once no workflow task of it is in flight: the time-skipping
 * server loses track of its time lock when a run is terminated mid-task, and stops skipping time for
 * every later test.
 */
async function closeRun(handle: WorkflowHandle): Promise<void> {
  const open = await handle.describe().then((d) => d.status.name === 'RUNNING', () => false);
  if (!open) return;
  await settled(handle);
  await handle.terminate('test over').catch(() => undefined);
}

const { EventType } = proto.temporal.api.enums.v1;
async function settled(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const last = (await handle.fetchHistory()).events?.at(-1)?.eventType;
    if (last !== EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && last !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) return;
    await sleep(25);
  }
}

/** The last events of a run's history, by type: where a stalled exchange of signals stopped. */
async function historyTail(handle: WorkflowHandle, count = 8): Promise<string> {
  try {
    const events = (await handle.fetchHistory()).events ?? [];
    return events.slice(-count).map((e) => `${e.eventId} ${EventType[e.eventType ?? 0]}`).join(', ');
  } catch (error) {
    return String(error);
  }
}

/** The run's result; a run that does not end within a minute of real time (time skips) fails the test. */
async function finished<W extends Workflow>(handle: WorkflowHandle<W>): Promise<WorkflowResultType<W>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${handle.workflowId} did not finish`)), 60_000);
  });
  try {
    return await Promise.race([handle.result(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const at = (timeline: HolderEvent[], event: HolderEvent['event']): number => {
  const found = timeline.find((e) => e.event === event);
  assert.ok(found, `no ${event} event in ${JSON.stringify(timeline)}`);
  return found.at;
};
const has = (timeline: HolderEvent[], event: HolderEvent['event']) => timeline.some((e) => e.event === event);

async function untilTimeline(holder: Holder, predicate: (timeline: HolderEvent[]) => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (predicate(await holder.query(holderTimelineQuery))) return;
    await sleep(50);
  }
  throw new Error(`${holder.workflowId}: timeline condition not reached`);
}

/** Each timeline acquired only after the previous one was done with the lock. */
function assertSerial(timelines: HolderEvent[][]): void {
  for (let i = 1; i < timelines.length; i++) {
    const previous = timelines[i - 1];
    const current = timelines[i];
    assert.ok(previous && current);
    assert.ok(at(current, 'acquired') >= at(previous, 'releasing'), `holder ${i + 1} acquired before holder ${i} released`);
  }
}

const holderIs = (holder: Holder) => (state: DeployLockState) => state.holder?.workflowId === holder.workflowId;
const queueIs = (...waiters: Holder[]) => (state: DeployLockState) =>
  JSON.stringify(state.queue.map((e) => e.workflowId)) === JSON.stringify(waiters.map((w) => w.workflowId));

describe('deployLock on the time-skipping server', { timeout: 600_000 }, () => {
  it('makes a second holder wait until the first releases', () => lockTest(async (t) => {
    const first = await t.holder('first', { holdSeconds: HOLD_SECONDS.long });
    await t.untilLock(holderIs(first));
    const second = await t.holder('second', { holdSeconds: HOLD_SECONDS.short });
    await t.untilLock((s) => holderIs(first)(s) && queueIs(second)(s));

    const [secondTimeline, firstTimeline] = [await finished(second), await finished(first)];
    assert.equal(has(firstTimeline, 'waiting'), false, 'the first got the free lock at once');
    assert.deepEqual(secondTimeline.find((e) => e.event === 'waiting'), { event: 'waiting', at: at(secondTimeline, 'waiting'), position: 1 });
    assertSerial([firstTimeline, secondTimeline]);
    assert.ok(at(secondTimeline, 'acquired') - at(firstTimeline, 'acquired') >= HOLD_SECONDS.long * 1000, 'held for its whole time');
    assert.deepEqual(await t.lockState(), { holder: null, queue: [] });
  }));

  it('grants three holders in the order they asked', () => lockTest(async (t) => {
    const first = await t.holder('first', { holdSeconds: HOLD_SECONDS.medium });
    await t.untilLock(holderIs(first));
    const second = await t.holder('second', { holdSeconds: HOLD_SECONDS.medium });
    await t.untilLock(queueIs(second));
    const third = await t.holder('third', { holdSeconds: HOLD_SECONDS.medium });
    await t.untilLock(queueIs(second, third));

    const timelines = [await finished(first), await finished(second), await finished(third)];
    assertSerial(timelines);
    assert.deepEqual(timelines.map((tl) => tl.find((e) => e.event === 'waiting')?.position), [undefined, 1, 2]);
  }));

  it('does not make holders of different services wait for each other', () => lockTest(async (t) => {
    const other = `${t.service}-other`;
    const slow = await t.holder('slow', { holdSeconds: HOLD_SECONDS.longest });
    await t.untilLock(holderIs(slow));
    const elsewhere = await t.holder('elsewhere', { service: other, holdSeconds: HOLD_SECONDS.medium });
    const elsewhereTimeline = await finished(elsewhere);
    const slowTimeline = await finished(slow);
    assert.equal(has(elsewhereTimeline, 'waiting'), false);
    assert.ok(at(elsewhereTimeline, 'acquired') < at(slowTimeline, 'releasing'), 'both held their lock at the same time');
  }));

  it('takes the lock from a terminated holder at the next liveness check', () => lockTest(async (t) => {
    const crashed = await t.holder('crashed', { holdSeconds: HOLD_SECONDS.never });
    await t.untilLock(holderIs(crashed));
    const next = await t.holder('next', { holdSeconds: HOLD_SECONDS.short });
    await t.untilLock(queueIs(next));
    const crashedAcquired = at(await crashed.query(holderTimelineQuery), 'acquired');
    await settled(crashed);
    await crashed.terminate('simulated crash while holding the lock');

    const nextTimeline = await finished(next);
    const waited = at(nextTimeline, 'acquired') - crashedAcquired;
    assert.ok(waited < HOLD_SECONDS.never * 1000, `granted long before the crashed holder would have released (after ${waited} ms)`);
    assert.deepEqual(await t.lockState(), { holder: null, queue: [] });
  }));

  it('takes the lock from a holder that completed without releasing', () => lockTest(async (t) => {
    const forgetful = await t.holder('forgetful', { holdSeconds: HOLD_SECONDS.short, release: false });
    await t.untilLock(holderIs(forgetful));
    const next = await t.holder('next', { holdSeconds: HOLD_SECONDS.short });
    await t.untilLock(queueIs(next));

    const nextTimeline = await finished(next);
    const forgetfulTimeline = await finished(forgetful);
    assert.equal(has(forgetfulTimeline, 'releasing'), false);
    const holdEnded = at(forgetfulTimeline, 'acquired') + HOLD_SECONDS.short * 1000;
    const waited = at(nextTimeline, 'acquired') - holdEnded;
    assert.ok(waited >= 0 && waited <= 2 * 60_000, `granted within a liveness interval or two of the holder ending (${waited} ms)`);
  }));
});

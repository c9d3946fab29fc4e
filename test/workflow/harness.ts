/** Running the real workflow on the time-skipping server with fake activities (see fakes.ts). */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { deployLockActivities } from '../../activities/lock/index.js';
import type { Activities } from '../../activities/index.js';
import { statusQuery, type PipelineStatus } from '../../workflows/messages.js';
import { workflowBundle } from '../helpers/temporal.js';

/**
 * Deploy locks (real lock workflows, never faked) run on a queue of their own with one worker for the
 * whole test file: a lock outlives the test that started it, and a lock left on the queue of a test
 * whose worker has stopped would stop the server from skipping time.
 */
const LOCK_QUEUE = 'test-deploy-locks';
let lockWorker: { worker: Worker; running: Promise<void> } | null = null;

async function ensureLockWorker(env: TestWorkflowEnvironment): Promise<void> {
  if (lockWorker) return;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: LOCK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: deployLockActivities({ client: env.client, taskQueue: LOCK_QUEUE }),
  });
  lockWorker = { worker, running: worker.run() };
}

/** Call in `after`, before tearing the environment down. */
export async function stopLockWorker(): Promise<void> {
  if (!lockWorker) return;
  lockWorker.worker.shutdown();
  await lockWorker.running;
  lockWorker = null;
}

/** A worker for one test's task queue: the given activities, plus the deploy lock's request activity. */
export async function testWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: Activities): Promise<Worker> {
  await ensureLockWorker(env);
  const lock = deployLockActivities({ client: env.client, taskQueue: LOCK_QUEUE });
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      ...lock,
      requestDeployLock: (input: Parameters<typeof lock.requestDeployLock>[0]) => lock.requestDeployLock({ ...input, taskQueue: LOCK_QUEUE }),
    },
  });
}

/** Polls the status query until `predicate` holds (a few seconds of real time at most). */
export async function until(handle: WorkflowHandle, predicate: (status: PipelineStatus) => boolean): Promise<PipelineStatus> {
  for (let i = 0; i < 400; i++) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    await sleep(50);
  }
  throw new Error(`condition not reached; last status ${JSON.stringify(await handle.query(statusQuery))}`);
}


/** Starting PR workflows and running prpilot's own worker (its production options) for the benches. */
import { Client, WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import path from 'node:path';
import type { ActivityDeps } from '../../activities/deps.js';
import type { Activities } from '../../activities/index.js';
import { deployLockActivities } from '../../activities/lock/index.js';
import { homePaths } from '../../config/paths.js';
import { prInput } from '../../test/workflow/fakes.js';
import { createDeps, createPrpilotWorker } from '../../workers/worker.js';
import type { PrInput } from '../../workflows/input.js';
import { WORKFLOW_TYPE, searchAttributes } from '../../workflows/messages.js';
import type { prToProduction } from '../../workflows/prToProduction.js';
import type { Workspace } from './workspace.js';

/** A short canary: one step of `seconds`, judged every second. */
export const shortCanary = (seconds: number) => ({ percent: 5, durationSeconds: seconds, intervalSeconds: 1 });

/**
 * A clean PR of `service` (the workflow tests' input: fake repo and shas, offline-agent-like results).
 * Each service has its own deploy lock, so PRs of different services never wait for each other.
 */
export function benchPrInput(service: string, config: Record<string, unknown> = {}): PrInput {
  return prInput({ config: { service: { name: service, start: ['node', 'server.js'] }, canary: shortCanary(1), ...config } });
}

/** Starts the PR's workflow as `prpilot start` does (same type, search attributes), without its duplicate check. */
export function startPipeline(client: Client, taskQueue: string, input: PrInput, workflowId: string): Promise<WorkflowHandle<typeof prToProduction>> {
  return client.workflow.start<typeof prToProduction>(WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    typedSearchAttributes: [
      { key: searchAttributes.repo, value: `local/${input.repo.name}` },
      ...(input.prNumber ? [{ key: searchAttributes.number, value: input.prNumber }] : []),
      { key: searchAttributes.author, value: input.author },
      { key: searchAttributes.stage, value: 'review' },
      { key: searchAttributes.awaitingApproval, value: false },
    ],
  });
}

/**
 * prpilot's worker (createPrpilotWorker: its production options) with the given activities in place of
 * the real ones, the real deploy lock activities, a bundle built once, and `options` under test.
 */
export async function benchWorker(input: {
  connection: NativeConnection;
  taskQueue: string;
  home: string;
  workflowBundleCode: string;
  activities: Partial<Activities>;
  options?: Partial<WorkerOptions>;
  /** Defaults to createDeps under `home` (offline agents). */
  deps?: ActivityDeps;
  /** Applied to every activity, the deploy lock's included (e.g. timedActivities). */
  wrap?: <T extends object>(activities: T) => T;
}): Promise<Worker> {
  const client = new Client({ connection: input.connection });
  const wrap = input.wrap ?? (<T extends object>(activities: T) => activities);
  const deps = input.deps ?? await benchDeps(input.home);
  return createPrpilotWorker({
    connection: input.connection,
    namespace: 'default',
    taskQueue: input.taskQueue,
    deps,
    dataConverter: undefined,
    overrides: {
      workflowsPath: undefined,
      workflowBundle: { code: input.workflowBundleCode },
      activities: wrap({ ...input.activities, ...deployLockActivities({ client, taskQueue: input.taskQueue }) }),
      ...input.options,
    },
  });
}

/** The real dependencies (artifact store, offline agents, notifier log) under the bench's own home. */
export function benchDeps(home: string): Promise<ActivityDeps> {
  return createDeps(homePaths(path.join(home, 'prpilot-home')));
}

/** Runs the worker until the workspace is cleaned up (then shuts it down and waits for it). */
export function keepRunning(workspace: Workspace, worker: Worker): void {
  const running = worker.run().catch((error: unknown) => {
    console.error(`bench worker on ${worker.options.taskQueue} stopped: ${String(error)}`);
  });
  workspace.onCleanup(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
}

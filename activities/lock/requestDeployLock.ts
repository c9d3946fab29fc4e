import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import {
  DEPLOY_LOCK_WORKFLOW_TYPE, acquireDeployLockSignal, deployLockStateQuery, deployLockWorkflowId, serviceNameSchema,
  type AcquireDeployLock,
} from '../../workflows/deployLockMessages.js';
import type { DeployLockInput } from '../../workflows/deployLock.js';
import type { LockTemporal } from './temporal.js';

export const requestDeployLockInputSchema = z.object({
  service: serviceNameSchema,
  holderWorkflowId: z.string().min(1),
  holderRunId: z.string().min(1),
  requestId: z.string().min(1).optional(),
  /** The lock runs on the holder's task queue; defaults to the worker's. */
  taskQueue: z.string().min(1).optional(),
});
export type RequestDeployLockInput = z.input<typeof requestDeployLockInputSchema>;

export interface RequestDeployLockResult {
  lockWorkflowId: string;
  /** The lock run the request was signalled to. */
  lockRunId: string;
  /** 0: already the holder; n: n-th in the queue; null: the lock did not say in time (best effort). */
  position: number | null;
  /** Who holds the lock as the request was queued, when the lock said (best effort). */
  holder: string | null;
}

const POSITION_QUERY_DEADLINE_MS = 5_000;

/**
 * Queues the holder on the service's lock workflow, starting that workflow if it is not running
 * (workflow code cannot signal-with-start, so this is an activity). Retrying is safe: the lock treats
 * a repeated request from the same workflow as the same place in the queue.
 */
export function requestDeployLockActivity(temporal: LockTemporal) {
  return async function requestDeployLock(raw: RequestDeployLockInput): Promise<RequestDeployLockResult> {
    const parsed = requestDeployLockInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(`invalid deploy lock request: ${parsed.error.message}`, 'InvalidDeployLockRequest');
    }
    const input = parsed.data;
    const lockWorkflowId = deployLockWorkflowId(input.service);
    const request: AcquireDeployLock = { workflowId: input.holderWorkflowId, runId: input.holderRunId, requestId: input.requestId };
    const startArgs: [DeployLockInput] = [{ service: input.service }];
    const handle = await temporal.client.workflow.signalWithStart(DEPLOY_LOCK_WORKFLOW_TYPE, {
      workflowId: lockWorkflowId,
      taskQueue: input.taskQueue ?? temporal.taskQueue,
      args: startArgs,
      signal: acquireDeployLockSignal,
      signalArgs: [request],
    });
    return { lockWorkflowId, lockRunId: handle.signaledRunId, ...await placeOf(temporal, lockWorkflowId, input.holderWorkflowId) };
  };
}

/** Only for the holder's "waiting, n-th in line" message: any trouble answering is not an error. */
async function placeOf(temporal: LockTemporal, lockWorkflowId: string, holderWorkflowId: string): Promise<Pick<RequestDeployLockResult, 'position' | 'holder'>> {
  try {
    const state = await temporal.client.withDeadline(Date.now() + POSITION_QUERY_DEADLINE_MS, () =>
      temporal.client.workflow.getHandle(lockWorkflowId).query(deployLockStateQuery));
    const holder = state.holder?.workflowId ?? null;
    if (holder === holderWorkflowId) return { position: 0, holder };
    const index = state.queue.findIndex((entry) => entry.workflowId === holderWorkflowId);
    return { position: index >= 0 ? index + 1 : null, holder };
  } catch {
    return { position: null, holder: null };
  }
}

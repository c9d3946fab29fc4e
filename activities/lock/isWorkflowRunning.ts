import { WorkflowNotFoundError } from '@temporalio/common';
import type { LockTemporal } from './temporal.js';

export interface WorkflowRunRef {
  workflowId: string;
  runId: string;
}

/**
 * The lock's liveness check on a holder run. "Not found" is an answer (not running); any other error
 * is thrown so Temporal retries it: a lock is never freed because the check itself failed.
 */
export function isWorkflowRunningActivity(temporal: LockTemporal) {
  return async function isWorkflowRunning(run: WorkflowRunRef): Promise<boolean> {
    try {
      const description = await temporal.client.workflow.getHandle(run.workflowId, run.runId).describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };
}

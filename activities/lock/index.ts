import { isWorkflowRunningActivity } from './isWorkflowRunning.js';
import { requestDeployLockActivity } from './requestDeployLock.js';
import type { LockTemporal } from './temporal.js';

export type { LockTemporal } from './temporal.js';
export type { RequestDeployLockInput, RequestDeployLockResult } from './requestDeployLock.js';
export type { WorkflowRunRef } from './isWorkflowRunning.js';

/** The deploy lock's activities (see workflows/deployLock.ts), built on an injected Temporal client. */
export function deployLockActivities(temporal: LockTemporal) {
  return {
    requestDeployLock: requestDeployLockActivity(temporal),
    isWorkflowRunning: isWorkflowRunningActivity(temporal),
  };
}

export type DeployLockActivities = ReturnType<typeof deployLockActivities>;

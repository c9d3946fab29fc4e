/**
 * The deploy lock's public names: one definition each, shared by the lock workflow, the holder side
 * (deployLockClient.ts), the lock activities and operators (`temporal workflow signal`/`query`).
 * Signal payloads are zod schemas: they may be typed by hand, so the lock parses them.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

export const DEPLOY_LOCK_WORKFLOW_TYPE = 'deployLock';

export const serviceNameSchema = z.string().regex(/^[a-z0-9-]+$/, 'a service name of lowercase letters, digits and dashes');

export function deployLockWorkflowId(service: string): string {
  return `deploy-lock-${service}`;
}

/**
 * `requestId` names one acquisition by a holder: the grant echoes it, so a holder can tell the grant it
 * waits for from a late one of an acquisition it already gave up (and hand that one back).
 */
export const acquireDeployLockSchema = z.object({
  workflowId: z.string().min(1),
  runId: z.string().min(1),
  requestId: z.string().min(1).optional(),
});
/** Without `requestId` it releases whatever the workflow holds or waits for (an operator's force-release). */
export const releaseDeployLockSchema = z.object({
  workflowId: z.string().min(1),
  requestId: z.string().min(1).optional(),
});
export const deployLockGrantedSchema = z.object({
  service: z.string(),
  lockRunId: z.string(),
  requestId: z.string().optional(),
});

export type AcquireDeployLock = z.infer<typeof acquireDeployLockSchema>;
export type ReleaseDeployLock = z.infer<typeof releaseDeployLockSchema>;
export type DeployLockGranted = z.infer<typeof deployLockGrantedSchema>;

// Handlers receive `unknown` on purpose: the payload is parsed inside, and a bad one is logged and ignored.
export const acquireDeployLockSignal = defineSignal<[unknown]>('acquireDeployLock');
export const releaseDeployLockSignal = defineSignal<[unknown]>('releaseDeployLock');
export const deployLockGrantedSignal = defineSignal<[unknown]>('deployLockGranted');

export const deployLockStateSchema = z.object({
  holder: z.object({ workflowId: z.string(), since: z.string() }).nullable(),
  queue: z.array(z.object({ workflowId: z.string(), since: z.string() })),
});
export type DeployLockState = z.infer<typeof deployLockStateSchema>;
export const deployLockStateQuery = defineQuery<DeployLockState>('deployLockState');

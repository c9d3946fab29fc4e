/**
 * The holder's side of the deploy lock (workflow code): acquire a service's lock, get a lease, release it.
 *
 *   const lease = await acquireDeployLock(service, deployLockActivitiesProxy());
 *   try { ...canary... } finally { await CancellationScope.nonCancellable(() => lease.release()); }
 */
import {
  ActivityCancellationType, CancellationScope, condition, getExternalWorkflowHandle, isCancellation, log, proxyActivities, setHandler, uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeployLockActivities } from '../activities/lock/index.js';
import {
  deployLockGrantedSchema, deployLockGrantedSignal, deployLockWorkflowId, releaseDeployLockSignal,
  type DeployLockGranted, type ReleaseDeployLock,
} from './deployLockMessages.js';

export interface DeployLockLease {
  readonly service: string;
  /** The lock run that granted it (informational: the lock keeps its id across runs). */
  readonly lockRunId: string;
  /** Gives the lock back. Idempotent; call it in CancellationScope.nonCancellable from a finally. */
  release(): Promise<void>;
}

/**
 * The lock's activities with their timeouts and retries. The request gives up after a few attempts
 * (the caller decides what a missing lock means); the liveness check never gives up, because a check
 * that cannot answer must not free a lock.
 */
export function deployLockActivitiesProxy() {
  // Neither activity is worth a cancel request: a request that lands after a withdrawal comes back as a
  // late grant and is handed back (see grantBook), and a moot check's answer is simply ignored.
  const request = proxyActivities<DeployLockActivities>({
    startToCloseTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.ABANDON,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
  });
  const check = proxyActivities<DeployLockActivities>({
    startToCloseTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.ABANDON,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' }, // no maximumAttempts: unlimited
  });
  return { requestDeployLock: request.requestDeployLock, isWorkflowRunning: check.isWorkflowRunning };
}
export type DeployLockActivityProxies = ReturnType<typeof deployLockActivitiesProxy>;

/**
 * Waits for the service's deploy lock and returns its lease. `onWaiting` is called once if the lock is
 * not granted at once, with the position in the queue (1 = next) and the current holder's workflow id,
 * each when the lock told it.
 * Cancelled (or failing) while waiting, it withdraws the request before rethrowing, so the lock never
 * goes to a workflow that stopped waiting for it.
 */
export async function acquireDeployLock(
  service: string,
  acts: Pick<DeployLockActivityProxies, 'requestDeployLock'>,
  onWaiting?: (position?: number, holder?: string) => void,
): Promise<DeployLockLease> {
  const grants = grantBook();
  const requestId = uuid4();
  grants.waitFor(requestId);
  try {
    const info = workflowInfo();
    const requested = await acts.requestDeployLock({
      service, holderWorkflowId: info.workflowId, holderRunId: info.runId, requestId, taskQueue: info.taskQueue,
    });
    if (!grants.granted(requestId)) {
      const position = requested.position === null || requested.position === 0 ? undefined : requested.position;
      onWaiting?.(position, requested.holder ?? undefined);
    }
    await condition(() => grants.granted(requestId));
  } catch (error) {
    grants.forget(requestId);
    await CancellationScope.nonCancellable(() => sendRelease(service, requestId));
    if (!isCancellation(error)) log.warn(`deploy lock for ${service}: request failed, withdrawn`, { error: String(error) });
    throw error;
  }
  const grant = grants.take(requestId);
  let released = false;
  return {
    service,
    lockRunId: grant.lockRunId,
    async release() {
      if (released) return;
      released = true;
      grants.forget(requestId);
      await sendRelease(service, requestId);
    },
  };
}

/** A lock that is gone (never started, or ended) holds nothing for us: there is nothing to release. */
async function sendRelease(service: string, requestId: string): Promise<void> {
  const release: ReleaseDeployLock = { workflowId: workflowInfo().workflowId, requestId };
  try {
    await getExternalWorkflowHandle(deployLockWorkflowId(service)).signal(releaseDeployLockSignal, release);
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.warn(`deploy lock for ${service}: release not delivered (${String(error)})`);
  }
}

/**
 * This workflow's acquisitions and the grants received for them. Module state is per workflow run
 * (the worker isolates each run's modules), and one signal handler serves every acquisition.
 */
interface GrantBook {
  waitFor(requestId: string): void;
  granted(requestId: string): boolean;
  take(requestId: string): DeployLockGranted;
  forget(requestId: string): void;
}

let book: GrantBook | null = null;

function grantBook(): GrantBook {
  if (book) return book;
  const waiting = new Set<string>();
  const received = new Map<string, DeployLockGranted>();
  const held = new Set<string>();
  setHandler(deployLockGrantedSignal, async (payload: unknown) => {
    const parsed = deployLockGrantedSchema.safeParse(payload);
    if (!parsed.success || !parsed.data.requestId) {
      log.warn(`deployLockGranted ignored: invalid payload ${JSON.stringify(payload)}`);
      return;
    }
    const grant = parsed.data;
    const requestId = grant.requestId;
    if (!requestId) return;
    if (waiting.has(requestId)) {
      received.set(requestId, grant);
    } else if (!held.has(requestId)) {
      // A grant for an acquisition this workflow gave up (its withdrawal crossed the grant): hand it back.
      log.info(`deploy lock for ${grant.service}: late grant for a withdrawn request, releasing it`);
      await CancellationScope.nonCancellable(() => sendRelease(grant.service, requestId));
    }
  });
  book = {
    waitFor: (requestId) => void waiting.add(requestId),
    granted: (requestId) => received.has(requestId),
    take(requestId) {
      const grant = received.get(requestId);
      if (!grant) throw new Error(`deploy lock: no grant received for request ${requestId}`);
      waiting.delete(requestId);
      received.delete(requestId);
      held.add(requestId);
      return grant;
    },
    forget(requestId) {
      waiting.delete(requestId);
      received.delete(requestId);
      held.delete(requestId);
    },
  };
  return book;
}

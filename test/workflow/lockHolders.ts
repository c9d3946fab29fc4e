/**
 * Test-only workflows for test/workflow/deployLock.test.ts: the real lock workflow, and a holder that
 * acquires a service's lock, holds it for a while and records what happened when (in workflow time).
 */
import { CancellationScope, defineQuery, setHandler, sleep } from '@temporalio/workflow';
import { acquireDeployLock, deployLockActivitiesProxy } from '../../workflows/deployLockClient.js';

export { deployLock } from '../../workflows/deployLock.js';

export interface HolderEvent {
  /** `releasing`: done with the lock, about to release it. */
  event: 'requested' | 'waiting' | 'acquired' | 'releasing';
  /** Workflow time, epoch ms. */
  at: number;
  position?: number;
  lockRunId?: string;
}

export interface LockTestHolderInput {
  service: string;
  holdSeconds: number;
  /** false: ends while holding, without releasing (a holder that forgot). */
  release?: boolean;
}

export const holderTimelineQuery = defineQuery<HolderEvent[]>('holderTimeline');

export async function lockTestHolder(input: LockTestHolderInput): Promise<HolderEvent[]> {
  const timeline: HolderEvent[] = [];
  const note = (event: Omit<HolderEvent, 'at'>) => timeline.push({ ...event, at: Date.now() });
  setHandler(holderTimelineQuery, () => timeline);

  note({ event: 'requested' });
  const lease = await acquireDeployLock(input.service, deployLockActivitiesProxy(), (position) => {
    note(position === undefined ? { event: 'waiting' } : { event: 'waiting', position });
  });
  note({ event: 'acquired', lockRunId: lease.lockRunId });
  try {
    await sleep(input.holdSeconds * 1000);
  } finally {
    if (input.release !== false) {
      note({ event: 'releasing' });
      await CancellationScope.nonCancellable(() => lease.release());
    }
  }
  return timeline;
}

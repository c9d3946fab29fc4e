/**
 * `deployLock`: at most one canary per service at a time. One workflow per service, id
 * `deploy-lock-<service>`, started by the first request (signal-with-start, see activities/lock).
 *
 *   requests queue FIFO → the head is granted (signal to the holder) → the holder releases (signal)
 *   → the next is granted. A holder that stops running without releasing loses the lock at the next
 *   liveness check; a waiter that stopped running is skipped when its grant cannot be delivered.
 *
 * Fails closed: a liveness check that cannot answer keeps the lock where it is. The run continues as new
 * with its holder and queue to keep history bounded, and completes after being idle for a while.
 */
import {
  ApplicationFailure, CancellationScope, allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle,
  isCancellation, log, workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import { deployLockActivitiesProxy, type DeployLockActivityProxies } from './deployLockClient.js';
import { deployLockGrantedSignal, serviceNameSchema, type DeployLockGranted } from './deployLockMessages.js';
import { LockBook, lockBookSnapshotSchema, type Entry } from './deployLockBook.js';

export const deployLockInputSchema = z.object({
  service: serviceNameSchema,
  /** How often a holder is checked for still running. */
  livenessCheckSeconds: z.number().int().min(1).default(60),
  /** With no holder and nobody waiting for this long, the run completes (the next request starts a new one). */
  idleSeconds: z.number().int().min(1).default(600),
  /** Grants per run before continuing as new (also done whenever Temporal suggests it). */
  grantsBeforeContinueAsNew: z.number().int().min(1).default(100),
  /** Carried over by continue-as-new. */
  state: lockBookSnapshotSchema.optional(),
});
export type DeployLockInput = z.input<typeof deployLockInputSchema>;
type LockOptions = z.infer<typeof deployLockInputSchema>;

export interface DeployLockSummary {
  service: string;
  /** Grants sent by this run. */
  grants: number;
}

export async function deployLock(rawInput: DeployLockInput): Promise<DeployLockSummary> {
  const parsed = deployLockInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid deploy lock input: ${parsed.error.message}`, 'InvalidInput');
  }
  const options = parsed.data;
  const book = new LockBook(options.service, options.state);
  book.registerHandlers();
  // A cancel request would drop the queue and strand every waiter: the lock ignores it. Operators
  // free a stuck lock with the releaseDeployLock signal instead.
  return CancellationScope.nonCancellable(() => serve(options, book, deployLockActivitiesProxy()));
}

async function serve(options: LockOptions, book: LockBook, acts: DeployLockActivityProxies): Promise<DeployLockSummary> {
  let grants = 0;
  for (;;) {
    if (grants >= options.grantsBeforeContinueAsNew || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      const next: DeployLockInput = { ...options, state: book.snapshot() };
      return continueAsNew<typeof deployLock>(next);
    }
    const holder = book.holder ?? book.grantNext();
    if (holder && !book.holderNotified()) {
      grants += 1;
      await notifyHolder(book, holder, options.service);
    } else if (holder) {
      await watchHolder(book, holder, options.livenessCheckSeconds, acts);
    } else if (!(await condition(() => !book.idle(), options.idleSeconds * 1000))) {
      // A request signalled in the same workflow task as this timeout is already in the book here.
      await condition(allHandlersFinished);
      if (book.idle()) return { service: options.service, grants };
    }
  }
}

/** Sends the grant; a holder that cannot receive it (closed, or never existed) is skipped. */
async function notifyHolder(book: LockBook, holder: Entry, service: string): Promise<void> {
  const notice = book.noticeFor(holder);
  const grant: DeployLockGranted = { service, lockRunId: workflowInfo().runId, requestId: holder.requestId };
  try {
    await getExternalWorkflowHandle(holder.workflowId, holder.runId).signal(deployLockGrantedSignal, grant);
    book.markNotified(holder, notice);
  } catch (error) {
    log.info(`deploy lock ${service}: grant to ${holder.workflowId} not delivered, skipping it`, { error: String(error) });
    book.drop(holder, 'its grant could not be delivered', notice);
  }
}

/**
 * Waits for the holder to release (or to ask again); every interval checks that it still runs. Only a
 * definite "not running" frees the lock: a check that fails keeps it, and is tried again next interval.
 */
async function watchHolder(book: LockBook, holder: Entry, livenessCheckSeconds: number, acts: DeployLockActivityProxies): Promise<void> {
  const changed = () => book.holder !== holder || !book.holderNotified();
  if (await condition(changed, livenessCheckSeconds * 1000)) return;
  const checked = book.noticeFor(holder);
  const scope = new CancellationScope();
  const verdict = await scope.run(() => Promise.race([
    acts.isWorkflowRunning({ workflowId: holder.workflowId, runId: holder.runId }).then(
      (running) => (running ? 'running' as const : 'gone' as const),
      (error: unknown) => {
        if (isCancellation(error)) return 'unknown' as const; // released meanwhile: the check was called off
        log.warn(`deploy lock ${book.service}: could not check ${holder.workflowId}; keeping it as holder`, { error: String(error) });
        return 'unknown' as const;
      },
    ),
    condition(changed).then(() => 'changed' as const),
  ]));
  scope.cancel(); // the loser: a check no longer needed, or a wait no longer needed
  if (verdict === 'gone') book.drop(holder, 'it is no longer running', checked);
}

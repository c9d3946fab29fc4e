/**
 * The deploy lock's state: who holds it, who waits (FIFO), and the signal and query handlers that
 * change and show it. Handlers only edit the book; the lock's loop (deployLock.ts) sends the grants.
 */
import { log, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import {
  acquireDeployLockSchema, acquireDeployLockSignal, deployLockStateQuery, releaseDeployLockSchema,
  releaseDeployLockSignal, type AcquireDeployLock, type DeployLockState, type ReleaseDeployLock,
} from './deployLockMessages.js';

const entrySchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  requestId: z.string().optional(),
  /** ISO time it joined the queue, or (for the holder) was given the lock. */
  since: z.string(),
  /** The request (runId/requestId) the holder was last told it holds the lock for. */
  notified: z.string().nullable().default(null),
});
export type Entry = z.infer<typeof entrySchema>;

export const lockBookSnapshotSchema = z.object({
  holder: entrySchema.nullable(),
  queue: z.array(entrySchema),
});
export type LockBookSnapshot = z.input<typeof lockBookSnapshotSchema>;

/** What a grant answers: a new run of the holder, or a new acquisition by it, must be told again. */
const requestKey = (entry: Entry) => `${entry.runId}/${entry.requestId ?? ''}`;
const now = () => new Date().toISOString();

export class LockBook {
  holder: Entry | null;
  readonly queue: Entry[];

  constructor(readonly service: string, carried?: z.infer<typeof lockBookSnapshotSchema>) {
    this.holder = carried?.holder ?? null;
    this.queue = carried?.queue ?? [];
  }

  registerHandlers(): void {
    setHandler(acquireDeployLockSignal, (payload: unknown) => {
      const parsed = acquireDeployLockSchema.safeParse(payload);
      if (parsed.success) this.request(parsed.data);
      else log.warn(`acquireDeployLock ignored: invalid payload ${JSON.stringify(payload)}`);
    });
    setHandler(releaseDeployLockSignal, (payload: unknown) => {
      const parsed = releaseDeployLockSchema.safeParse(payload);
      if (parsed.success) this.release(parsed.data);
      else log.warn(`releaseDeployLock ignored: invalid payload ${JSON.stringify(payload)}`);
    });
    setHandler(deployLockStateQuery, () => this.state());
    this.showDetails();
  }

  /**
   * Joins the queue. A workflow already holding or waiting keeps its place (a retried request, or its
   * next run: only one run of a workflow id runs at a time); the newest run and request id count.
   */
  request(request: AcquireDeployLock): void {
    const known = this.holder?.workflowId === request.workflowId
      ? this.holder
      : this.queue.find((entry) => entry.workflowId === request.workflowId);
    if (known) {
      known.runId = request.runId;
      known.requestId = request.requestId ?? known.requestId;
    } else {
      this.queue.push({ ...request, since: now(), notified: null });
    }
    this.showDetails();
  }

  /** Releases the lock if the workflow holds it, or withdraws its request. A stale request id changes nothing. */
  release(release: ReleaseDeployLock): void {
    const matches = (entry: Entry) =>
      entry.workflowId === release.workflowId && (release.requestId === undefined || release.requestId === entry.requestId);
    if (this.holder && matches(this.holder)) {
      log.info(`deploy lock ${this.service}: released by ${this.holder.workflowId}`);
      this.holder = null;
    } else {
      const index = this.queue.findIndex(matches);
      if (index >= 0) this.queue.splice(index, 1);
    }
    this.showDetails();
  }

  /** Gives the lock to the next in line (not yet told: see holderNotified). */
  grantNext(): Entry | null {
    const next = this.queue.shift();
    if (!next) return null;
    this.holder = { ...next, since: now(), notified: null };
    this.showDetails();
    return this.holder;
  }

  holderNotified(): boolean {
    return this.holder !== null && this.holder.notified === requestKey(this.holder);
  }

  /** The request a grant about to be sent answers (pass it back to markNotified/drop). */
  noticeFor(holder: Entry): string {
    return requestKey(holder);
  }

  markNotified(holder: Entry, notice: string): void {
    if (this.holder === holder) holder.notified = notice;
  }

  /** Takes the lock from a holder that cannot have it, unless it asked again meanwhile (a new run or request). */
  drop(holder: Entry, why: string, notice = requestKey(holder)): void {
    if (this.holder !== holder || requestKey(holder) !== notice) return;
    log.warn(`deploy lock ${this.service}: ${holder.workflowId} loses the lock: ${why}`);
    this.holder = null;
    this.showDetails();
  }

  idle(): boolean {
    return this.holder === null && this.queue.length === 0;
  }

  state(): DeployLockState {
    return {
      holder: this.holder ? { workflowId: this.holder.workflowId, since: this.holder.since } : null,
      queue: this.queue.map((entry) => ({ workflowId: entry.workflowId, since: entry.since })),
    };
  }

  snapshot(): LockBookSnapshot {
    return { holder: this.holder, queue: this.queue };
  }

  private showDetails(): void {
    const holder = this.holder ? `held by **${this.holder.workflowId}** since ${this.holder.since}` : 'free';
    const queue = this.queue.length
      ? this.queue.map((entry, index) => `${index + 1}. ${entry.workflowId} (since ${entry.since})`).join('\n')
      : 'nobody waiting';
    setCurrentDetails(`Deploy lock for **${this.service}**: ${holder}\n\n${queue}`);
  }
}

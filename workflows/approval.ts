/** The escalation wait: an approval, a rejection or the timeout, with reminders on a timer. */
import { condition, isCancellation, log } from '@temporalio/workflow';
import type { ApprovalRequest } from './messages.js';
import type { Verdict } from './handlers.js';
import type { PipelineRun } from './run.js';

export type ApprovalEnding =
  | { kind: 'approved'; by: string; reason?: string }
  | { kind: 'rejected'; by: string; reason?: string }
  | { kind: 'expired' };

/** Holds the verdict of the current approval request; the first valid one wins. */
export class ApprovalBox {
  verdict: Verdict | null = null;
  offer(verdict: Verdict): void {
    this.verdict ??= verdict;
  }
}

export async function awaitApproval(run: PipelineRun, box: ApprovalBox, request: ApprovalRequest): Promise<ApprovalEnding> {
  const { timeoutSeconds, reminderSeconds } = run.input.config.approval;
  box.verdict = null;
  run.status.approvalRequest = request;
  run.setStage('awaiting_approval', `awaiting approval: ${request.reasons.join('; ')}`);
  await notifyQuietly(run, {
    event: 'approval_requested',
    workflowId: run.workflowId,
    title: `Approval needed: ${run.input.title}`,
    text: `${request.reasons.join('\n')}\nApprove: ${request.approveCommand}\nAudit: ${request.auditCommand}`,
  });
  const deadline = Date.now() + timeoutSeconds * 1000;
  let nextReminder = Date.now() + reminderSeconds * 1000;
  try {
    for (;;) {
      const wakeAt = Math.min(deadline, nextReminder);
      const woke = await condition(() => box.verdict !== null || run.unrecorded.length > 0, Math.max(1, wakeAt - Date.now()));
      await run.recordApprovalAttempts();
      if (box.verdict) {
        const { kind, by, reason } = box.verdict;
        return { kind: kind === 'approve' ? 'approved' : 'rejected', by, reason };
      }
      if (woke) continue;
      if (Date.now() >= deadline) return { kind: 'expired' };
      nextReminder += reminderSeconds * 1000;
      log.info(`approval still pending for ${run.workflowId}; expires at ${new Date(deadline).toISOString()}`);
      await notifyQuietly(run, {
        event: 'approval_reminder',
        workflowId: run.workflowId,
        title: `Reminder: approval pending for ${run.input.title}`,
        text: `Pending since ${request.requestedAt}; expires ${request.expiresAt}.\nApprove: ${request.approveCommand}`,
      });
    }
  } finally {
    run.status.awaitingApproval = false;
  }
}

/** A notifier outage must not end a pending approval: the request stays visible in status and the UI. */
async function notifyQuietly(run: PipelineRun, notification: Parameters<PipelineRun['acts']['notify']>[0]): Promise<void> {
  await run.acts.notify(notification).catch((error: unknown) => {
    if (isCancellation(error)) throw error;
    log.warn(`notification ${notification.event} failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}

/** Signal and query handlers: parse untrusted payloads, rule on them, never throw. */
import { CancellationScope, setHandler, workflowInfo, log } from '@temporalio/workflow';
import {
  approveSignal, approveSignalSchema, pauseSignal, pauseSignalSchema, rejectSignal, rejectSignalSchema,
  resumeSignal, resumeSignalSchema, revisionPushedSignal, revisionPushedSignalSchema, statusQuery,
  type ApprovalAttempt,
} from './messages.js';
import { ruleOnApproval } from './policy/approvals.js';
import type { PipelineRun } from './run.js';

/** Stages after which a new revision can no longer stop this run: the change is already going out. */
const TOO_LATE_FOR_REVISION = new Set(['promoting', 'done']);

export interface Verdict {
  kind: 'approve' | 'reject';
  by: string;
  reason?: string;
}

export function registerHandlers(
  run: PipelineRun,
  verdicts: { offer: (verdict: Verdict) => void; current: () => Verdict | null },
  currentAttempt: () => CancellationScope | null,
): void {
  setHandler(statusQuery, () => run.status);

  const onApproval = (kind: 'approve' | 'reject') => (payload: unknown) => {
    const parsed = (kind === 'approve' ? approveSignalSchema : rejectSignalSchema).safeParse(payload);
    const at = new Date().toISOString();
    let attempt: ApprovalAttempt;
    if (!parsed.success) {
      const by = typeof (payload as { by?: unknown } | null)?.by === 'string' ? String((payload as { by: string }).by) : '';
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`).join('; ');
      attempt = { kind, by, accepted: false, why: `invalid ${kind} payload (${problems})`, at };
    } else {
      const ruling = ruleOnApproval(kind, parsed.data.by, {
        author: run.input.author,
        approvers: run.input.config.approval.approvers,
        awaitingApproval: run.status.awaitingApproval,
        stage: run.status.stage,
        decided: describeVerdict(verdicts.current()),
        currentHead: run.headSha,
        forHead: parsed.data.headSha,
      });
      attempt = { kind, ...parsed.data, accepted: ruling.accepted, why: ruling.why, at };
      if (ruling.accepted) verdicts.offer({ kind, by: parsed.data.by, reason: parsed.data.reason });
    }
    run.status.approvals.push(attempt);
    run.unrecorded.push(attempt);
    log.info(`${kind} signal from ${attempt.by || '(nobody)'}: ${attempt.accepted ? 'accepted' : 'ignored'}: ${attempt.why}`);
  };
  setHandler(approveSignal, onApproval('approve'));
  setHandler(rejectSignal, onApproval('reject'));

  setHandler(revisionPushedSignal, (payload: unknown) => {
    const parsed = revisionPushedSignalSchema.safeParse(payload);
    if (!parsed.success) {
      log.warn(`revisionPushed ignored: invalid payload ${JSON.stringify(payload)}`);
      return;
    }
    if (TOO_LATE_FOR_REVISION.has(run.status.stage) || run.status.outcome) {
      log.warn(`revisionPushed ${parsed.data.headSha} ignored: the run is already ${run.status.stage}`);
      return;
    }
    if (parsed.data.headSha === run.headSha && run.pendingHead === null) {
      log.info(`revisionPushed ${parsed.data.headSha} ignored: already the head being processed`);
      return;
    }
    run.pendingHead = parsed.data.headSha;
    currentAttempt()?.cancel();
  });

  setHandler(pauseSignal, (payload: unknown) => {
    const parsed = pauseSignalSchema.safeParse(payload);
    if (!parsed.success) return void log.warn(`pause ignored: invalid payload ${JSON.stringify(payload)}`);
    run.paused = true;
    run.status.paused = true;
    run.unrecordedControls.push({ kind: 'pause', by: parsed.data.by, reason: parsed.data.reason, at: new Date().toISOString() });
    log.info(`paused by ${parsed.data.by} in ${workflowInfo().workflowId}`);
  });
  setHandler(resumeSignal, (payload: unknown) => {
    const parsed = resumeSignalSchema.safeParse(payload);
    if (!parsed.success) return void log.warn(`resume ignored: invalid payload ${JSON.stringify(payload)}`);
    run.paused = false;
    run.status.paused = false;
    run.unrecordedControls.push({ kind: 'resume', by: parsed.data.by, at: new Date().toISOString() });
    log.info(`resumed by ${parsed.data.by}`);
  });
}

function describeVerdict(verdict: Verdict | null): string | null {
  return verdict ? `${verdict.kind === 'approve' ? 'approved' : 'rejected'} by ${verdict.by}` : null;
}

/**
 * One pull request, from review to production:
 *   review → tests → staging → validation → deployment risk → (human approval if any gate fired) → canary
 * A pushed revision restarts the pipeline from review with the new head; nothing stale is deployed.
 */
import { CancellationScope, isCancellation, ApplicationFailure } from '@temporalio/workflow';
import { prInputSchema, type PrInput, type PrResult } from './input.js';
import { PipelineRun } from './run.js';
import { registerHandlers } from './handlers.js';
import { ApprovalBox, awaitApproval } from './approval.js';
import { runCanary, errorMessage } from './canary.js';
import { computeGates } from './policy/gates.js';
import {
  deploymentRiskStage, reviewStage, stagingStage, testsStage, validationStage, type AgentFailure,
} from './stages.js';
import type { Outcome } from './messages.js';
import { approvalRequestFor } from './approvalRequest.js';

interface Ending {
  outcome: Outcome;
  reason: string;
  approvedBy?: string;
  incidentReportSha256?: string | null;
}

export async function prToProduction(rawInput: PrInput): Promise<PrResult> {
  const parsed = prInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid workflow input: ${parsed.error.message}`, 'InvalidInput');
  }
  const run = new PipelineRun(parsed.data);
  const approvals = new ApprovalBox();
  let attemptScope: CancellationScope | null = null;
  registerHandlers(run, (verdict) => approvals.offer(verdict), () => attemptScope);

  for (;;) {
    attemptScope = new CancellationScope();
    const ending = await attemptScope.run(() => pipeline(run, approvals)).catch((error: unknown) => {
      if (isCancellation(error) && run.pendingHead) return null;
      if (isCancellation(error)) throw error;
      return { outcome: 'failed' as const, reason: `pipeline failed: ${errorMessage(error)}` };
    });
    if (ending) return finish(run, ending);
    await restartWithRevision(run);
  }
}

async function pipeline(run: PipelineRun, approvals: ApprovalBox): Promise<Ending> {
  const failures: AgentFailure[] = [];
  const { change, review } = await reviewStage(run, failures);
  const { gates: codeGates } = computeGates({
    riskScore: review?.riskScore ?? change.heuristic.score, riskThreshold: run.input.config.review.riskThreshold,
    findings: change.findings, review, agentFailures: failures, agentUncertain: [],
  });
  run.setRisk(review?.riskScore ?? change.heuristic.score, codeGates);

  const tests = await testsStage(run, failures, change, review);
  if (tests && tests.ran && !tests.passed) return { outcome: 'failed', reason: `tests failed: ${tests.summary}` };

  const staging = await stagingStage(run, failures);
  if (staging && !staging.smokePassed) return { outcome: 'failed', reason: `staging smoke tests failed: ${staging.summary}` };
  const validation = await validationStage(run, failures, staging);
  const deploymentRisk = await deploymentRiskStage(run, failures, { review, tests, validation, change });

  const riskScore = review?.riskScore ?? change.heuristic.score;
  const decision = computeGates({
    riskScore, riskThreshold: run.input.config.review.riskThreshold, findings: change.findings, review,
    agentFailures: failures, agentUncertain: [], deploymentRisk: deploymentRisk?.level ?? null,
  });
  run.setRisk(riskScore, decision.gates);
  await run.record({
    policy: {
      stage: 'gates',
      decision: decision.gates.length ? `human approval required (${decision.gates.join(', ')})` : 'no gate fired: proceed to canary',
      rationale: decision.reasons.join('\n') || 'every gate checked and none fired',
      gates: decision.gates,
      details: { riskScore, threshold: run.input.config.review.riskThreshold, deploymentRisk: deploymentRisk?.level ?? null, findings: change.findings },
      input: { change: change.findings, riskScore, failures, deploymentRisk },
    },
  });

  let approvedBy: string | undefined;
  if (decision.gates.length > 0) {
    const request = approvalRequestFor(run, decision, riskScore, review?.rationale ?? change.heuristic.factors.map((factor) => factor.why).join('; '));
    const answer = await awaitApproval(run, approvals, request);
    if (answer.kind === 'expired') return { outcome: 'expired', reason: `no approval within ${run.input.config.approval.timeoutSeconds}s` };
    if (answer.kind === 'rejected') return { outcome: 'rejected', reason: `rejected by ${answer.by}: ${answer.reason ?? ''}`.trim() };
    approvedBy = answer.by;
  }

  const canary = await runCanary(run, staging?.measured ?? null);
  if (canary.kind === 'rolled_back') return { outcome: 'rolled_back', reason: canary.reason, incidentReportSha256: canary.incidentReportSha256, approvedBy };
  return { outcome: canary.kind, reason: canary.reason, approvedBy };
}

async function restartWithRevision(run: PipelineRun): Promise<void> {
  const previous = run.headSha;
  run.headSha = run.pendingHead!;
  run.pendingHead = null;
  run.attempt += 1;
  run.status.headSha = run.headSha;
  run.status.attempt = run.attempt;
  run.status.gates = [];
  run.status.approvalRequest = undefined;
  delete run.status.riskScore;
  await run.recordApprovalAttempts();
  await run.record({
    policy: {
      stage: 'review',
      decision: 'revision pushed: restarting from review',
      rationale: `head moved from ${previous.slice(0, 12)} to ${run.headSha.slice(0, 12)}; work on the old head was cancelled and nothing of it deploys`,
      gates: [],
      details: { previousHead: previous, newHead: run.headSha, attempt: run.attempt },
      input: { previous, next: run.headSha },
    },
  });
}

async function finish(run: PipelineRun, ending: Ending): Promise<PrResult> {
  run.status.outcome = ending.outcome;
  run.status.outcomeReason = ending.reason;
  run.setStage('done', `${ending.outcome}: ${ending.reason}`);
  await CancellationScope.nonCancellable(async () => {
    await run.recordApprovalAttempts();
    await run.record({
      policy: { stage: 'done', decision: `outcome: ${ending.outcome}`, rationale: ending.reason, gates: run.status.gates, details: { approvedBy: ending.approvedBy ?? null }, input: ending },
    });
    await run.acts.notify({
      event: ending.outcome === 'deployed' ? 'deployed' : ending.outcome,
      workflowId: run.workflowId,
      title: `${run.input.title}: ${ending.outcome}`,
      text: ending.reason,
    }).catch(() => undefined);
  });
  return {
    outcome: ending.outcome,
    reason: ending.reason,
    headSha: run.headSha,
    riskScore: run.status.riskScore ?? null,
    gates: run.status.gates,
    approvedBy: ending.approvedBy ?? null,
    decisions: run.status.decisions,
    lastDecisionHash: run.lastDecisionHash,
    tokens: run.tokenTotals,
    incidentReportSha256: ending.incidentReportSha256 ?? null,
  };
}

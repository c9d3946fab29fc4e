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
import { runCanary } from './canary.js';
import { errorMessage } from './errors.js';
import { computeGates } from './policy/gates.js';
import {
  deploymentRiskStage, reviewStage, stagingStage, testsStage, validationStage, type AgentTrouble,
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
  registerHandlers(run, { offer: (verdict) => approvals.offer(verdict), current: () => approvals.verdict }, () => attemptScope);

  for (;;) {
    // A revision can arrive when no attempt is running (before the first, or as one ends): it still counts.
    if (run.pendingHead) {
      approvals.verdict = null; // a verdict was about the old head
      await restartWithRevision(run);
    }
    attemptScope = new CancellationScope();
    const ending = await attemptScope.run(() => pipeline(run, approvals)).catch(async (error: unknown) => {
      if (isCancellation(error) && run.pendingHead) return null;
      if (isCancellation(error)) {
        await run.settled(); // a cancelled run still hands its lock back (settling cannot be cancelled)
        throw error;
      }
      return { outcome: 'failed' as const, reason: `pipeline failed: ${errorMessage(error)}` };
    });
    if (ending && !(run.pendingHead && ending.outcome !== 'deployed')) return finish(run, ending);
  }
}

async function pipeline(run: PipelineRun, approvals: ApprovalBox): Promise<Ending> {
  const trouble: AgentTrouble = { failures: [], uncertain: [] };
  const { change, review } = await reviewStage(run, trouble);
  const riskScore = effectiveRisk(run, change.heuristic.score, review?.riskScore);
  const { gates: codeGates } = computeGates({
    riskScore: codeRisk(run, change.heuristic.score, review?.riskScore), riskThreshold: run.input.config.review.riskThreshold,
    findings: change.findings, review, agentFailures: trouble.failures, agentUncertain: trouble.uncertain,
  });
  run.setRisk(riskScore, codeGates);

  const tests = await testsStage(run, trouble, change, review);
  if (tests && tests.ran && !tests.passed) return { outcome: 'failed', reason: `tests failed: ${tests.summary}` };

  const staging = await stagingStage(run, trouble);
  if (staging && !staging.smokePassed) return { outcome: 'failed', reason: `staging smoke tests failed: ${staging.summary}` };
  const validation = await validationStage(run, trouble, staging);
  const deploymentRisk = await deploymentRiskStage(run, trouble, { review, tests, validation, change });

  const decision = computeGates({
    riskScore: codeRisk(run, change.heuristic.score, review?.riskScore), riskThreshold: run.input.config.review.riskThreshold, findings: change.findings, review,
    agentFailures: trouble.failures, agentUncertain: trouble.uncertain, deploymentRisk: deploymentRisk?.level ?? null,
  });
  run.setRisk(riskScore, decision.gates);
  await run.record({
    policy: {
      stage: 'gates',
      decision: decision.gates.length ? `human approval required (${decision.gates.join(', ')})` : 'no gate fired: proceed to canary',
      rationale: decision.reasons.join('\n') || 'every gate checked and none fired',
      gates: decision.gates,
      details: { riskScore, threshold: run.input.config.review.riskThreshold, deploymentRisk: deploymentRisk?.level ?? null, findings: change.findings },
      input: { change: change.findings, riskScore, failures: trouble.failures, deploymentRisk },
    },
  });

  let approvedBy: string | undefined;
  const rationale = review?.rationale ?? change.heuristic.factors.map((factor) => factor.why).join('; ');
  const request = decision.gates.length > 0 ? approvalRequestFor(run, decision, riskScore, rationale) : null;
  run.github.reviewed({
    kind: 'review', riskScore, gates: decision.gates, reasons: decision.reasons, rationale,
    approvers: run.input.config.approval.approvers, author: run.input.author, expiresAt: request?.expiresAt,
  }, request ? `risk ${riskScore}/10: human approval required (${decision.gates.join(', ')})` : `risk ${riskScore}/10: no gate fired`);
  if (request) {
    const answer = await awaitApproval(run, approvals, request);
    if (answer.kind === 'expired') return { outcome: 'expired', reason: `no approval within ${run.input.config.approval.timeoutSeconds}s` };
    if (answer.kind === 'rejected') return { outcome: 'rejected', reason: `rejected by ${answer.by}: ${answer.reason ?? ''}`.trim() };
    approvedBy = answer.by;
  }

  const canary = await runCanary(run, staging?.measured ?? null);
  if (canary.kind === 'rolled_back') return { outcome: 'rolled_back', reason: canary.reason, incidentReportSha256: canary.incidentReportSha256, approvedBy };
  return { outcome: canary.kind, reason: canary.reason, approvedBy };
}

/**
 * The code's risk score goes to the gates as is, and the model's separately: computeGates takes the
 * higher, so a model cannot talk the risk below what the code measured. Runs started before this rule
 * passed the model's score in place of the code's; they keep doing so on replay.
 */
function codeRisk(run: PipelineRun, heuristic: number, model: number | undefined): number {
  return run.version.riskFloor() ? heuristic : model ?? heuristic;
}

function effectiveRisk(run: PipelineRun, heuristic: number, model: number | undefined): number {
  return run.version.riskFloor() ? Math.max(heuristic, model ?? heuristic) : model ?? heuristic;
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
    run.github.finished(ending.outcome, ending.reason);
    await run.github.flush();
    await run.settled();
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

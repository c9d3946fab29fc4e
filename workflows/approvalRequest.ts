import type { ApprovalRequest, Gate } from './messages.js';
import type { PipelineRun } from './run.js';

/** The context package a human needs to decide: what fired, why, and how to answer. */
export function approvalRequestFor(run: PipelineRun, decision: { gates: Gate[]; reasons: string[] }, riskScore: number, rationale: string): ApprovalRequest {
  const { timeoutSeconds, approvers } = run.input.config.approval;
  const now = Date.now();
  return {
    headSha: run.headSha,
    gates: decision.gates,
    riskScore,
    rationale,
    reasons: decision.reasons,
    author: run.input.author,
    approvers,
    requestedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + timeoutSeconds * 1000).toISOString(),
    auditCommand: `prpilot audit ${run.workflowId} --format md`,
    approveCommand: `prpilot approve ${run.workflowId} --by <you> --reason "<why>"`,
  };
}

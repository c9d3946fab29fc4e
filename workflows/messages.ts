/**
 * The workflow's public names: one definition each, shared by the workflow, the worker and the CLI.
 * Payloads are zod schemas because signals arrive from outside (`temporal workflow signal`) untrusted.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { z } from 'zod';

export const WORKFLOW_TYPE = 'prToProduction';
export const DEFAULT_TASK_QUEUE = 'prpilot';

export const stages = [
  'review', 'tests', 'staging', 'validation', 'awaiting_approval', 'waiting_for_lock', 'canary', 'promoting', 'rolling_back', 'done',
] as const;
export const stageSchema = z.enum(stages);
export type Stage = z.infer<typeof stageSchema>;

export const gateNames = [
  'risk_threshold', 'api_breaking', 'schema_change', 'new_integration', 'secret', 'deploy_risk_high',
  'agent_failed', 'agent_uncertain',
] as const;
export const gateSchema = z.enum(gateNames);
export type Gate = z.infer<typeof gateSchema>;

export const outcomes = ['deployed', 'rolled_back', 'rejected', 'expired', 'failed'] as const;
export const outcomeSchema = z.enum(outcomes);
export type Outcome = z.infer<typeof outcomeSchema>;

/** `requestId` is optional: the CLI sets it to find its own approval in the `status` query afterwards. */
/**
 * `headSha` is optional: when given (the CLI always sends the head it showed), the verdict only counts
 * for that head, so an approval read on one revision cannot approve the next.
 */
const fullSha = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit sha');
export const approveSignalSchema = z.object({
  by: z.string().trim().min(1),
  reason: z.string().optional(),
  requestId: z.string().optional(),
  headSha: fullSha.optional(),
});
export const rejectSignalSchema = z.object({
  by: z.string().trim().min(1),
  reason: z.string().trim().min(1),
  requestId: z.string().optional(),
  headSha: fullSha.optional(),
});
export const revisionPushedSignalSchema = z.object({ headSha: fullSha });
export const pauseSignalSchema = z.object({ by: z.string().trim().min(1), reason: z.string().optional() });
export const resumeSignalSchema = z.object({ by: z.string().trim().min(1) });

/** A pause or resume as received, sealed into the audit chain by the canary. */
export interface CanaryControl {
  kind: 'pause' | 'resume';
  by: string;
  reason?: string;
  at: string;
}

export type ApproveSignal = z.infer<typeof approveSignalSchema>;
export type RejectSignal = z.infer<typeof rejectSignalSchema>;
export type RevisionPushedSignal = z.infer<typeof revisionPushedSignalSchema>;

// Signal handlers receive `unknown` on purpose: the payload is parsed inside, and a bad one is recorded.
export const approveSignal = defineSignal<[unknown]>('approve');
export const rejectSignal = defineSignal<[unknown]>('reject');
export const revisionPushedSignal = defineSignal<[unknown]>('revisionPushed');
export const pauseSignal = defineSignal<[unknown]>('pause');
export const resumeSignal = defineSignal<[unknown]>('resume');

/** Every approve/reject received, valid or not, with the verdict the workflow gave it. */
export const approvalAttemptSchema = z.object({
  kind: z.enum(['approve', 'reject']),
  by: z.string(),
  reason: z.string().optional(),
  requestId: z.string().optional(),
  accepted: z.boolean(),
  why: z.string(),
  at: z.string(),
});
export type ApprovalAttempt = z.infer<typeof approvalAttemptSchema>;

export const approvalRequestSchema = z.object({
  /** The head this request is about; a verdict sent for another head does not count. */
  headSha: z.string(),
  gates: z.array(gateSchema),
  riskScore: z.number().int(),
  rationale: z.string(),
  reasons: z.array(z.string()),
  author: z.string(),
  approvers: z.array(z.string()),
  requestedAt: z.string(),
  expiresAt: z.string(),
  auditCommand: z.string(),
  approveCommand: z.string(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

export const tokenUsageSchema = z.object({
  input: z.number().int().min(0),
  output: z.number().int().min(0),
  cacheRead: z.number().int().min(0),
  cacheWrite: z.number().int().min(0),
});
export type TokenUsage = z.infer<typeof tokenUsageSchema>;

export const statusSchema = z.object({
  stage: stageSchema,
  headSha: z.string(),
  attempt: z.number().int(),
  riskScore: z.number().int().optional(),
  gates: z.array(gateSchema),
  awaitingApproval: z.boolean(),
  approvalRequest: approvalRequestSchema.optional(),
  approvals: z.array(approvalAttemptSchema),
  paused: z.boolean(),
  outcome: outcomeSchema.optional(),
  outcomeReason: z.string().optional(),
  tokens: tokenUsageSchema,
  decisions: z.number().int(),
});
export type PipelineStatus = z.infer<typeof statusSchema>;
export const statusQuery = defineQuery<PipelineStatus>('status');

export const searchAttributes = {
  repo: defineSearchAttributeKey('PrRepo', SearchAttributeType.KEYWORD),
  number: defineSearchAttributeKey('PrNumber', SearchAttributeType.INT),
  author: defineSearchAttributeKey('PrAuthor', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('PipelineStage', SearchAttributeType.KEYWORD),
  riskScore: defineSearchAttributeKey('RiskScore', SearchAttributeType.INT),
  awaitingApproval: defineSearchAttributeKey('AwaitingApproval', SearchAttributeType.BOOL),
} as const;

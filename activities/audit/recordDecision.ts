import type { ActivityDeps } from '../deps.js';
import { inputHash } from '../agent.js';
import { hashRecord } from './hash.js';
import {
  decisionDraftSchema, decisionRecordSchema, type DecisionDraft, type SealedDecision,
} from '../../workflows/records.js';

/**
 * A decision the workflow's own code made (gates, approvals, canary verdicts) has no agent prompt:
 * its "prompt" is the policy code, and its input is hashed here because workflow code has no crypto.
 */
export type PolicyDecision = Omit<DecisionDraft, 'agent' | 'agentVersion' | 'model' | 'promptSha256' | 'inputSha256' | 'tokens'> & {
  input: unknown;
};

export interface RecordDecisionInput {
  workflowId: string;
  seq: number;
  prevHash: string;
  draft: DecisionDraft | null;
  policy: PolicyDecision | null;
}

export const POLICY_AGENT = 'prpilot-policy';
export const POLICY_VERSION = '1.0.0';

/** Seals a decision (time, sequence, previous hash) and returns it with its own hash. Runs as a local activity. */
export function recordDecisionActivity(deps: ActivityDeps) {
  return async function recordDecision(input: RecordDecisionInput): Promise<SealedDecision> {
    const draft = decisionDraftSchema.parse(input.draft ?? fromPolicy(input.policy, deps.policySha256));
    const record = decisionRecordSchema.parse({
      ...draft,
      seq: input.seq,
      workflowId: input.workflowId,
      at: deps.now().toISOString(),
      prevHash: input.prevHash,
    });
    return { record, hash: hashRecord(record) };
  };
}

function fromPolicy(policy: PolicyDecision | null, policySha256: string): DecisionDraft {
  if (!policy) throw new Error('recordDecision needs a draft or a policy decision');
  const { input, ...rest } = policy;
  return {
    ...rest,
    agent: POLICY_AGENT,
    agentVersion: POLICY_VERSION,
    model: null,
    promptSha256: policySha256,
    inputSha256: inputHash(input),
    tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  };
}

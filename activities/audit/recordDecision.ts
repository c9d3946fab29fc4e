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

export interface RecordDecisionsInput {
  workflowId: string;
  /** seq of the first; the rest follow in order, each chained to the one before. */
  seq: number;
  prevHash: string;
  policies: PolicyDecision[];
}

/** Seals a decision (time, sequence, previous hash) and returns it with its own hash. Runs as a local activity. */
export function recordDecisionActivity(deps: ActivityDeps) {
  return async function recordDecision(input: RecordDecisionInput): Promise<SealedDecision> {
    return seal(deps, input, decisionDraftSchema.parse(input.draft ?? fromPolicy(input.policy, deps.policySha256)));
  };
}

/**
 * Seals several policy decisions made together (a canary step's verdicts) in one local activity,
 * so they take one history event instead of one each.
 */
export function recordDecisionsActivity(deps: ActivityDeps) {
  return async function recordDecisions(input: RecordDecisionsInput): Promise<SealedDecision[]> {
    const sealed: SealedDecision[] = [];
    let prevHash = input.prevHash;
    for (const [index, policy] of input.policies.entries()) {
      const next = seal(deps, { workflowId: input.workflowId, seq: input.seq + index, prevHash }, decisionDraftSchema.parse(fromPolicy(policy, deps.policySha256)));
      sealed.push(next);
      prevHash = next.hash;
    }
    return sealed;
  };
}

function seal(deps: ActivityDeps, at: { workflowId: string; seq: number; prevHash: string }, draft: DecisionDraft): SealedDecision {
  const record = decisionRecordSchema.parse({
    ...draft,
    seq: at.seq,
    workflowId: at.workflowId,
    at: deps.now().toISOString(),
    prevHash: at.prevHash,
  });
  return { record, hash: hashRecord(record) };
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

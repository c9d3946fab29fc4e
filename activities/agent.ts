import type { TokenUsage } from '../workflows/messages.js';
import { NO_TOKENS, type DecisionDraft } from '../workflows/records.js';
import { sha256Hex } from './artifacts/store.js';
import { canonicalJson } from '../workflows/records.js';

/** Who made a decision: recorded in every decision record (SOC 2: agent, version, model, prompt). */
export interface AgentIdentity {
  agent: string;
  agentVersion: string;
  model: string | null;
  promptSha256: string;
}

export interface AgentRun<T> {
  output: T;
  identity: AgentIdentity;
  tokens: TokenUsage;
}

/**
 * Offline agents have no prompt; their "prompt" is the rule set they apply, so its hash changes
 * whenever the rules do, exactly as a prompt file's would.
 */
export function offlineIdentity(agent: string, agentVersion: string, rules: unknown): AgentIdentity {
  return { agent, agentVersion, model: null, promptSha256: sha256Hex(canonicalJson({ agent, agentVersion, rules })) };
}

export function inputHash(input: unknown): string {
  return sha256Hex(canonicalJson(input));
}

export function draftFrom<T>(
  run: AgentRun<T>,
  fields: { stage: string; decision: string; rationale: string; input: unknown; gates?: DecisionDraft['gates']; details?: Record<string, unknown> },
): DecisionDraft {
  return {
    stage: fields.stage,
    decision: fields.decision,
    rationale: fields.rationale,
    ...run.identity,
    inputSha256: inputHash(fields.input),
    tokens: run.tokens ?? NO_TOKENS,
    gates: fields.gates ?? [],
    details: fields.details ?? {},
  };
}

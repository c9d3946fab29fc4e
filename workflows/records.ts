/**
 * The SOC 2 decision record. The workflow history is the audit trail: each record is sealed by the
 * `recordDecision` local activity (so it lands in history as that activity's result) and chained to
 * the previous one by `prevHash`, which `prpilot audit` verifies.
 */
import { z } from 'zod';
import { gateSchema, tokenUsageSchema } from './messages.js';

export const GENESIS_HASH = '0'.repeat(64);

export const decisionDraftSchema = z.object({
  stage: z.string().min(1),
  decision: z.string().min(1),
  rationale: z.string(),
  agent: z.string().min(1),
  agentVersion: z.string().min(1),
  model: z.string().nullable(),
  promptSha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputSha256: z.string().regex(/^[0-9a-f]{64}$/),
  tokens: tokenUsageSchema,
  gates: z.array(gateSchema).default([]),
  /** Small facts behind the decision (numbers, artifact hashes); never raw diffs or secrets. */
  details: z.record(z.string(), z.unknown()).default({}),
});
export type DecisionDraft = z.input<typeof decisionDraftSchema>;

export const decisionRecordSchema = decisionDraftSchema.extend({
  seq: z.number().int().min(1),
  workflowId: z.string(),
  at: z.string(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type DecisionRecord = z.infer<typeof decisionRecordSchema>;

export const sealedDecisionSchema = z.object({ record: decisionRecordSchema, hash: z.string() });
export type SealedDecision = z.infer<typeof sealedDecisionSchema>;

/** Canonical JSON: keys sorted at every depth, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const NO_TOKENS = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } as const;

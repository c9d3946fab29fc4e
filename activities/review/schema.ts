import { z } from 'zod';
import { gateSchema } from '../../workflows/messages.js';

const location = { file: z.string().optional(), line: z.number().int().min(1).optional() };

/** What every review agent (offline heuristic or Claude) returns; validated wherever it is produced. */
export const reviewOutputSchema = z.object({
  riskScore: z.number().int().min(1).max(10),
  securityIssues: z.array(z.object({
    ...location,
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    description: z.string().min(1),
  })),
  performanceConcerns: z.array(z.object({ ...location, description: z.string().min(1) })),
  coverageGaps: z.array(z.object({ file: z.string(), description: z.string().min(1) })),
  apiBreakingChanges: z.array(z.object({ ...location, description: z.string().min(1) })),
  rationale: z.string().min(1),
  /** `low` means the agent is unsure, which escalates (gate `agent_uncertain`). */
  confidence: z.enum(['high', 'medium', 'low']),
  /** Gates the agent asks for on top of the code's own; it can add reasons, never remove one. */
  suggestedGates: z.array(gateSchema).default([]),
});
export type ReviewOutput = z.infer<typeof reviewOutputSchema>;

import { z } from 'zod';
import { prpilotConfigSchema } from '../config/schema.js';
import { outcomeSchema, gateSchema, tokenUsageSchema } from './messages.js';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit sha');

export const repoRefSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('local'),
    /** Absolute path of the git repository on the worker's machine. */
    path: z.string().min(1),
    /** Its directory name, used in workflow ids. */
    name: z.string().min(1),
  }),
  z.object({
    kind: z.literal('github'),
    /** As GitHub spells them; code, diff and config are read through the API (GITHUB_TOKEN on the worker). */
    owner: z.string().min(1),
    name: z.string().min(1),
    cloneUrl: z.string().optional(),
  }),
]);
export type RepoRef = z.infer<typeof repoRefSchema>;

export const MAX_TITLE_CHARS = 500;
export const MAX_DESCRIPTION_CHARS = 16_384;

export const prInputSchema = z.object({
  repo: repoRefSchema,
  prNumber: z.number().int().positive().nullable(),
  baseRef: z.string().min(1),
  headRef: z.string().min(1),
  baseSha: sha,
  headSha: sha,
  title: z.string().max(MAX_TITLE_CHARS),
  author: z.string().min(1),
  description: z.string().max(MAX_DESCRIPTION_CHARS),
  config: prpilotConfigSchema,
  configSource: z.string(),
});
export type PrInput = z.infer<typeof prInputSchema>;

export const prResultSchema = z.object({
  outcome: outcomeSchema,
  reason: z.string(),
  headSha: z.string(),
  riskScore: z.number().int().nullable(),
  gates: z.array(gateSchema),
  approvedBy: z.string().nullable(),
  decisions: z.number().int(),
  lastDecisionHash: z.string(),
  tokens: tokenUsageSchema,
  incidentReportSha256: z.string().nullable(),
});
export type PrResult = z.infer<typeof prResultSchema>;

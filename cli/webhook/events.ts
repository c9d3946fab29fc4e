/** The webhook payloads prpilot acts on, parsed with zod (only the fields it reads). */
import { z } from 'zod';
import { githubRepositorySchema, pullRequestSchema } from '../../github/schemas.js';

export const pullRequestEventSchema = z.object({
  action: z.string().min(1),
  number: z.number().int().positive(),
  pull_request: pullRequestSchema,
  repository: githubRepositorySchema,
});
export type PullRequestEvent = z.infer<typeof pullRequestEventSchema>;

/** Actions that start the PR's workflow, and the one that pushes a new head to it. */
export const START_ACTIONS: ReadonlySet<string> = new Set(['opened', 'reopened']);
export const PUSH_ACTION = 'synchronize';

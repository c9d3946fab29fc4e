import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { GitHubClientFactory } from '../../github/client.js';
import { repoRefSchema } from '../../workflows/input.js';
import { commentMarker, prCommentSchema, renderComment, upsertComment } from './comment.js';
import { githubFailure, notConfigured } from './failure.js';

export const publishToGitHubInputSchema = z.object({
  repo: repoRefSchema,
  workflowId: z.string().min(1),
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit sha'),
  prNumber: z.number().int().positive().nullable(),
  /** The status context is `prpilot/<stage>`. */
  stage: z.string().regex(/^[a-z][a-z_-]*$/, 'a stage name such as review or canary'),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  description: z.string(),
  /** Where the status links to; the worker's Temporal UI link for the workflow when absent. */
  targetUrl: z.string().url().optional(),
  comment: prCommentSchema.optional(),
});
export type PublishToGitHubInput = z.input<typeof publishToGitHubInputSchema>;

export interface PublishToGitHubResult {
  /** Why nothing was published (a local repo), or null. */
  skipped: string | null;
  status: { context: string; state: string } | null;
  comment: { id: number; action: 'created' | 'updated' | 'unchanged' } | null;
}

/** GitHub's limit on a status description. */
export const MAX_STATUS_DESCRIPTION = 140;

export interface GitHubActivityDeps {
  github: GitHubClientFactory | null;
  /** The Temporal UI page of a workflow, for statuses and comments. */
  workflowUrl?: (workflowId: string) => string;
}

/**
 * Posts the commit status `prpilot/<stage>` of `sha`, and (with `comment`) creates or edits the
 * workflow's PR comment of that kind. Idempotent: a status is a state, and a comment is found again
 * by its marker, so Temporal may retry it freely.
 */
export function publishToGitHubActivity(deps: GitHubActivityDeps) {
  return async function publishToGitHub(rawInput: PublishToGitHubInput): Promise<PublishToGitHubResult> {
    const parsed = publishToGitHubInputSchema.safeParse(rawInput);
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(`publishToGitHub: invalid input: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`, 'InvalidInput');
    }
    const input = parsed.data;
    if (input.repo.kind !== 'github') return { skipped: 'not a GitHub repository', status: null, comment: null };
    if (!deps.github) throw notConfigured(`publishing the ${input.stage} status`);
    const repo = { owner: input.repo.owner, name: input.repo.name };
    const client = deps.github(repo);
    const targetUrl = input.targetUrl ?? deps.workflowUrl?.(input.workflowId);
    const context = `prpilot/${input.stage}`;
    try {
      await client.createStatus(repo, input.sha, { state: input.state, context, description: clip(input.description, MAX_STATUS_DESCRIPTION), targetUrl });
      let comment: PublishToGitHubResult['comment'] = null;
      if (input.comment && input.prNumber !== null) {
        const body = renderComment({ workflowId: input.workflowId, sha: input.sha, targetUrl, comment: input.comment });
        comment = await upsertComment(client, repo, input.prNumber, commentMarker(input.workflowId, input.comment.kind), body);
      }
      return { skipped: null, status: { context, state: input.state }, comment };
    } catch (error) {
      throw githubFailure(error);
    }
  };
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

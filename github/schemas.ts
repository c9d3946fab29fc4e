/**
 * The parts of GitHub's REST responses and webhook payloads prpilot reads, as zod schemas: every answer
 * is parsed here, so a surprise in GitHub's (or a proxy's) output is an error naming the field.
 * Objects are not strict: GitHub sends many more fields than these.
 */
import { z } from 'zod';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit sha');

export const githubUserSchema = z.object({ login: z.string().min(1) });

export const githubRepositorySchema = z.object({
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: githubUserSchema,
  clone_url: z.string().optional(),
});

const branchSchema = z.object({
  ref: z.string().min(1),
  sha,
  /** null when the head's fork was deleted. */
  repo: githubRepositorySchema.nullable(),
});

export const pullRequestSchema = z.object({
  number: z.number().int().positive(),
  state: z.string(),
  title: z.string(),
  body: z.string().nullable().optional(),
  user: githubUserSchema,
  html_url: z.string().optional(),
  base: branchSchema.extend({ repo: githubRepositorySchema }),
  head: branchSchema,
});
export type GitHubPullRequest = z.infer<typeof pullRequestSchema>;

export const fileContentSchema = z.object({
  type: z.literal('file'),
  encoding: z.string(),
  content: z.string(),
});

/** `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1`: every entry of a commit's tree, unless `truncated`. */
export const gitTreeSchema = z.object({
  tree: z.array(z.object({ path: z.string(), mode: z.string(), sha: z.string() })),
  truncated: z.boolean(),
});
export type GitTree = z.infer<typeof gitTreeSchema>;

export const gitBlobSchema = z.object({ content: z.string(), encoding: z.string() });

export const commitStatusSchema = z.object({ id: z.number(), state: z.string(), context: z.string() });

export const issueCommentSchema = z.object({
  id: z.number().int(),
  body: z.string().nullable().optional(),
  user: githubUserSchema.nullable(),
  html_url: z.string().optional(),
});
export type IssueComment = z.infer<typeof issueCommentSchema>;

import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { readEnv, workflowUrl, type PrpilotEnv } from '../config/env.js';
import { ConfigError, loadConfig, type RemoteRepo } from '../config/load.js';
import { createGitHubClient, type GitHubClient } from '../github/client.js';
import { MISSING_TOKEN_HELP } from '../github/fromEnv.js';
import type { PullRequestInfo } from '../github/pullRequest.js';
import { githubWorkflowId, repoSlug } from '../github/repo.js';
import { MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, type PrInput } from '../workflows/input.js';
import { WORKFLOW_TYPE, revisionPushedSignal, searchAttributes, statusQuery } from '../workflows/messages.js';
import { UsageError } from './errors.js';
import { checkGitHubDiff, cliGitHubError, githubRepoArg, localWorkflowId, resolveChange, resolveGitHubPr } from './resolveChange.js';

export interface StartRequest {
  /** A local repository's path, or `owner/name` of a GitHub repository (then --pr is required, base and head come from the PR). */
  repo: string;
  base?: string;
  head?: string;
  prNumber: number | null;
  title?: string;
  author?: string;
  description?: string;
  configPath?: string;
}

/** Everything checked before anything starts: repo, refs, diff, config, lengths. Usage errors name the problem. */
export async function preparePr(request: StartRequest, env: PrpilotEnv = readEnv()): Promise<{ input: PrInput; workflowId: string }> {
  if ((request.title ?? '').length > MAX_TITLE_CHARS) throw new UsageError(`--title is longer than ${MAX_TITLE_CHARS} characters`);
  if ((request.description ?? '').length > MAX_DESCRIPTION_CHARS) {
    throw new UsageError(`--description is longer than ${MAX_DESCRIPTION_CHARS} characters; link to it instead`);
  }
  if (request.author !== undefined && request.author.trim() === '') throw new UsageError('--author must not be empty');
  const github = await githubRepoArg(request.repo);
  if (github) {
    if (request.prNumber === null) throw new UsageError(`--repo ${request.repo} is a GitHub repository: pass --pr N, the pull request to take to production`);
    if (request.author !== undefined) throw new UsageError(`--author: the author of a GitHub pull request is its author on GitHub`);
    const client = githubClientForCli(env, `--repo ${request.repo} is read as the GitHub repository ${repoSlug(github)} (there is no local directory of that name)`);
    const pr = await resolveGitHubPr(client, github, request.prNumber, { base: request.base, head: request.head });
    return prepareGitHubPr(client, pr, { configPath: request.configPath, title: request.title, description: request.description });
  }
  if (!request.base || !request.head) throw new UsageError(`--base and --head are required with a local --repo (${request.repo})`);
  const change = await resolveChange(request.repo, request.base, request.head);
  const { config, source } = await loadConfig({ configPath: request.configPath, repoPath: change.repoPath, baseSha: change.baseSha })
    .catch((error: unknown) => { throw error instanceof ConfigError ? new UsageError(error.message) : error; });
  const input: PrInput = {
    repo: { kind: 'local', path: change.repoPath, name: change.repoName },
    prNumber: request.prNumber,
    baseRef: request.base,
    headRef: request.head,
    baseSha: change.baseSha,
    headSha: change.headSha,
    title: request.title ?? change.headSubject,
    author: (request.author ?? change.headAuthor).trim(),
    description: request.description ?? '',
    config,
    configSource: source,
  };
  return { input, workflowId: localWorkflowId(change.repoName, request.prNumber, change.headSha) };
}

/**
 * A GitHub PR's workflow input: its metadata (from the API or a webhook payload), the diff checked as a
 * local one is, and the config read at the base commit through the API. Shared by `start` and `webhook`.
 */
export async function prepareGitHubPr(
  client: GitHubClient, pr: PullRequestInfo, overrides: { configPath?: string; title?: string; description?: string } = {},
): Promise<{ input: PrInput; workflowId: string }> {
  await checkGitHubDiff(client, pr);
  const remote: RemoteRepo = { label: repoSlug(pr.repo), readFile: (file, ref) => client.getFileText(pr.repo, file, ref) };
  const { config, source } = await loadConfig({ configPath: overrides.configPath, baseSha: pr.baseSha, remote })
    .catch((error: unknown) => { throw error instanceof ConfigError ? new UsageError(error.message) : cliGitHubError(error); });
  const input: PrInput = {
    repo: { kind: 'github', owner: pr.repo.owner, name: pr.repo.name, ...(pr.cloneUrl ? { cloneUrl: pr.cloneUrl } : {}) },
    prNumber: pr.number,
    baseRef: pr.baseRef,
    headRef: pr.headRef,
    baseSha: pr.baseSha,
    headSha: pr.headSha,
    title: clip(overrides.title ?? pr.title, MAX_TITLE_CHARS),
    author: pr.author,
    description: clip(overrides.description ?? pr.body, MAX_DESCRIPTION_CHARS),
    config,
    configSource: source,
  };
  return { input, workflowId: githubWorkflowId(pr.repo, pr.number) };
}

/** A GitHub client for the CLI and the webhook; without GITHUB_TOKEN a usage error naming it. */
export function githubClientForCli(env: PrpilotEnv, why: string): GitHubClient {
  if (!env.GITHUB_TOKEN) throw new UsageError(`${why}: ${MISSING_TOKEN_HELP}`);
  return createGitHubClient({ apiUrl: env.GITHUB_API_URL, token: env.GITHUB_TOKEN });
}

/** Long GitHub text is cut, not refused: the full PR stays on GitHub. */
function clip(text: string, max: number): string {
  const note = '\n… (cut; the full text is on GitHub)';
  return text.length <= max ? text : `${text.slice(0, max - note.length)}${note}`;
}

/** Starts the PR's workflow, or returns the one already running for it (no duplicate). */
export async function startPr(client: Client, env: PrpilotEnv, input: PrInput, workflowId: string) {
  const alreadyRunning = await client.workflow.getHandle(workflowId).describe().then((d) => d.status.name === 'RUNNING', () => false);
  const handle = await client.workflow.start(WORKFLOW_TYPE, {
    workflowId,
    taskQueue: env.PRPILOT_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `${input.title} (${input.repo.name}${input.prNumber ? ` #${input.prNumber}` : ''}, by ${input.author})`,
    typedSearchAttributes: [
      { key: searchAttributes.repo, value: input.repo.kind === 'github' ? `${input.repo.owner}/${input.repo.name}` : `local/${input.repo.name}` },
      ...(input.prNumber ? [{ key: searchAttributes.number, value: input.prNumber }] : []),
      { key: searchAttributes.author, value: input.author },
      { key: searchAttributes.stage, value: 'review' },
      { key: searchAttributes.awaitingApproval, value: false },
    ],
  });
  const runId = handle.firstExecutionRunId;
  return { workflowId, runId, url: workflowUrl(env, workflowId, runId), revision: alreadyRunning ? await pushNewHead(client, workflowId, input.headSha) : 'none' as const };
}

/**
 * Starting a PR that already runs returns that run (no duplicate); if it runs on an older head, the new
 * head is sent as `revisionPushed`, so the run restarts from review instead of deploying the old one.
 */
async function pushNewHead(client: Client, workflowId: string, headSha: string): Promise<'none' | 'pushed' | 'unknown'> {
  const handle = client.workflow.getHandle(workflowId);
  const status = await client.connection.withDeadline(Date.now() + 5_000, () => handle.query(statusQuery)).catch(() => null);
  if (!status) return 'unknown';
  if (status.headSha === headSha || status.outcome) return 'none';
  await handle.signal(revisionPushedSignal, { headSha });
  return 'pushed';
}

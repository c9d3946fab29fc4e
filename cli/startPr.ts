import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { workflowUrl, type PrpilotEnv } from '../config/env.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, type PrInput } from '../workflows/input.js';
import { WORKFLOW_TYPE, searchAttributes } from '../workflows/messages.js';
import { UsageError } from './errors.js';
import { localWorkflowId, resolveChange } from './resolveChange.js';

export interface StartRequest {
  repo: string;
  base: string;
  head: string;
  prNumber: number | null;
  title?: string;
  author?: string;
  description?: string;
  configPath?: string;
}

/** Everything checked before anything starts: repo, refs, diff, config, lengths. Usage errors name the problem. */
export async function preparePr(request: StartRequest): Promise<{ input: PrInput; workflowId: string }> {
  if ((request.title ?? '').length > MAX_TITLE_CHARS) throw new UsageError(`--title is longer than ${MAX_TITLE_CHARS} characters`);
  if ((request.description ?? '').length > MAX_DESCRIPTION_CHARS) {
    throw new UsageError(`--description is longer than ${MAX_DESCRIPTION_CHARS} characters; link to it instead`);
  }
  if (request.author !== undefined && request.author.trim() === '') throw new UsageError('--author must not be empty');
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

/** Starts the PR's workflow, or returns the one already running for it (no duplicate). */
export async function startPr(client: Client, env: PrpilotEnv, input: PrInput, workflowId: string) {
  const handle = await client.workflow.start(WORKFLOW_TYPE, {
    workflowId,
    taskQueue: env.PRPILOT_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `${input.title} (${input.repo.name}${input.prNumber ? ` #${input.prNumber}` : ''}, by ${input.author})`,
    typedSearchAttributes: [
      { key: searchAttributes.repo, value: `${input.repo.kind}/${input.repo.name}` },
      ...(input.prNumber ? [{ key: searchAttributes.number, value: input.prNumber }] : []),
      { key: searchAttributes.author, value: input.author },
      { key: searchAttributes.stage, value: 'review' },
      { key: searchAttributes.awaitingApproval, value: false },
    ],
  });
  const runId = handle.firstExecutionRunId;
  return { workflowId, runId, url: workflowUrl(env, workflowId, runId) };
}

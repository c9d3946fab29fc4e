import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { workflowUrl, type PrpilotEnv } from '../config/env.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, type PrInput } from '../workflows/input.js';
import { WORKFLOW_TYPE, revisionPushedSignal, searchAttributes, statusQuery } from '../workflows/messages.js';
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
  const alreadyRunning = await client.workflow.getHandle(workflowId).describe().then((d) => d.status.name === 'RUNNING', () => false);
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

/**
 * The webhook's starter: the same preparation and start as `prpilot start` (cli/startPr.ts), plus the
 * revisionPushed signal for pushes. Every Temporal call has a deadline, so GitHub gets an answer in
 * time; an unreachable Temporal or a GitHub hiccup is a 503, so the delivery can be redelivered.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrpilotEnv } from '../../config/env.js';
import type { GitHubClient } from '../../github/client.js';
import { GitHubError } from '../../github/errors.js';
import type { PullRequestInfo } from '../../github/pullRequest.js';
import { githubWorkflowId } from '../../github/repo.js';
import { revisionPushedSignal } from '../../workflows/messages.js';
import { CliError, UsageError } from '../errors.js';
import { prepareGitHubPr, startPr } from '../startPr.js';
import { DeliveryError, type StartResult, type WebhookStarter } from './handler.js';

export interface TemporalStarterOptions {
  client: Client;
  env: PrpilotEnv;
  github: GitHubClient;
  /** Time allowed for each Temporal call; GitHub gives up on a delivery after 10 s. */
  temporalDeadlineMs?: number;
}

// gRPC codes that mean "try again later": UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED.
const RETRY_LATER_CODES = new Set([14, 4, 8]);

export function createTemporalStarter(options: TemporalStarterOptions): WebhookStarter {
  const { client, env, github } = options;
  const deadlineMs = options.temporalDeadlineMs ?? 7_000;
  const temporal = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    client.connection.withDeadline(Date.now() + deadlineMs, call).catch((error: unknown) => { throw temporalError(error, what, env.TEMPORAL_ADDRESS); });

  async function startPullRequest(pr: PullRequestInfo): Promise<StartResult> {
    const { input, workflowId } = await prepareGitHubPr(github, pr).catch((error: unknown) => { throw preparationError(error); });
    const started = await temporal(`starting ${workflowId}`, () => startPr(client, env, input, workflowId));
    return { workflowId, action: 'started', runId: started.runId };
  }

  return {
    startPullRequest,
    /** Signals the running workflow; with none running (never started, or already ended) starts one on the new head. */
    async pushRevision(pr) {
      const workflowId = githubWorkflowId(pr.repo, pr.number);
      const signalled = await temporal(`signalling ${workflowId}`, async () => {
        try {
          await client.workflow.getHandle(workflowId).signal(revisionPushedSignal, { headSha: pr.headSha });
          return true;
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return false;
          throw error;
        }
      });
      return signalled ? { workflowId, action: 'revision_pushed' } : startPullRequest(pr);
    },
  };
}

/** Bad config or an unreviewable diff will not fix itself (422); GitHub trouble may (503) or may not (502). */
function preparationError(error: unknown): Error {
  const cause = error instanceof Error && error.cause instanceof GitHubError ? error.cause : error;
  if (cause instanceof GitHubError) return new DeliveryError(cause.retryable ? 503 : 502, cause.message);
  if (error instanceof UsageError) return new DeliveryError(422, error.message);
  if (error instanceof CliError) return new DeliveryError(502, error.message);
  return error instanceof Error ? error : new Error(String(error));
}

function temporalError(error: unknown, what: string, address: string): Error {
  if (error instanceof DeliveryError) return error;
  const message = `Temporal at ${address} did not answer ${what}: ${error instanceof Error ? error.message : String(error)}`;
  return new DeliveryError(retryLater(error) ? 503 : 500, message);
}

function retryLater(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && RETRY_LATER_CODES.has(code)) return true;
    if (/UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|failed to connect|transport/i.test(current.message)) return true;
  }
  return false;
}

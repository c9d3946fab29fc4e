/**
 * Reads the runs behind the metrics: closed runs of the window from visibility, each one's history
 * (a bounded number at a time), and the count of runs still open. A run that cannot be read or
 * summarized is skipped with its reason; it never stops the report.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { decodeHistoryPayloads } from '../audit/decodeHistory.js';
import type { RunSummary, SkippedRun } from './dora.js';
import { summarizeHistory } from './summarize.js';

export interface CollectOptions {
  /** Runs closed at or after this time (epoch ms). */
  startMs: number;
  concurrency?: number;
  /** Called after each history is read, with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

export interface Collected {
  runs: RunSummary[];
  open: number;
  skipped: SkippedRun[];
}

export async function collectRuns(client: Client, options: CollectOptions): Promise<Collected> {
  const closedQuery = `WorkflowType = '${WORKFLOW_TYPE}' AND CloseTime >= '${new Date(options.startMs).toISOString()}'`;
  const closed: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query: closedQuery })) closed.push(execution);
  const open = await countOpen(client);

  const runs: RunSummary[] = [];
  const skipped: SkippedRun[] = [];
  let done = 0;
  await forEachBounded(closed, options.concurrency ?? 8, async (execution) => {
    const summarized = await summarizeExecution(client, execution);
    if (summarized.ok) runs.push(summarized.run);
    else skipped.push({ workflowId: execution.workflowId, runId: execution.runId, reason: summarized.reason });
    options.onProgress?.(++done, closed.length);
  });
  const byId = (a: { workflowId: string }, b: { workflowId: string }) => a.workflowId.localeCompare(b.workflowId);
  return { runs: runs.sort(byId), open, skipped: skipped.sort(byId) };
}

async function summarizeExecution(client: Client, execution: WorkflowExecutionInfo) {
  // Only a completed run has a result; a terminated, cancelled, failed or timed-out one has no outcome.
  if (execution.status.name !== 'COMPLETED') {
    return { ok: false as const, reason: `execution ${execution.status.name.toLowerCase()}: no outcome` };
  }
  try {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    // Encrypted payloads (PRPILOT_ENCRYPTION_KEY) are decoded with the client's codecs, as `audit` does.
    return summarizeHistory(execution.workflowId, await decodeHistoryPayloads(history, client.options.loadedDataConverter.payloadCodecs));
  } catch (error) {
    return { ok: false as const, reason: `history could not be read: ${(error as Error).message.split('\n')[0]}` };
  }
}

async function countOpen(client: Client): Promise<number> {
  const query = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
  try {
    return (await client.workflow.count(query)).count;
  } catch {
    // Servers without the count API (older visibility stores) still list.
    let open = 0;
    for await (const _execution of client.workflow.list({ query })) open += 1;
    return open;
  }
}

/** Runs `work` on every item, at most `limit` at once. */
async function forEachBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

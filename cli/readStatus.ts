import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { prResultSchema, type PrResult } from '../workflows/input.js';
import { searchAttributes, statusQuery, statusSchema, type PipelineStatus, type Stage } from '../workflows/messages.js';
import { describeOrExplain } from './temporal.js';

export interface StatusView {
  workflowId: string;
  runId: string;
  running: boolean;
  executionStatus: string;
  status: PipelineStatus | null;
  result: PrResult | null;
  /** Set when the live status could not be queried (e.g. no worker is running). */
  note: string | null;
  fromSearchAttributes: { stage?: Stage; riskScore?: number; awaitingApproval?: boolean };
}

const QUERY_DEADLINE_MS = 5_000;

/** Live status by query while running; the workflow result once closed; search attributes as a fallback. */
export async function readStatus(client: Client, workflowId: string): Promise<StatusView> {
  const description = await describeOrExplain(client, workflowId);
  const handle = client.workflow.getHandle(workflowId, description.runId);
  const running = description.status.name === 'RUNNING';
  const view: StatusView = {
    workflowId,
    runId: description.runId,
    running,
    executionStatus: description.status.name,
    status: null,
    result: null,
    note: null,
    fromSearchAttributes: fromSearchAttributes(description),
  };
  if (description.status.name === 'COMPLETED') {
    view.result = prResultSchema.parse(await handle.result());
  }
  try {
    const status = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(statusQuery));
    view.status = statusSchema.parse(status);
  } catch (error) {
    view.note = running
      ? `live status unavailable (${(error as Error).message.split('\n')[0]}); is a worker running? Showing search attributes.`
      : null;
  }
  return view;
}

function fromSearchAttributes(description: WorkflowExecutionDescription): StatusView['fromSearchAttributes'] {
  const attributes = description.typedSearchAttributes;
  return {
    stage: attributes.get(searchAttributes.stage) as Stage | undefined,
    riskScore: attributes.get(searchAttributes.riskScore),
    awaitingApproval: attributes.get(searchAttributes.awaitingApproval),
  };
}

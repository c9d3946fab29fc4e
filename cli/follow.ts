import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { statusQuery, type PipelineStatus } from '../workflows/messages.js';
import { prResultSchema, type PrResult } from '../workflows/input.js';
import { CliError } from './errors.js';

export type FollowEnd = { kind: 'result'; result: PrResult } | { kind: 'awaiting'; status: PipelineStatus };

/**
 * Prints each stage as the run reaches it (by polling the `status` query) until the run ends, or,
 * with untilBlocked, until it waits for a human.
 */
export async function followRun(
  client: Client, workflowId: string, options: { print: (line: string) => void; untilBlocked?: boolean; pollMs?: number; startedAt?: number },
): Promise<FollowEnd> {
  const handle = client.workflow.getHandle(workflowId);
  let resultArrived: PrResult | null = null;
  const result = handle.result().then((value) => { resultArrived = prResultSchema.parse(value); });
  result.catch(() => undefined);
  let lastLine = '';
  const started = options.startedAt ?? Date.now();
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => null);
    if (status) {
      const line = describe(status);
      if (line !== lastLine) {
        options.print(`[${elapsed(started)}] ${line}`);
        lastLine = line;
      }
      if (options.untilBlocked && status.awaitingApproval) return { kind: 'awaiting', status };
    }
    if (resultArrived) return { kind: 'result', result: resultArrived };
    await Promise.race([sleep(options.pollMs ?? 1_000), result.catch(() => undefined)]);
    if (!resultArrived) {
      const closed = await handle.describe().then((d) => d.status.name !== 'RUNNING', () => false);
      if (closed) {
        await result.catch((error: unknown) => {
          throw new CliError(`workflow ${workflowId} ended without an outcome: ${error instanceof Error ? error.message : String(error)} (see \`prpilot status ${workflowId}\`)`);
        });
        if (resultArrived) return { kind: 'result', result: resultArrived };
      }
    }
  }
}

function describe(status: PipelineStatus): string {
  const risk = status.riskScore === undefined ? '' : ` · risk ${status.riskScore}/10`;
  const gates = status.gates.length ? ` · gates: ${status.gates.join(', ')}` : '';
  const revision = status.attempt > 1 ? ` · revision ${status.attempt}` : '';
  return `${status.stage}${risk}${gates}${revision}${status.paused ? ' · paused' : ''}`;
}

function elapsed(since: number): string {
  const seconds = Math.round((Date.now() - since) / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { readEnv } from '../../config/env.js';
import { approveSignal, rejectSignal, statusQuery, type ApprovalAttempt } from '../../workflows/messages.js';
import { helpOption, jsonOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { connectClient, describeOrExplain } from '../temporal.js';
import type { Command } from './command.js';

const READ_BACK_MS = 15_000;

function approvalCommand(kind: 'approve' | 'reject'): Command {
  const spec = {
    name: kind,
    summary: kind === 'approve'
      ? 'approves a run waiting for a human, then says whether the approval counted and why'
      : 'rejects a run waiting for a human (ends it as rejected)',
    usage: kind === 'approve' ? 'prpilot approve ID --by USER [--reason R] [--json]' : 'prpilot reject ID --by USER --reason R [--json]',
    details: 'Sends the same signal as `temporal workflow signal --name ' + kind + ` --input '{"by":"alice","reason":"..."}'\`.` +
      '\nThe PR author cannot approve; with an approvers list in the config only listed users count.',
    options: { ...helpOption, ...jsonOption, by: { type: 'string' }, reason: { type: 'string' } },
    positionals: { min: 1, max: 1 },
  } as const;
  return {
    spec,
    async run(argv, io) {
      const { values, positionals } = parseCommandArgs(spec, argv);
      const workflowId = positionals[0]!;
      const by = values.by?.trim();
      if (!by) throw new UsageError(`--by USER is required (who is ${kind === 'approve' ? 'approving' : 'rejecting'})\nusage: ${spec.usage}`);
      const reason = values.reason?.trim();
      if (kind === 'reject' && !reason) throw new UsageError(`--reason is required to reject\nusage: ${spec.usage}`);
      const client = await connectClient(readEnv());
      const description = await describeOrExplain(client, workflowId);
      if (description.status.name !== 'RUNNING') {
        throw new CliError(`workflow ${workflowId} has already ended (${description.status.name.toLowerCase()}); there is nothing to ${kind}`);
      }
      const { requestId, headSha, attempt } = await sendApproval(client, workflowId, kind, by, reason);
      if (values.json) {
        io.out(JSON.stringify({ workflowId, requestId, headSha, delivered: true, accepted: attempt?.accepted ?? null, why: attempt?.why ?? null }));
      } else if (!attempt) {
        io.out(`${kind} signal delivered to ${workflowId}, but no worker answered within ${READ_BACK_MS / 1000}s; check \`prpilot status ${workflowId}\``);
      } else {
        io.out(`${kind} by ${by}${headSha ? ` for head ${headSha.slice(0, 12)}` : ''}: ${attempt.accepted ? 'accepted' : 'NOT accepted'}: ${attempt.why}`);
      }
      return attempt?.accepted ? EXIT.ok : EXIT.error;
    },
  };
}

/** Signals approve/reject, then reads back through the `status` query whether it counted and why. */
export async function sendApproval(client: Client, workflowId: string, kind: 'approve' | 'reject', by: string, reason?: string) {
  const handle = client.workflow.getHandle(workflowId);
  const requestId = randomUUID();
  // The verdict is for the head the request shows now: if a revision lands meanwhile, it will not count.
  const status = await handle.query(statusQuery).catch(() => null);
  const headSha = status?.approvalRequest?.headSha ?? status?.headSha;
  await handle.signal(kind === 'approve' ? approveSignal : rejectSignal, { by, ...(reason ? { reason } : {}), requestId, ...(headSha ? { headSha } : {}) });
  return { requestId, headSha: headSha ?? null, attempt: await readBack(handle, requestId) };
}

async function readBack(
  handle: { query: (query: typeof statusQuery) => Promise<{ approvals: ApprovalAttempt[] }> }, requestId: string,
): Promise<ApprovalAttempt | null> {
  const deadline = Date.now() + READ_BACK_MS;
  while (Date.now() < deadline) {
    const status = await handle.query(statusQuery).catch(() => null);
    const attempt = status?.approvals.find((candidate) => candidate.requestId === requestId);
    if (attempt) return attempt;
    await sleep(300);
  }
  return null;
}

export const approveCommand = approvalCommand('approve');
export const rejectCommand = approvalCommand('reject');

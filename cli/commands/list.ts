import { readEnv } from '../../config/env.js';
import { WORKFLOW_TYPE, searchAttributes } from '../../workflows/messages.js';
import { helpOption, jsonOption, parseCommandArgs } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import { connectClient } from '../temporal.js';
import type { Command } from './command.js';

const spec = {
  name: 'list',
  summary: 'recent runs from visibility (--awaiting: only those waiting for approval)',
  usage: 'prpilot list [--awaiting] [--limit N] [--json]',
  options: { ...helpOption, ...jsonOption, awaiting: { type: 'boolean' }, limit: { type: 'string' } },
} as const;

export const listCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000 (got ${JSON.stringify(values.limit)})`);
    const client = await connectClient(readEnv());
    const query = `WorkflowType = '${WORKFLOW_TYPE}'${values.awaiting ? ' AND AwaitingApproval = true AND ExecutionStatus = "Running"' : ''}`;
    const rows = [];
    for await (const execution of client.workflow.list({ query })) {
      const attributes = execution.typedSearchAttributes;
      rows.push({
        workflowId: execution.workflowId,
        status: execution.status.name,
        stage: attributes.get(searchAttributes.stage) ?? null,
        riskScore: attributes.get(searchAttributes.riskScore) ?? null,
        awaitingApproval: attributes.get(searchAttributes.awaitingApproval) ?? false,
        author: attributes.get(searchAttributes.author) ?? null,
        startTime: execution.startTime.toISOString(),
      });
      if (rows.length >= limit) break;
    }
    if (values.json) {
      io.out(JSON.stringify(rows, null, 2));
      return EXIT.ok;
    }
    if (rows.length === 0) {
      io.out(values.awaiting ? 'no run is waiting for approval' : 'no runs yet');
      return EXIT.ok;
    }
    const width = Math.max(...rows.map((row) => row.workflowId.length));
    io.out(`${'WORKFLOW'.padEnd(width)}  STATUS     STAGE              RISK  AWAITING  AUTHOR`);
    for (const row of rows) {
      io.out(`${row.workflowId.padEnd(width)}  ${row.status.padEnd(9)}  ${String(row.stage ?? '-').padEnd(17)}  ${String(row.riskScore ?? '-').padEnd(4)}  ${(row.awaitingApproval ? 'yes' : 'no').padEnd(8)}  ${row.author ?? '-'}`);
    }
    return EXIT.ok;
  },
};

import { readEnv } from '../../config/env.js';
import { helpOption, jsonOption, parseCommandArgs } from '../args.js';
import { EXIT } from '../errors.js';
import { readStatus, type StatusView } from '../readStatus.js';
import { connectClient } from '../temporal.js';
import type { Command } from './command.js';

const spec = {
  name: 'status',
  summary: 'stage, risk, gates fired, awaiting approval and outcome of a run',
  usage: 'prpilot status ID [--json]',
  options: { ...helpOption, ...jsonOption },
  positionals: { min: 1, max: 1 },
} as const;

export const statusCommand: Command = {
  spec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(spec, argv);
    const client = await connectClient(readEnv());
    const view = await readStatus(client, positionals[0]!);
    if (values.json) {
      io.out(JSON.stringify(toJson(view), null, 2));
      return EXIT.ok;
    }
    for (const line of render(view)) io.out(line);
    return EXIT.ok;
  },
};

function toJson(view: StatusView) {
  const status = view.status;
  return {
    workflowId: view.workflowId,
    runId: view.runId,
    executionStatus: view.executionStatus,
    stage: status?.stage ?? view.fromSearchAttributes.stage ?? null,
    riskScore: status?.riskScore ?? view.result?.riskScore ?? view.fromSearchAttributes.riskScore ?? null,
    gates: status?.gates ?? view.result?.gates ?? [],
    awaitingApproval: status?.awaitingApproval ?? view.fromSearchAttributes.awaitingApproval ?? false,
    approvalRequest: status?.approvalRequest ?? null,
    approvals: status?.approvals ?? [],
    outcome: status?.outcome ?? view.result?.outcome ?? null,
    outcomeReason: status?.outcomeReason ?? view.result?.reason ?? null,
    tokens: status?.tokens ?? view.result?.tokens ?? null,
    decisions: status?.decisions ?? view.result?.decisions ?? null,
    note: view.note,
  };
}

function render(view: StatusView): string[] {
  const json = toJson(view);
  const lines = [
    `workflow   ${json.workflowId} (${json.executionStatus.toLowerCase()})`,
    `stage      ${json.stage ?? 'unknown'}`,
    `risk       ${json.riskScore === null ? '-' : `${json.riskScore}/10`}`,
    `gates      ${json.gates.length ? json.gates.join(', ') : 'none'}`,
    `awaiting   ${json.awaitingApproval ? 'yes: approval needed' : 'no'}`,
  ];
  if (json.outcome) lines.push(`outcome    ${json.outcome}: ${json.outcomeReason ?? ''}`);
  if (json.tokens) lines.push(`tokens     in ${json.tokens.input}, out ${json.tokens.output}, cache read ${json.tokens.cacheRead}, cache write ${json.tokens.cacheWrite}`);
  if (json.approvalRequest && json.awaitingApproval) {
    const request = json.approvalRequest;
    lines.push('', `Approval request (risk ${request.riskScore}/10):`, ...request.reasons.map((reason) => `  - ${reason}`));
    lines.push('', ...request.rationale.split('\n').map((line) => `  ${line}`), '');
    lines.push(
      `  author   ${request.author} (cannot approve)`,
      `  who      ${request.approvers.length ? request.approvers.join(', ') : 'anyone but the author'}`,
      `  expires  ${request.expiresAt}`,
      `  approve  ${request.approveCommand}`,
      `  audit    ${request.auditCommand}`,
    );
  }
  if (json.approvals.length) {
    lines.push('', 'Approvals received:');
    for (const attempt of json.approvals) lines.push(`  ${attempt.at} ${attempt.kind} by ${attempt.by || '(nobody)'}: ${attempt.accepted ? 'accepted' : 'ignored'} (${attempt.why})`);
  }
  if (view.note) lines.push('', view.note);
  return lines;
}

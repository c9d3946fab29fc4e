import { readEnv } from '../../config/env.js';
import { prInputSchema, prResultSchema } from '../../workflows/input.js';
import { helpOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { connectClient, describeOrExplain } from '../temporal.js';
import { auditFromHistory, workflowInput } from '../audit/trail.js';
import { decodeHistoryPayloads } from '../audit/decodeHistory.js';
import { PayloadDecryptionError } from '../../workers/codec.js';
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { renderAuditMarkdown, type AuditHeader } from '../audit/markdown.js';
import { artifactProblems, auditArtifacts } from '../audit/artifacts.js';
import { homePaths } from '../../config/paths.js';
import type { Command } from './command.js';

const spec = {
  name: 'audit',
  summary: 'decision records rebuilt from the workflow history, hash chain verified',
  usage: 'prpilot audit ID [--format json|md] [--artifacts]',
  details: [
    'Exits 1 if the hash chain does not verify.',
    '--artifacts also reads every artifact the records name by sha256 (diffs, test logs, verdict logs,',
    'incident reports) from the artifact store under PRPILOT_HOME, and exits 1 if one is missing or altered.',
  ].join('\n'),
  options: { ...helpOption, format: { type: 'string' }, artifacts: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
} as const;

export const auditCommand: Command = {
  spec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(spec, argv);
    const format = values.format ?? 'md';
    if (format !== 'json' && format !== 'md') throw new UsageError(`--format must be json or md (got ${JSON.stringify(format)})`);
    const workflowId = positionals[0]!;
    const client = await connectClient(readEnv());
    const description = await describeOrExplain(client, workflowId);
    const handle = client.workflow.getHandle(workflowId, description.runId);
    const history = await decodeHistoryPayloads(await handle.fetchHistory(), client.options.loadedDataConverter.payloadCodecs).catch((error: unknown) => {
      throw error instanceof PayloadDecryptionError ? new CliError(`cannot read the history of ${workflowId}: ${error.message}`) : error;
    });
    const trail = auditFromHistory(history);
    const header = await headerFor(description, history, handle);
    const artifacts = values.artifacts ? await auditArtifacts(trail.records, homePaths().artifacts) : null;
    if (format === 'json') {
      io.out(JSON.stringify({ ...header, chain: trail.chain, records: trail.records, signals: trail.signals, ...(artifacts ? { artifacts } : {}) }, null, 2));
    } else {
      io.out(renderAuditMarkdown(header, trail, artifacts));
    }
    if (!trail.chain.ok) throw new CliError(`hash chain of ${workflowId} does not verify: ${trail.chain.problems.join('; ')}`);
    const problems = artifacts ? artifactProblems(artifacts) : [];
    if (artifacts && problems.length > 0) {
      throw new CliError(`${problems.length} artifact(s) of ${workflowId} do not verify against ${artifacts.store}: ${problems.join('; ')}`);
    }
    // A completed run states its decision count and last hash in its result: records cut from the end show here.
    const result = description.status.name === 'COMPLETED' ? prResultSchema.safeParse(await handle.result()) : null;
    if (result?.success && (result.data.decisions !== trail.records.length || result.data.lastDecisionHash !== trail.chain.lastHash)) {
      throw new CliError(`audit of ${workflowId} is incomplete: the run's result names ${result.data.decisions} decision(s) ending in ${result.data.lastDecisionHash.slice(0, 12)}…, the history holds ${trail.records.length} ending in ${trail.chain.lastHash.slice(0, 12)}…`);
    }
    return EXIT.ok;
  },
};

async function headerFor(
  description: WorkflowExecutionDescription, history: temporal.api.history.v1.IHistory, handle: WorkflowHandle,
): Promise<AuditHeader> {
  const input = prInputSchema.safeParse(workflowInput(history));
  const result = description.status.name === 'COMPLETED' ? prResultSchema.safeParse(await handle.result()) : null;
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    status: description.status.name,
    startTime: description.startTime.toISOString(),
    closeTime: description.closeTime?.toISOString() ?? null,
    input: input.success ? {
      repo: `${input.data.repo.kind}/${input.data.repo.name}`,
      prNumber: input.data.prNumber,
      baseSha: input.data.baseSha,
      headSha: input.data.headSha,
      title: input.data.title,
      author: input.data.author,
      configSource: input.data.configSource,
    } : null,
    result: result?.success ? { outcome: result.data.outcome, reason: result.data.reason } : null,
  };
}

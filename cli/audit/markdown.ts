import type { AuditTrail } from './trail.js';
import { artifactProblems, type ArtifactAudit } from './artifacts.js';
import type { DecisionRecord } from '../../workflows/records.js';

export interface AuditHeader {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime: string | null;
  input: { repo: string; prNumber: number | null; baseSha: string; headSha: string; title: string; author: string; configSource: string } | null;
  result: { outcome: string; reason: string } | null;
}

/** The audit as a document an auditor can read without knowing Temporal. */
export function renderAuditMarkdown(header: AuditHeader, trail: AuditTrail, artifacts: ArtifactAudit | null = null): string {
  const { records, signals, chain } = trail;
  const tokens = records.reduce((sum, record) => ({
    input: sum.input + record.tokens.input, output: sum.output + record.tokens.output,
  }), { input: 0, output: 0 });
  const lines = [
    `# Audit trail: ${header.workflowId}`,
    '',
    'Rebuilt from the Temporal workflow history, the system of record. Every decision below was sealed into that',
    'history when it was made, with the hash of the decision before it; the chain is verified on every export.',
    '',
    '## Change',
    '',
    ...(header.input ? [
      `- Repository: ${header.input.repo}${header.input.prNumber ? `, PR #${header.input.prNumber}` : ''}`,
      `- Title: ${header.input.title}`,
      `- Author: ${header.input.author}`,
      `- Commits: base \`${header.input.baseSha.slice(0, 12)}\` → head \`${header.input.headSha.slice(0, 12)}\``,
      `- Configuration: ${header.input.configSource}`,
    ] : ['- (workflow input not available)']),
    `- Run: \`${header.runId}\`, ${header.status.toLowerCase()}, started ${header.startTime}${header.closeTime ? `, closed ${header.closeTime}` : ''}`,
    `- Outcome: ${header.result ? `**${header.result.outcome}**: ${header.result.reason}` : 'not finished'}`,
    '',
    '## Integrity',
    '',
    chain.ok
      ? `Hash chain verified: ${records.length} decision record(s), last hash \`${chain.lastHash}\`.`
      : `**HASH CHAIN BROKEN**:\n${chain.problems.map((problem) => `- ${problem}`).join('\n')}`,
    '',
    ...(artifacts ? [artifactLine(artifacts), ''] : []),
    `Model tokens used: ${tokens.input} input, ${tokens.output} output.`,
    '',
    '## Decisions',
    '',
    '| # | time (UTC) | stage | decision | by (agent, version) | model |',
    '|---|---|---|---|---|---|',
    ...records.map((record) => `| ${record.seq} | ${record.at} | ${record.stage} | ${cell(record.decision)} | ${record.agent} ${record.agentVersion} | ${record.model ?? 'none'} |`),
    '',
    ...records.flatMap(detail),
    '## Signals received',
    '',
    ...(signals.length === 0 ? ['None.'] : [
      '| event | time (UTC) | signal | payload | sender |',
      '|---|---|---|---|---|',
      ...signals.map((signal) => `| ${signal.eventId} | ${signal.at} | ${signal.name} | \`${cell(JSON.stringify(signal.input))}\` | ${cell(signal.identity)} |`),
    ]),
    '',
    'Whether each approval counted is recorded as a decision above (stage `awaiting_approval`).',
    '',
  ];
  return lines.join('\n');
}

function artifactLine(audit: ArtifactAudit): string {
  const problems = artifactProblems(audit);
  if (problems.length === 0) return `Artifacts verified: the ${audit.checks.length} claim check(s) in the records match their content in \`${audit.store}\`.`;
  return `**ARTIFACTS DO NOT VERIFY** against \`${audit.store}\`:\n${problems.map((problem) => `- ${problem}`).join('\n')}`;
}

function detail(record: DecisionRecord): string[] {
  return [
    `### ${record.seq}. ${record.stage}: ${record.decision}`,
    '',
    ...record.rationale.split('\n').map((line) => `> ${line}`),
    '',
    `- Agent: ${record.agent} ${record.agentVersion}${record.model ? `, model ${record.model}` : ''}`,
    `- Prompt/rules sha256: \`${record.promptSha256}\``,
    `- Input sha256: \`${record.inputSha256}\``,
    ...(record.gates.length ? [`- Gates: ${record.gates.join(', ')}`] : []),
    ...(record.tokens.input + record.tokens.output > 0 ? [`- Tokens: ${record.tokens.input} in, ${record.tokens.output} out, ${record.tokens.cacheRead} cache read`] : []),
    ...(Object.keys(record.details).length ? ['', '```json', JSON.stringify(record.details, null, 2), '```'] : []),
    `- Previous hash: \`${record.prevHash}\``,
    '',
  ];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

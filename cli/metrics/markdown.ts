/**
 * `prpilot metrics --format md`: a report to paste into a wiki page or a PR comment. The trend is drawn
 * as Unicode sparklines in a code block, which renders the same on GitHub, in a terminal and in email.
 */
import type { DoraReport } from './dora.js';
import {
  bar, firedGates, formatDuration, formatNumber, formatRate, formatWindowTime, perBucket, seriesSpan, sparkline,
} from './format.js';

export function renderMarkdown(report: DoraReport): string {
  const { leadTime, deploymentFrequency: frequency, changeFailureRate: failure, timeToRestore: restore, escalation } = report;
  const points = report.series.points;
  const per = perBucket(report.series.bucket);
  const maxDeployed = Math.max(0, ...points.map((point) => point.deployed));
  const maxLead = Math.max(0, ...points.map((point) => point.medianLeadTimeSeconds ?? 0));
  const label = (text: string) => text.padEnd(24);
  const lines = [
    `# DORA metrics: last ${report.window.since}`,
    '',
    `Runs of \`prToProduction\` closed from ${formatWindowTime(report.window.start)} to ${formatWindowTime(report.window.end)}: ` +
      `**${report.runs.closed}** closed, ${report.runs.open} still open, ${report.runs.skipped} skipped.`,
    '',
    '| metric | value | based on |',
    '|---|---|---|',
    `| Deployment frequency | **${formatNumber(frequency.perDay)} per day** (${formatNumber(frequency.perWeek)} per week) | ${frequency.deployed} deployed |`,
    `| Lead time for changes | **median ${formatDuration(leadTime.medianSeconds)}**, p90 ${formatDuration(leadTime.p90Seconds)} | ${leadTime.count} deployed |`,
    `| Change failure rate | **${formatRate(failure.rate)}** | ${failure.rolledBack} rolled back of ${failure.deployed + failure.rolledBack} |`,
    `| Time to restore | **median ${formatDuration(restore.medianSeconds)}**, p90 ${formatDuration(restore.p90Seconds)} | ${restore.count} rolled back${restore.unmeasured ? ` (${restore.unmeasured} without a canary verdict)` : ''} |`,
    `| Human approval required | **${formatRate(escalation.humanApprovalRequired.rate)}** | ${escalation.humanApprovalRequired.count} of ${escalation.runs} runs; ${escalation.approvedByHuman} approved |`,
    '',
    `## Trend (${per}, ${seriesSpan(report)})`,
    '',
    '```text',
    `${label(`deployments ${per}`)}${sparkline(points.map((point) => point.deployed))}  max ${maxDeployed}, total ${frequency.deployed}`,
    `${label(`rollbacks ${per}`)}${sparkline(points.map((point) => point.rolledBack))}  total ${failure.rolledBack}`,
    `${label('median lead time')}${sparkline(points.map((point) => point.medianLeadTimeSeconds))}  max ${formatDuration(maxLead || null)}`,
    '```',
    '',
    '`·` is none; `▁` to `█` scale up to the maximum.',
    '',
    '## Outcomes',
    '',
    '| outcome | runs |',
    '|---|---|',
    ...Object.entries(report.outcomes).map(([outcome, count]) => `| ${outcome} | ${count} |`),
    `| (still open) | ${report.runs.open} |`,
    '',
    '## Escalation by gate',
    '',
  ];
  const gates = firedGates(report);
  if (gates.length === 0) {
    lines.push('No gate fired in this window.');
  } else {
    const width = Math.max(...gates.map((gate) => gate.gate.length));
    lines.push('```text');
    for (const gate of gates) lines.push(`${gate.gate.padEnd(width)}  ${bar(gate.rate)}  ${formatRate(gate.rate)} (${gate.count} of ${escalation.runs})`);
    lines.push('```');
  }
  if (report.skipped.length) {
    lines.push('', '## Skipped runs', '', 'Not counted above:', '');
    for (const skipped of report.skipped) lines.push(`- \`${skipped.workflowId}\` (run \`${skipped.runId}\`): ${skipped.reason}`);
  }
  lines.push('', '## Definitions', '');
  for (const [name, text] of Object.entries(report.definitions)) lines.push(`- **${name}**: ${text}`);
  return lines.join('\n');
}

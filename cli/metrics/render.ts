/** The terminal report: the four DORA figures first, then outcomes, escalation and the deploy trend. */
import type { DoraReport } from './dora.js';
import {
  firedGates, formatDuration, formatNumber, formatRate, formatWindowTime, perBucket, seriesSpan, sparkline,
} from './format.js';

export function renderText(report: DoraReport): string[] {
  const { leadTime, deploymentFrequency: frequency, changeFailureRate: failure, timeToRestore: restore } = report;
  const outcomes = Object.entries(report.outcomes).map(([outcome, count]) => `${outcome} ${count}`).join(' · ');
  const escalation = report.escalation;
  const gates = firedGates(report);
  const lines = [
    `DORA metrics: runs closed in the last ${report.window.since} (${formatWindowTime(report.window.start)} → ${formatWindowTime(report.window.end)})`,
    '',
    `  deployment frequency   ${formatNumber(frequency.perDay)}/day · ${formatNumber(frequency.perWeek)}/week (${frequency.deployed} deployed)`,
    `  lead time for changes  median ${formatDuration(leadTime.medianSeconds)} · p90 ${formatDuration(leadTime.p90Seconds)} (${leadTime.count} deployed, nearest rank)`,
    `  change failure rate    ${formatRate(failure.rate)} (${failure.rolledBack} rolled back of ${failure.deployed + failure.rolledBack} that reached production)`,
    `  time to restore        median ${formatDuration(restore.medianSeconds)} · p90 ${formatDuration(restore.p90Seconds)} (${restore.count} rolled back${restore.unmeasured ? `, ${restore.unmeasured} without a canary verdict` : ''})`,
    '',
    `  runs      ${report.runs.closed} closed: ${outcomes}; ${report.runs.open} still open; ${report.runs.skipped} skipped`,
    `  humans    ${escalation.humanApprovalRequired.count} of ${escalation.runs} runs needed a human (${formatRate(escalation.humanApprovalRequired.rate)}); ${escalation.approvedByHuman} approved`,
    `  gates     ${gates.length ? gates.map((gate) => `${gate.gate} ${gate.count} (${formatRate(gate.rate)})`).join(' · ') : 'none fired'}`,
    `  deploys   ${sparkline(report.series.points.map((point) => point.deployed))}  ${perBucket(report.series.bucket)}, ${seriesSpan(report)}`,
  ];
  if (report.skipped.length) {
    lines.push('', `  skipped (not counted above):`);
    for (const skipped of report.skipped) lines.push(`    ${skipped.workflowId} (run ${skipped.runId.slice(0, 8)}): ${skipped.reason}`);
  }
  return lines;
}

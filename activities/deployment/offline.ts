import { offlineIdentity } from '../agent.js';
import { NO_TOKENS } from '../../workflows/records.js';
import type { DeploymentAgent, DeploymentRiskInput, IncidentInput } from './agent.js';
import { deploymentRiskSchema, incidentReportSchema, type DeploymentRisk } from './schema.js';

const VERSION = 'offline-deployment/1.0.0';

/** Risk levels from the evidence: a failed validation or a very risky review is HIGH (⇒ a human). */
export const DEPLOYMENT_RISK_RULES = {
  highAtReviewRisk: 8,
  mediumAtReviewRisk: 5,
  mediumAtChangedLines: 500,
} as const;

export function createOfflineDeploymentAgent(): DeploymentAgent {
  const identity = offlineIdentity('deployment', VERSION, DEPLOYMENT_RISK_RULES);
  return {
    async assessRisk(input) {
      return { output: deploymentRiskSchema.parse(assess(input)), identity, tokens: { ...NO_TOKENS } };
    },
    async writeIncidentReport(input) {
      return { output: incidentReportSchema.parse(incident(input)), identity, tokens: { ...NO_TOKENS } };
    },
  };
}

function assess(input: DeploymentRiskInput): DeploymentRisk {
  const high: string[] = [];
  const medium: string[] = [];
  const risk = input.review?.riskScore;
  if (input.validation && !input.validation.passed) high.push(`staging validation failed: ${input.validation.summary}`);
  if (!input.validation) high.push('no staging validation result');
  if (input.tests && !input.tests.passed) high.push(`tests failed: ${input.tests.summary}`);
  if (risk === undefined) high.push('no review result');
  else if (risk >= DEPLOYMENT_RISK_RULES.highAtReviewRisk) high.push(`review risk ${risk}/10`);
  else if (risk >= DEPLOYMENT_RISK_RULES.mediumAtReviewRisk) medium.push(`review risk ${risk}/10`);
  if (input.changedLines >= DEPLOYMENT_RISK_RULES.mediumAtChangedLines) medium.push(`${input.changedLines} changed lines`);
  if (input.gates.includes('schema_change')) medium.push('schema change ships with this deploy');
  const level = high.length > 0 ? 'HIGH' : medium.length > 0 ? 'MEDIUM' : 'LOW';
  const factors = [...high, ...medium];
  return {
    level,
    factors,
    rationale: factors.length === 0 ? 'review, tests and staging are all clean' : `${level}: ${factors.join('; ')}`,
  };
}

function incident(input: IncidentInput) {
  const row = (label: string, stats: IncidentInput['canary']) =>
    `| ${label} | ${stats.requests} | ${stats.errors} | ${(stats.errorRate * 100).toFixed(2)}% | ${stats.p50Ms} | ${stats.p99Ms} |`;
  const markdown = [
    `# Incident: canary of ${input.service} rolled back`,
    '',
    `- Workflow: \`${input.workflowId}\``,
    `- Change: ${input.title} (\`${input.headSha.slice(0, 12)}\`)`,
    `- Audit trail: \`${input.auditCommand}\``,
    '',
    '## Trigger',
    ...input.reasons.map((reason) => `- ${reason}`),
    '',
    '## Metrics over the canary window',
    '| version | requests | errors | error rate | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|',
    row('canary', input.canary),
    row('stable', input.stable),
    ...judgeSection(input.judge),
    '',
    '## Timeline (UTC)',
    ...input.timeline.map((entry) => `- ${entry.at} — ${entry.event}`),
    '',
    '## Root-cause hypothesis',
    hypothesis(input),
    '',
    '## Impact and state',
    'The canary received only its configured share of traffic; it has been removed and the stable version serves all traffic.',
  ].join('\n');
  return { title: `Canary of ${input.service} rolled back`, markdown };
}

/** The judge's verdicts on the failing step, and the numbers of every check that did not pass. */
function judgeSection(judge: IncidentInput['judge']): string[] {
  if (!judge) return [];
  const side = (traffic: { requests: number; errors: number; p99Ms: number }) => `${traffic.errors}/${traffic.requests}, p99 ${traffic.p99Ms}`;
  const last = judge.intervals.at(-1);
  const failing = (last?.checks ?? []).filter((check) => check.result !== 'pass');
  return [
    '',
    `## Canary judge (step ${judge.step} at ${judge.percent}%, numbers from ${judge.source})`,
    '| after | verdict | canary errors/requests, p99 ms | stable errors/requests, p99 ms |',
    '|---|---|---|---|',
    ...judge.intervals.map((interval) => `| ${interval.elapsedSeconds}s${interval.mode === 'final' ? ' (final)' : ''} | ${interval.verdict} | ${side(interval.canary)} | ${side(interval.stable)} |`),
    ...(failing.length === 0 ? [] : [
      '',
      'Checks that did not pass:',
      ...failing.map((check) => `- ${check.name}: ${check.result} (${Object.entries(check.numbers ?? {}).map(([key, value]) => `${key}=${value}`).join(', ')})`),
    ]),
  ];
}

function hypothesis(input: IncidentInput): string {
  const errorsOnlyOnCanary = input.canary.errorRate > 0 && input.stable.errorRate === 0;
  if (errorsOnlyOnCanary) {
    return 'Errors appear only on the canary while the stable version serves the same traffic cleanly, so the change itself most likely causes them; since staging passed, look for behaviour that depends on production configuration or data.';
  }
  if (input.canary.p99Ms > input.stable.p99Ms * 1.5) {
    return 'The canary is markedly slower than stable under the same traffic: look for new synchronous work, queries or lock contention in the changed code paths.';
  }
  return 'Both versions degraded together, which points at a shared dependency or the environment rather than the change; confirm before re-deploying.';
}

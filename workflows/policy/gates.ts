/**
 * The deterministic gates: when a human must approve. Code computes them from the risk score, the
 * detectors' findings and the agents' outputs; an agent can add gates and reasons, never remove one.
 *
 * | gate             | fires when                                                                     |
 * |------------------|--------------------------------------------------------------------------------|
 * | risk_threshold   | max(code risk score, review risk score) ≥ threshold, or a score is not a number; |
 * |                  | or the review reports a high/critical security issue (the agent judges the     |
 * |                  | change too risky to ship unattended: the risk gate is the one that fits);      |
 * |                  | or the change adds, retargets or moves a symlink out of the repository, or     |
 * |                  | into .git or a credentials file (a security risk no other gate names), or     |
 * |                  | moves a file that could not be looked up to tell whether it is such a link     |
 * | api_breaking     | the detector found a removed public name, or the review lists a breaking change |
 * | schema_change    | the detector found a migration/schema/model change                             |
 * | new_integration  | the detector found a new service SDK or client                                 |
 * | secret           | the detector found secret-like content                                         |
 * | deploy_risk_high | the deployment agent rated the deployment risk HIGH                            |
 * | agent_failed     | any agent failed, or the review is missing (null/absent: the agent failed)     |
 * | agent_uncertain  | any agent said it was unsure, or the review's confidence is low                |
 * | (any)            | the review's suggestedGates, unioned in                                        |
 *
 * Gates come out deduplicated in the canonical order of `gateNames`; `reasons` has one line per cause,
 * every file path in a reason goes through `displayPath` and every text from a model or an error through
 * `oneLine`, so neither a file name nor a model can forge a line.
 */
import { gateNames, type Gate } from '../messages.js';
import type { ReviewOutput } from '../../activities/review/schema.js';
import type { Evidence, RecordedFindings } from './detectors/index.js';
import { displayPath } from './displayPath.js';
import { oneLine } from './oneLine.js';

export interface GateInput {
  riskScore: number;
  riskThreshold: number;
  findings: RecordedFindings;
  /** null or absent: the review agent failed. */
  review?: ReviewOutput | null;
  agentFailures: { agent: string; error: string }[];
  agentUncertain: { agent: string; why: string }[];
  deploymentRisk?: 'LOW' | 'MEDIUM' | 'HIGH' | null;
}

export interface GateDecision { gates: Gate[]; reasons: string[] }

export const ESCALATING_SEVERITIES: readonly string[] = ['high', 'critical'];

export function computeGates(input: GateInput): GateDecision {
  const fired: Gate[] = [];
  const reasons: string[] = [];
  const fire = (gate: Gate, reason: string) => { fired.push(gate); reasons.push(reason); };
  const { findings, review } = input;

  const scores = [input.riskScore, review?.riskScore].filter((s): s is number => s !== undefined);
  const highest = Math.max(...scores);
  if (scores.some((s) => !Number.isFinite(s)) || !Number.isFinite(input.riskThreshold)) {
    fire('risk_threshold', `risk score or threshold is not a number (score ${input.riskScore}, threshold ${input.riskThreshold})`);
  } else if (highest >= input.riskThreshold) {
    const whose = review && review.riskScore > input.riskScore ? 'review agent' : 'code';
    fire('risk_threshold', `risk score ${highest} (${whose}) ≥ threshold ${input.riskThreshold}`);
  }
  for (const issue of review?.securityIssues ?? []) {
    if (ESCALATING_SEVERITIES.includes(issue.severity)) {
      fire('risk_threshold', `review agent reports a ${issue.severity} security issue${at(issue)}: ${oneLine(issue.description)}`);
    }
  }

  const symlinks = findings.unsafeSymlink ?? [];
  if (symlinks.length > 0) fire('risk_threshold', `symlink out of the repository: ${describeLinks(symlinks)}`);

  if (findings.apiBreaking.length > 0) fire('api_breaking', `API-breaking change: ${describe(findings.apiBreaking)}`);
  for (const change of review?.apiBreakingChanges ?? []) {
    fire('api_breaking', `review agent reports an API-breaking change${at(change)}: ${oneLine(change.description)}`);
  }
  if (findings.schemaChange.length > 0) fire('schema_change', `schema change: ${describe(findings.schemaChange)}`);
  if (findings.newIntegration.length > 0) fire('new_integration', `new service integration: ${describe(findings.newIntegration)}`);
  if (findings.secret.length > 0) fire('secret', `secret-like content: ${describe(findings.secret)}`);
  if (input.deploymentRisk === 'HIGH') fire('deploy_risk_high', 'deployment agent rates the deployment risk HIGH');

  if (review === null || review === undefined) fire('agent_failed', 'review agent produced no review');
  for (const f of input.agentFailures) fire('agent_failed', `${f.agent} agent failed: ${oneLine(f.error)}`);
  if (review?.confidence === 'low') fire('agent_uncertain', 'review agent has low confidence in its review');
  for (const u of input.agentUncertain) fire('agent_uncertain', `${u.agent} agent is unsure: ${oneLine(u.why)}`);

  for (const gate of review?.suggestedGates ?? []) {
    if (!fired.includes(gate)) fire(gate, `review agent asks for ${gate}`);
  }
  return { gates: mergeGates(fired), reasons };
}

/** The union of gate lists, deduplicated, in the canonical order of `gateNames`. */
export function mergeGates(...lists: readonly Gate[][]): Gate[] {
  const all = new Set(lists.flat());
  return gateNames.filter((g) => all.has(g));
}

function at(loc: { file?: string | undefined; line?: number | undefined }): string {
  if (!loc.file) return '';
  return loc.line ? ` in ${displayPath(loc.file)}:${loc.line}` : ` in ${displayPath(loc.file)}`;
}

/** `migration in db/migrate/1_add.rb:3, schema-file in db/schema.rb:12 and 2 more`. */
function describe(evidence: Evidence[]): string {
  return listed(evidence, (e) => `${e.rule} in ${displayPath(e.file)}${e.line ? `:${e.line}` : ''}`);
}

const LINK_RULES: Record<string, string> = {
  'symlink-absolute': 'absolute', 'symlink-escapes-repo': 'escapes the repository', 'symlink-sensitive': 'sensitive file',
  'symlink-unverified': 'moved without a change and could not be looked up: it may be a link',
};

/** `config/passwd → /etc/passwd (absolute), public/env → ../.env (sensitive file)`: the excerpt is the target. */
function describeLinks(evidence: Evidence[]): string {
  return listed(evidence, (e) => e.rule === 'symlink-unverified'
    ? `${displayPath(e.file)} (${LINK_RULES[e.rule]})`
    : `${displayPath(e.file)} → ${displayPath(e.excerpt)} (${LINK_RULES[e.rule] ?? e.rule})`);
}

function listed(evidence: Evidence[], show: (e: Evidence) => string): string {
  const shown = evidence.slice(0, 3).map(show);
  const more = evidence.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

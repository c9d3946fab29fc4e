import { intervalVerdictSchema } from '../../workflows/canaryVerdicts.js';
import type { DecisionDraft } from '../../workflows/records.js';
import type { ActivityDeps } from '../deps.js';
import { draftFrom } from '../agent.js';
import type { DeploymentRiskInput, IncidentInput } from './agent.js';
import { deploymentRiskSchema, incidentReportSchema, type DeploymentRisk } from './schema.js';

export function assessDeploymentRiskActivity(deps: ActivityDeps) {
  return async function assessDeploymentRisk(input: DeploymentRiskInput): Promise<{ risk: DeploymentRisk; decision: DecisionDraft }> {
    const run = await deps.agents.deployment.assessRisk(input);
    const risk = deploymentRiskSchema.parse(run.output);
    return {
      risk,
      decision: draftFrom(run, {
        stage: 'deployment',
        decision: `deployment risk ${risk.level}`,
        rationale: risk.rationale,
        input,
        gates: risk.level === 'HIGH' ? ['deploy_risk_high'] : [],
        details: { level: risk.level, factors: risk.factors },
      }),
    };
  };
}

/** Writes the incident report, stores it, and sends it to the team. */
export function writeIncidentReportActivity(deps: ActivityDeps) {
  /**
   * `notifyTeam: false`: the workflow sends the report itself through the notify activity, whose
   * retries post only to the channels still missing it (runs from before that notified here).
   */
  return async function writeIncidentReport(input: IncidentInput & { notifyTeam?: boolean }): Promise<{ reportSha256: string; title: string; decision: DecisionDraft }> {
    const { notifyTeam = true, ...facts } = input;
    const run = await deps.agents.deployment.writeIncidentReport({ ...facts, judge: await withEveryVerdict(deps, facts.judge) });
    const report = incidentReportSchema.parse(run.output);
    const { sha256 } = await deps.artifacts.put(report.markdown);
    if (notifyTeam) await deps.notifier.notify({
      event: 'incident_report',
      workflowId: input.workflowId,
      title: report.title,
      text: `${report.title}. Report: ${deps.artifacts.pathOf(sha256)}`,
      artifactSha256: sha256,
    });
    return {
      reportSha256: sha256,
      title: report.title,
      decision: draftFrom(run, {
        stage: 'rolling_back',
        decision: 'incident report written and sent',
        rationale: report.title,
        input: facts,
        details: { incidentReportSha256: sha256 },
      }),
    };
  };
}

/** The judge's full verdict log, read back from the artifact store when the workflow carried only its hash. */
async function withEveryVerdict(deps: ActivityDeps, judge: IncidentInput['judge']): Promise<IncidentInput['judge']> {
  if (!judge?.verdictLogSha256) return judge;
  const intervals = intervalVerdictSchema.array().parse(JSON.parse(await deps.artifacts.getText(judge.verdictLogSha256)));
  return { ...judge, intervals };
}

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
  return async function writeIncidentReport(input: IncidentInput): Promise<{ reportSha256: string; decision: DecisionDraft }> {
    const run = await deps.agents.deployment.writeIncidentReport(input);
    const report = incidentReportSchema.parse(run.output);
    const { sha256 } = await deps.artifacts.put(report.markdown);
    await deps.notifier.notify({
      event: 'incident_report',
      workflowId: input.workflowId,
      title: report.title,
      text: `${report.title}. Report: ${deps.artifacts.pathOf(sha256)}`,
      artifactSha256: sha256,
    });
    return {
      reportSha256: sha256,
      decision: draftFrom(run, {
        stage: 'rolling_back',
        decision: 'incident report written and sent',
        rationale: report.title,
        input,
        details: { incidentReportSha256: sha256 },
      }),
    };
  };
}

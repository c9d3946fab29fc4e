import { fence } from '../llm/fence.js';
import type { ModelClient, Prompt } from '../llm/types.js';
import type { DeploymentAgent } from './agent.js';
import { createOfflineDeploymentAgent } from './offline.js';
import { deploymentRiskSchema, incidentReportSchema } from './schema.js';

const LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;

/**
 * Claude rates the rollout risk and writes incident reports. The offline rules are a floor: the final
 * level is the higher of the two, so the model can raise the risk, never lower it.
 */
export function createClaudeDeploymentAgent(model: ModelClient, prompts: { deployment: Prompt; incident: Prompt }): DeploymentAgent {
  const rules = createOfflineDeploymentAgent();
  return {
    async assessRisk(input) {
      const floor = (await rules.assessRisk(input)).output;
      const result = await model.structured({
        prompt: prompts.deployment,
        schema: deploymentRiskSchema,
        schemaName: 'deployment_risk',
        user: `Evidence for this rollout, as JSON (computed by code):\n${JSON.stringify({ ...input, levelByRules: floor.level, factorsByRules: floor.factors }, null, 2)}`,
      });
      const level = LEVELS[Math.max(LEVELS.indexOf(result.output.level), LEVELS.indexOf(floor.level))]!;
      const raisedByRules = level !== result.output.level;
      const output = deploymentRiskSchema.parse({
        level,
        factors: [...result.output.factors, ...(raisedByRules ? floor.factors.map((factor) => `rule: ${factor}`) : [])],
        rationale: raisedByRules ? `${result.output.rationale} (raised to ${level} by rules: ${floor.rationale})` : result.output.rationale,
      });
      return { output, identity: result.identity, tokens: result.tokens };
    },

    async writeIncidentReport(input) {
      const facts = {
        trigger: input.reasons, canary: input.canary, stable: input.stable, timeline: input.timeline, service: input.service, headSha: input.headSha,
        judge: input.judge && { step: input.judge.step, percent: input.judge.percent, source: input.judge.source, last: input.judge.intervals.at(-1) },
      };
      const result = await model.structured({
        prompt: prompts.incident,
        schema: incidentReportSchema,
        schemaName: 'incident_report',
        user: `Measured facts (by code):\n${JSON.stringify(facts, null, 2)}\n\nThe change's title:\n${fence('pr_title', input.title)}`,
      });
      // The numbers and the timeline come from code, not from the model's text.
      const measured = (await rules.writeIncidentReport(input)).output.markdown;
      const markdown = `${result.output.markdown.trim()}\n\n---\n\n${measuredSections(measured)}`;
      return {
        output: incidentReportSchema.parse({ title: result.output.title, markdown }),
        identity: result.identity,
        tokens: result.tokens,
      };
    },
  };
}

/** From the rule-written report, the sections with measured facts: trigger, metrics, timeline. */
function measuredSections(markdown: string): string {
  const start = markdown.indexOf('## Trigger');
  const end = markdown.indexOf('## Root-cause hypothesis');
  return markdown.slice(start === -1 ? 0 : start, end === -1 ? undefined : end).trim();
}

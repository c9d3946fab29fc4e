import type { ModelClient, Prompt } from '../llm/types.js';
import { checkStaging } from '../../workflows/policy/stagingChecks.js';
import type { ValidationAgent } from './agent.js';
import { validationReportSchema } from './schema.js';

/**
 * The model reads the measured staging numbers and the checks code computed. The validation activity
 * recomputes those checks afterwards, so a measured breach fails the stage whatever the model says.
 */
export function createClaudeValidationAgent(model: ModelClient, prompt: Prompt): ValidationAgent {
  return {
    async validate({ staging, config }) {
      const computed = checkStaging(staging, config.staging, config.canary);
      const facts = {
        smoke: staging.smoke,
        window: { seconds: staging.windowSeconds, requestsPerSecond: staging.requestsPerSecond },
        measured: staging.measured,
        baseline: staging.baseline,
        calibrationFactor: config.staging.calibrationFactor,
        limits: {
          maxErrorRate: config.staging.maxErrorRate,
          maxP99Ms: config.canary.maxP99Ms,
          maxP99RegressionPercent: config.staging.maxP99RegressionPercent,
          p99RegressionFloorMs: config.staging.p99RegressionFloorMs,
        },
        checksComputedByCode: computed.checks,
      };
      const result = await model.structured({
        prompt,
        schema: validationReportSchema,
        schemaName: 'validation',
        user: `Staging measurements of the change, as JSON (measured by code):\n${JSON.stringify(facts, null, 2)}`,
      });
      return { output: result.output, identity: result.identity, tokens: result.tokens };
    },
  };
}

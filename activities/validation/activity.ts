import type { PrpilotConfig } from '../../config/schema.js';
import type { DecisionDraft } from '../../workflows/records.js';
import { checkStaging } from '../../workflows/policy/stagingChecks.js';
import type { ActivityDeps } from '../deps.js';
import { draftFrom } from '../agent.js';
import type { StagingReport } from '../staging/schema.js';
import { validationReportSchema, type ValidationReport } from './schema.js';

/**
 * The validation agent's analysis, with the measured checks recomputed by code afterwards: an agent
 * can add a failed check, never pass one the numbers failed.
 */
export function validateStagingActivity(deps: ActivityDeps) {
  return async function validateStaging(input: {
    staging: StagingReport;
    config: Pick<PrpilotConfig, 'staging' | 'canary'>;
  }): Promise<{ report: ValidationReport; decision: DecisionDraft }> {
    const run = await deps.agents.validation.validate(input);
    const agentReport = validationReportSchema.parse(run.output);
    const measured = checkStaging(input.staging, input.config.staging, input.config.canary);
    const report: ValidationReport = {
      ...agentReport,
      ...measured,
      passed: measured.passed && agentReport.passed,
      checks: [...measured.checks, ...agentReport.checks.filter((check) => !measured.checks.some((own) => own.name === check.name))],
      summary: agentReport.passed || agentReport.summary === measured.summary ? measured.summary : `${measured.summary}; agent: ${agentReport.summary}`,
    };
    return {
      report,
      decision: draftFrom(run, {
        stage: 'validation',
        decision: report.passed ? 'validation passed' : 'validation failed',
        rationale: report.summary,
        input,
        // Staging is smaller than production: the raw numbers and those adjusted by the factor, side by side.
        details: {
          calibrationFactor: report.calibrationFactor,
          rawP50Ms: input.staging.measured?.p50Ms ?? null,
          rawP99Ms: input.staging.measured?.p99Ms ?? null,
          adjustedP50Ms: report.adjusted?.p50Ms ?? null,
          adjustedP99Ms: report.adjusted?.p99Ms ?? null,
          baselineP99Ms: input.staging.baseline?.p99Ms ?? null,
          baselineAdjustedP99Ms: report.baselineAdjusted?.p99Ms ?? null,
          p99RegressionPercent: report.p99RegressionPercent,
          checks: report.checks,
        },
      }),
    };
  };
}
